package dev.skein.gateway.auth;

import dev.skein.common.error.ApiException;
import dev.skein.common.vertx.CallerContext;
import dev.skein.proto.common.v1.ErrorCode;
import io.smallrye.mutiny.Uni;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Blocking or CPU-heavy work (password hashes, fetching an identity provider's keys) kept off the
 * event loop on a few threads of its own, with a bounded queue: work that does not fit is refused
 * with 503 before it starts, never queued without end. Answers come back on the caller's context.
 */
final class BoundedPool {

    private final ThreadPoolExecutor threads;
    private final String busy;

    BoundedPool(String name, int threads, int queued, String busy) {
        AtomicInteger n = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(
                threads, threads, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(Math.max(1, queued)), r -> {
                    Thread t = new Thread(r, name + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.busy = busy;
    }

    <T> Uni<T> run(Supplier<T> work) {
        var back = CallerContext.capture();
        return Uni.createFrom()
                .<T>emitter(emitter -> {
                    try {
                        threads.execute(() -> {
                            try {
                                emitter.complete(work.get());
                            } catch (RuntimeException e) {
                                emitter.fail(e);
                            }
                        });
                    } catch (RejectedExecutionException e) {
                        emitter.fail(new ApiException(ErrorCode.TEMPORARILY_UNAVAILABLE, busy));
                    }
                })
                .emitOn(back);
    }

    void close() {
        threads.shutdownNow();
    }
}
