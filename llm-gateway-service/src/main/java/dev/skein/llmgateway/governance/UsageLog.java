package dev.skein.llmgateway.governance;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.events.v1.LlmBudgetExceeded;
import dev.skein.events.v1.LlmCallCompleted;
import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.config.LlmGatewayConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The usage of every call: Prometheus metrics at once, and — in batches, each in one transaction — a row in
 * {@code llmgateway.usage}, its tokens and cost added to the limit and budget counters it was admitted under, and
 * its {@code LlmCallCompleted} event (plus {@code LlmBudgetExceeded} the first time a budget is reached in its
 * window) in the outbox. A call's usage waits in memory until its batch commits; while PostgreSQL is away the
 * batches are retried, and once {@code usage.max-pending} calls wait, new calls are refused (503) rather than
 * served unrecorded. A batch that committed but whose answer was lost is written again harmlessly: a call id
 * already recorded adds nothing.
 */
@Singleton
public class UsageLog {

    private static final Logger LOG = Logger.getLogger(UsageLog.class);

    private static final java.time.Duration WRITE_DEADLINE = java.time.Duration.ofSeconds(30);
    private static final String INSERT = "INSERT INTO llmgateway.usage (call_id, endpoint, endpoint_type, provider,"
            + " model, caller, api, streamed, status, error_code, started_at, latency_ms, ttft_ms, input_tokens,"
            + " output_tokens, cost_usd, served_by, attempts, usage_estimated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
            + " $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) ON CONFLICT (call_id) DO NOTHING RETURNING call_id";
    private static final String ADD = "UPDATE llmgateway.counters SET tokens = tokens + $3, cost_usd = cost_usd + $4"
            + " WHERE counter = $1 AND window_start = $2 RETURNING cost_usd, alerted";
    private static final String ALERTED =
            "UPDATE llmgateway.counters SET alerted = TRUE WHERE counter = $1 AND window_start = $2";
    private static final String EXPIRE = "DELETE FROM llmgateway.counters WHERE window_end < $1";
    // at most this many old usage rows a pass: a first pass after a long time without one stays short
    private static final String FORGET = "DELETE FROM llmgateway.usage WHERE call_id IN"
            + " (SELECT call_id FROM llmgateway.usage WHERE started_at < $1 LIMIT 10000)";

    private final Pool pool;
    private final Vertx vertx;
    // resolved once the service runs: the routes that use this log are built before messaging wires its emitters
    private final Instance<UsageOutbox> outboxes;
    private UsageOutbox outbox;
    private final MeterRegistry meters;
    private final int batchSize;
    private final int maxPending;
    private final Duration flushInterval;
    private final ConcurrentLinkedQueue<Call> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicBoolean flushing = new AtomicBoolean();
    private volatile boolean stopped;
    private long timer = -1;
    private long lastWarning;
    private final Duration retention;
    private final Duration expiryInterval;
    private long expiryTimer = -1;

    public UsageLog(
            Pool pool, Vertx vertx, Instance<UsageOutbox> outboxes, MeterRegistry meters, LlmGatewayConfig config) {
        this.pool = pool;
        this.vertx = vertx;
        this.outboxes = outboxes;
        this.meters = meters;
        this.batchSize = config.usage().batchSize();
        this.maxPending = config.usage().maxPending();
        this.flushInterval = config.usage().flushInterval();
        this.retention = config.usage().retention();
        this.expiryInterval = config.usage().expiryInterval();
        meters.gauge("skein.llm.usage.pending", waiting);
    }

    void onStart(@Observes StartupEvent event) {
        outbox = outboxes.get();
        timer = vertx.setPeriodic(flushInterval.toMillis(), id -> flush());
        expiryTimer = vertx.setPeriodic(expiryInterval.toMillis(), id -> expire());
    }

    /** At shutdown the calls still waiting get one last try (the rest are logged as lost). */
    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
        vertx.cancelTimer(timer);
        vertx.cancelTimer(expiryTimer);
        try {
            while (!pending.isEmpty()) {
                if (!flushing.compareAndSet(false, true)) {
                    Thread.sleep(20);
                    continue;
                }
                int before = waiting.get();
                writeBatch().await().atMost(Duration.ofSeconds(10));
                if (waiting.get() >= before) {
                    break;
                }
            }
        } catch (RuntimeException | InterruptedException e) {
            LOG.errorf("usage of %d calls could not be recorded before shutdown: %s", waiting.get(), e.toString());
        }
    }

    /**
     * A call begins; fails with {@link UsageBacklog} when the usage of {@code max-pending} calls already waits for
     * the database.
     */
    public Call start(Endpoint endpoint, String caller, String api, boolean streamed) {
        if (waiting.get() >= maxPending) {
            Counter.builder("skein.llm.usage.backlog.refusals")
                    .description(
                            "Calls refused (503) because the usage of usage.max-pending calls waits for the database")
                    .register(meters)
                    .increment();
            throw new UsageBacklog();
        }
        return new Call(this, endpoint, caller, api, streamed);
    }

    /** Refused: too much usage waits for the database. */
    public static final class UsageBacklog extends RuntimeException {
        UsageBacklog() {
            super(
                    "llm-gateway-service cannot record usage at the moment (its database is unavailable); try again"
                            + " later",
                    null,
                    false,
                    false);
        }
    }

    void record(Call call) {
        // a call is the requested endpoint's; its provider, model and price are those of the endpoint that answered
        Endpoint e = call.endpoint;
        String provider = call.servedBy().provider();
        String status = Integer.toString(call.status);
        Counter.builder("skein.llm.requests")
                .description("LLM calls by endpoint, provider and the status the client got")
                .tags("endpoint", e.name(), "provider", provider, "status", status)
                .register(meters)
                .increment();
        if (call.errorCode != null) {
            Counter.builder("skein.llm.errors")
                    .description("LLM calls that failed, by endpoint, provider and error code")
                    .tags("endpoint", e.name(), "provider", provider, "code", call.errorCode)
                    .register(meters)
                    .increment();
        }
        if (call.inputTokens != null) {
            tokens(e, provider, "input", call.inputTokens);
        }
        if (call.outputTokens != null) {
            tokens(e, provider, "output", call.outputTokens);
        }
        Timer.builder("skein.llm.latency")
                .description("From a call's arrival to its answer's last byte")
                .tags("endpoint", e.name(), "provider", provider, "streamed", Boolean.toString(call.streamed))
                .publishPercentileHistogram()
                .register(meters)
                .record(call.latencyMs(), TimeUnit.MILLISECONDS);
        Long ttft = call.timeToFirstTokenMs();
        if (ttft != null) {
            Timer.builder("skein.llm.time.to.first.token")
                    .description("From a call's arrival to the first byte of its answer")
                    .tags("endpoint", e.name(), "provider", provider)
                    .publishPercentileHistogram()
                    .register(meters)
                    .record(ttft, TimeUnit.MILLISECONDS);
        }
        BigDecimal cost = cost(call);
        if (cost != null && cost.signum() > 0) {
            Counter.builder("skein.llm.cost.usd")
                    .description("The cost of LLM calls from the price table, in USD")
                    .tags("endpoint", e.name(), "provider", provider)
                    .register(meters)
                    .increment(cost.doubleValue());
        }
        pending.add(call);
        if (waiting.incrementAndGet() >= batchSize) {
            vertx.runOnContext(v -> flush());
        }
    }

    private void tokens(Endpoint e, String provider, String kind, long count) {
        Counter.builder("skein.llm.tokens")
                .description(
                        "Tokens of LLM calls as providers report them (or as estimated for a stream without the provider's count), by kind (input, output)")
                .tags("endpoint", e.name(), "provider", provider, "kind", kind)
                .register(meters)
                .increment(count);
    }

    private static BigDecimal cost(Call call) {
        Endpoint served = call.servedBy();
        return served.price() == null || !call.usageReported()
                ? null
                : served.price().cost(call.inputTokens, call.outputTokens);
    }

    /** Writes waiting usage, a batch at a time; passes never overlap. */
    void flush() {
        if (pending.isEmpty() || !flushing.compareAndSet(false, true)) {
            return;
        }
        writeBatch()
                .subscribe()
                .with(
                        more -> {
                            if (more && !stopped) {
                                vertx.runOnContext(v -> flush());
                            }
                        },
                        failure -> {});
    }

    /** One batch; true when more is waiting. Clears {@code flushing} when done. */
    private Uni<Boolean> writeBatch() {
        List<Call> batch = new ArrayList<>();
        for (Call c : pending) {
            if (batch.size() == batchSize) {
                break;
            }
            batch.add(c);
        }
        // a deadline: a connection lost without a word (a failover, a dropped NAT entry) must not hold every later
        // batch back until the kernel gives up on it; a batch whose commit did happen is written again harmlessly
        return pool.withTransaction(conn -> write(conn, batch))
                .ifNoItem()
                .after(WRITE_DEADLINE)
                .fail()
                .onItem()
                .invoke(published -> {
                    for (int i = 0; i < batch.size(); i++) {
                        pending.poll();
                    }
                    waiting.addAndGet(-batch.size());
                    if (published) {
                        outbox.wake();
                    }
                })
                .onFailure()
                .invoke(failure -> {
                    long now = System.currentTimeMillis();
                    if (now - lastWarning > 30_000) {
                        lastWarning = now;
                        LOG.warnf(
                                "usage of %d calls waits: it cannot be recorded yet (%s); retrying",
                                waiting.get(), failure.toString());
                    }
                })
                .onTermination()
                .invoke(() -> flushing.set(false))
                .map(published -> !pending.isEmpty());
    }

    private Uni<Boolean> write(SqlConnection conn, List<Call> batch) {
        List<Tuple> rows = new ArrayList<>(batch.size());
        for (Call c : batch) {
            BigDecimal cost = cost(c);
            rows.add(Tuple.tuple(Arrays.asList(
                    c.id,
                    c.endpoint.name(),
                    c.endpoint.type().wire(),
                    c.servedBy().provider(),
                    c.servedBy().modelName(),
                    c.caller,
                    c.api,
                    c.streamed,
                    c.status,
                    c.errorCode,
                    Instant.ofEpochMilli(c.startMillis).atOffset(ZoneOffset.UTC),
                    c.latencyMs(),
                    c.timeToFirstTokenMs(),
                    c.inputTokens,
                    c.outputTokens,
                    cost,
                    c.served == null ? null : c.served.name(),
                    c.attempts,
                    c.usageEstimated)));
        }
        return conn.preparedQuery(INSERT).executeBatch(rows).flatMap(result -> {
            // only calls recorded now (not by an earlier try whose commit was lost) count and send events
            List<Call> fresh = new ArrayList<>();
            RowSet<Row> rs = result;
            for (Call c : batch) {
                if (rs.size() > 0) {
                    fresh.add(c);
                }
                rs = rs.next();
            }
            List<OutboxEvent> events = new ArrayList<>();
            // each counter row once per batch, with the tokens and cost of all its calls, in the order the
            // limiter locks rows (no deadlock with admissions or another replica's batch)
            TreeMap<Admission.Counted, Added> added = new TreeMap<>(Limiter.LOCK_ORDER);
            for (Call c : fresh) {
                events.add(completed(c));
                BigDecimal cost = cost(c);
                if (c.tokens() == 0 && cost == null) {
                    continue;
                }
                Set<Admission.Counted> once = new TreeSet<>(Limiter.LOCK_ORDER);
                for (Admission.Counted counted : c.admission.counted()) {
                    if (once.add(counted)) { // rules sharing a row add to it once
                        added.computeIfAbsent(counted, k -> new Added(counted, c))
                                .add(c.tokens(), cost);
                    }
                }
            }
            if (added.isEmpty()) {
                return outbox.append(conn, events).map(v -> !events.isEmpty());
            }
            List<Added> ordered = new ArrayList<>(added.values());
            List<Tuple> updates = new ArrayList<>();
            for (Added a : ordered) {
                updates.add(Tuple.of(
                        a.counted.counter(), a.counted.windowStart().atOffset(ZoneOffset.UTC), a.tokens, a.cost));
            }
            return conn.preparedQuery(ADD).executeBatch(updates).flatMap(updated -> {
                List<Tuple> alerted = new ArrayList<>();
                RowSet<Row> returned = updated;
                for (Added a : ordered) {
                    Rule rule = a.counted.rule();
                    // a row gone (its window expired meanwhile) or without a budget: nothing to alert
                    if (returned.size() > 0 && rule.maxUsd() != null) {
                        Row row = returned.iterator().next();
                        if (!row.getBoolean("alerted") && Limiter.reached(rule, row.getBigDecimal("cost_usd"))) {
                            events.add(budgetExceeded(a.first, a.counted, row.getBigDecimal("cost_usd")));
                            alerted.add(Tuple.of(
                                    a.counted.counter(), a.counted.windowStart().atOffset(ZoneOffset.UTC)));
                        }
                    }
                    returned = returned.next();
                }
                Uni<Void> marked = alerted.isEmpty()
                        ? Uni.createFrom().voidItem()
                        : conn.preparedQuery(ALERTED).executeBatch(alerted).replaceWithVoid();
                return marked.flatMap(v -> outbox.append(conn, events)).map(v -> true);
            });
        });
    }

    /** What a batch adds to one counter row; {@code first} names the endpoint and caller of a budget alert. */
    private static final class Added {
        final Admission.Counted counted;
        final Call first;
        long tokens;
        BigDecimal cost = BigDecimal.ZERO;

        Added(Admission.Counted counted, Call first) {
            this.counted = counted;
            this.first = first;
        }

        void add(long callTokens, BigDecimal callCost) {
            tokens += callTokens;
            if (callCost != null) {
                cost = cost.add(callCost);
            }
        }
    }

    private OutboxEvent completed(Call c) {
        LlmCallCompleted.Builder b = LlmCallCompleted.newBuilder()
                .setCallId(c.id.toString())
                .setEndpoint(c.endpoint.name())
                .setEndpointType(c.endpoint.type().wire())
                .setProvider(c.servedBy().provider())
                .setModel(c.servedBy().modelName() == null ? "" : c.servedBy().modelName())
                .setCaller(c.caller)
                .setApi(c.api)
                .setStreamed(c.streamed)
                .setStatus(c.status)
                .setErrorCode(c.errorCode == null ? "" : c.errorCode)
                .setStartTime(c.startMillis)
                .setLatencyMs(c.latencyMs())
                .setUsageReported(c.usageReported())
                .setUsageEstimated(c.usageEstimated)
                .setServedBy(c.served == null ? "" : c.served.name())
                .setAttempts(c.attempts);
        if (c.timeToFirstTokenMs() != null) {
            b.setTimeToFirstTokenMs(c.timeToFirstTokenMs());
        }
        if (c.inputTokens != null) {
            b.setInputTokens(c.inputTokens);
        }
        if (c.outputTokens != null) {
            b.setOutputTokens(c.outputTokens);
        }
        BigDecimal cost = cost(c);
        if (cost != null) {
            b.setCostUsd(cost.doubleValue());
        }
        OutboxEvent e = OutboxEvent.of(outbox.topic(), c.id.toString(), UsageOutbox.CALL_COMPLETED, c.id.toString(), b);
        return withEventId(e, b);
    }

    private OutboxEvent budgetExceeded(Call c, Admission.Counted counted, BigDecimal spent) {
        Rule rule = counted.rule();
        LlmBudgetExceeded.Builder b = LlmBudgetExceeded.newBuilder()
                .setEndpoint(c.endpoint.name())
                .setScope(rule.scope().name())
                .setCaller(rule.scope() == Rule.Scope.CALLER ? c.caller : "")
                .setWindow(rule.window().spec())
                .setWindowStart(counted.windowStart().toEpochMilli())
                .setBudgetUsd(rule.maxUsd().doubleValue())
                .setSpentUsd(spent.doubleValue())
                .setAction(rule.action().name())
                .setTime(System.currentTimeMillis());
        OutboxEvent e =
                OutboxEvent.of(outbox.topic(), c.endpoint.name(), UsageOutbox.BUDGET_EXCEEDED, counted.counter(), b);
        return withEventId(e, b);
    }

    /** The payload carries the CloudEvent's id too (event_id), for consumers that read only the data. */
    private static OutboxEvent withEventId(OutboxEvent e, com.google.protobuf.Message.Builder b) {
        b.setField(b.getDescriptorForType().findFieldByName("event_id"), e.id().toString());
        return new OutboxEvent(e.id(), e.topic(), e.key(), e.type(), e.subject(), OutboxEvent.json(b), e.time());
    }

    /**
     * Every {@code usage.expiry-interval}, by every replica (the deletes are idempotent): counters of windows that
     * ended, and usage rows older than {@code usage.retention} (0: kept for ever), 10,000 at a time.
     */
    private void expire() {
        Instant now = Instant.now();
        Uni<Void> counters = pool.preparedQuery(EXPIRE)
                .execute(Tuple.of(now.atOffset(ZoneOffset.UTC)))
                .replaceWithVoid();
        Uni<Void> usage = retention.isZero()
                ? Uni.createFrom().voidItem()
                : pool.preparedQuery(FORGET)
                        .execute(Tuple.of(now.minus(retention).atOffset(ZoneOffset.UTC)))
                        .replaceWithVoid();
        counters.flatMap(v -> usage)
                .subscribe()
                .with(v -> {}, failure -> LOG.debugf("expiring counters and old usage failed: %s", failure));
    }
}
