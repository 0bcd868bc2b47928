package dev.skein.common.error;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.ExceptionHandler;
import io.quarkus.grpc.ExceptionHandlerProvider;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Every gRPC service of the suite fails the same way: an {@link ApiException} becomes its status
 * with the MLflow code in the trailers; a failure a {@link FailureTranslator} recognises becomes the
 * API error it means; anything else is logged once here with an id and leaves as INTERNAL with a
 * generic message naming only that id — never a class name, stack trace, SQL or a downstream
 * service's description. A status from a downstream call passes through as it is only when that
 * service marked it as a deliberate API error ({@link GrpcErrors#ERROR_CODE}); otherwise it keeps its
 * code but gets a generic description.
 */
@ApplicationScoped
public class GrpcExceptionHandlerProvider implements ExceptionHandlerProvider {

    private static final Logger LOG = Logger.getLogger(GrpcExceptionHandlerProvider.class);

    private final Iterable<FailureTranslator> translators;

    @Inject
    public GrpcExceptionHandlerProvider(Instance<FailureTranslator> translators) {
        this.translators = translators;
    }

    GrpcExceptionHandlerProvider(List<FailureTranslator> translators) {
        this.translators = translators;
    }

    @Override
    public <ReqT, RespT> ExceptionHandler<ReqT, RespT> createHandler(
            ServerCall.Listener<ReqT> listener, ServerCall<ReqT, RespT> call, Metadata metadata) {
        return new ExceptionHandler<>(listener, call, metadata) {
            @Override
            protected void handleException(Throwable failure, ServerCall<ReqT, RespT> call, Metadata metadata) {
                StatusRuntimeException status = toStatus(failure);
                Metadata trailers = status.getTrailers() == null ? new Metadata() : status.getTrailers();
                call.close(status.getStatus(), trailers);
            }
        };
    }

    @Override
    public Throwable transform(Throwable failure) {
        return toStatus(failure);
    }

    StatusRuntimeException toStatus(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof ApiException api) {
            return GrpcErrors.toStatus(api);
        }
        if (cause instanceof StatusRuntimeException sre) {
            return passThrough(sre.getStatus(), sre.getTrailers(), cause);
        }
        if (cause instanceof StatusException se) {
            return passThrough(se.getStatus(), se.getTrailers(), cause);
        }
        for (FailureTranslator translator : translators) {
            var translated = translator.translate(cause);
            if (translated.isPresent()) {
                return GrpcErrors.toStatus(translated.get());
            }
        }
        String id = UUID.randomUUID().toString();
        LOG.errorf(cause, "Unexpected failure %s while serving a gRPC call", id);
        return Status.INTERNAL.withDescription("Internal error (id " + id + ")").asRuntimeException();
    }

    private static StatusRuntimeException passThrough(Status status, Metadata trailers, Throwable cause) {
        if (GrpcErrors.isApiError(trailers)) {
            return status.asRuntimeException(trailers);
        }
        String id = UUID.randomUUID().toString();
        LOG.errorf("Failure %s while serving a gRPC call: a call it made failed with %s", id, status);
        return Status.fromCode(status.getCode())
                .withDescription(GrpcErrors.genericMessage(status.getCode()) + " (id " + id + ")")
                .asRuntimeException();
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof java.util.concurrent.CompletionException
                        || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
