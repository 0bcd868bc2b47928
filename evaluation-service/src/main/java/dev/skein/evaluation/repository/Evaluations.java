package dev.skein.evaluation.repository;

import dev.skein.evaluation.EvaluationRecord;
import dev.skein.evaluation.EvaluationRecord.Status;
import dev.skein.evaluation.EvaluationRecord.Trigger;
import dev.skein.proto.evaluation.v1.Evaluation;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import dev.skein.proto.evaluation.v1.Metric;
import dev.skein.proto.evaluation.v1.UnavailableMetric;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The evaluations table, which is also the work queue: PENDING rows, and RUNNING rows whose lease ran
 * out, are claimed by any replica ({@code FOR UPDATE SKIP LOCKED}); a result is written only by the
 * claim that still holds the row (its attempt number), with its outbox event in the same transaction.
 */
@ApplicationScoped
public class Evaluations {

    private static final String COLUMNS = "evaluation_id, run_id, spec, status, status_message, result, trigger,"
            + " user_id, attempts, retries, row_count, creation_time, start_time, end_time, group_id";

    private final Pool pool;

    public Evaluations(Pool pool) {
        this.pool = pool;
    }

    public Pool pool() {
        return pool;
    }

    /**
     * A new PENDING evaluation; with a cause event (and the run's end), none if that event or another
     * one of the same end of the run already made one (false).
     */
    public Uni<Boolean> insert(
            UUID id,
            String runId,
            EvaluationSpec spec,
            Trigger trigger,
            String userId,
            UUID causeEventId,
            Long runEndTime,
            long now) {
        return pool.preparedQuery("INSERT INTO evaluation.evaluations (evaluation_id, run_id, spec, status, trigger,"
                        + " user_id, cause_event_id, run_end_time, not_before, creation_time)"
                        + " VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $7, $8, $8) ON CONFLICT DO NOTHING")
                .execute(Tuple.from(Arrays.asList(
                        id, runId, ProtoJson.print(spec), trigger.name(), userId, causeEventId, runEndTime, now)))
                .map(rows -> rows.rowCount() == 1);
    }

    /** A prompt evaluation's PENDING evaluation of one of its runs, in the caller's transaction. */
    public Uni<Void> insertInGroup(
            SqlClient client, UUID id, String runId, EvaluationSpec spec, String userId, UUID groupId, long now) {
        return client.preparedQuery("INSERT INTO evaluation.evaluations (evaluation_id, run_id, spec, status, trigger,"
                        + " user_id, not_before, creation_time, group_id)"
                        + " VALUES ($1, $2, $3, 'PENDING', 'API', $4, $5, $5, $6)")
                .execute(Tuple.from(Arrays.asList(id, runId, ProtoJson.print(spec), userId, now, groupId)))
                .replaceWithVoid();
    }

    /** Evaluations of the run that ended (SUCCEEDED or FAILED). */
    public Uni<Long> ended(String runId) {
        return pool.preparedQuery("SELECT count(*) FROM evaluation.evaluations WHERE run_id = $1"
                        + " AND status IN ('SUCCEEDED', 'FAILED')")
                .execute(Tuple.of(runId))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /** Evaluations of the run not ended yet (PENDING or RUNNING). */
    public Uni<Long> unfinished(String runId) {
        return pool.preparedQuery("SELECT count(*) FROM evaluation.evaluations WHERE run_id = $1"
                        + " AND status IN ('PENDING', 'RUNNING')")
                .execute(Tuple.of(runId))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    public Uni<Optional<EvaluationRecord>> get(UUID id) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM evaluation.evaluations WHERE evaluation_id = $1")
                .execute(Tuple.of(id))
                .map(rows -> rows.size() == 0
                        ? Optional.empty()
                        : Optional.of(map(rows.iterator().next())));
    }

    /** A run's evaluations, newest first: {@code limit} of them from {@code offset}. */
    public Uni<List<EvaluationRecord>> byRun(String runId, long offset, int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM evaluation.evaluations WHERE run_id = $1"
                        + " ORDER BY creation_time DESC, evaluation_id LIMIT $2 OFFSET $3")
                .execute(Tuple.of(runId, limit, offset))
                .map(Evaluations::all);
    }

    /** Claims up to {@code limit} evaluations due now: RUNNING, leased until {@code leaseUntil}. */
    public Uni<List<EvaluationRecord>> claim(long now, long leaseUntil, int limit) {
        return pool.preparedQuery("UPDATE evaluation.evaluations SET status = 'RUNNING', attempts = attempts + 1,"
                        + " lease_until = $2, start_time = coalesce(start_time, $1) WHERE evaluation_id IN"
                        + " (SELECT evaluation_id FROM evaluation.evaluations WHERE status IN ('PENDING', 'RUNNING')"
                        + " AND not_before <= $1 AND (status = 'PENDING' OR lease_until < $1)"
                        + " ORDER BY not_before LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS)
                .execute(Tuple.of(now, leaseUntil, limit))
                .map(Evaluations::all);
    }

    /**
     * Extends the lease of the claim {@code attempt} holds to {@code leaseUntil}; false when that claim no longer
     * holds the row (it ended, or another claim took it over after its lease ran out).
     */
    public Uni<Boolean> renew(UUID id, int attempt, long leaseUntil) {
        return pool.preparedQuery("UPDATE evaluation.evaluations SET lease_until = $3"
                        + " WHERE evaluation_id = $1 AND attempts = $2 AND status = 'RUNNING'")
                .execute(Tuple.of(id, attempt, leaseUntil))
                .map(rows -> rows.rowCount() == 1);
    }

    /**
     * The user's prompt evaluations (a group counts once) and evaluations with judges that are PENDING or RUNNING;
     * a null user (no authentication) is one user.
     */
    public Uni<Long> activeLlm(String userId) {
        return pool.preparedQuery("SELECT count(DISTINCT coalesce(group_id, evaluation_id)) AS n"
                        + " FROM evaluation.evaluations WHERE user_id IS NOT DISTINCT FROM $1"
                        + " AND status IN ('PENDING', 'RUNNING')"
                        + " AND (group_id IS NOT NULL OR spec LIKE '%\"judges\"%')")
                .execute(Tuple.of(userId))
                .map(rows -> rows.iterator().next().getLong("n"));
    }

    /** Whether the claim {@code attempt} still holds the row (RUNNING, not taken over). */
    public Uni<Boolean> holds(UUID id, int attempt) {
        return pool.preparedQuery("SELECT 1 FROM evaluation.evaluations"
                        + " WHERE evaluation_id = $1 AND attempts = $2 AND status = 'RUNNING'")
                .execute(Tuple.of(id, attempt))
                .map(rows -> rows.size() == 1);
    }

    /** Back to PENDING, not before {@code notBefore} (an upstream could not be reached). */
    public Uni<Void> retryLater(UUID id, int attempt, long notBefore, String why) {
        return pool.preparedQuery("UPDATE evaluation.evaluations SET status = 'PENDING', lease_until = NULL,"
                        + " not_before = $3, status_message = $4, retries = retries + 1"
                        + " WHERE evaluation_id = $1 AND attempts = $2"
                        + " AND status = 'RUNNING'")
                .execute(Tuple.of(id, attempt, notBefore, why))
                .replaceWithVoid();
    }

    /**
     * Records the end of an evaluation on {@code client} (the caller's transaction, with its outbox
     * event); false when this attempt no longer holds the row (taken over after its lease).
     */
    public Uni<Boolean> finish(
            SqlClient client,
            UUID id,
            int attempt,
            Status status,
            String message,
            EvaluationSpec spec,
            Map<String, Double> metrics,
            List<String> artifacts,
            Map<String, String> unavailable,
            Long rows,
            long end) {
        Evaluation.Builder result = Evaluation.newBuilder().addAllArtifacts(artifacts);
        metrics.forEach(
                (k, v) -> result.addMetrics(Metric.newBuilder().setKey(k).setValue(v)));
        unavailable.forEach((k, why) -> result.addUnavailableMetrics(
                UnavailableMetric.newBuilder().setKey(k).setReason(why)));
        return client.preparedQuery("UPDATE evaluation.evaluations SET status = $3, status_message = $4, spec = $5,"
                        + " result = $6, row_count = $7, end_time = $8, lease_until = NULL"
                        + " WHERE evaluation_id = $1 AND attempts = $2 AND status = 'RUNNING'")
                .execute(Tuple.from(Arrays.asList(
                        id,
                        attempt,
                        status.name(),
                        message,
                        ProtoJson.print(spec),
                        ProtoJson.print(result),
                        rows,
                        end)))
                .map(r -> r.rowCount() == 1);
    }

    private static List<EvaluationRecord> all(RowSet<Row> rows) {
        List<EvaluationRecord> out = new ArrayList<>();
        rows.forEach(r -> out.add(map(r)));
        return out;
    }

    private static EvaluationRecord map(Row r) {
        Evaluation result =
                ProtoJson.parse(r.getString("result"), Evaluation.newBuilder()).build();
        Map<String, Double> metrics = new LinkedHashMap<>();
        result.getMetricsList().forEach(m -> metrics.put(m.getKey(), m.getValue()));
        Map<String, String> unavailable = new LinkedHashMap<>();
        result.getUnavailableMetricsList().forEach(u -> unavailable.put(u.getKey(), u.getReason()));
        return new EvaluationRecord(
                r.getUUID("evaluation_id"),
                r.getString("run_id"),
                ProtoJson.parse(r.getString("spec"), EvaluationSpec.newBuilder())
                        .build(),
                Status.valueOf(r.getString("status")),
                r.getString("status_message"),
                metrics,
                result.getArtifactsList(),
                unavailable,
                Trigger.valueOf(r.getString("trigger")),
                r.getString("user_id"),
                r.getInteger("attempts"),
                r.getInteger("retries"),
                r.getLong("row_count"),
                r.getLong("creation_time"),
                r.getLong("start_time"),
                r.getLong("end_time"),
                r.getUUID("group_id"));
    }
}
