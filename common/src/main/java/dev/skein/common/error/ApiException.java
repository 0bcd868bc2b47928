package dev.skein.common.error;

import dev.skein.proto.common.v1.ErrorCode;

/**
 * A failure the caller caused or can act on, carrying MLflow's error code. Services throw it from
 * any layer; the gRPC edge turns it into a status plus the {@link GrpcErrors#ERROR_CODE} trailer,
 * and the gateway turns that into MLflow's JSON error body.
 */
public class ApiException extends RuntimeException {

    private final ErrorCode code;

    public ApiException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static ApiException invalidParameter(String message) {
        return new ApiException(ErrorCode.INVALID_PARAMETER_VALUE, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(ErrorCode.RESOURCE_DOES_NOT_EXIST, message);
    }

    public static ApiException alreadyExists(String message) {
        return new ApiException(ErrorCode.RESOURCE_ALREADY_EXISTS, message);
    }

    public static ApiException invalidState(String message) {
        return new ApiException(ErrorCode.INVALID_STATE, message);
    }

    /** MLflow's wording for a required field that is absent or empty. */
    public static ApiException missing(String field) {
        return invalidParameter("Missing value for required parameter '" + field
                + "'. See the API docs for more information about request parameters.");
    }
}
