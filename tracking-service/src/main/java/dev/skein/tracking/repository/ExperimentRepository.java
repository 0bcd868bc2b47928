package dev.skein.tracking.repository;

import dev.skein.tracking.Experiment;
import dev.skein.tracking.messaging.RunEvents;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

@ApplicationScoped
public class ExperimentRepository implements PanacheRepositoryBase<Experiment, Long> {

    private final Pool pool;
    private final RunEvents events;

    public ExperimentRepository(Pool pool, RunEvents events) {
        this.pool = pool;
        this.events = events;
    }

    public Uni<Experiment> findByName(String name) {
        return find("name", name).firstResult();
    }

    /** What a lifecycle change of an experiment found: its stage before, and how many runs it changed. */
    public record StageChange(String stageBefore, long runs) {
        public static final StageChange NOT_FOUND = new StageChange(null, 0);
    }

    /**
     * Deletes an active experiment and its active runs, with one {@code RunDeleted} per run, in one
     * transaction of three statements whatever the number of runs. The experiment's row is locked
     * first: a run being created in it (which holds the row FOR SHARE) is either deleted with it or
     * refused.
     */
    public Uni<StageChange> deleteWithRuns(long experimentId, long now, String actor) {
        return pool.withTransaction(conn -> lockStage(conn, experimentId).flatMap(stage -> {
            if (stage.stageBefore() == null || !Experiment.ACTIVE.equals(stage.stageBefore())) {
                return Uni.createFrom().item(new StageChange(stage.stageBefore(), 0));
            }
            return setStage(conn, experimentId, Experiment.DELETED, now)
                    .flatMap(v -> conn.preparedQuery("WITH changed AS (UPDATE tracking.runs"
                                    + " SET lifecycle_stage = 'deleted', deleted_time = $2"
                                    + " WHERE experiment_id = $1 AND lifecycle_stage = 'active'"
                                    + " RETURNING run_uuid, experiment_id, artifact_uri, deleted_time) "
                                    + events.deletedFrom("changed", "$3"))
                            .execute(Tuple.of(experimentId, now, actor)))
                    .map(rows -> new StageChange(Experiment.ACTIVE, rows.rowCount()));
        }));
    }

    /**
     * Restores a deleted experiment and the runs deleted with it (at or after its deletion time), with
     * one {@code RunRestored} per run, in one transaction of three statements.
     */
    public Uni<StageChange> restoreWithRuns(long experimentId, long now, String actor) {
        return pool.withTransaction(
                conn -> conn.preparedQuery("SELECT lifecycle_stage, last_update_time FROM tracking.experiments"
                                + " WHERE experiment_id = $1 FOR UPDATE")
                        .execute(Tuple.of(experimentId))
                        .flatMap(rows -> {
                            if (rows.size() == 0) {
                                return Uni.createFrom().item(StageChange.NOT_FOUND);
                            }
                            Row row = rows.iterator().next();
                            String before = row.getString("lifecycle_stage");
                            if (!Experiment.DELETED.equals(before)) {
                                return Uni.createFrom().item(new StageChange(before, 0));
                            }
                            long deletedAt = row.getLong("last_update_time");
                            return setStage(conn, experimentId, Experiment.ACTIVE, now)
                                    .flatMap(v -> conn.preparedQuery("WITH changed AS (UPDATE tracking.runs"
                                                    + " SET lifecycle_stage = 'active', deleted_time = NULL"
                                                    + " WHERE experiment_id = $1 AND lifecycle_stage = 'deleted'"
                                                    + " AND deleted_time >= $2 RETURNING run_uuid, experiment_id) "
                                                    + events.restoredFrom("changed", "$3"))
                                            .execute(Tuple.of(experimentId, deletedAt, actor)))
                                    .map(changed -> new StageChange(before, changed.rowCount()));
                        }));
    }

    private static Uni<StageChange> lockStage(SqlConnection conn, long experimentId) {
        return conn.preparedQuery(
                        "SELECT lifecycle_stage FROM tracking.experiments WHERE experiment_id = $1 FOR UPDATE")
                .execute(Tuple.of(experimentId))
                .map(rows -> rows.size() == 0
                        ? StageChange.NOT_FOUND
                        : new StageChange(rows.iterator().next().getString("lifecycle_stage"), 0));
    }

    private static Uni<Void> setStage(SqlConnection conn, long experimentId, String stage, long now) {
        return conn.preparedQuery("UPDATE tracking.experiments SET lifecycle_stage = $2, last_update_time = $3"
                        + " WHERE experiment_id = $1")
                .execute(Tuple.of(experimentId, stage, now))
                .replaceWithVoid();
    }
}
