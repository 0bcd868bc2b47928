package dev.skein.tracking.assessment;

import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Assessments in PostgreSQL ({@code tracking.assessments}), with the reactive SQL client. Each
 * change is one transaction; a change to a trace's assessments first locks the trace's row, so
 * changes to one trace are serialised and the trace cannot be deleted under them.
 */
@ApplicationScoped
public class AssessmentRepository {

    private static final String COLUMNS = "assessment_id, trace_id, name, kind, value, error_code, error_message,"
            + " stack_trace, source_type, source_id, span_id, rationale, metadata, overrides, valid, create_time_ms,"
            + " last_update_time_ms";

    /** Why a change was not made. */
    public enum Refusal {
        NO_TRACE,
        NO_ASSESSMENT,
        NO_OVERRIDDEN,
        TRACE_FULL,
        TRACE_TOO_LARGE
    }

    /** What an assessment row holds of its free text, in bytes, as stored (value, rationale, error, metadata). */
    static final String BYTES = "octet_length(coalesce(value, '')) + octet_length(coalesce(rationale, ''))"
            + " + octet_length(coalesce(error_message, '')) + octet_length(coalesce(stack_trace, ''))"
            + " + coalesce(octet_length(metadata::text), 0)";

    /** The same in Java, for an assessment about to be written. */
    static long bytes(Assessment a) {
        long n = utf8(a.valueJson()) + utf8(a.rationale());
        if (a.error() != null) {
            n += utf8(a.error().message()) + utf8(a.error().stackTrace());
        }
        JsonObject metadata = metadata(a);
        return n + (metadata == null ? 0 : utf8(metadata.encode()));
    }

    private static long utf8(String s) {
        return s == null ? 0 : s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    /** A change's result: what it wrote, or why it wrote nothing. */
    public record Outcome(Assessment assessment, Refusal refusal) {
        static Outcome of(Assessment a) {
            return new Outcome(a, null);
        }

        static Outcome refused(Refusal r) {
            return new Outcome(null, r);
        }
    }

    private final Pool pool;

    public AssessmentRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Inserts a new assessment unless its trace has {@code maxPerTrace} already; with {@code
     * overrides}, marks that assessment of the same trace invalid in the same transaction (none such:
     * nothing is written).
     */
    public Uni<Outcome> create(Assessment a, int maxPerTrace, long maxBytesPerTrace) {
        return pool.withTransaction(conn -> lockTrace(conn, a.traceId()).flatMap(exists -> {
                    if (!exists) {
                        return refuse(Refusal.NO_TRACE);
                    }
                    return conn.preparedQuery("SELECT count(*), coalesce(sum(" + BYTES
                                    + "), 0) FROM tracking.assessments WHERE trace_id = $1")
                            .execute(Tuple.of(a.traceId()))
                            .flatMap(count -> count.iterator().next().getLong(0) >= maxPerTrace
                                    ? refuse(Refusal.TRACE_FULL)
                                    : count.iterator().next().getLong(1) + bytes(a) > maxBytesPerTrace
                                            ? refuse(Refusal.TRACE_TOO_LARGE)
                                            : a.overrides() == null
                                                    ? Uni.createFrom().item(true)
                                                    : conn.preparedQuery("UPDATE tracking.assessments SET valid = FALSE"
                                                                    + " WHERE trace_id = $1 AND assessment_id = $2")
                                                            .execute(Tuple.of(a.traceId(), a.overrides()))
                                                            .flatMap(rows -> rows.rowCount() == 0
                                                                    ? refuse(Refusal.NO_OVERRIDDEN)
                                                                    : Uni.createFrom()
                                                                            .item(true)))
                            .flatMap(ok -> conn.preparedQuery("INSERT INTO tracking.assessments (" + COLUMNS
                                            + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
                                            + " $14, $15, $16, $17)")
                                    .execute(tuple(a))
                                    .replaceWith(Outcome.of(a)));
                }))
                .onFailure(Refused.class)
                .recoverWithItem(f -> Outcome.refused(((Refused) f).refusal));
    }

    /** The assessment, or why there is none (no such trace, or no such assessment of it). */
    public Uni<Outcome> find(String traceId, String assessmentId) {
        return pool.preparedQuery("SELECT t.request_id AS trace, a.* FROM tracking.trace_info t"
                        + " LEFT JOIN tracking.assessments a ON a.trace_id = t.request_id AND a.assessment_id = $2"
                        + " WHERE t.request_id = $1")
                .execute(Tuple.of(traceId, assessmentId))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return Outcome.refused(Refusal.NO_TRACE);
                    }
                    Row r = rows.iterator().next();
                    return r.getString("assessment_id") == null
                            ? Outcome.refused(Refusal.NO_ASSESSMENT)
                            : Outcome.of(assessment(r));
                });
    }

    /**
     * Replaces an assessment by what {@code change} makes of it, in one transaction with the row
     * locked (the change may throw, then nothing is written).
     */
    public Uni<Outcome> update(
            String traceId, String assessmentId, UnaryOperator<Assessment> change, long maxBytesPerTrace) {
        return pool.withTransaction(conn -> lockTrace(conn, traceId).flatMap(exists -> {
                    if (!exists) {
                        return refuse(Refusal.NO_TRACE);
                    }
                    return conn.preparedQuery("SELECT " + COLUMNS + " FROM tracking.assessments"
                                    + " WHERE trace_id = $1 AND assessment_id = $2")
                            .execute(Tuple.of(traceId, assessmentId))
                            .flatMap(rows -> {
                                if (rows.size() == 0) {
                                    return refuse(Refusal.NO_ASSESSMENT);
                                }
                                Assessment updated =
                                        change.apply(assessment(rows.iterator().next()));
                                Assessment.Error e = updated.error();
                                return conn.preparedQuery("SELECT coalesce(sum(" + BYTES + "), 0) FROM"
                                                + " tracking.assessments WHERE trace_id = $1 AND assessment_id <> $2")
                                        .execute(Tuple.of(traceId, assessmentId))
                                        .flatMap(others ->
                                                others.iterator().next().getLong(0) + bytes(updated) > maxBytesPerTrace
                                                        ? refuse(Refusal.TRACE_TOO_LARGE)
                                                        : Uni.createFrom().item(true))
                                        .flatMap(fits -> conn.preparedQuery(
                                                        "UPDATE tracking.assessments SET name = $3, value = $4,"
                                                                + " error_code = $5, error_message = $6, stack_trace = $7,"
                                                                + " rationale = $8, metadata = $9, valid = $10,"
                                                                + " last_update_time_ms = $11"
                                                                + " WHERE trace_id = $1 AND assessment_id = $2")
                                                .execute(Tuple.from(new Object[] {
                                                    traceId,
                                                    assessmentId,
                                                    updated.name(),
                                                    updated.valueJson(),
                                                    e == null ? null : e.code(),
                                                    e == null ? null : e.message(),
                                                    e == null ? null : e.stackTrace(),
                                                    updated.rationale(),
                                                    metadata(updated),
                                                    updated.valid(),
                                                    updated.lastUpdateTimeMs()
                                                })))
                                        .replaceWith(Outcome.of(updated));
                            });
                }))
                .onFailure(Refused.class)
                .recoverWithItem(f -> Outcome.refused(((Refused) f).refusal));
    }

    /**
     * Deletes an assessment (none such: nothing to do). If it overrode another, that one is valid
     * again unless a remaining assessment still overrides it.
     */
    public Uni<Outcome> delete(String traceId, String assessmentId) {
        return pool.withTransaction(conn -> lockTrace(conn, traceId).flatMap(exists -> {
                    if (!exists) {
                        return refuse(Refusal.NO_TRACE);
                    }
                    return conn.preparedQuery("DELETE FROM tracking.assessments WHERE trace_id = $1"
                                    + " AND assessment_id = $2 RETURNING overrides")
                            .execute(Tuple.of(traceId, assessmentId))
                            .flatMap(rows -> {
                                String overridden = rows.size() == 0
                                        ? null
                                        : rows.iterator().next().getString(0);
                                if (overridden == null) {
                                    return Uni.createFrom().item(Outcome.of(null));
                                }
                                return conn.preparedQuery("UPDATE tracking.assessments SET valid = TRUE"
                                                + " WHERE trace_id = $1 AND assessment_id = $2 AND NOT EXISTS"
                                                + " (SELECT 1 FROM tracking.assessments o WHERE o.trace_id = $1"
                                                + " AND o.overrides = $2)")
                                        .execute(Tuple.of(traceId, overridden))
                                        .replaceWith(Outcome.of(null));
                            });
                }))
                .onFailure(Refused.class)
                .recoverWithItem(f -> Outcome.refused(((Refused) f).refusal));
    }

    /** The bytes of free text ({@link #BYTES}) the assessments of these traces hold. */
    public Uni<Long> bytesOf(Collection<String> traceIds) {
        return pool.preparedQuery("SELECT coalesce(sum(" + BYTES + "), 0) FROM tracking.assessments"
                        + " WHERE trace_id = ANY($1)")
                .execute(Tuple.of((Object) traceIds.toArray(new String[0])))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /** The assessments of these traces, by trace id, each trace's oldest first. */
    public Uni<Map<String, List<Assessment>>> byTrace(Collection<String> traceIds) {
        if (traceIds.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM tracking.assessments WHERE trace_id = ANY($1)"
                        + " ORDER BY trace_id, create_time_ms, assessment_id")
                .execute(Tuple.of((Object) traceIds.toArray(new String[0])))
                .map(AssessmentRepository::byTrace);
    }

    private static Map<String, List<Assessment>> byTrace(RowSet<Row> rows) {
        Map<String, List<Assessment>> found = new HashMap<>();
        rows.forEach(r -> found.computeIfAbsent(r.getString("trace_id"), k -> new ArrayList<>())
                .add(assessment(r)));
        return found;
    }

    /** Locks the trace's row against deletion and other assessment changes; false if there is none. */
    private static Uni<Boolean> lockTrace(SqlClient conn, String traceId) {
        return conn.preparedQuery("SELECT 1 FROM tracking.trace_info WHERE request_id = $1 FOR NO KEY UPDATE")
                .execute(Tuple.of(traceId))
                .map(rows -> rows.size() > 0);
    }

    private static <T> Uni<T> refuse(Refusal r) {
        return Uni.createFrom().failure(new Refused(r));
    }

    private static Tuple tuple(Assessment a) {
        Assessment.Error e = a.error();
        return Tuple.from(new Object[] {
            a.assessmentId(),
            a.traceId(),
            a.name(),
            a.kind(),
            a.valueJson(),
            e == null ? null : e.code(),
            e == null ? null : e.message(),
            e == null ? null : e.stackTrace(),
            a.sourceType(),
            a.sourceId(),
            a.spanId(),
            a.rationale(),
            metadata(a),
            a.overrides(),
            a.valid(),
            a.createTimeMs(),
            a.lastUpdateTimeMs()
        });
    }

    private static JsonObject metadata(Assessment a) {
        return a.metadata().isEmpty() ? null : new JsonObject(new LinkedHashMap<>(a.metadata()));
    }

    private static Assessment assessment(Row r) {
        String code = r.getString("error_code");
        String message = r.getString("error_message");
        String stack = r.getString("stack_trace");
        Map<String, String> metadata = new LinkedHashMap<>();
        Object json = r.getValue("metadata");
        if (json instanceof JsonObject o) {
            o.forEach(e -> metadata.put(e.getKey(), String.valueOf(e.getValue())));
        }
        return new Assessment(
                r.getString("assessment_id"),
                r.getString("trace_id"),
                r.getString("name"),
                r.getString("kind"),
                r.getString("value"),
                code == null && message == null && stack == null ? null : new Assessment.Error(code, message, stack),
                r.getString("source_type"),
                r.getString("source_id"),
                r.getString("span_id"),
                r.getString("rationale"),
                metadata,
                r.getString("overrides"),
                r.getBoolean("valid"),
                r.getLong("create_time_ms"),
                r.getLong("last_update_time_ms"));
    }

    /** Rolls back a change that cannot be made, carrying why. */
    private static final class Refused extends RuntimeException {
        final Refusal refusal;

        Refused(Refusal refusal) {
            super(null, null, false, false);
            this.refusal = refusal;
        }
    }
}
