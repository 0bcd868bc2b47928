package dev.skein.common.error;

import java.util.Optional;

/**
 * Recognises a failure that the caller caused although it surfaced deep down (a value the
 * database refuses, say) and turns it into the MLflow error it really is. Services provide these
 * as CDI beans; {@link GrpcExceptionHandlerProvider} asks them before answering INTERNAL.
 */
public interface FailureTranslator {

    Optional<ApiException> translate(Throwable failure);
}
