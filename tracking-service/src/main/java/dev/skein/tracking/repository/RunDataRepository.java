package dev.skein.tracking.repository;

import dev.skein.common.error.ApiException;
import dev.skein.tracking.Dataset;
import dev.skein.tracking.DatasetSummary;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.MetricPoint;
import dev.skein.tracking.Run;
import dev.skein.tracking.RunTag;
import dev.skein.tracking.RunView;
import dev.skein.tracking.search.RunSearchSql;
import dev.skein.tracking.service.RunDataService;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A run's data — params, tags, metric points, dataset inputs — read and written with set-based
 * SQL: a log-batch of 1,000 metrics is a handful of statements in one transaction, whatever its size.
 */
@ApplicationScoped
public class RunDataRepository {

    private final Pool pool;

    public RunDataRepository(Pool pool) {
        this.pool = pool;
    }

    // ------------------------------------------------------------------------------------------
    // Reads

    public Uni<Run> findRun(String runId) {
        return pool.preparedQuery("SELECT " + RunSearchSql.COLUMNS + " FROM tracking.runs r WHERE r.run_uuid = $1")
                .execute(Tuple.of(runId))
                .map(rows -> rows.size() == 0 ? null : Rows.run(rows.iterator().next()));
    }

    /**
     * The runs with their latest metrics, params, tags and inputs, in the order given; read from one snapshot (a
     * read-only repeatable-read transaction), so a batch committed meanwhile shows whole or not at all — never
     * its tags without its metrics.
     */
    public Uni<List<RunView>> withData(List<Run> runs) {
        if (runs.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return pool.withTransaction(conn -> conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute()
                .flatMap(v -> withData(conn, runs)));
    }

    private Uni<List<RunView>> withData(SqlClient client, List<Run> runs) {
        String[] ids = runs.stream().map(r -> r.runUuid).toArray(String[]::new);
        Uni<RowSet<Row>> metrics = client.preparedQuery(
                        "SELECT run_uuid, key, value, timestamp, step FROM tracking.latest_metrics WHERE run_uuid = ANY($1) ORDER BY run_uuid, key")
                .execute(Tuple.of(ids));
        Uni<RowSet<Row>> params = client.preparedQuery(
                        "SELECT run_uuid, key, value FROM tracking.params WHERE run_uuid = ANY($1) ORDER BY run_uuid, key")
                .execute(Tuple.of(ids));
        Uni<RowSet<Row>> tags = client.preparedQuery(
                        "SELECT run_uuid, key, value FROM tracking.tags WHERE run_uuid = ANY($1) ORDER BY run_uuid, key")
                .execute(Tuple.of(ids));
        Uni<Map<String, List<Dataset>>> inputs = inputs(client, ids);
        Uni<RowSet<Row>> models = client.preparedQuery(
                        "SELECT 'i' AS kind, run_uuid, model_id, 0::bigint AS step FROM"
                                + " tracking.run_model_inputs WHERE run_uuid = ANY($1) UNION ALL SELECT 'o', run_uuid, model_id,"
                                + " step FROM tracking.run_model_outputs WHERE run_uuid = ANY($1) ORDER BY kind, run_uuid, model_id")
                .execute(Tuple.of(ids));
        return Uni.combine()
                .all()
                .unis(metrics, params, tags, inputs, models)
                .asTuple()
                .map(t -> {
                    Map<String, List<String>> modelInputs = new HashMap<>();
                    Map<String, List<RunView.ModelOutput>> modelOutputs = new HashMap<>();
                    t.getItem5().forEach(row -> {
                        if ("i".equals(row.getString("kind"))) {
                            modelInputs
                                    .computeIfAbsent(row.getString("run_uuid"), k -> new ArrayList<>())
                                    .add(row.getString("model_id"));
                        } else {
                            modelOutputs
                                    .computeIfAbsent(row.getString("run_uuid"), k -> new ArrayList<>())
                                    .add(new RunView.ModelOutput(row.getString("model_id"), row.getLong("step")));
                        }
                    });
                    Map<String, List<MetricPoint>> m = new HashMap<>();
                    t.getItem1().forEach(row -> m.computeIfAbsent(row.getString("run_uuid"), k -> new ArrayList<>())
                            .add(new MetricPoint(
                                    row.getString("key"),
                                    row.getDouble("value"),
                                    row.getLong("timestamp"),
                                    row.getLong("step"))));
                    Map<String, List<KeyValue>> p = keyValues(t.getItem2());
                    Map<String, List<KeyValue>> g = keyValues(t.getItem3());
                    List<RunView> views = new ArrayList<>(runs.size());
                    for (Run run : runs) {
                        views.add(new RunView(
                                run,
                                m.getOrDefault(run.runUuid, List.of()),
                                p.getOrDefault(run.runUuid, List.of()),
                                g.getOrDefault(run.runUuid, List.of()),
                                t.getItem4().getOrDefault(run.runUuid, List.of()),
                                modelInputs.getOrDefault(run.runUuid, List.of()),
                                modelOutputs.getOrDefault(run.runUuid, List.of())));
                    }
                    return views;
                });
    }

    private static Map<String, List<KeyValue>> keyValues(RowSet<Row> rows) {
        Map<String, List<KeyValue>> result = new HashMap<>();
        rows.forEach(row -> result.computeIfAbsent(row.getString("run_uuid"), k -> new ArrayList<>())
                .add(new KeyValue(row.getString("key"), row.getString("value"))));
        return result;
    }

    private static Uni<Map<String, List<Dataset>>> inputs(SqlClient client, String[] runIds) {
        return client.preparedQuery("SELECT i.run_uuid, i.input_uuid, d.name, d.digest, d.dataset_source_type,"
                        + " d.dataset_source, d.dataset_schema, d.dataset_profile FROM tracking.inputs i"
                        + " JOIN tracking.datasets d ON d.dataset_uuid = i.dataset_uuid WHERE i.run_uuid = ANY($1)"
                        + " ORDER BY i.run_uuid, d.name, d.digest")
                .execute(Tuple.of(runIds))
                .flatMap(rows -> {
                    if (rows.size() == 0) {
                        return Uni.createFrom().item(Map.of());
                    }
                    List<Row> list = new ArrayList<>();
                    rows.forEach(list::add);
                    UUID[] inputIds =
                            list.stream().map(r -> r.getUUID("input_uuid")).toArray(UUID[]::new);
                    return client.preparedQuery(
                                    "SELECT input_uuid, name, value FROM tracking.input_tags WHERE input_uuid = ANY($1) ORDER BY name")
                            .execute(Tuple.of(inputIds))
                            .map(tagRows -> {
                                Map<UUID, List<KeyValue>> tags = new HashMap<>();
                                tagRows.forEach(
                                        r -> tags.computeIfAbsent(r.getUUID("input_uuid"), k -> new ArrayList<>())
                                                .add(new KeyValue(r.getString("name"), r.getString("value"))));
                                Map<String, List<Dataset>> result = new LinkedHashMap<>();
                                for (Row r : list) {
                                    result.computeIfAbsent(r.getString("run_uuid"), k -> new ArrayList<>())
                                            .add(new Dataset(
                                                    r.getString("name"),
                                                    r.getString("digest"),
                                                    r.getString("dataset_source_type"),
                                                    r.getString("dataset_source"),
                                                    r.getString("dataset_schema"),
                                                    r.getString("dataset_profile"),
                                                    tags.getOrDefault(r.getUUID("input_uuid"), List.of())));
                                }
                                return result;
                            });
                });
    }

    // ------------------------------------------------------------------------------------------
    // Writes

    /**
     * Logs params, tags and metric points to an active run in one transaction: all or nothing.
     * Rows are written in key order so concurrent writers to one run lock in the same order and
     * cannot deadlock; the latest-metric upsert only ever moves forward in (step, timestamp, value).
     */
    public Uni<Void> logBatch(String runId, List<MetricPoint> metrics, List<KeyValue> params, List<KeyValue> tags) {
        return logBatch(runId, metrics, params, tags, List.of());
    }

    /** As above; MLflow 3: the points logged with a model id are also recorded as that model's metrics. */
    public Uni<Void> logBatch(
            String runId,
            List<MetricPoint> metrics,
            List<KeyValue> params,
            List<KeyValue> tags,
            List<RunDataService.ModelPoint> modelPoints) {
        return pool.withTransaction(conn -> activeRun(conn, runId)
                .flatMap(run -> insertParams(conn, runId, params))
                .flatMap(v -> insertMetrics(conn, runId, metrics))
                .flatMap(v -> insertModelMetrics(conn, runId, modelPoints))
                .flatMap(v -> upsertTags(conn, runId, tags)));
    }

    /**
     * A logged model's metric points, each (model, key, timestamp, step, run, dataset) once: logged
     * again, the later value wins. Every model named must exist (deleted ones too, as MLflow's foreign
     * key allows), else nothing of the batch is written.
     */
    private static Uni<Void> insertModelMetrics(
            SqlConnection conn, String runId, List<RunDataService.ModelPoint> points) {
        if (points.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        // The last point given for one identity wins, as when they are logged one by one.
        Map<List<Object>, RunDataService.ModelPoint> byIdentity = new LinkedHashMap<>();
        for (RunDataService.ModelPoint p : points) {
            byIdentity.put(
                    Arrays.asList(
                            p.modelId(),
                            p.point().key(),
                            p.point().timestamp(),
                            p.point().step(),
                            p.datasetName(),
                            p.datasetDigest()),
                    p);
        }
        List<RunDataService.ModelPoint> unique = new ArrayList<>(byIdentity.values());
        return modelsExist(
                        conn,
                        unique.stream().map(RunDataService.ModelPoint::modelId).toList())
                .flatMap(v -> {
                    int n = unique.size();
                    String[] models = new String[n];
                    String[] keys = new String[n];
                    Long[] timestamps = new Long[n];
                    Long[] steps = new Long[n];
                    Double[] values = new Double[n];
                    String[] names = new String[n];
                    String[] digests = new String[n];
                    for (int i = 0; i < n; i++) {
                        RunDataService.ModelPoint p = unique.get(i);
                        models[i] = p.modelId();
                        keys[i] = p.point().key();
                        timestamps[i] = p.point().timestamp();
                        steps[i] = p.point().step();
                        values[i] = p.point().value();
                        names[i] = p.datasetName();
                        digests[i] = p.datasetDigest();
                    }
                    return conn.preparedQuery("INSERT INTO tracking.logged_model_metrics (model_id, key, timestamp,"
                                    + " step, run_uuid, value, dataset_name, dataset_digest) SELECT m, k, ts, s, $1, v,"
                                    + " dn, dd FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[],"
                                    + " $6::float8[], $7::text[], $8::text[]) AS t(m, k, ts, s, v, dn, dd)"
                                    + " ORDER BY m, k, ts, s"
                                    + " ON CONFLICT (model_id, key, timestamp, step, run_uuid,"
                                    + " (coalesce(dataset_name, '')), (coalesce(dataset_digest, '')))"
                                    + " DO UPDATE SET value = EXCLUDED.value")
                            .execute(Tuple.of(runId, models, keys, timestamps, steps)
                                    .addArrayOfDouble(values)
                                    .addArrayOfString(names)
                                    .addArrayOfString(digests))
                            .replaceWithVoid();
                });
    }

    /** Every model named must exist (deleted ones too); locked FOR KEY SHARE in id order. */
    private static Uni<Void> modelsExist(SqlConnection conn, java.util.Collection<String> ids) {
        String[] modelIds = ids.stream().distinct().sorted().toArray(String[]::new);
        if (modelIds.length == 0) {
            return Uni.createFrom().voidItem();
        }
        return conn.preparedQuery("SELECT model_id FROM tracking.logged_models WHERE model_id = ANY($1)"
                        + " ORDER BY model_id FOR KEY SHARE")
                .execute(Tuple.of((Object) modelIds))
                .map(found -> {
                    java.util.Set<String> present = new java.util.HashSet<>();
                    found.forEach(r -> present.add(r.getString("model_id")));
                    for (String id : modelIds) {
                        if (!present.contains(id)) {
                            throw ApiException.notFound("Logged model with ID '" + id + "' not found.");
                        }
                    }
                    return null;
                });
    }

    /** MLflow 3: models the run produced; a model already recorded keeps its first step. */
    public Uni<Void> logOutputs(String runId, List<RunView.ModelOutput> models) {
        return pool.withTransaction(conn -> activeRun(conn, runId)
                .flatMap(e -> modelsExist(
                        conn, models.stream().map(RunView.ModelOutput::modelId).toList()))
                .flatMap(v -> conn.preparedQuery("INSERT INTO tracking.run_model_outputs (run_uuid, model_id, step)"
                                + " SELECT $1, m, s FROM unnest($2::text[], $3::bigint[]) AS t(m, s)"
                                + " ON CONFLICT (run_uuid, model_id) DO NOTHING")
                        .execute(Tuple.of(
                                runId,
                                models.stream()
                                        .map(RunView.ModelOutput::modelId)
                                        .toArray(String[]::new),
                                models.stream().map(RunView.ModelOutput::step).toArray(Long[]::new))))
                .replaceWithVoid());
    }

    /**
     * The run's experiment id, or the MLflow error for a missing or deleted run. The run's row stays
     * locked FOR KEY SHARE until the transaction ends: it cannot be purged under a write to it (its
     * metric points have no foreign key to do that row by row).
     */
    static Uni<Long> activeRun(SqlConnection conn, String runId) {
        return conn.preparedQuery(
                        "SELECT experiment_id, lifecycle_stage FROM tracking.runs WHERE run_uuid = $1 FOR KEY SHARE")
                .execute(Tuple.of(runId))
                .map(rows -> {
                    if (rows.size() == 0) {
                        throw runNotFound(runId);
                    }
                    Row row = rows.iterator().next();
                    String stage = row.getString("lifecycle_stage");
                    if (!Run.ACTIVE.equals(stage)) {
                        throw runNotActive(runId, stage);
                    }
                    return row.getLong("experiment_id");
                });
    }

    public static ApiException runNotFound(String runId) {
        return ApiException.notFound("Run with id=" + runId + " not found");
    }

    private static ApiException runNotActive(String runId, String stage) {
        return ApiException.invalidParameter(
                "The run " + runId + " must be in the 'active' state. Current state is " + stage + ".");
    }

    private static Uni<Void> insertParams(SqlConnection conn, String runId, List<KeyValue> params) {
        if (params.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<KeyValue> sorted =
                params.stream().sorted(Comparator.comparing(KeyValue::key)).toList();
        String[] keys = sorted.stream().map(KeyValue::key).toArray(String[]::new);
        String[] values = sorted.stream().map(KeyValue::value).toArray(String[]::new);
        // Insert what is new, then compare every key with what is stored: a param is immutable,
        // the same value again is fine, another value is refused (and the transaction undone).
        return conn.preparedQuery("INSERT INTO tracking.params (run_uuid, key, value)"
                        + " SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v) ON CONFLICT DO NOTHING")
                .execute(Tuple.of(runId, keys, values))
                .flatMap(ignored -> conn.preparedQuery(
                                "SELECT key, value FROM tracking.params WHERE run_uuid = $1 AND key = ANY($2)")
                        .execute(Tuple.of(runId, keys)))
                .map(rows -> {
                    Map<String, String> stored = new HashMap<>();
                    rows.forEach(r -> stored.put(r.getString("key"), r.getString("value")));
                    List<String> changed = new ArrayList<>();
                    for (KeyValue p : sorted) {
                        String old = stored.get(p.key());
                        if (old != null && !old.equals(p.value())) {
                            changed.add("Param(key='" + p.key() + "', old_value='" + old + "', new_value='" + p.value()
                                    + "')");
                        }
                    }
                    if (!changed.isEmpty()) {
                        throw ApiException.invalidParameter("Changing param values is not allowed. Params were already"
                                + " logged with other values for run ID='" + runId + "': " + changed);
                    }
                    return null;
                });
    }

    private static Uni<Void> upsertTags(SqlConnection conn, String runId, List<KeyValue> tags) {
        if (tags.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        // The last value given for a key wins, as when tags are set one by one.
        Map<String, String> byKey = new TreeMap<>();
        tags.forEach(t -> byKey.put(t.key(), t.value()));
        String[] keys = byKey.keySet().toArray(String[]::new);
        String[] values = byKey.values().toArray(String[]::new);
        Uni<Void> upsert = conn.preparedQuery("INSERT INTO tracking.tags (run_uuid, key, value)"
                        + " SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v)"
                        + " ON CONFLICT (run_uuid, key) DO UPDATE SET value = EXCLUDED.value")
                .execute(Tuple.of(runId, keys, values))
                .replaceWithVoid();
        String runName = byKey.get(RunTag.RUN_NAME);
        if (runName == null) {
            return upsert;
        }
        // MLflow keeps the run's name and its mlflow.runName tag in step.
        return upsert.flatMap(v -> conn.preparedQuery("UPDATE tracking.runs SET name = $2 WHERE run_uuid = $1")
                .execute(Tuple.of(runId, runName))
                .replaceWithVoid());
    }

    private static Uni<Void> insertMetrics(SqlConnection conn, String runId, List<MetricPoint> metrics) {
        return insertMetrics(
                conn, metrics.stream().map(m -> new RunPoint(runId, m)).toList());
    }

    /** A metric point of a run, as ingested from several runs at once. */
    public record RunPoint(String runId, MetricPoint point) {}

    private static final Comparator<RunPoint> LOCK_ORDER = Comparator.comparing(RunPoint::runId)
            .thenComparing(p -> p.point().key())
            .thenComparingLong(p -> p.point().step())
            .thenComparingLong(p -> p.point().timestamp())
            .thenComparingDouble(p -> p.point().value());

    /**
     * Writes metric points of one or more runs: two set-based statements, whatever their number.
     * Rows are written and locked in (run, key, step, timestamp, value) order, each (run, key)'s
     * latest_metrics row before its points, so concurrent writers cannot deadlock, and writers of
     * one (run, key) take turns, which keeps its step_count exact (V5 migration); a point already
     * logged changes nothing, so a redelivered batch is harmless.
     * seq numbers points in arrival order: batch after batch, and within a batch in lock order.
     */
    private static Uni<Void> insertMetrics(SqlConnection conn, List<RunPoint> points) {
        if (points.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = points.size();
        List<RunPoint> sorted = new ArrayList<>(points);
        sorted.sort(LOCK_ORDER);
        boolean oneRun = sorted.get(0).runId().equals(sorted.get(n - 1).runId());
        String[] runs = new String[n];
        String[] keys = new String[n];
        Long[] steps = new Long[n];
        Long[] timestamps = new Long[n];
        Double[] values = new Double[n];
        for (int i = 0; i < n; i++) {
            RunPoint rp = sorted.get(i);
            MetricPoint p = rp.point();
            runs[i] = rp.runId();
            keys[i] = p.key();
            steps[i] = p.step();
            timestamps[i] = p.timestamp();
            values[i] = p.value();
        }
        // One run (every log-batch): its id once, not once per point.
        MetricSql sql = oneRun ? MetricSql.ONE_RUN : MetricSql.MANY_RUNS;
        Tuple args = Tuple.of(oneRun ? runs[0] : runs, keys, steps, timestamps).addArrayOfDouble(values);
        // latest first: its upsert locks each (run, key) row, so the history insert after it sees every
        // point committed before, and counts the steps it is first to log exactly once
        return conn.preparedQuery(sql.latest)
                .execute(args)
                .flatMap(v -> conn.preparedQuery(sql.history).execute(args))
                .replaceWithVoid();
    }

    /** The two statements of {@link #insertMetrics}, for points of one run ($1) or of several (an array). */
    private enum MetricSql {
        ONE_RUN("$1", "unnest($2::text[], $3::bigint[], $4::bigint[], $5::float8[]) AS t(k, s, ts, v)", "k"),
        MANY_RUNS(
                "r",
                "unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::float8[]) AS t(r, k, s, ts, v)",
                "r, k");

        final String history;
        final String latest;

        MetricSql(String run, String points, String distinct) {
            // The sub-statements of a WITH do not see each other's rows: `fresh` compares the points
            // inserted with the history as it was, so a step is counted when its first point arrives.
            history = "WITH ins AS (INSERT INTO tracking.metrics (run_uuid, key, step, timestamp, value)"
                    + " SELECT " + run + ", k, s, ts, v FROM " + points
                    + " ON CONFLICT DO NOTHING RETURNING run_uuid, key, step),"
                    + " fresh AS (SELECT run_uuid, key, count(DISTINCT step) AS n FROM ins WHERE NOT EXISTS"
                    + " (SELECT 1 FROM tracking.metrics m"
                    + " WHERE m.run_uuid = ins.run_uuid AND m.key = ins.key AND m.step = ins.step)"
                    + " GROUP BY run_uuid, key)"
                    + " UPDATE tracking.latest_metrics lm SET step_count = lm.step_count + fresh.n FROM fresh"
                    + " WHERE lm.run_uuid = fresh.run_uuid AND lm.key = fresh.key";
            latest = "INSERT INTO tracking.latest_metrics AS lm (run_uuid, key, step, timestamp, value)"
                    + " SELECT DISTINCT ON (" + distinct + ") " + run + ", k, s, ts, v FROM " + points
                    + " ORDER BY " + distinct + ", s DESC, ts DESC, v DESC"
                    + " ON CONFLICT (run_uuid, key) DO UPDATE"
                    + " SET step = EXCLUDED.step, timestamp = EXCLUDED.timestamp, value = EXCLUDED.value"
                    + " WHERE (EXCLUDED.step, EXCLUDED.timestamp, EXCLUDED.value) > (lm.step, lm.timestamp, lm.value)";
        }
    }

    /**
     * Writes ingested points of several runs in one transaction, each run's row locked FOR KEY SHARE
     * after checking it is active, as {@link #activeRun} does. Fails with {@link RunsNotActive},
     * writing nothing, if any run is missing or not active. A lock held by someone else fails the
     * transaction after {@code lockTimeout} (SQLSTATE 55P03) instead of holding the connection until
     * it is released: the ingest retries, and shows that it does.
     */
    public Uni<Void> ingestMetrics(List<RunPoint> points, Duration lockTimeout) {
        String[] runIds = points.stream().map(RunPoint::runId).distinct().toArray(String[]::new);
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT set_config('lock_timeout', $1, true)")
                .execute(Tuple.of(Math.max(1, lockTimeout.toMillis()) + "ms"))
                .flatMap(ignored -> conn.preparedQuery("SELECT run_uuid, lifecycle_stage FROM tracking.runs"
                                + " WHERE run_uuid = ANY($1) ORDER BY run_uuid FOR KEY SHARE")
                        .execute(Tuple.of(runIds)))
                .flatMap(rows -> {
                    Map<String, String> refused = new HashMap<>();
                    for (String runId : runIds) {
                        refused.put(runId, runNotFound(runId).getMessage());
                    }
                    rows.forEach(r -> {
                        String runId = r.getString("run_uuid");
                        String stage = r.getString("lifecycle_stage");
                        if (Run.ACTIVE.equals(stage)) {
                            refused.remove(runId);
                        } else {
                            refused.put(runId, runNotActive(runId, stage).getMessage());
                        }
                    });
                    if (!refused.isEmpty()) {
                        return Uni.createFrom().failure(new RunsNotActive(refused));
                    }
                    return insertMetrics(conn, points);
                }));
    }

    /** Runs an ingest was for that do not exist or are not active, with MLflow's message for each. */
    public static final class RunsNotActive extends RuntimeException {
        public final Map<String, String> reasons;

        RunsNotActive(Map<String, String> reasons) {
            super("Runs not active: " + reasons.keySet(), null, false, false);
            this.reasons = reasons;
        }
    }

    public Uni<Void> deleteTag(String runId, String key) {
        return pool.withTransaction(conn -> activeRun(conn, runId)
                .flatMap(exp -> conn.preparedQuery("DELETE FROM tracking.tags WHERE run_uuid = $1 AND key = $2")
                        .execute(Tuple.of(runId, key)))
                .map(rows -> {
                    if (rows.rowCount() == 0) {
                        throw ApiException.notFound("No tag with name: " + key + " in run with id " + runId);
                    }
                    return null;
                }));
    }

    /**
     * The distinct (experiment, dataset name, digest, context) the runs of these experiments used,
     * at most {@code limit}; context is the input's {@code mlflow.data.context} tag (null without one).
     */
    public Uni<List<DatasetSummary>> datasetSummaries(Long[] experimentIds, int limit) {
        return pool.preparedQuery("SELECT DISTINCT d.experiment_id, d.name, d.digest, t.value AS context"
                        + " FROM tracking.datasets d JOIN tracking.inputs i ON i.dataset_uuid = d.dataset_uuid"
                        + " LEFT JOIN tracking.input_tags t ON t.input_uuid = i.input_uuid"
                        + " AND t.name = 'mlflow.data.context' WHERE d.experiment_id = ANY($1)"
                        + " ORDER BY d.experiment_id, d.name, d.digest, context LIMIT $2")
                .execute(Tuple.of(experimentIds, limit))
                .map(rows -> {
                    List<DatasetSummary> summaries = new ArrayList<>(rows.size());
                    rows.forEach(r -> summaries.add(new DatasetSummary(
                            r.getLong("experiment_id"),
                            r.getString("name"),
                            r.getString("digest"),
                            r.getString("context"))));
                    return summaries;
                });
    }

    /**
     * Records that a run used these datasets. A dataset is stored once per experiment (by name
     * and digest); using it again in the same run changes nothing.
     */
    public Uni<Void> logInputs(String runId, List<Dataset> datasets) {
        return logInputs(runId, datasets, List.of());
    }

    /** Dataset inputs and (MLflow 3) logged models used as inputs, in one transaction. */
    public Uni<Void> logInputs(String runId, List<Dataset> datasets, List<String> models) {
        return pool.withTransaction(conn -> activeRun(conn, runId).flatMap(experimentId -> {
            Uni<Void> chain = models.isEmpty()
                    ? Uni.createFrom().voidItem()
                    : modelsExist(conn, models)
                            .flatMap(v -> conn.preparedQuery("INSERT INTO tracking.run_model_inputs (run_uuid,"
                                            + " model_id) SELECT $1, m FROM unnest($2::text[]) AS t(m)"
                                            + " ON CONFLICT DO NOTHING")
                                    .execute(Tuple.of(runId, models.toArray(String[]::new))))
                            .replaceWithVoid();
            for (Dataset d : datasets) {
                chain = chain.flatMap(v -> logInput(conn, runId, experimentId, d));
            }
            return chain;
        }));
    }

    private static Uni<Void> logInput(SqlConnection conn, String runId, long experimentId, Dataset d) {
        return conn.preparedQuery(
                        "INSERT INTO tracking.datasets (dataset_uuid, experiment_id, name, digest,"
                                + " dataset_source_type, dataset_source, dataset_schema, dataset_profile)"
                                + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (experiment_id, name, digest) DO NOTHING")
                .execute(Tuple.from(new Object[] {
                    UUID.randomUUID(),
                    experimentId,
                    d.name(),
                    d.digest(),
                    d.sourceType(),
                    d.source(),
                    d.schema(),
                    d.profile()
                }))
                .flatMap(ignored -> conn.preparedQuery(
                                "SELECT dataset_uuid FROM tracking.datasets WHERE experiment_id = $1 AND name = $2 AND digest = $3")
                        .execute(Tuple.of(experimentId, d.name(), d.digest())))
                .flatMap(rows -> conn.preparedQuery(
                                "INSERT INTO tracking.inputs (input_uuid, dataset_uuid, run_uuid)"
                                        + " VALUES ($1, $2, $3) ON CONFLICT (run_uuid, dataset_uuid) DO NOTHING RETURNING input_uuid")
                        .execute(Tuple.of(
                                UUID.randomUUID(), rows.iterator().next().getUUID("dataset_uuid"), runId)))
                .flatMap(inserted -> {
                    if (inserted.size() == 0 || d.tags().isEmpty()) {
                        return Uni.createFrom().voidItem();
                    }
                    UUID inputId = inserted.iterator().next().getUUID("input_uuid");
                    Map<String, String> byName = new TreeMap<>();
                    d.tags().forEach(t -> byName.put(t.key(), t.value()));
                    return conn.preparedQuery("INSERT INTO tracking.input_tags (input_uuid, name, value)"
                                    + " SELECT $1, n, v FROM unnest($2::text[], $3::text[]) AS t(n, v)")
                            .execute(Tuple.of(
                                    inputId,
                                    byName.keySet().toArray(String[]::new),
                                    byName.values().toArray(String[]::new)))
                            .replaceWithVoid();
                });
    }

    /** Appends one MLmodel description to the run's {@code mlflow.log-model.history} tag (a JSON list). */
    public Uni<Void> appendLoggedModel(String runId, JsonObject model) {
        // The tag row exists before it is locked (an empty list if it did not): two first models
        // logged at once would otherwise both find nothing to lock, and the second would overwrite
        // the first.
        return pool.withTransaction(conn -> activeRun(conn, runId)
                .flatMap(exp -> conn.preparedQuery("INSERT INTO tracking.tags (run_uuid, key, value)"
                                + " VALUES ($1, $2, '[]') ON CONFLICT (run_uuid, key) DO NOTHING")
                        .execute(Tuple.of(runId, RunTag.LOGGED_MODELS)))
                .flatMap(created -> conn.preparedQuery(
                                "SELECT value FROM tracking.tags WHERE run_uuid = $1 AND key = $2 FOR UPDATE")
                        .execute(Tuple.of(runId, RunTag.LOGGED_MODELS)))
                .flatMap(rows -> {
                    JsonArray history = new JsonArray();
                    if (rows.size() > 0) {
                        try {
                            history = new JsonArray(rows.iterator().next().getString("value"));
                        } catch (RuntimeException notAList) {
                            // a hand-set tag that is not a JSON list: the history starts afresh
                            history = new JsonArray();
                        }
                    }
                    history.add(model);
                    return conn.preparedQuery("INSERT INTO tracking.tags (run_uuid, key, value) VALUES ($1, $2, $3)"
                                    + " ON CONFLICT (run_uuid, key) DO UPDATE SET value = EXCLUDED.value")
                            .execute(Tuple.of(runId, RunTag.LOGGED_MODELS, history.encode()))
                            .replaceWithVoid();
                }));
    }
}
