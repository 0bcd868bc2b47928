package dev.skein.tracking.repository;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.tracking.Experiment;
import dev.skein.tracking.Run;
import dev.skein.tracking.messaging.OutboxPublisher;
import dev.skein.tracking.messaging.RunEvents;
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

    /** What one purge call did: the experiments deleted for good, the runs deleted (theirs), whether work is left. */
    public record ExperimentPurge(List<Long> experimentIds, List<Run> runs, boolean more) {}

    /** A deleted experiment a purge locked: to be checked before anything goes. */
    public record Candidate(long experimentId, String lifecycleStage, long lastUpdateTime) {}

    /**
     * Deletes experiments in the {@code deleted} stage for good, in one transaction: the experiments are locked
     * (no run can be created in them meanwhile), then at most {@code maxRuns} of their runs go, whatever their stage,
     * with their metric points and one {@code RunPurged} each; when none is left, their traces, logged models
     * (datasets and tags cascade) and the experiments themselves, with one {@code ExperimentPurged} each. An
     * experiment with more runs than that is finished by a later call ({@code more}).
     *
     * @param ids the experiments to purge, locked and handed to {@code check} first (which throws to refuse the
     *     call); or empty for deleted experiments deleted at or before {@code cutoff} (never the Default, 0), oldest
     *     first, at most {@code maxExperiments}
     */
    public Uni<ExperimentPurge> purgeDeleted(
            List<Long> ids,
            long cutoff,
            int maxExperiments,
            int maxRuns,
            Consumer<List<Candidate>> check,
            java.util.function.LongFunction<String> defaultLocation,
            long now,
            String actor) {
        return pool.withTransaction(conn -> {
            Uni<RowSet<Row>> locked = ids.isEmpty()
                    ? conn.preparedQuery("SELECT experiment_id, lifecycle_stage, last_update_time"
                                    + " FROM tracking.experiments WHERE lifecycle_stage = 'deleted'"
                                    + " AND last_update_time <= $1 AND experiment_id <> 0"
                                    + " ORDER BY last_update_time, experiment_id LIMIT $2 FOR UPDATE")
                            .execute(Tuple.of(cutoff, maxExperiments))
                    : conn.preparedQuery("SELECT experiment_id, lifecycle_stage, last_update_time"
                                    + " FROM tracking.experiments WHERE experiment_id = ANY($1)"
                                    + " ORDER BY experiment_id FOR UPDATE")
                            .execute(Tuple.of((Object) ids.toArray(Long[]::new)));
            return locked.flatMap(rows -> {
                List<Candidate> candidates = new ArrayList<>();
                rows.forEach(r -> candidates.add(new Candidate(
                        r.getLong("experiment_id"), r.getString("lifecycle_stage"), r.getLong("last_update_time"))));
                check.accept(candidates);
                if (candidates.isEmpty()) {
                    return Uni.createFrom().item(new ExperimentPurge(List.of(), List.of(), false));
                }
                Long[] chosen = candidates.stream().map(Candidate::experimentId).toArray(Long[]::new);
                return purgeRuns(conn, chosen, maxRuns, now, actor).flatMap(runs -> {
                    // as many runs as one call takes: the experiments wait for the next call if any run is left
                    Uni<Boolean> runsLeft = runs.size() < maxRuns
                            ? Uni.createFrom().item(false)
                            : exists(
                                    conn,
                                    "SELECT EXISTS (SELECT 1 FROM tracking.runs WHERE experiment_id = ANY($1))",
                                    Tuple.of((Object) chosen));
                    return runsLeft.flatMap(left -> left
                            ? Uni.createFrom().item(new ExperimentPurge(List.of(), runs, true))
                            : purgeExperiments(conn, chosen, defaultLocation, now, actor)
                                    .flatMap(purged -> ids.isEmpty() && candidates.size() == maxExperiments
                                            ? exists(
                                                            conn,
                                                            "SELECT EXISTS (SELECT 1 FROM tracking.experiments"
                                                                    + " WHERE lifecycle_stage = 'deleted' AND"
                                                                    + " last_update_time <= $1 AND experiment_id"
                                                                    + " <> 0)",
                                                            Tuple.of(cutoff))
                                                    .map(more -> new ExperimentPurge(purged, runs, more))
                                            : Uni.createFrom().item(new ExperimentPurge(purged, runs, false))));
                });
            });
        });
    }

    /** At most {@code limit} runs of the experiments, any stage, with their points and a RunPurged each. */
    private Uni<List<Run>> purgeRuns(SqlConnection conn, Long[] experimentIds, int limit, long now, String actor) {
        // chosen once, as RunRepository's purge does (an IN (subquery) may be rescanned past its LIMIT)
        return conn.preparedQuery("WITH chosen AS MATERIALIZED (SELECT run_uuid FROM tracking.runs"
                        + " WHERE experiment_id = ANY($1) ORDER BY run_uuid LIMIT $2 FOR UPDATE)"
                        + " DELETE FROM tracking.runs r USING chosen WHERE r.run_uuid = chosen.run_uuid RETURNING r.*")
                .execute(Tuple.of(experimentIds, limit))
                .map(RunRepository::runs)
                .flatMap(runs -> {
                    if (runs.isEmpty()) {
                        return Uni.createFrom().item(runs);
                    }
                    String[] runIds = runs.stream().map(r -> r.runUuid).toArray(String[]::new);
                    List<OutboxEvent> purged = runs.stream()
                            .map(r -> {
                                r.actor = actor;
                                return events.purged(r, now);
                            })
                            .toList();
                    return RunRepository.deleteMetrics(conn, runIds)
                            .flatMap(v -> OutboxPublisher.append(conn, purged))
                            .replaceWith(runs);
                });
    }

    /**
     * The experiments (now without runs) with their traces and logged models; an ExperimentPurged each, naming its
     * artifact location only when it is the one tracking-service gave it ({@code defaultLocation}: the default root
     * and its id, so a location a user wrote — which may name another experiment's tree in other words — is never
     * collected) and no experiment left has that location, or one inside or around it.
     */
    private Uni<List<Long>> purgeExperiments(
            SqlConnection conn,
            Long[] experimentIds,
            java.util.function.LongFunction<String> defaultLocation,
            long now,
            String actor) {
        Tuple ids = Tuple.of((Object) experimentIds);
        return conn.preparedQuery("DELETE FROM tracking.trace_info WHERE experiment_id = ANY($1)")
                .execute(ids)
                .flatMap(v -> conn.preparedQuery("DELETE FROM tracking.logged_models WHERE experiment_id = ANY($1)")
                        .execute(ids))
                .flatMap(v -> conn.preparedQuery("DELETE FROM tracking.experiments WHERE experiment_id = ANY($1)"
                                + " AND lifecycle_stage = 'deleted' RETURNING experiment_id, artifact_location,"
                                + " EXISTS (SELECT 1 FROM tracking.experiments o WHERE o.experiment_id <> ALL($1)"
                                + " AND (o.artifact_location = tracking.experiments.artifact_location"
                                + " OR starts_with(o.artifact_location, rtrim(tracking.experiments.artifact_location,"
                                + " '/') || '/') OR starts_with(tracking.experiments.artifact_location,"
                                + " rtrim(o.artifact_location, '/') || '/'))) AS shared")
                        .execute(ids))
                .flatMap(rows -> {
                    List<Long> purged = new ArrayList<>();
                    List<OutboxEvent> announced = new ArrayList<>();
                    for (Row row : rows) {
                        long id = row.getLong("experiment_id");
                        purged.add(id);
                        String location = row.getString("artifact_location");
                        boolean own = location.equals(defaultLocation.apply(id)) && !row.getBoolean("shared");
                        announced.add(events.experimentPurged(id, own ? location : "", now, actor));
                    }
                    purged.sort(Long::compare);
                    return OutboxPublisher.append(conn, announced).replaceWith(purged);
                });
    }

    private static Uni<Boolean> exists(SqlConnection conn, String sql, Tuple args) {
        return conn.preparedQuery(sql)
                .execute(args)
                .map(r -> r.iterator().next().getBoolean(0));
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
