package dev.skein.llmgateway.http;

/** A request refused with {@link ApiError}; no stack trace (it is the client's mistake, not ours). */
final class ApiFailure extends RuntimeException {

    final ApiError error;

    ApiFailure(ApiError error) {
        super(String.valueOf(error.detail()), null, false, false);
        this.error = error;
    }
}
