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
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.pgclient.PgConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/**
 * How the bulk history reads (get-history-bulk, get-history-bulk-interval) use the database: at most
 * {@code max-concurrent} at once, refused past that before any database work; each in one transaction
 * on one connection under a statement timeout; each answered within its {@code deadline}. A read whose
 * caller has gone (the call cancelled) or whose deadline passed is stopped: it issues no further
 * statement, the statement under way is cancelled (PostgreSQL's cancel request), the transaction is
 * rolled back, and only then does the read give its place back, so the cap bounds the connections
 * bulk reads hold. A read answered keeps its place until its answer has been written out
 * ({@link AnswerDelivery}). A read that a cancel cannot end (its connection no longer answers: a
 * half-open socket) gives its place back {@link #GRACE} after it was stopped, counted as abandoned;
 * TCP keep-alive on the pool's connections ({@code PgKeepAlive}) then closes that connection.
 */
@ApplicationScoped
@Startup
public class BulkReads {

    private static final Logger LOG = Logger.getLogger(BulkReads.class);

    /** How long a stopped read whose statement was cancelled may take to end before it is abandoned. */
    static final Duration GRACE = Duration.ofSeconds(10);

    /** PostgreSQL's timeouts are int milliseconds. */
    private static final long MAX_MILLIS = Integer.MAX_VALUE;

    enum Stop {
        CALLER,
        DEADLINE
    }

    private final MetricHistoryRepository history;
    private final Vertx vertx;
    private final Duration statementTimeout;
    private final Duration deadline;
    private final int maxConcurrent;
    private final long answerShare;
    private final AtomicInteger running = new AtomicInteger();
    private final Counter abandoned;
    private final Counter stoppedForCaller;
    private final Counter stoppedAtDeadline;

    public BulkReads(MetricHistoryRepository history, Vertx vertx, TrackingConfig config, MeterRegistry registry) {
        this.history = history;
        this.vertx = vertx;
        TrackingConfig.BulkReads c = config.bulkReads();
        this.deadline = c.deadline();
        this.statementTimeout = c.statementTimeout();
        this.maxConcurrent = c.maxConcurrent();
        checkMillis("deadline", deadline);
        checkMillis("statement-timeout", statementTimeout);
        int poolSize = ConfigProvider.getConfig()
                .getOptionalValue("quarkus.datasource.reactive.max-size", Integer.class)
                .orElse(20);
        if (maxConcurrent < 1 || maxConcurrent >= poolSize) {
            throw new IllegalStateException("skein.tracking.bulk-reads.max-concurrent must be from 1 to "
                    + (poolSize - 1) + " (below quarkus.datasource.reactive.max-size, " + poolSize
                    + ", so bulk reads never take every connection); it is " + maxConcurrent);
        }
        long memory;
        try {
            memory = c.maxAnswerMemory().asLongValue();
        } catch (ArithmeticException tooLarge) {
            memory = Long.MAX_VALUE;
        }
        this.answerShare = memory / maxConcurrent;
        if (answerShare < 1 << 20) {
            throw new IllegalStateException("skein.tracking.bulk-reads.max-answer-memory must give each of the "
                    + maxConcurrent + " bulk reads at least 1 MiB; it is " + memory + " bytes");
        }
        long heap = Runtime.getRuntime().maxMemory();
        if (heap != Long.MAX_VALUE && memory > heap / 2) {
            LOG.warnf(
                    "skein.tracking.bulk-reads.max-answer-memory (%d bytes) is more than half the heap (%d bytes)",
                    memory, heap);
        }
        if (statementTimeout.compareTo(deadline) >= 0) {
            LOG.warnf(
                    "skein.tracking.bulk-reads.statement-timeout (%s) is not below the deadline (%s): the deadline"
                            + " stops reads first",
                    statementTimeout, deadline);
        }
        Gauge.builder("skein.tracking.bulk.reads.running", running, AtomicInteger::get)
                .description("Bulk history reads holding a place now")
                .register(registry);
        this.abandoned = Counter.builder("skein.tracking.bulk.reads.abandoned")
                .description("Stopped bulk history reads that had not ended " + GRACE.toSeconds() + " s after their"
                        + " statement was cancelled (their connection no longer answered); their place was given back")
                .register(registry);
        this.stoppedForCaller = stopped(registry, "caller");
        this.stoppedAtDeadline = stopped(registry, "deadline");
    }

    private static Counter stopped(MeterRegistry registry, String reason) {
        return Counter.builder("skein.tracking.bulk.reads.stopped")
                .description("Bulk history reads stopped before they ended: their caller cancelled the call or"
                        + " went away (caller), or their deadline passed (deadline)")
                .tag("reason", reason)
                .register(registry);
    }

    private static void checkMillis(String setting, Duration d) {
        if (d.toMillis() < 1 || d.toMillis() > MAX_MILLIS) {
            throw new IllegalStateException("skein.tracking.bulk-reads." + setting + " must be from 1 ms to "
                    + MAX_MILLIS + " ms (PostgreSQL's limit); it is " + d);
        }
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
        return Uni.createFrom().context(context -> Uni.createFrom()
                .emitter(emitter -> admit(what, reads, AnswerDelivery.of(context), emitter)));
    }

    private <T> void admit(
            String what,
            BiFunction<SqlConnection, BooleanSupplier, Uni<T>> reads,
            AnswerDelivery delivery,
            UniEmitter<? super T> emitter) {
        if (running.incrementAndGet() > maxConcurrent) {
            running.decrementAndGet();
            emitter.fail(new ApiException(
                    ErrorCode.REQUEST_LIMIT_EXCEEDED,
                    "Too many metric history bulk reads are running (at most " + maxConcurrent + " at once); the "
                            + what + " request was not started. Try again shortly."));
            return;
        }
        Read read = new Read();
        long deadlineTimer = vertx.setTimer(deadline.toMillis(), id -> {
            if (read.stop(Stop.DEADLINE)) {
                emitter.fail(new ApiException(
                        ErrorCode.TEMPORARILY_UNAVAILABLE,
                        "The " + what + " read did not finish within " + deadline.toMillis()
                                + " ms and was stopped; ask for fewer runs or fewer results, or try again later."));
            }
        });
        // cancelled by the caller (answered or failed already: nothing to stop)
        emitter.onTermination(() -> read.stop(Stop.CALLER));
        history.bounded(statementTimeout, deadline, read::stopped, conn -> {
                    read.connected(conn);
                    return reads.apply(conn, read::stopped).onTermination().invoke(read::statementsDone);
                })
                .subscribe()
                .with(
                        answer -> {
                            vertx.cancelTimer(deadlineTimer);
                            if (read.end()) {
                                // held until the answer is written out: its memory is counted till then
                                if (delivery != null) {
                                    delivery.add(read::giveBack);
                                } else {
                                    read.giveBack();
                                }
                                emitter.complete(answer);
                            } else {
                                read.giveBack();
                            }
                        },
                        failure -> {
                            vertx.cancelTimer(deadlineTimer);
                            boolean first = read.end();
                            read.giveBack();
                            if (first) {
                                emitter.fail(translate(what, failure));
                            }
                        });
    }

    /** One admitted read: its connection once it has one, whether it was stopped, its place. */
    private final class Read {
        private final AtomicBoolean placeHeld = new AtomicBoolean(true);
        private final AtomicBoolean over = new AtomicBoolean();
        private volatile boolean stopRequested;
        private volatile SqlConnection conn;

        boolean stopped() {
            return stopRequested;
        }

        void connected(SqlConnection c) {
            conn = c;
            if (stopRequested) {
                cancelStatement();
            }
        }

        /** The read's statements are done (its commit or rollback is next): nothing left to cancel. */
        void statementsDone() {
            conn = null;
        }

        /** Ends the read as answered or failed; false if it was stopped first. */
        boolean end() {
            return over.compareAndSet(false, true);
        }

        /** Stops the read unless it ended; true if this call stopped it. */
        boolean stop(Stop why) {
            if (!over.compareAndSet(false, true)) {
                return false;
            }
            stopRequested = true;
            (why == Stop.CALLER ? stoppedForCaller : stoppedAtDeadline).increment();
            cancelStatement();
            // a connection a cancel cannot reach never ends the read: its place is not held for good
            vertx.setTimer(GRACE.toMillis(), id -> {
                if (placeHeld.compareAndSet(true, false)) {
                    running.decrementAndGet();
                    abandoned.increment();
                    LOG.warnf(
                            "A stopped bulk read did not end %s after its statement was cancelled; its place is"
                                    + " given back, its connection left to TCP keep-alive",
                            GRACE);
                }
            });
            return true;
        }

        /**
         * Cancels the statement the read's connection runs, only while the read's statements run.
         * (PostgreSQL's cancel request names a backend, not a statement: in the instant between a read's
         * last statement ending and its cancel arriving, it could stop the next statement that
         * connection runs — answered 503 "try again" like any cancelled statement.)
         */
        private void cancelStatement() {
            SqlConnection c = conn;
            if (c != null) {
                PgConnection.cast(c.getDelegate())
                        .cancelRequest()
                        .onFailure(
                                e -> LOG.debugf("Cancelling a stopped bulk read's statement failed: %s", e.toString()));
            }
        }

        void giveBack() {
            if (placeHeld.compareAndSet(true, false)) {
                running.decrementAndGet();
            }
        }
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
