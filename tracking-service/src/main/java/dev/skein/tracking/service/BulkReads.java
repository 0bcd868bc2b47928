package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.tracking.config.TrackingConfig;
import dev.skein.tracking.repository.MetricHistoryRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.impl.SocketConnectionBase;
import io.vertx.sqlclient.impl.SqlConnectionInternal;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/**
 * How the bulk history reads (get-history-bulk, get-history-bulk-interval) use the database: at most
 * {@code max-concurrent} at once, refused past that before any database work; each in one transaction on a connection of
 * its own — not one of the service's pool, which bulk reads therefore can never exhaust — under a
 * statement timeout, closed when the read ends; each answered within its {@code deadline}. A read
 * whose caller has gone (the call cancelled) or whose deadline passed is stopped: it issues no further
 * statement, the statement under way is cancelled (PostgreSQL's cancel request), and its connection is
 * closed once that statement ended — never reused, so a cancel cannot reach anyone else's statement —
 * and only then is its place given back. A read that has not ended {@link #GRACE} after it was stopped
 * (its connection no longer answers: a half-open socket) has its connection closed by force. A read
 * answered keeps its place until its answer has been handed to the call ({@link AnswerDelivery}).
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

    private final Vertx vertx;
    private final Duration statementTimeout;
    private final Duration deadline;
    private final int maxConcurrent;
    private final long answerShare;
    private final AtomicInteger running = new AtomicInteger();
    private final PgConnectOptions connectOptions;
    private final Counter abandoned;
    private final Counter stoppedForCaller;
    private final Counter stoppedAtDeadline;

    public BulkReads(Vertx vertx, TrackingConfig config, MeterRegistry registry) {
        this.vertx = vertx;
        TrackingConfig.BulkReads c = config.bulkReads();
        this.deadline = c.deadline();
        this.statementTimeout = c.statementTimeout();
        this.maxConcurrent = c.maxConcurrent();
        checkMillis("deadline", deadline);
        checkMillis("statement-timeout", statementTimeout);
        if (maxConcurrent < 1) {
            throw new IllegalStateException(
                    "skein.tracking.bulk-reads.max-concurrent must be at least 1; it is " + maxConcurrent);
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
        this.connectOptions = connectOptions();
        long fullHistory = 25_000L * (RunDataService.pointCost("x".repeat(32), "x".repeat(32)) + 24);
        if (answerShare < fullHistory) {
            LOG.warnf(
                    "Each bulk read's share of skein.tracking.bulk-reads.max-answer-memory (%d bytes) cannot hold"
                            + " a get-history-bulk answer of MLflow's 25,000 points with 32-character keys (%d"
                            + " bytes): such requests are refused",
                    answerShare, fullHistory);
        }
        Gauge.builder("skein.tracking.bulk.reads.running", running, AtomicInteger::get)
                .description("Bulk history reads holding a place now")
                .register(registry);
        this.abandoned = Counter.builder("skein.tracking.bulk.reads.abandoned")
                .description("Stopped bulk history reads that had not ended " + GRACE.toSeconds() + " s after they"
                        + " were stopped (their connection no longer answered, or was still being made): their"
                        + " connection was closed by force")
                .register(registry);
        this.stoppedForCaller = stopped(registry, "caller");
        this.stoppedAtDeadline = stopped(registry, "deadline");
    }

    /**
     * A bulk read's own connection: the service's datasource (its URL, credentials and session
     * settings), its TCP connection made or given up within 10 s. Datasource settings these options
     * would not carry (TLS, a credentials provider, several hosts) stop the service at start rather
     * than let bulk reads connect otherwise than the service does.
     */
    private static PgConnectOptions connectOptions() {
        Config config = ConfigProvider.getConfig();
        for (String name : config.getPropertyNames()) {
            boolean tls = name.equals("quarkus.datasource.reactive.postgresql.ssl-mode")
                    || name.startsWith("quarkus.datasource.reactive.trust-")
                    || name.startsWith("quarkus.datasource.reactive.key-certificate-")
                    || name.equals("quarkus.datasource.reactive.tls-configuration-name")
                    || name.startsWith("quarkus.datasource.credentials-provider");
            String value = tls ? config.getOptionalValue(name, String.class).orElse("") : "";
            if (!Set.of("", "false", "disable", "none", "no", "0").contains(value.toLowerCase(Locale.ROOT))) {
                throw new IllegalStateException("Bulk history reads open connections of their own and do not carry "
                        + name + " (" + value + ") yet: the service cannot start with it");
            }
        }
        String url = config.getValue("quarkus.datasource.reactive.url", String.class);
        PgConnectOptions options = PgConnectOptions.fromUri(
                url.replaceFirst("^vertx-reactive:", "").split(",")[0]);
        config.getOptionalValue("quarkus.datasource.username", String.class).ifPresent(options::setUser);
        config.getOptionalValue("quarkus.datasource.password", String.class).ifPresent(options::setPassword);
        String prefix = "quarkus.datasource.reactive.additional-properties.";
        for (String name : config.getPropertyNames()) {
            if (name.startsWith(prefix)) {
                options.addProperty(name.substring(prefix.length()), config.getValue(name, String.class));
            }
        }
        options.addProperty("application_name", "tracking-service bulk read");
        options.setConnectTimeout(10_000);
        // a host that went away is noticed by the operating system's keep-alive probes
        options.setTcpKeepAlive(true);
        return options;
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
        PgConnection.connect(vertx, connectOptions)
                .flatMap(conn -> {
                    read.connected(conn);
                    if (read.stopped()) {
                        return BulkReads.<T>stopped();
                    }
                    // in a transaction: once a cancel fails the statement under way, the statements sent
                    // after it on the connection fail at once (25P02) instead of running on. BEGIN as a
                    // statement, not Vert.x's Transaction, whose close waits for the statements under
                    // way: a connection that no longer answers must still close at once
                    return conn.query("BEGIN")
                            .execute()
                            .flatMap(begun -> conn.preparedQuery("SELECT set_config('statement_timeout', $1, true)")
                                    .execute(Tuple.of(statementTimeout.toMillis() + "ms")))
                            .flatMap(set -> reads.apply(conn, read::stopped))
                            .onTermination()
                            .invoke(read::statementsDone)
                            .call(() -> conn.query("ROLLBACK")
                                    .execute()
                                    .replaceWithVoid()
                                    .onFailure()
                                    .recoverWithNull());
                })
                .onTermination()
                .call(read::close)
                .subscribe()
                .with(
                        answer -> {
                            vertx.cancelTimer(deadlineTimer);
                            if (read.end()) {
                                // held until the answer is handed to the call: its memory is counted till then
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
        private volatile boolean statementsRunning;
        private volatile PgConnection conn;

        boolean stopped() {
            return stopRequested;
        }

        void connected(PgConnection c) {
            conn = c;
            statementsRunning = true;
        }

        /** The read's statements are done: nothing left to cancel. */
        void statementsDone() {
            statementsRunning = false;
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
            // a connection that no longer answers is closed by force: the read then ends
            vertx.setTimer(GRACE.toMillis(), id -> {
                if (!placeHeld.get()) {
                    return;
                }
                abandoned.increment();
                PgConnection c = conn;
                if (c != null) {
                    LOG.warnf(
                            "A stopped bulk read did not end %s after its statement was cancelled; its connection"
                                    + " is closed",
                            GRACE);
                    if (!forceClose(c)) {
                        giveBack();
                    }
                } else {
                    // still connecting (a server that went silent after the TCP connect): the place goes
                    // back now; the connection, should it ever come, is closed at once, unused
                    LOG.warnf("A stopped bulk read was still connecting %s later; its place is given back", GRACE);
                    giveBack();
                }
            });
            try {
                PgConnection c = conn;
                if (c != null && statementsRunning) {
                    // the connection is the read's alone and closed after it: the cancel reaches its statement
                    c.cancelRequest()
                            .subscribe()
                            .with(
                                    v -> {},
                                    e -> LOG.debugf(
                                            "Cancelling a stopped bulk read's statement failed: %s", e.toString()));
                }
            } catch (RuntimeException e) {
                LOG.debugf("Cancelling a stopped bulk read's statement failed: %s", e.toString());
            }
            return true;
        }

        /** Closes the read's connection (once it has one). */
        Uni<Void> close() {
            PgConnection c = conn;
            if (c == null) {
                return Uni.createFrom().voidItem();
            }
            if (!placeHeld.get()) {
                // made after the read gave its place back while connecting: nothing waits for it
                forceClose(c);
                return Uni.createFrom().voidItem();
            }
            return c.close().onFailure().recoverWithNull();
        }

        void giveBack() {
            if (placeHeld.compareAndSet(true, false)) {
                running.decrementAndGet();
            }
        }
    }

    /**
     * Closes the connection's socket at once; false if it could not (the place must then be given back
     * regardless). {@code PgConnection.close()} cannot: Vert.x's PostgreSQL codec takes the channel's
     * close, sends Terminate and only shuts the socket's output, so the socket of a server that no
     * longer answers stays open for good (its statements never fail, the read never ends). So the close
     * starts at the pipeline's first handler context: {@code ctx.close()} goes to the handlers before
     * {@code ctx} — from the first, straight to the pipeline's head, which closes the socket — never
     * through the codec (normally the first handler itself). Vert.x internals (4.5), which
     * BulkReadLimitsTest checks with a database that stops answering.
     */
    private static boolean forceClose(PgConnection c) {
        try {
            if (c.getDelegate() instanceof SqlConnectionInternal internal
                    && internal.unwrap() instanceof SocketConnectionBase socket) {
                ChannelHandlerContext first =
                        socket.socket().channelHandlerContext().pipeline().firstContext();
                if (first != null) { // null: closed already, its handlers gone
                    first.close();
                }
                return true;
            }
            LOG.warnf(
                    "A bulk read's connection is not a socket connection (%s): only closed politely",
                    c.getDelegate().getClass().getName());
        } catch (RuntimeException e) {
            LOG.warnf("Closing a stopped bulk read's socket failed: %s", e.toString());
        }
        c.closeAndForget();
        return false;
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
