package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.tracking.config.TrackingConfig;
import dev.skein.tracking.repository.MetricHistoryRepository;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;

/**
 * How the bulk history reads (get-history-bulk, get-history-bulk-interval) use the database: at most
 * {@code max-concurrent} at once, refused past that before any database work; each in one transaction
 * on one connection under a statement timeout; each answered within its {@code deadline}. A read whose
 * caller has gone (the call cancelled, or the deadline passed) issues no further statement: the one
 * under way ends (within the statement timeout), the transaction is rolled back, and only then does
 * the read give its place back, so the cap bounds the connections bulk reads really hold.
 */
@ApplicationScoped
public class BulkReads {

    private final MetricHistoryRepository history;
    private final Duration statementTimeout;
    private final Duration deadline;
    private final int maxConcurrent;
    private final AtomicInteger running = new AtomicInteger();

    public BulkReads(MetricHistoryRepository history, TrackingConfig config) {
        this.history = history;
        this.deadline = config.bulkReads().deadline();
        this.statementTimeout = config.bulkReads().statementTimeout();
        this.maxConcurrent = config.bulkReads().maxConcurrent();
    }

    /**
     * Runs {@code reads} as a bulk read named {@code what} (for messages). {@code reads} gets the
     * connection and a signal that says when to stop: it checks it before each statement it issues
     * and, once it says stop, fails (with {@link #stopped()}) instead of issuing more.
     */
    public <T> Uni<T> run(String what, BiFunction<SqlConnection, BooleanSupplier, Uni<T>> reads) {
        Uni<T> admitted = Uni.createFrom().emitter(emitter -> {
            if (running.incrementAndGet() > maxConcurrent) {
                running.decrementAndGet();
                emitter.fail(new ApiException(
                        ErrorCode.REQUEST_LIMIT_EXCEEDED,
                        "Too many metric history bulk reads are running (at most " + maxConcurrent + " at once); the "
                                + what + " request was not started. Try again shortly."));
                return;
            }
            var stop = new Object() {
                volatile boolean requested;
            };
            // answered, failed, cancelled by the caller or past the deadline: nothing more is read
            emitter.onTermination(() -> stop.requested = true);
            history.bounded(statementTimeout, conn -> reads.apply(conn, () -> stop.requested))
                    .subscribe()
                    .with(
                            answer -> {
                                running.decrementAndGet();
                                emitter.complete(answer);
                            },
                            failure -> {
                                running.decrementAndGet();
                                emitter.fail(translate(what, failure));
                            });
        });
        return admitted.ifNoItem()
                .after(deadline)
                .failWith(() -> new ApiException(
                        ErrorCode.TEMPORARILY_UNAVAILABLE,
                        "The " + what + " read did not finish within " + deadline.toMillis()
                                + " ms and was stopped; ask for fewer runs or fewer results, or try again later."));
    }

    /** What {@code reads} fails with once told to stop; its caller has gone, so nobody reads it. */
    public static <T> Uni<T> stopped() {
        return Uni.createFrom().failure(new CancellationException("the bulk read was stopped"));
    }

    /**
     * Our own statement timeout is said in words. Any other failure, a statement cancelled by someone
     * else (SQLSTATE 57014 too, e.g. an operator's {@code pg_cancel_backend}) included, is left to the
     * service's database-failure translation (503 for a cancelled statement, never PostgreSQL's text).
     */
    private Throwable translate(String what, Throwable failure) {
        if (MetricHistoryRepository.statementTimedOut(failure)) {
            return new ApiException(
                    ErrorCode.TEMPORARILY_UNAVAILABLE,
                    "The " + what + " read took longer than " + statementTimeout.toMillis()
                            + " ms and was stopped; ask for fewer runs or fewer results, or try again later.");
        }
        return failure;
    }
}
