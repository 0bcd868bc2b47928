package dev.skein.tracking.repository;

import dev.skein.tracking.MetricPoint;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
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

    public Uni<StepSummary> stepSummary(String runId, String key) {
        String of = " FROM tracking.metrics WHERE run_uuid = $1 AND key = $2";
        return pool.preparedQuery("SELECT (SELECT step" + of + " ORDER BY step LIMIT 1) AS lo, (SELECT step" + of
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
    public Uni<long[]> distinctSteps(String runId, String key, int atMost) {
        String next = "SELECT step FROM tracking.metrics WHERE run_uuid = $1 AND key = $2";
        // the recursion stops once the outer LIMIT is met: never more than atMost + 1 probes
        return pool.preparedQuery("WITH RECURSIVE s(step) AS ((" + next + " ORDER BY step LIMIT 1)"
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

    /** Every point of a run's metric logged at one of these steps, by step, timestamp and value. */
    public Uni<List<MetricPoint>> atSteps(String runId, String key, long[] steps, int limit) {
        Long[] boxed = new Long[steps.length];
        for (int i = 0; i < steps.length; i++) {
            boxed[i] = steps[i];
        }
        return pool.preparedQuery("SELECT key, value, timestamp, step FROM tracking.metrics"
                        + " WHERE run_uuid = $1 AND key = $2 AND step = ANY($3::bigint[])"
                        + " ORDER BY step, timestamp, value LIMIT $4")
                .execute(Tuple.of(runId, key, boxed, limit))
                .map(rows -> {
                    List<MetricPoint> points = new ArrayList<>(rows.size());
                    rows.forEach(r -> points.add(point(r)));
                    return points;
                });
    }

    /**
     * The first {@code limit} points of a metric over several runs, ordered by run id (byte order),
     * then timestamp, step and value, as MLflow's get-history-bulk.
     */
    public Uni<List<RunDataRepository.RunPoint>> bulk(List<String> runIds, String key, int limit) {
        return pool.preparedQuery("SELECT run_uuid, key, value, timestamp, step FROM tracking.metrics"
                        + " WHERE run_uuid = ANY($1) AND key = $2"
                        + " ORDER BY run_uuid COLLATE \"C\", timestamp, step, value LIMIT $3")
                .execute(Tuple.of(runIds.toArray(String[]::new), key, limit))
                .map(rows -> {
                    List<RunDataRepository.RunPoint> points = new ArrayList<>(rows.size());
                    rows.forEach(r -> points.add(new RunDataRepository.RunPoint(r.getString("run_uuid"), point(r))));
                    return points;
                });
    }

    private static MetricPoint point(Row r) {
        return new MetricPoint(r.getString("key"), r.getDouble("value"), r.getLong("timestamp"), r.getLong("step"));
    }
}
