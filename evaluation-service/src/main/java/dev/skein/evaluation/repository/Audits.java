package dev.skein.evaluation.repository;

import dev.skein.evaluation.AuditRecord;
import dev.skein.evaluation.AuditRecord.Status;
import dev.skein.proto.evaluation.v1.Audit;
import dev.skein.proto.evaluation.v1.RuleOutcome;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** The audits table, a work queue as {@link Evaluations}: AUDIT_PENDING rows are claimed with a lease. */
@ApplicationScoped
public class Audits {

    private static final String COLUMNS = "audit_id, name, version, run_id, status, report, outcomes,"
            + " baseline_alias, baseline_version, cause_event_id, attempts, retries, creation_time, end_time";

    private final Pool pool;

    public Audits(Pool pool) {
        this.pool = pool;
    }

    /** A new pending audit for the version; none if its cause event already made one (false). */
    public Uni<Boolean> insert(UUID id, String name, String version, String runId, UUID causeEventId, long now) {
        return pool.preparedQuery("INSERT INTO evaluation.audits (audit_id, name, version, run_id, status,"
                        + " cause_event_id, not_before, creation_time) VALUES ($1, $2, $3, $4, 'AUDIT_PENDING', $5, $6, $6)"
                        + " ON CONFLICT (cause_event_id) DO NOTHING")
                .execute(Tuple.from(Arrays.asList(id, name, version, runId, causeEventId, now)))
                .map(rows -> rows.rowCount() == 1);
    }

    /** A model's audits (one version's, when given), newest first. */
    public Uni<List<AuditRecord>> byModel(String name, String version, long offset, int limit) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM evaluation.audits WHERE name = $1"
                        + " AND ($2::text IS NULL OR version = $2) ORDER BY creation_time DESC, audit_id"
                        + " LIMIT $3 OFFSET $4")
                .execute(Tuple.from(Arrays.asList(name, version, limit, offset)))
                .map(Audits::all);
    }

    public Uni<List<AuditRecord>> claim(long now, long leaseUntil, int limit) {
        return pool.preparedQuery("UPDATE evaluation.audits SET attempts = attempts + 1, lease_until = $2,"
                        + " claimed_at = $1"
                        + " WHERE audit_id IN (SELECT audit_id FROM evaluation.audits WHERE status = 'AUDIT_PENDING'"
                        + " AND not_before <= $1 AND (lease_until IS NULL OR lease_until < $1)"
                        + " ORDER BY not_before LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS)
                .execute(Tuple.of(now, leaseUntil, limit))
                .map(Audits::all);
    }

    /** Back in the queue, not before {@code notBefore} (an upstream could not be reached). */
    public Uni<Void> retryLater(UUID id, int attempt, long notBefore) {
        return pool.preparedQuery("UPDATE evaluation.audits SET lease_until = NULL, not_before = $3,"
                        + " retries = retries + 1 WHERE audit_id = $1 AND attempts = $2 AND status = 'AUDIT_PENDING'")
                .execute(Tuple.of(id, attempt, notBefore))
                .replaceWithVoid();
    }

    /**
     * Back in the queue to wait for something a wake ({@link #wakeRun}) announces — its run's end, its
     * run's evaluation — with what it waits for as its report: not before {@code until}, unless a wake came
     * since this claim (then due at once, so a wake during the claim is not lost).
     */
    public Uni<Void> waitFor(UUID id, int attempt, long now, long until, String report) {
        return pool.preparedQuery("UPDATE evaluation.audits SET lease_until = NULL, retries = retries + 1,"
                        + " report = $5, not_before = CASE WHEN woken_at >= claimed_at THEN $3 ELSE $4 END"
                        + " WHERE audit_id = $1 AND attempts = $2 AND status = 'AUDIT_PENDING'")
                .execute(Tuple.from(Arrays.asList(id, attempt, now, until, report)))
                .replaceWithVoid();
    }

    /** Pending audits of this run are due now (its run or its evaluation ended), on {@code client}; how many. */
    public Uni<Integer> wakeRun(SqlClient client, String runId, long now) {
        return client.preparedQuery("UPDATE evaluation.audits SET woken_at = $2, not_before = LEAST(not_before, $2)"
                        + " WHERE run_id = $1 AND status = 'AUDIT_PENDING'")
                .execute(Tuple.of(runId, now))
                .map(rows -> rows.rowCount());
    }

    public Pool pool() {
        return pool;
    }

    /** Records the verdict on {@code client} (with its outbox event); false when this attempt lost the row. */
    public Uni<Boolean> finish(
            SqlClient client,
            UUID id,
            int attempt,
            Status status,
            String report,
            List<RuleOutcome> outcomes,
            String baselineAlias,
            String baselineVersion,
            long end) {
        return client.preparedQuery("UPDATE evaluation.audits SET status = $3, report = $4, outcomes = $5,"
                        + " baseline_alias = $6, baseline_version = $7, end_time = $8, lease_until = NULL"
                        + " WHERE audit_id = $1 AND attempts = $2 AND status = 'AUDIT_PENDING'")
                .execute(Tuple.from(Arrays.asList(
                        id,
                        attempt,
                        status.name(),
                        report,
                        ProtoJson.print(Audit.newBuilder().addAllOutcomes(outcomes)),
                        baselineAlias,
                        baselineVersion,
                        end)))
                .map(r -> r.rowCount() == 1);
    }

    private static List<AuditRecord> all(RowSet<Row> rows) {
        List<AuditRecord> out = new ArrayList<>();
        rows.forEach(r -> out.add(new AuditRecord(
                r.getUUID("audit_id"),
                r.getString("name"),
                r.getString("version"),
                r.getString("run_id"),
                Status.valueOf(r.getString("status")),
                r.getString("report"),
                ProtoJson.parse(r.getString("outcomes"), Audit.newBuilder()).getOutcomesList(),
                r.getString("baseline_alias"),
                r.getString("baseline_version"),
                r.getUUID("cause_event_id"),
                r.getInteger("attempts"),
                r.getInteger("retries"),
                r.getLong("creation_time"),
                r.getLong("end_time"))));
        return out;
    }
}
