package dev.skein.llmgateway.governance;

/**
 * A call refused by a rate limit or a budget (429). No stack trace: it is the caller's traffic, not a fault.
 *
 * @param budget true when a budget (cost) refused it, false for a rate limit (calls or tokens)
 * @param retryAfterSeconds when the window that refused it ends
 */
public final class LimitExceeded extends RuntimeException {

    private final boolean budget;
    private final long retryAfterSeconds;

    public LimitExceeded(String message, boolean budget, long retryAfterSeconds) {
        super(message, null, false, false);
        this.budget = budget;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public boolean budget() {
        return budget;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
