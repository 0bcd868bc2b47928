package dev.skein.tracking.repository;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.tracking.Run;
import dev.skein.tracking.messaging.OutboxPublisher;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

@ApplicationScoped
public class RunRepository implements PanacheRepositoryBase<Run, String> {

    private final Pool pool;

    public RunRepository(Pool pool) {
        this.pool = pool;
    }

    /** The runs a purge deleted for good (oldest deletion first, or in the order asked for), and whether more wait. */
    public record Purge(List<Run> purged, boolean more) {}

    /**
     * Deletes runs in the {@code deleted} stage for good, in one transaction with their metric points
     * and the events {@code eventsOf} makes for them. Only rows still deleted at the moment of the
     * {@code DELETE} go, and only those get events: a run restored meanwhile stays, and nothing
     * tells artifact-service to collect its artifacts.
     *
     * @param runIds the runs to purge, locked and handed to {@code check} first (which throws to
     *     refuse the call); or empty for every deleted run deleted at or before {@code cutoff}
     * @param limit at most this many runs (without ids)
     */
    public Uni<Purge> purgeDeleted(
            List<String> runIds,
            long cutoff,
            int limit,
            Consumer<List<Run>> check,
            Function<List<Run>, List<OutboxEvent>> eventsOf) {
        return pool.withTransaction(conn -> {
            Uni<List<Run>> deleted;
            if (runIds.isEmpty()) {
                // the batch is chosen once (a materialized CTE): as an IN (subquery), a plan that rescans it found
                // the rows this statement had deleted skipped by FOR UPDATE, took the next ones, and went past LIMIT
                deleted = conn.preparedQuery("WITH chosen AS MATERIALIZED (SELECT run_uuid FROM tracking.runs"
                                + " WHERE lifecycle_stage = 'deleted' AND deleted_time <= $1"
                                + " ORDER BY deleted_time, run_uuid LIMIT $2 FOR UPDATE)"
                                + " DELETE FROM tracking.runs r USING chosen WHERE r.run_uuid = chosen.run_uuid"
                                + " AND r.lifecycle_stage = 'deleted' RETURNING r.*")
                        .execute(Tuple.of(cutoff, limit))
                        .map(RunRepository::runs)
                        .invoke(runs -> runs.sort(java.util.Comparator.comparing(
                                        (Run r) -> r.deletedTime, java.util.Comparator.nullsFirst(Long::compare))
                                .thenComparing(r -> r.runUuid)));
            } else {
                String[] ids = runIds.toArray(String[]::new);
                deleted = conn.preparedQuery("SELECT * FROM tracking.runs WHERE run_uuid = ANY($1)"
                                + " ORDER BY run_uuid FOR UPDATE")
                        .execute(Tuple.of(ids))
                        .invoke(rows -> check.accept(runs(rows)))
                        .flatMap(locked -> conn.preparedQuery("DELETE FROM tracking.runs WHERE run_uuid = ANY($1)"
                                        + " AND lifecycle_stage = 'deleted' RETURNING *")
                                .execute(Tuple.of(ids)))
                        .map(RunRepository::runs)
                        .invoke(runs -> runs.sort(java.util.Comparator.comparingInt(r -> runIds.indexOf(r.runUuid))));
            }
            return deleted.flatMap(runs -> {
                if (runs.isEmpty()) {
                    return Uni.createFrom().item(new Purge(runs, false));
                }
                String[] ids = runs.stream().map(r -> r.runUuid).toArray(String[]::new);
                return deleteMetrics(conn, ids)
                        .flatMap(v -> OutboxPublisher.append(conn, eventsOf.apply(runs)))
                        .flatMap(v -> runIds.isEmpty() && runs.size() == limit
                                ? conn.preparedQuery("SELECT EXISTS (SELECT 1 FROM tracking.runs"
                                                + " WHERE lifecycle_stage = 'deleted' AND deleted_time <= $1)")
                                        .execute(Tuple.of(cutoff))
                                        .map(rows -> rows.iterator().next().getBoolean(0))
                                : Uni.createFrom().item(false))
                        .map(more -> new Purge(runs, more));
            });
        });
    }

    /**
     * Metric points have no foreign key to their run (it cost a lookup per point): the purge deletes
     * them itself, after the runs, whose deletion waited for any write still holding a run's row.
     */
    static Uni<Void> deleteMetrics(SqlConnection conn, String[] runIds) {
        return conn.preparedQuery("DELETE FROM tracking.metrics WHERE run_uuid = ANY($1)")
                .execute(Tuple.of((Object) runIds))
                .flatMap(n -> conn.preparedQuery("DELETE FROM tracking.latest_metrics WHERE run_uuid = ANY($1)")
                        .execute(Tuple.of((Object) runIds)))
                .replaceWithVoid();
    }

    static List<Run> runs(RowSet<Row> rows) {
        List<Run> runs = new ArrayList<>(rows.size());
        rows.forEach(row -> runs.add(Rows.run(row)));
        return runs;
    }
}
