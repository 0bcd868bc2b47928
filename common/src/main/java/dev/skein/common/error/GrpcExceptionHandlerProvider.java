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
import org.jboss.logging.Logger;

/**
 * Every gRPC service of the suite fails the same way: an {@link ApiException} becomes its status
 * with the MLflow code in the trailers; anything else is logged once here and leaves as a bare
 * INTERNAL status, never with a class name or stack trace.
 */
@ApplicationScoped
public class GrpcExceptionHandlerProvider implements ExceptionHandlerProvider {

    private static final Logger LOG = Logger.getLogger(GrpcExceptionHandlerProvider.class);

    private final Instance<FailureTranslator> translators;

    public GrpcExceptionHandlerProvider(Instance<FailureTranslator> translators) {
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
            return sre;
        }
        if (cause instanceof StatusException se) {
            return se.getStatus().asRuntimeException(se.getTrailers());
        }
        for (FailureTranslator translator : translators) {
            var translated = translator.translate(cause);
            if (translated.isPresent()) {
                return GrpcErrors.toStatus(translated.get());
            }
        }
        LOG.error("Unexpected failure while serving a gRPC call", cause);
        return Status.INTERNAL.withDescription("Internal error").asRuntimeException();
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
