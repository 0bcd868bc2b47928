package dev.skein.tracking.repository;

import dev.skein.tracking.MetricPoint;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/** Reads of metric histories: keyset pages, several runs at once, and sampled intervals. */
@ApplicationScoped
public class MetricHistoryRepository {

    /** A point and its position in the run's history (the order it was logged in). */
    public record Logged(MetricPoint point, long seq) {}

    private final Pool pool;

    public MetricHistoryRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Whether a read failed because its statement timeout stopped it. SQLSTATE 57014 (query_canceled)
     * alone does not say so: an operator's {@code pg_cancel_backend} gives it too. PostgreSQL tells
     * them apart only in its message ("canceling statement due to statement timeout" vs "... due to
     * user request"); with messages translated ({@code lc_messages}), a timeout reads as a cancel.
     */
    public static boolean statementTimedOut(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PgException pg && QUERY_CANCELED.equals(pg.getSqlState())) {
                return pg.getErrorMessage() != null && pg.getErrorMessage().contains("statement timeout");
            }
        }
        return false;
    }

    private static final String QUERY_CANCELED = "57014";

    /** Up to {@code limit} points logged after position {@code afterSeq}, in logging order. */
    public Uni<List<Logged>> page(String runId, String key, long afterSeq, int limit) {
        return pool.preparedQuery("SELECT value, timestamp, step, seq FROM tracking.metrics"
                        + " WHERE run_uuid = $1 AND key = $2 AND seq > $3 ORDER BY seq LIMIT $4")
                .execute(Tuple.of(runId, key, afterSeq, limit))
                .map(rows -> {
                    List<Logged> points = new ArrayList<>(rows.size());
                    rows.forEach(r -> points.add(new Logged(point(r, key), r.getLong("seq"))));
                    return points;
                });
    }

    /**
     * A run's metric's lowest and highest step and how many distinct steps it logged; null if it has
     * none. Two index probes and a primary-key read, however long the history (min/max aggregates
     * were planned as full scans).
     */
    public record StepSummary(long lo, long hi, long count) {
        /** Whether every step from lo to hi was logged. */
        public boolean contiguous() {
            return count == hi - lo + 1;
        }
    }

    public Uni<StepSummary> stepSummary(SqlClient db, String runId, String key) {
        String of = " FROM tracking.metrics WHERE run_uuid = $1 AND key = $2";
        return db.preparedQuery("SELECT (SELECT step" + of + " ORDER BY step LIMIT 1) AS lo, (SELECT step" + of
                        + " ORDER BY step DESC LIMIT 1) AS hi, (SELECT step_count FROM tracking.latest_metrics"
                        + " WHERE run_uuid = $1 AND key = $2) AS n")
                .execute(Tuple.of(runId, key))
                .map(rows -> {
                    Row r = rows.iterator().next();
                    return r.getLong("lo") == null
                            ? null
                            : new StepSummary(r.getLong("lo"), r.getLong("hi"), r.getLong("n"));
                });
    }

    /**
     * Every distinct step of a run's metric, ascending: a loose index scan, one probe per distinct
     * step (never reading the other points logged at a step). Only for runs with gaps in their steps.
     */
    public Uni<long[]> distinctSteps(SqlClient db, String runId, String key, int atMost) {
        String next = "SELECT step FROM tracking.metrics WHERE run_uuid = $1 AND key = $2";
        // the recursion stops once the outer LIMIT is met: never more than atMost + 1 probes
        return db.preparedQuery("WITH RECURSIVE s(step) AS ((" + next + " ORDER BY step LIMIT 1)"
                        + " UNION ALL SELECT (" + next + " AND step > s.step ORDER BY step LIMIT 1) FROM s"
                        + " WHERE s.step IS NOT NULL) SELECT step FROM s WHERE step IS NOT NULL LIMIT $3")
                .execute(Tuple.of(runId, key, atMost + 1))
                .map(rows -> {
                    if (rows.size() > atMost) {
                        return null;
                    }
                    long[] steps = new long[rows.size()];
                    int i = 0;
                    for (Row r : rows) {
                        steps[i++] = r.getLong("step");
                    }
                    return steps;
                });
    }

    /**
     * Every point of a run's metric logged at one of these steps, by step, timestamp and value. The
     * key is not read back: every point shares the caller's string, so a long key costs once, not once
     * per point.
     */
    public Uni<List<MetricPoint>> atSteps(SqlClient db, String runId, String key, long[] steps, int limit) {
        Long[] boxed = new Long[steps.length];
        for (int i = 0; i < steps.length; i++) {
            boxed[i] = steps[i];
        }
        return db.preparedQuery("SELECT value, timestamp, step FROM tracking.metrics"
                        + " WHERE run_uuid = $1 AND key = $2 AND step = ANY($3::bigint[])"
                        + " ORDER BY step, timestamp, value LIMIT $4")
                .execute(Tuple.of(runId, key, boxed, limit))
                .map(rows -> points(rows, key));
    }

    /**
     * A run's first {@code limit} points of a metric by timestamp, step and value: the run's history of
     * the key through the primary key's (run, key) prefix, kept to the first {@code limit} by a top-N
     * sort, so memory stays bounded by the limit however long the history. (An index in timestamp order
     * would read only the answered rows, but costs every metric write a third B-tree insert, +32%
     * measured; this UI endpoint does not pay for that. The bulk-read statement timeout bounds the time.)
     */
    public static final String FIRST_BY_TIME = "SELECT value, timestamp, step FROM tracking.metrics"
            + " WHERE run_uuid = $1 AND key = $2 ORDER BY timestamp, step, value LIMIT $3";

    /** A run's first {@code limit} points of a metric by timestamp, step and value ({@link #FIRST_BY_TIME}). */
    public Uni<List<MetricPoint>> firstByTime(SqlClient db, String runId, String key, int limit) {
        return db.preparedQuery(FIRST_BY_TIME)
                .execute(Tuple.of(runId, key, limit))
                .map(rows -> points(rows, key));
    }

    private static List<MetricPoint> points(RowSet<Row> rows, String key) {
        List<MetricPoint> points = new ArrayList<>(rows.size());
        rows.forEach(r -> points.add(point(r, key)));
        return points;
    }

    private static MetricPoint point(Row r, String key) {
        return new MetricPoint(key, r.getDouble("value"), r.getLong("timestamp"), r.getLong("step"));
    }
}
