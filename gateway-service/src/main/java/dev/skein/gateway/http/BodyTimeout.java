package dev.skein.gateway.http;

import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * Ends a request whose body stops arriving, or takes too long in all: {@link #touch()} on every
 * chunk; once no chunk came for the idle timeout, or the whole deadline has passed, {@code
 * onTimeout} runs (once). One timer per request, re-armed only when it fires, so a fast body costs
 * no timer churn.
 */
final class BodyTimeout {

    private final Vertx vertx;
    private final long timeoutNanos;
    private final long deadline;
    private final Runnable onTimeout;
    private long last = System.nanoTime();
    private long timer = -1;
    private boolean done;

    private BodyTimeout(Vertx vertx, Duration idle, Duration total, Runnable onTimeout) {
        this.vertx = vertx;
        this.timeoutNanos = idle.toNanos();
        this.deadline = last + total.toNanos();
        this.onTimeout = onTimeout;
    }

    static BodyTimeout start(Vertx vertx, Duration idle, Duration total, Runnable onTimeout) {
        BodyTimeout t = new BodyTimeout(vertx, idle, total, onTimeout);
        t.arm(Math.min(t.timeoutNanos, t.deadline - t.last));
        return t;
    }

    void touch() {
        last = System.nanoTime();
    }

    void cancel() {
        done = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    private void arm(long nanos) {
        timer = vertx.setTimer(Math.max(1, nanos / 1_000_000), id -> {
            timer = -1;
            if (done) {
                return;
            }
            long now = System.nanoTime();
            long idle = now - last;
            if (idle >= timeoutNanos || now - deadline >= 0) {
                done = true;
                onTimeout.run();
            } else {
                arm(Math.min(timeoutNanos - idle, deadline - now));
            }
        });
    }
}
