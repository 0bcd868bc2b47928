package dev.skein.common.error;

import dev.skein.proto.common.v1.ErrorCode;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;

/**
 * The one mapping between MLflow error codes and gRPC: a service fails with a gRPC status whose
 * trailer {@link #ERROR_CODE} names the MLflow code; a caller reads the code back with
 * {@link #errorCode(StatusRuntimeException)}. The trailer also marks the status as a deliberate API
 * error whose description is written for clients ({@link #isApiError}); a status without it (from
 * gRPC itself, a proxy, an unexpected failure) has a description that is for logs only.
 */
public final class GrpcErrors {

    public static final Metadata.Key<String> ERROR_CODE =
            Metadata.Key.of("skein-error-code", Metadata.ASCII_STRING_MARSHALLER);

    private static final Map<ErrorCode, Status.Code> TO_GRPC = Map.ofEntries(
            Map.entry(ErrorCode.INVALID_PARAMETER_VALUE, Status.Code.INVALID_ARGUMENT),
            Map.entry(ErrorCode.BAD_REQUEST, Status.Code.INVALID_ARGUMENT),
            Map.entry(ErrorCode.MALFORMED_REQUEST, Status.Code.INVALID_ARGUMENT),
            Map.entry(ErrorCode.RESOURCE_DOES_NOT_EXIST, Status.Code.NOT_FOUND),
            Map.entry(ErrorCode.NOT_FOUND, Status.Code.NOT_FOUND),
            Map.entry(ErrorCode.ENDPOINT_NOT_FOUND, Status.Code.UNIMPLEMENTED),
            Map.entry(ErrorCode.RESOURCE_ALREADY_EXISTS, Status.Code.ALREADY_EXISTS),
            Map.entry(ErrorCode.ALREADY_EXISTS, Status.Code.ALREADY_EXISTS),
            Map.entry(ErrorCode.RESOURCE_CONFLICT, Status.Code.ABORTED),
            Map.entry(ErrorCode.ABORTED, Status.Code.ABORTED),
            Map.entry(ErrorCode.INVALID_STATE, Status.Code.FAILED_PRECONDITION),
            Map.entry(ErrorCode.PERMISSION_DENIED, Status.Code.PERMISSION_DENIED),
            Map.entry(ErrorCode.UNAUTHENTICATED, Status.Code.UNAUTHENTICATED),
            Map.entry(ErrorCode.REQUEST_LIMIT_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED),
            Map.entry(ErrorCode.RESOURCE_EXHAUSTED, Status.Code.RESOURCE_EXHAUSTED),
            Map.entry(ErrorCode.NOT_IMPLEMENTED, Status.Code.UNIMPLEMENTED),
            Map.entry(ErrorCode.TEMPORARILY_UNAVAILABLE, Status.Code.UNAVAILABLE));

    private GrpcErrors() {}

    public static StatusRuntimeException toStatus(ApiException e) {
        Metadata trailers = new Metadata();
        trailers.put(ERROR_CODE, e.code().name());
        Status.Code grpc = TO_GRPC.getOrDefault(e.code(), Status.Code.INTERNAL);
        return Status.fromCode(grpc).withDescription(e.getMessage()).asRuntimeException(trailers);
    }

    /** Whether a failed call's status was made from an {@link ApiException}: its description is for clients. */
    public static boolean isApiError(Metadata trailers) {
        return trailers != null && trailers.containsKey(ERROR_CODE);
    }

    public static boolean isApiError(StatusRuntimeException e) {
        return isApiError(e.getTrailers());
    }

    /** What to tell a client about a failed call whose description is not meant for it. */
    public static String genericMessage(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> "The request was refused as invalid";
            case NOT_FOUND -> "The requested resource does not exist";
            case ALREADY_EXISTS -> "The resource already exists";
            case PERMISSION_DENIED -> "Permission denied";
            case UNAUTHENTICATED -> "Authentication failed";
            case RESOURCE_EXHAUSTED -> "The request exceeds a limit of the service, or the service is busy";
            case UNIMPLEMENTED -> "Not implemented";
            case UNAVAILABLE, DEADLINE_EXCEEDED -> "The service behind this endpoint is unavailable, try again";
            case ABORTED -> "The request conflicted with a concurrent change, try again";
            case FAILED_PRECONDITION -> "The resource is not in a state that allows this request";
            case CANCELLED -> "The request was cancelled";
            default -> "Internal error";
        };
    }

    /** The MLflow code a failed call carries, or one derived from its gRPC status. */
    public static ErrorCode errorCode(StatusRuntimeException e) {
        Metadata trailers = e.getTrailers();
        String name = trailers == null ? null : trailers.get(ERROR_CODE);
        if (name != null) {
            try {
                return ErrorCode.valueOf(name);
            } catch (IllegalArgumentException unknown) {
                // a newer service may know codes this one does not: fall through to the status
            }
        }
        return switch (e.getStatus().getCode()) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> ErrorCode.INVALID_PARAMETER_VALUE;
            case NOT_FOUND -> ErrorCode.RESOURCE_DOES_NOT_EXIST;
            case ALREADY_EXISTS -> ErrorCode.RESOURCE_ALREADY_EXISTS;
            case PERMISSION_DENIED -> ErrorCode.PERMISSION_DENIED;
            case UNAUTHENTICATED -> ErrorCode.UNAUTHENTICATED;
            case RESOURCE_EXHAUSTED -> ErrorCode.REQUEST_LIMIT_EXCEEDED;
            case UNIMPLEMENTED -> ErrorCode.NOT_IMPLEMENTED;
            case UNAVAILABLE, DEADLINE_EXCEEDED -> ErrorCode.TEMPORARILY_UNAVAILABLE;
            case ABORTED -> ErrorCode.ABORTED;
            case FAILED_PRECONDITION -> ErrorCode.INVALID_STATE;
            default -> ErrorCode.INTERNAL_ERROR;
        };
    }

    /** MLflow's HTTP status for each error code ({@code mlflow/exceptions.py}); 500 otherwise. */
    public static int httpStatus(ErrorCode code) {
        return switch (code) {
            case INVALID_PARAMETER_VALUE, BAD_REQUEST, MALFORMED_REQUEST, RESOURCE_ALREADY_EXISTS -> 400;
            case UNAUTHENTICATED, CUSTOMER_UNAUTHORIZED -> 401;
            case PERMISSION_DENIED -> 403;
            case RESOURCE_DOES_NOT_EXIST, NOT_FOUND, ENDPOINT_NOT_FOUND -> 404;
            case ALREADY_EXISTS, RESOURCE_CONFLICT, ABORTED -> 409;
            case REQUEST_LIMIT_EXCEEDED, RESOURCE_EXHAUSTED -> 429;
            case NOT_IMPLEMENTED -> 501;
            case TEMPORARILY_UNAVAILABLE -> 503;
            default -> 500;
        };
    }
}
