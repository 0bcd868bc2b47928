package dev.skein.gateway.http;

import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * Ends a request whose body stops arriving: {@link #touch()} on every chunk; once no chunk came for
 * the timeout, {@code onTimeout} runs (once). One timer per request, re-armed only when it fires, so
 * a fast body costs no timer churn.
 */
final class BodyTimeout {

    private final Vertx vertx;
    private final long timeoutNanos;
    private final Runnable onTimeout;
    private long last = System.nanoTime();
    private long timer = -1;
    private boolean done;

    private BodyTimeout(Vertx vertx, Duration timeout, Runnable onTimeout) {
        this.vertx = vertx;
        this.timeoutNanos = timeout.toNanos();
        this.onTimeout = onTimeout;
    }

    static BodyTimeout start(Vertx vertx, Duration timeout, Runnable onTimeout) {
        BodyTimeout t = new BodyTimeout(vertx, timeout, onTimeout);
        t.arm(t.timeoutNanos);
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
            long idle = System.nanoTime() - last;
            if (idle >= timeoutNanos) {
                done = true;
                onTimeout.run();
            } else {
                arm(timeoutNanos - idle);
            }
        });
    }
}
