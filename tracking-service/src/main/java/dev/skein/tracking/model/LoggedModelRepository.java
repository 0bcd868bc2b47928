package dev.skein.tracking.model;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.common.search.SqlQuery;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.messaging.OutboxPublisher;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Logged models in PostgreSQL with the reactive SQL client: each change is one transaction, with
 * its event in the outbox when it has one.
 */
@ApplicationScoped
public class LoggedModelRepository {

    static final String COLUMNS = "m.model_id, m.experiment_id, m.name, m.artifact_location, m.creation_timestamp_ms,"
            + " m.last_updated_timestamp_ms, m.status, m.lifecycle_stage, m.model_type, m.source_run_id,"
            + " m.status_message";

    private final Pool pool;

    public LoggedModelRepository(Pool pool) {
        this.pool = pool;
    }

    /** An experiment as a model's creation needs it; null if there is none. */
    public record ExperimentRow(long id, String artifactLocation, String lifecycleStage) {}

    /**
     * Creates a model in one transaction with its params, tags and event. The experiment's row is
     * locked FOR SHARE first (an experiment delete waits), and {@code build} turns it into the model
     * (or throws MLflow's error for a missing or deleted experiment).
     */
    public Uni<LoggedModel> create(
            long experimentId, Function<ExperimentRow, LoggedModel> build, Function<LoggedModel, OutboxEvent> event) {
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT experiment_id, artifact_location,"
                        + " lifecycle_stage FROM tracking.experiments WHERE experiment_id = $1 FOR SHARE")
                .execute(Tuple.of(experimentId))
                .map(rows -> build.apply(
                        rows.size() == 0
                                ? null
                                : new ExperimentRow(
                                        rows.iterator().next().getLong("experiment_id"),
                                        rows.iterator().next().getString("artifact_location"),
                                        rows.iterator().next().getString("lifecycle_stage"))))
                .flatMap(m -> conn.preparedQuery("INSERT INTO tracking.logged_models (model_id, experiment_id, name,"
                                + " artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status,"
                                + " lifecycle_stage, model_type, source_run_id) VALUES ($1, $2, $3, $4, $5, $6, $7,"
                                + " $8, $9, $10)")
                        .execute(Tuple.tuple(Arrays.asList(
                                m.modelId(),
                                m.experimentId(),
                                m.name(),
                                m.artifactLocation(),
                                m.creationTimestampMs(),
                                m.lastUpdatedTimestampMs(),
                                m.status(),
                                m.lifecycleStage(),
                                m.modelType(),
                                m.sourceRunId())))
                        .flatMap(v -> upsert(conn, "logged_model_params", m.modelId(), m.params()))
                        .flatMap(v -> upsert(conn, "logged_model_tags", m.modelId(), m.tags()))
                        .flatMap(v -> OutboxPublisher.append(conn, List.of(event.apply(m))))
                        .replaceWith(m)));
    }

    /** The model with its details, or null; deleted ones only with {@code allowDeleted}. */
    public Uni<LoggedModel> find(String modelId, boolean allowDeleted) {
        return find(pool, modelId, allowDeleted, false);
    }

    private static Uni<LoggedModel> find(SqlClient client, String modelId, boolean allowDeleted, boolean lock) {
        return client.preparedQuery("SELECT " + COLUMNS + " FROM tracking.logged_models m WHERE m.model_id = $1"
                        + (allowDeleted ? "" : " AND m.lifecycle_stage <> 'deleted'")
                        + (lock ? " FOR UPDATE" : ""))
                .execute(Tuple.of(modelId))
                .flatMap(rows -> withDetails(client, rows))
                .map(found -> found.isEmpty() ? null : found.get(0));
    }

    /**
     * Sets the status (and last update time) of a model, deleted or not as MLflow's store does, with
     * its event; null if there is no such model.
     */
    public Uni<LoggedModel> finalize(
            String modelId, String status, long now, Function<LoggedModel, OutboxEvent> event) {
        return pool.withTransaction(conn -> conn.preparedQuery("UPDATE tracking.logged_models SET status = $2,"
                        + " last_updated_timestamp_ms = $3 WHERE model_id = $1")
                .execute(Tuple.of(modelId, status, now))
                .flatMap(rows -> rows.rowCount() == 0
                        ? Uni.createFrom().nullItem()
                        : find(conn, modelId, true, false)
                                .call(m -> OutboxPublisher.append(conn, List.of(event.apply(m))))));
    }

    /** Marks a model deleted (it stays stored); false if there is no such model. */
    public Uni<Boolean> delete(String modelId, long now) {
        return pool.preparedQuery("UPDATE tracking.logged_models SET lifecycle_stage = 'deleted',"
                        + " last_updated_timestamp_ms = $2 WHERE model_id = $1")
                .execute(Tuple.of(modelId, now))
                .map(rows -> rows.rowCount() > 0);
    }

    /** Sets tags (a later value wins); false if there is no such model. */
    public Uni<Boolean> setTags(String modelId, List<KeyValue> tags) {
        return pool.withTransaction(conn -> exists(conn, modelId)
                .flatMap(found -> found
                        ? upsert(conn, "logged_model_tags", modelId, tags).replaceWith(true)
                        : Uni.createFrom().item(false)));
    }

    /**
     * Sets one tag to what {@code update} makes of its current value (null: none), under the model's
     * row lock (NO KEY UPDATE: metric writers' KEY SHARE locks do not make it wait), so concurrent
     * updates of the tag follow one another; {@code update} answering null writes nothing. False if
     * there is no such model, or it is deleted (MLflow's server does not find a deleted model).
     */
    public Uni<Boolean> updateTag(String modelId, String key, UnaryOperator<String> update) {
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT 1 FROM tracking.logged_models"
                        + " WHERE model_id = $1 AND lifecycle_stage <> 'deleted' FOR NO KEY UPDATE")
                .execute(Tuple.of(modelId))
                .map(rows -> rows.size() > 0)
                .flatMap(found -> !found
                        ? Uni.createFrom().item(false)
                        : conn.preparedQuery(
                                        "SELECT value FROM tracking.logged_model_tags WHERE model_id = $1 AND key = $2")
                                .execute(Tuple.of(modelId, key))
                                .flatMap(rows -> {
                                    String value = update.apply(
                                            rows.size() == 0
                                                    ? null
                                                    : rows.iterator().next().getString(0));
                                    return value == null
                                            ? Uni.createFrom().voidItem()
                                            : upsert(
                                                    conn,
                                                    "logged_model_tags",
                                                    modelId,
                                                    List.of(new KeyValue(key, value)));
                                })
                                .replaceWith(true)));
    }

    /** What deleting a tag found. */
    public enum TagDeletion {
        DELETED,
        NO_MODEL,
        NO_TAG
    }

    public Uni<TagDeletion> deleteTag(String modelId, String key) {
        return pool.withTransaction(conn -> exists(conn, modelId).flatMap(found -> {
            if (!found) {
                return Uni.createFrom().item(TagDeletion.NO_MODEL);
            }
            return conn.preparedQuery("DELETE FROM tracking.logged_model_tags WHERE model_id = $1 AND key = $2")
                    .execute(Tuple.of(modelId, key))
                    .map(rows -> rows.rowCount() > 0 ? TagDeletion.DELETED : TagDeletion.NO_TAG);
        }));
    }

    /**
     * Logs params to a model. Returns null if there is no such model, else the keys already set to
     * another value (then nothing is written: params are immutable, as a run's are).
     */
    public Uni<List<String>> logParams(String modelId, List<KeyValue> params) {
        return pool.withTransaction(conn -> exists(conn, modelId).flatMap(found -> {
            if (!found) {
                return Uni.createFrom().nullItem();
            }
            String[] keys = params.stream().map(KeyValue::key).toArray(String[]::new);
            String[] values = params.stream().map(KeyValue::value).toArray(String[]::new);
            return conn.preparedQuery("SELECT s.key FROM tracking.logged_model_params s JOIN unnest($2::text[],"
                            + " $3::text[]) AS e(k, v) ON s.key = e.k WHERE s.model_id = $1 AND s.value <> e.v"
                            + " ORDER BY s.key")
                    .execute(Tuple.of(modelId, keys, values))
                    .flatMap(conflicts -> {
                        List<String> changed = new ArrayList<>();
                        conflicts.forEach(r -> changed.add(r.getString("key")));
                        if (!changed.isEmpty()) {
                            return Uni.createFrom().item(changed);
                        }
                        return upsert(conn, "logged_model_params", modelId, params)
                                .replaceWith(List.<String>of());
                    });
        }));
    }

    /** The models a search query selects, in its order, with their details. */
    public Uni<List<LoggedModel>> search(SqlQuery query) {
        return pool.preparedQuery(query.sql()).execute(query.tuple()).flatMap(rows -> withDetails(pool, rows));
    }

    private static Uni<Boolean> exists(SqlConnection conn, String modelId) {
        return conn.preparedQuery("SELECT 1 FROM tracking.logged_models WHERE model_id = $1 FOR UPDATE")
                .execute(Tuple.of(modelId))
                .map(rows -> rows.size() > 0);
    }

    private static Uni<Void> upsert(SqlClient conn, String table, String modelId, List<KeyValue> entries) {
        if (entries.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        String[] keys = entries.stream().map(KeyValue::key).toArray(String[]::new);
        String[] values = entries.stream().map(KeyValue::value).toArray(String[]::new);
        return conn.preparedQuery("INSERT INTO tracking." + table + " (model_id, key, value)"
                        + " SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS e(k, v)"
                        + " ON CONFLICT (model_id, key) DO UPDATE SET value = EXCLUDED.value")
                .execute(Tuple.of(modelId, keys, values))
                .replaceWithVoid();
    }

    /** The models of these rows, in their order, each with its tags, params and metrics. */
    private static Uni<List<LoggedModel>> withDetails(SqlClient client, RowSet<Row> rows) {
        if (rows.size() == 0) {
            return Uni.createFrom().item(List.of());
        }
        List<LoggedModel> models = new ArrayList<>(rows.size());
        rows.forEach(r -> models.add(new LoggedModel(
                r.getString("model_id"),
                r.getLong("experiment_id"),
                r.getString("name"),
                r.getString("artifact_location"),
                r.getLong("creation_timestamp_ms"),
                r.getLong("last_updated_timestamp_ms"),
                r.getString("status"),
                r.getString("lifecycle_stage"),
                r.getString("model_type"),
                r.getString("source_run_id"),
                r.getString("status_message"),
                List.of(),
                List.of(),
                List.of())));
        String[] ids = models.stream().map(LoggedModel::modelId).toArray(String[]::new);
        return client.preparedQuery("SELECT 't' AS kind, model_id, key, value FROM tracking.logged_model_tags"
                        + " WHERE model_id = ANY($1) UNION ALL SELECT 'p', model_id, key, value"
                        + " FROM tracking.logged_model_params WHERE model_id = ANY($1) ORDER BY kind, model_id, key")
                .execute(Tuple.of((Object) ids))
                .flatMap(details -> client.preparedQuery(
                                "SELECT model_id, key, value, timestamp, step, run_uuid,"
                                        + " dataset_name, dataset_digest FROM tracking.logged_model_metrics"
                                        + " WHERE model_id = ANY($1) ORDER BY model_id, key, timestamp, step, run_uuid, dataset_name, dataset_digest")
                        .execute(Tuple.of((Object) ids))
                        .map(metricRows -> {
                            Map<String, List<KeyValue>> tags = new HashMap<>();
                            Map<String, List<KeyValue>> params = new HashMap<>();
                            details.forEach(d -> ("t".equals(d.getString("kind")) ? tags : params)
                                    .computeIfAbsent(d.getString("model_id"), k -> new ArrayList<>())
                                    .add(new KeyValue(d.getString("key"), d.getString("value"))));
                            Map<String, List<LoggedModel.ModelMetric>> metrics = new HashMap<>();
                            metricRows.forEach(
                                    m -> metrics.computeIfAbsent(m.getString("model_id"), k -> new ArrayList<>())
                                            .add(new LoggedModel.ModelMetric(
                                                    m.getString("key"),
                                                    m.getDouble("value"),
                                                    m.getLong("timestamp"),
                                                    m.getLong("step"),
                                                    m.getString("run_uuid"),
                                                    m.getString("dataset_name"),
                                                    m.getString("dataset_digest"),
                                                    m.getString("model_id"))));
                            List<LoggedModel> result = new ArrayList<>(models.size());
                            for (LoggedModel m : models) {
                                result.add(m.withDetails(
                                        tags.getOrDefault(m.modelId(), List.of()),
                                        params.getOrDefault(m.modelId(), List.of()),
                                        metrics.getOrDefault(m.modelId(), List.of())));
                            }
                            return result;
                        }));
    }
}
