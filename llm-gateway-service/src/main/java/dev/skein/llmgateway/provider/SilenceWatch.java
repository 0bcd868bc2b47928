package dev.skein.llmgateway.provider;

import io.vertx.core.Vertx;

/**
 * The longest silence allowed from a provider, from the request sent to the last byte of its answer (the
 * HttpClient's own idle timeout stops at the response's headers). Each read {@link #touch()}es it; while this side
 * holds the provider back ({@link #pause}, the client reading slowly) the provider's silence is not its fault and
 * is not counted, and the client has a limit of its own to read again. One timer per call, re-armed only when it fires: a read costs a field write. Used on one
 * event-loop context only (the call's), so it needs no locking.
 */
public final class SilenceWatch {

    private final Vertx vertx;
    private final long limitMs;
    private final long stallMs;
    private Runnable onSilence;
    private long lastNanos;
    private long timer = -1;
    private boolean stopped;

    SilenceWatch(Vertx vertx, long limitMs, long stallMs) {
        this.vertx = vertx;
        this.limitMs = limitMs;
        this.stallMs = stallMs;
        this.onSilence = () -> {};
        this.lastNanos = System.nanoTime();
        arm(limitMs);
    }

    /** What to do when the limit passes (the call's owner changes once a stream is handed to its relay). */
    public void onSilence(Runnable action) {
        this.onSilence = action;
    }

    public long limitMs() {
        return limitMs;
    }

    /** The provider sent something. */
    public void touch() {
        lastNanos = System.nanoTime();
    }

    /**
     * This side stopped reading (its client is slow): the provider's silence that follows is not counted, but the
     * client has the stall limit to read on — {@code onStall} runs if it has not {@link #resume()}d by then (a
     * client that stops reading must not hold a provider connection for ever).
     */
    public void pause(Runnable onStall) {
        cancelTimer();
        if (!stopped) {
            timer = vertx.setTimer(stallMs, id -> {
                timer = -1;
                if (!stopped) {
                    stopped = true;
                    onStall.run();
                }
            });
        }
    }

    /** Reading again: the provider has the whole limit from now. */
    public void resume() {
        if (!stopped) {
            cancelTimer();
            touch();
            arm(limitMs);
        }
    }

    /** The call ended one way or another. */
    public void stop() {
        stopped = true;
        cancelTimer();
    }

    private void arm(long delayMs) {
        timer = vertx.setTimer(Math.max(1, delayMs), id -> {
            timer = -1;
            if (stopped) {
                return;
            }
            long silentMs = (System.nanoTime() - lastNanos) / 1_000_000;
            if (silentMs >= limitMs) {
                stopped = true;
                onSilence.run();
            } else {
                arm(limitMs - silentMs);
            }
        });
    }

    private void cancelTimer() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
