package dev.skein.tracking.repository;

import dev.skein.tracking.MetricPoint;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/** Reads of full metric histories: keyset pages and evenly sampled intervals. */
@ApplicationScoped
public class MetricHistoryRepository {

    /** A point and its position in the run's history (the order it was logged in). */
    public record Logged(MetricPoint point, long seq) {}

    private final Pool pool;

    public MetricHistoryRepository(Pool pool) {
        this.pool = pool;
    }

    /** Up to {@code limit} points logged after position {@code afterSeq}, in logging order. */
    public Uni<List<Logged>> page(String runId, String key, long afterSeq, int limit) {
        return pool.preparedQuery("SELECT key, value, timestamp, step, seq FROM tracking.metrics"
                        + " WHERE run_uuid = $1 AND key = $2 AND seq > $3 ORDER BY seq LIMIT $4")
                .execute(Tuple.of(runId, key, afterSeq, limit))
                .map(rows -> {
                    List<Logged> points = new ArrayList<>(rows.size());
                    rows.forEach(r -> points.add(new Logged(point(r), r.getLong("seq"))));
                    return points;
                });
    }

    /** The lowest and highest step of a run's metric within [start, end]; null if it has none there. */
    public Uni<long[]> stepRange(String runId, String key, long start, long end) {
        // two index probes however long the history (min/max aggregates were planned as full scans)
        String range = " FROM tracking.metrics WHERE run_uuid = $1 AND key = $2 AND step >= $3 AND step <= $4";
        return pool.preparedQuery("SELECT (SELECT step" + range + " ORDER BY step LIMIT 1) AS lo, (SELECT step" + range
                        + " ORDER BY step DESC LIMIT 1) AS hi")
                .execute(Tuple.of(runId, key, start, end))
                .map(rows -> {
                    Row r = rows.iterator().next();
                    return r.getLong("lo") == null ? null : new long[] {r.getLong("lo"), r.getLong("hi")};
                });
    }

    /**
     * For each target step, the first step logged at or after it (up to {@code end}), and there one
     * point: the latest logged at that step (highest timestamp, then value). One index probe per
     * target: a few milliseconds for 320 targets whatever the history's length.
     */
    public Uni<List<MetricPoint>> atOrAfter(String runId, String key, long[] targets, long end) {
        Long[] boxed = new Long[targets.length];
        for (int i = 0; i < targets.length; i++) {
            boxed[i] = targets[i];
        }
        // Both lookups are LATERAL, so each is an index probe per target whatever the planner
        // believes: as a join, a table not yet analysed made it compare every point with every target.
        return pool.preparedQuery("SELECT DISTINCT ON (s.step) p.key, p.value, p.timestamp, p.step"
                        + " FROM unnest($3::bigint[]) AS t(target) CROSS JOIN LATERAL (SELECT step FROM tracking.metrics"
                        + " WHERE run_uuid = $1 AND key = $2 AND step >= t.target AND step <= $4 ORDER BY step LIMIT 1) s"
                        + " CROSS JOIN LATERAL (SELECT key, value, timestamp, step FROM tracking.metrics"
                        + " WHERE run_uuid = $1 AND key = $2 AND step = s.step ORDER BY timestamp DESC, value DESC LIMIT 1) p"
                        + " ORDER BY s.step")
                .execute(Tuple.of(runId, key, boxed, end))
                .map(rows -> {
                    List<MetricPoint> points = new ArrayList<>(rows.size());
                    rows.forEach(r -> points.add(point(r)));
                    return points;
                });
    }

    private static MetricPoint point(Row r) {
        return new MetricPoint(r.getString("key"), r.getDouble("value"), r.getLong("timestamp"), r.getLong("step"));
    }
}
