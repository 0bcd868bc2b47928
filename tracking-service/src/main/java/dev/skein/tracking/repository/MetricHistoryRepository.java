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

    /** The distinct steps of a run's metric within [start, end], ascending. */
    public Uni<long[]> steps(String runId, String key, Long start, Long end) {
        return pool.preparedQuery("SELECT DISTINCT step FROM tracking.metrics WHERE run_uuid = $1 AND key = $2"
                        + " AND step >= $3 AND step <= $4 ORDER BY step")
                .execute(Tuple.of(
                        runId, key, start == null ? Long.MIN_VALUE : start, end == null ? Long.MAX_VALUE : end))
                .map(rows -> {
                    long[] steps = new long[rows.size()];
                    int i = 0;
                    for (Row r : rows) {
                        steps[i++] = r.getLong("step");
                    }
                    return steps;
                });
    }

    /** One point per given step: the latest logged at that step (highest timestamp, then value). */
    public Uni<List<MetricPoint>> atSteps(String runId, String key, long[] steps) {
        Long[] boxed = new Long[steps.length];
        for (int i = 0; i < steps.length; i++) {
            boxed[i] = steps[i];
        }
        return pool.preparedQuery(
                        "SELECT DISTINCT ON (step) key, value, timestamp, step FROM tracking.metrics"
                                + " WHERE run_uuid = $1 AND key = $2 AND step = ANY($3) ORDER BY step, timestamp DESC, value DESC")
                .execute(Tuple.of(runId, key, boxed))
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
