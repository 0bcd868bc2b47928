package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.tracking.config.TrackingConfig;
import dev.skein.tracking.repository.MetricHistoryRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * How the bulk history reads (get-history-bulk, get-history-bulk-interval) use the database: at most
 * {@code max-concurrent} at once, refused past that before any database work; each in one transaction
 * on one connection under a statement timeout; each answered within its {@code deadline}. A read whose
 * caller has gone (the call cancelled, or the deadline passed) issues no further statement: the one
 * under way ends (within the statement timeout), the transaction is rolled back, and only then does
 * the read give its place back, so the cap bounds the connections bulk reads really hold. A read whose
 * connection never answers (a half-open socket) gives its place back at the latest {@link #GRACE}
 * after its deadline and statement timeout both passed, and is counted as abandoned.
 */
@ApplicationScoped
@Startup
public class BulkReads {

    private static final Logger LOG = Logger.getLogger(BulkReads.class);

    /** How long past its deadline and statement timeout a read that never ended keeps its place. */
    static final Duration GRACE = Duration.ofSeconds(10);

    private final MetricHistoryRepository history;
    private final Vertx vertx;
    private final Duration statementTimeout;
    private final Duration deadline;
    private final int maxConcurrent;
    private final long answerShare;
    private final AtomicInteger running = new AtomicInteger();
    private final Counter abandoned;
    private final Counter stopped;

    public BulkReads(MetricHistoryRepository history, Vertx vertx, TrackingConfig config, MeterRegistry registry) {
        this.history = history;
        this.vertx = vertx;
        TrackingConfig.BulkReads c = config.bulkReads();
        this.deadline = c.deadline();
        this.statementTimeout = c.statementTimeout();
        this.maxConcurrent = c.maxConcurrent();
        if (deadline.toMillis() < 1) {
            throw new IllegalStateException(
                    "skein.tracking.bulk-reads.deadline must be at least 1 ms; it is " + deadline);
        }
        if (statementTimeout.toMillis() < 1) {
            throw new IllegalStateException(
                    "skein.tracking.bulk-reads.statement-timeout must be at least 1 ms; it is " + statementTimeout);
        }
        if (maxConcurrent < 1) {
            throw new IllegalStateException(
                    "skein.tracking.bulk-reads.max-concurrent must be at least 1; it is " + maxConcurrent);
        }
        this.answerShare = c.maxAnswerMemory().asLongValue() / maxConcurrent;
        if (answerShare < 1 << 20) {
            throw new IllegalStateException("skein.tracking.bulk-reads.max-answer-memory must give each of the "
                    + maxConcurrent + " bulk reads at least 1 MiB; it is "
                    + c.maxAnswerMemory().asLongValue()
                    + " bytes");
        }
        if (statementTimeout.compareTo(deadline) >= 0) {
            LOG.warnf(
                    "skein.tracking.bulk-reads.statement-timeout (%s) is not below the deadline (%s): a read"
                            + " answered at its deadline may keep its connection and its place until its"
                            + " statement ends",
                    statementTimeout, deadline);
        }
        Gauge.builder("skein.tracking.bulk.reads.running", running, AtomicInteger::get)
                .description("Bulk history reads holding a place (and a database connection) now")
                .register(registry);
        this.abandoned = Counter.builder("skein.tracking.bulk.reads.abandoned")
                .description("Bulk history reads whose connection did not answer past their deadline and"
                        + " statement timeout; their place was given back without their transaction ending")
                .register(registry);
        this.stopped = Counter.builder("skein.tracking.bulk.reads.stopped")
                .description("Bulk history reads told to stop before they ended: their caller cancelled the call"
                        + " or went away, or their deadline passed")
                .register(registry);
    }

    /** Memory one bulk read's answer may take: its equal share of max-answer-memory. */
    public long answerShare() {
        return answerShare;
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
            AtomicBoolean placeHeld = new AtomicBoolean(true);
            Runnable giveBack = () -> {
                if (placeHeld.compareAndSet(true, false)) {
                    running.decrementAndGet();
                }
            };
            // a connection that never answers (half-open) must not keep the place for good
            long watchdog =
                    vertx.setTimer(deadline.plus(statementTimeout).plus(GRACE).toMillis(), id -> {
                        if (placeHeld.get()) {
                            abandoned.increment();
                            LOG.warnf(
                                    "A %s read did not end %s after its deadline and statement timeout; its place is"
                                            + " given back, its connection left to the pool's and TCP's timeouts",
                                    what, GRACE);
                            giveBack.run();
                        }
                    });
            var stop = new Object() {
                volatile boolean requested;
                volatile boolean ended;
            };
            // answered, failed, cancelled by the caller or past the deadline: nothing more is read
            emitter.onTermination(() -> {
                if (!stop.ended && !stop.requested) {
                    stopped.increment();
                }
                stop.requested = true;
            });
            history.bounded(
                            statementTimeout,
                            deadline,
                            () -> stop.requested,
                            conn -> reads.apply(conn, () -> stop.requested))
                    .subscribe()
                    .with(
                            answer -> {
                                stop.ended = true;
                                vertx.cancelTimer(watchdog);
                                giveBack.run();
                                emitter.complete(answer);
                            },
                            failure -> {
                                stop.ended = true;
                                vertx.cancelTimer(watchdog);
                                giveBack.run();
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
