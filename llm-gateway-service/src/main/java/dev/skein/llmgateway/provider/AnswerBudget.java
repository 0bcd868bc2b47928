package dev.skein.llmgateway.provider;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of provider answers held in memory at once, over all non-streamed calls (each is read whole before it is
 * translated): reserved as they arrive, released when the call ends; the answer written back is held in it until the
 * client has taken it. A call whose next bytes do not fit is ended with 503 rather than the heap being exhausted for
 * every call and stream.
 */
public final class AnswerBudget {

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    public AnswerBudget(long limit) {
        this.limit = limit;
    }

    /** Reserves {@code bytes}; false (nothing reserved) when they do not fit. */
    public boolean reserve(long bytes) {
        long now = used.addAndGet(bytes);
        if (now > limit) {
            used.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    /**
     * Counts {@code bytes} whether or not they fit: an answer already made that waits to be written to its client
     * (a slow reader holds it), so the calls after it see the memory it takes.
     */
    public void hold(long bytes) {
        used.addAndGet(bytes);
    }

    public void release(long bytes) {
        used.addAndGet(-bytes);
    }

    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }
}
