package dev.skein.llmgateway.governance;

import dev.skein.llmgateway.Endpoint;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rate limits and budgets that hold across replicas: every call of an endpoint with rules is counted, before it is
 * sent, in {@code llmgateway.counters} — one row per rule, caller (for a per-caller rule) and window, incremented
 * in one transaction — and refused (the transaction rolled back, so a refused call counts nowhere) when a window
 * is full. Endpoints without rules cost no database round trip.
 */
@Singleton
public class Limiter {

    private static final String COUNT = "INSERT INTO llmgateway.counters (counter, window_start, window_end, requests)"
            + " VALUES ($1, $2, $3, 1) ON CONFLICT (counter, window_start)"
            + " DO UPDATE SET requests = counters.requests + 1 RETURNING requests, tokens, cost_usd";

    /** The order counter rows are locked in, by every transaction that writes them: no deadlocks. */
    static final Comparator<Admission.Counted> LOCK_ORDER =
            Comparator.comparing(Admission.Counted::counter).thenComparing(Admission.Counted::windowStart);

    private final Pool pool;

    public Limiter(Pool pool) {
        this.pool = pool;
    }

    /**
     * Counts the call, or fails with {@link LimitExceeded}. A count that could not be made within {@code within} is
     * rolled back (the caller has given up on it by then: a call answered 503 must not count).
     */
    public Uni<Admission> admit(Endpoint endpoint, String caller, Duration within) {
        if (endpoint.rules().isEmpty()) {
            return Uni.createFrom().item(Admission.NONE);
        }
        Instant now = Instant.now();
        Instant deadline = now.plus(within);
        // one row per counter (rules of one scope and window share it); locked in a fixed order: no deadlocks
        Map<String, Admission.Counted> rows = new LinkedHashMap<>();
        List<Admission.Counted> counted = new ArrayList<>();
        for (Rule rule : endpoint.rules()) {
            Admission.Counted c = new Admission.Counted(
                    rule, rule.counterFor(caller), rule.window().start(now));
            counted.add(c);
            rows.putIfAbsent(c.counter() + "@" + c.windowStart(), c);
        }
        List<Admission.Counted> ordered =
                rows.values().stream().sorted(LOCK_ORDER).toList();
        List<Tuple> params = new ArrayList<>();
        for (Admission.Counted c : ordered) {
            params.add(Tuple.of(
                    c.counter(),
                    c.windowStart().atOffset(ZoneOffset.UTC),
                    c.rule().window().end(c.windowStart()).atOffset(ZoneOffset.UTC)));
        }
        return pool.withTransaction(
                conn -> conn.preparedQuery(COUNT).executeBatch(params).flatMap(result -> {
                    Map<String, Row> byRow = new LinkedHashMap<>();
                    RowSet<Row> rs = result;
                    for (Admission.Counted c : ordered) {
                        byRow.put(
                                c.counter() + "@" + c.windowStart(),
                                rs.iterator().next());
                        rs = rs.next();
                    }
                    if (Instant.now().isAfter(deadline)) {
                        return Uni.createFrom()
                                .failure(new IllegalStateException("the limits were counted too late; rolled back"));
                    }
                    LimitExceeded refused = check(counted, byRow, now);
                    // failing the transaction's Uni rolls it back: the refused call is counted nowhere
                    return refused == null
                            ? Uni.createFrom().item(new Admission(counted))
                            : Uni.createFrom().failure(refused);
                }));
    }

    private static LimitExceeded check(List<Admission.Counted> counted, Map<String, Row> rows, Instant now) {
        String reason = null;
        boolean budget = false;
        long wait = 0;
        for (Admission.Counted c : counted) {
            Rule rule = c.rule();
            Row row = rows.get(c.counter() + "@" + c.windowStart());
            String why = null;
            boolean cost = false;
            if (rule.maxRequests() > 0 && row.getLong("requests") > rule.maxRequests()) {
                why = rule.maxRequests() + " calls per " + rule.window().spec();
            } else if (rule.maxTokens() > 0 && row.getLong("tokens") >= rule.maxTokens()) {
                why = rule.maxTokens() + " tokens per " + rule.window().spec();
            } else if (rule.rejectsOnCost() && row.getBigDecimal("cost_usd").compareTo(rule.maxUsd()) >= 0) {
                why = "a budget of " + rule.maxUsd().stripTrailingZeros().toPlainString() + " USD per "
                        + rule.window().spec();
                cost = true;
            }
            if (why != null) {
                long seconds = Math.max(
                        1,
                        (Duration.between(now, rule.window().end(c.windowStart()))
                                                .toMillis()
                                        + 999)
                                / 1000);
                if (reason == null) {
                    reason = why + (rule.scope() == Rule.Scope.CALLER ? " for each caller" : " for the endpoint");
                    budget = cost;
                }
                wait = Math.max(wait, seconds);
            }
        }
        return reason == null ? null : new LimitExceeded(reason, budget, wait);
    }

    /** Whether a counter's cost reached a budget; used when a call's cost is added ({@link UsageLog}). */
    static boolean reached(Rule rule, BigDecimal cost) {
        return rule.maxUsd() != null && cost.compareTo(rule.maxUsd()) >= 0;
    }
}
