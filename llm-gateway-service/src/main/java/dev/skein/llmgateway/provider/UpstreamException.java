package dev.skein.llmgateway.provider;

import io.vertx.core.json.JsonObject;

/**
 * A provider call that failed, as MLflow's gateway maps it ({@code providers/utils.py send_request}): the
 * provider's own 4xx/5xx keeps its status with the provider's message; an answer that is not JSON or cannot be
 * read is 502; no answer in time is 504; no connection is 502. The provider's key never appears in the message.
 *
 * @param status the HTTP status to answer with
 * @param retryAfter the provider's {@code Retry-After} (on a 429 or 503), or null
 * @param providerError the provider's own OpenAI-shaped {@code error} object, or null
 * @param code the {@code code} of OpenAI's error shape when the gateway writes it (no provider error), or null
 */
public class UpstreamException extends RuntimeException {

    private final int status;
    private final String retryAfter;
    private final transient JsonObject providerError;
    private final String code;
    private boolean retryable = true;

    public UpstreamException(int status, String message, String retryAfter, JsonObject providerError, String code) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfter = retryAfter;
        this.providerError = providerError;
        this.code = code;
    }

    public UpstreamException(int status, String message, String code) {
        this(status, message, null, null, code);
    }

    public UpstreamException(int status, String message) {
        this(status, message, null, null, null);
    }

    public String code() {
        return code;
    }

    /**
     * Marks a failure that came after the provider began its answer (a 2xx): the provider served, and likely billed,
     * the call; trying it again would serve and bill it twice. Falling back is not done either.
     */
    public UpstreamException answered() {
        retryable = false;
        return this;
    }

    /** False once the provider began answering ({@link #answered()}). */
    public boolean mayTryAgain() {
        return retryable;
    }

    public int status() {
        return status;
    }

    public String retryAfter() {
        return retryAfter;
    }

    public JsonObject providerError() {
        return providerError;
    }
}
