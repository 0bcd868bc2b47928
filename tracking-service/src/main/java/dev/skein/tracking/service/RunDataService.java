package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.validation.Inputs;
import dev.skein.tracking.Dataset;
import dev.skein.tracking.DatasetSummary;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.MetricPoint;
import dev.skein.tracking.RunView;
import dev.skein.tracking.repository.MetricHistoryRepository;
import dev.skein.tracking.repository.RunDataRepository;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;

/** Logging to a run (metrics, params, tags, inputs, models) and reading metric histories. */
@ApplicationScoped
public class RunDataService {

    /** History requests with no max_results, or one this large or larger, get the whole history. */
    public static final int WHOLE_HISTORY = 25_000;

    /** Points per streamed chunk of a history (and per query reading it). */
    public static final int HISTORY_CHUNK = 5_000;

    public static final int MAX_BULK_RUNS = 100;

    /** MLflow's MAX_RESULTS_PER_RUN: get-history-bulk-interval's max_results, 1 to this, and its default. */
    public static final int MAX_BULK_RESULTS = 2_500;

    /** MLflow's MAX_RESULTS_GET_METRIC_HISTORY: points get-history-bulk-interval answers per run at most. */
    public static final int MAX_INTERVAL_POINTS_PER_RUN = 25_000;

    /** MLflow's suffix to the messages of its request schema checks ({@code _validate_param_against_schema}). */
    private static final String SEE_API_DOCS = " See the API docs for more information about request parameters.";

    /**
     * Distinct steps of one run read into memory to sample over them as MLflow does; a run with gaps
     * and more steps than this is sampled over its range (lo..hi) instead, so a request's memory and
     * index probes stay bounded (a sampled step the run did not log finds no point).
     */
    public static final int MAX_LISTED_STEPS = 10_000;

    /**
     * Distinct steps one get-history-bulk-interval read lists over all its runs: the runs with gaps
     * share it (each at most {@link #MAX_LISTED_STEPS}), so a read's step list stays a few MB however
     * many runs it asks for; a run with more steps than its part is sampled over its range.
     */
    public static final int MAX_LISTED_STEPS_PER_READ = 100_000;

    public static final int MAX_DATASET_SEARCH_EXPERIMENTS = 20;
    public static final int MAX_DATASET_SUMMARIES = 1_000;

    private final RunDataRepository data;
    private final MetricHistoryRepository history;

    private final BulkReads bulkReads;

    public RunDataService(RunDataRepository data, MetricHistoryRepository history, BulkReads bulkReads) {
        this.data = data;
        this.history = history;
        this.bulkReads = bulkReads;
    }

    /**
     * What one point of a bulk answer costs in memory, in bytes, until its answer has been written
     * out (the read keeps its place until then): the point (40), its slot in the list (4), its message
     * in the answer (64; the key and run id shared, not copied), and its bytes on the wire (about 36
     * plus its key and run id, which MLflow's format repeats in every point) three times over, as the
     * gRPC server holds them while it serializes (a growing buffer, its copy, and the frame's). MLflow's
     * UI asks for a few hundred steps of up to 100 runs: 100 × 322 points with a 10-character key take
     * about 11 MB. (The rows of the one statement under way, at most 25,000, are not counted: about
     * 3 MB at most.)
     */
    public static long pointCost(String key, String runId) {
        return 108 + 3 * (36 + utf8Length(key) + utf8Length(runId));
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return n;
    }

    /**
     * A metric point as a caller sent it: any part may be missing until validated. MLflow 3: a point
     * with a {@code modelId} is also the logged model's metric, on the dataset named, if any.
     */
    public record MetricInput(
            String key,
            Double value,
            Long timestamp,
            long step,
            String modelId,
            String datasetName,
            String datasetDigest) {

        public MetricInput(String key, Double value, Long timestamp, long step) {
            this(key, value, timestamp, step, null, null, null);
        }
    }

    /** A point logged against a logged model (MLflow 3's logged_model_metrics). */
    public record ModelPoint(MetricPoint point, String modelId, String datasetName, String datasetDigest) {}

    public Uni<Void> logBatch(
            String runId, List<MetricInput> metricInputs, List<KeyValue> params, List<KeyValue> tags) {
        String id = RunService.requireRunId(runId);
        for (int i = 0; i < metricInputs.size(); i++) { // MLflow's order: every metric's fields, then params', tags'
            MetricInput m = metricInputs.get(i);
            requiredField(m.key() == null || m.key().isEmpty(), "metrics[" + i + "].key");
            requiredField(m.value() == null, "metrics[" + i + "].value");
            requiredField(m.timestamp() == null, "metrics[" + i + "].timestamp");
        }
        for (int i = 0; i < params.size(); i++) {
            requiredField(params.get(i).key() == null || params.get(i).key().isEmpty(), "params[" + i + "].key");
        }
        for (int i = 0; i < tags.size(); i++) {
            requiredField(tags.get(i).key() == null || tags.get(i).key().isEmpty(), "tags[" + i + "].key");
        }
        Validation.batchLimits(metricInputs.size(), params.size(), tags.size());
        List<MetricPoint> metrics = new ArrayList<>(metricInputs.size());
        List<ModelPoint> modelPoints = new ArrayList<>();
        for (MetricInput m : metricInputs) {
            Validation.metric(m.key(), m.value(), m.timestamp());
            MetricPoint point = new MetricPoint(m.key(), m.value(), m.timestamp(), m.step());
            metrics.add(point);
            if (m.modelId() != null && !m.modelId().isEmpty()) {
                Inputs.length("Dataset name", m.datasetName(), Validation.MAX_DATASET_NAME_LENGTH);
                Inputs.length("Dataset digest", m.datasetDigest(), Validation.MAX_DATASET_DIGEST_LENGTH);
                modelPoints.add(new ModelPoint(
                        point, m.modelId(), emptyToNull(m.datasetName()), emptyToNull(m.datasetDigest())));
            }
        }
        Set<String> seen = new HashSet<>();
        Set<String> duplicates = new LinkedHashSet<>();
        for (KeyValue p : params) {
            Validation.param(p.key(), p.value());
            if (!seen.add(p.key())) {
                duplicates.add(p.key());
            }
        }
        if (!duplicates.isEmpty()) {
            throw ApiException.invalidParameter("Duplicate parameter keys have been submitted: " + duplicates
                    + ". Please ensure the request contains only one param value per param key.");
        }
        for (KeyValue t : tags) {
            Validation.tag(t.key(), t.value());
        }
        return data.logBatch(id, metrics, params, tags, modelPoints);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static void requiredField(boolean missing, String path) {
        if (missing) {
            throw ApiException.missing(path);
        }
    }

    public Uni<Void> logMetric(String runId, String key, Double value, Long timestamp, long step) {
        return logMetric(runId, new MetricInput(key, value, timestamp, step));
    }

    /** One point (MLflow 3: with its model and dataset, when given). */
    public Uni<Void> logMetric(String runId, MetricInput m) {
        String key = m.key();
        Double value = m.value();
        Long timestamp = m.timestamp();
        Inputs.required(key, "key");
        if (value == null) {
            throw ApiException.missing("value");
        }
        if (timestamp == null) {
            throw ApiException.missing("timestamp");
        }
        return logBatch(runId, List.of(m), List.of(), List.of());
    }

    public Uni<Void> logParam(String runId, String key, String value) {
        Inputs.required(key, "key");
        if (value == null) {
            throw ApiException.missing("value");
        }
        return logBatch(runId, List.of(), List.of(new KeyValue(key, value)), List.of());
    }

    public Uni<Void> setTag(String runId, String key, String value) {
        Inputs.required(key, "key");
        if (value == null) {
            throw ApiException.missing("value");
        }
        return logBatch(runId, List.of(), List.of(), List.of(new KeyValue(key, value)));
    }

    public Uni<Void> deleteTag(String runId, String key) {
        String id = RunService.requireRunId(runId);
        Inputs.required(key, "key");
        return data.deleteTag(id, key);
    }

    public Uni<Void> logInputs(String runId, List<Dataset> datasets) {
        return logInputs(runId, datasets, List.of());
    }

    /** Dataset inputs and (MLflow 3) logged models the run used; at least one of either. */
    public Uni<Void> logInputs(String runId, List<Dataset> datasets, List<String> models) {
        String id = RunService.requireRunId(runId);
        if (datasets.isEmpty() && models.isEmpty()) {
            throw ApiException.missing("datasets");
        }
        for (String model : models) {
            if (model == null || model.isEmpty()) {
                throw ApiException.missing("models.model_id");
            }
        }
        for (Dataset d : datasets) {
            Inputs.required(d.name(), "dataset.name");
            Inputs.required(d.digest(), "dataset.digest");
            Inputs.required(d.sourceType(), "dataset.source_type");
            Inputs.required(d.source(), "dataset.source");
            Inputs.length("Dataset name", d.name(), Validation.MAX_DATASET_NAME_LENGTH);
            Inputs.length("Dataset digest", d.digest(), Validation.MAX_DATASET_DIGEST_LENGTH);
            Inputs.length("Dataset source", d.source(), Validation.MAX_DATASET_SOURCE_LENGTH);
            Inputs.length("Dataset schema", d.schema(), Validation.MAX_DATASET_SCHEMA_LENGTH);
            Inputs.length("Dataset profile", d.profile(), Validation.MAX_DATASET_PROFILE_LENGTH);
            for (KeyValue t : d.tags()) {
                Inputs.required(t.key(), "tags.key");
                if (t.value() == null) {
                    throw ApiException.missing("tags.value");
                }
                Inputs.length("Input tag key", t.key(), Validation.MAX_INPUT_TAG_KEY_LENGTH);
                Inputs.length("Input tag value", t.value(), Validation.MAX_INPUT_TAG_VALUE_LENGTH);
            }
        }
        return data.logInputs(id, datasets, models.stream().distinct().toList());
    }

    /** MLflow 3: logged models the run produced, each at a step. */
    public Uni<Void> logOutputs(String runId, List<RunView.ModelOutput> models) {
        String id = RunService.requireRunId(runId);
        if (models.isEmpty()) {
            throw ApiException.missing("models");
        }
        for (RunView.ModelOutput m : models) {
            if (m.modelId() == null || m.modelId().isEmpty()) {
                throw ApiException.missing("models.model_id");
            }
        }
        return data.logOutputs(id, models);
    }

    /**
     * The datasets the runs of these experiments used, with the context of each use (MLflow's
     * {@code search-datasets}, behind its UI's dataset filter): at most 1,000. Ids no experiment can
     * have match nothing.
     */
    public Uni<List<DatasetSummary>> searchDatasets(List<String> experimentIds) {
        if (experimentIds.isEmpty()) {
            throw ApiException.invalidParameter("SearchDatasets request must specify at least one experiment_id.");
        }
        if (experimentIds.size() > MAX_DATASET_SEARCH_EXPERIMENTS) {
            throw ApiException.invalidParameter("SearchDatasets request cannot specify more than "
                    + MAX_DATASET_SEARCH_EXPERIMENTS + " experiment_ids. Received " + experimentIds.size()
                    + " experiment_ids.");
        }
        List<Long> ids = new ArrayList<>();
        for (String id : experimentIds) {
            try {
                ids.add(Long.parseLong(id));
            } catch (NumberFormatException e) {
                // no experiment has it
            }
        }
        return data.datasetSummaries(ids.toArray(Long[]::new), MAX_DATASET_SUMMARIES);
    }

    /** Records an MLmodel (as JSON) in the run's {@code mlflow.log-model.history} tag, as MLflow does. */
    public Uni<Void> logModel(String runId, String modelJson) {
        String id = RunService.requireRunId(runId);
        Inputs.required(modelJson, "model_json");
        JsonObject model;
        try {
            model = new JsonObject(modelJson);
        } catch (DecodeException | ClassCastException e) {
            throw ApiException.invalidParameter("Malformed model info. \n" + modelJson + "\n is not a valid JSON.");
        }
        List<String> missing = new ArrayList<>();
        for (String field : List.of("artifact_path", "flavors", "utc_time_created", "run_id")) {
            if (!model.containsKey(field)) {
                missing.add(field);
            }
        }
        if (!missing.isEmpty()) {
            throw ApiException.invalidParameter("Model json is missing mandatory fields: " + missing);
        }
        if (!(model.getValue("flavors") instanceof JsonObject)) {
            throw ApiException.invalidParameter("Model json 'flavors' must be a JSON object");
        }
        return data.appendLoggedModel(id, model);
    }

    /** A chunk of a history as it streams out; the last chunk of a page with a successor has a token. */
    public record HistoryChunk(List<MetricPoint> points, String nextPageToken) {}

    /**
     * A metric's history in logging order, in chunks of at most {@link #HISTORY_CHUNK} points read
     * one after the other, so memory stays flat whatever its length. The whole history unless
     * {@code maxResults} asks for pages smaller than {@link #WHOLE_HISTORY}.
     */
    public Multi<HistoryChunk> history(String runId, String key, Integer maxResults, String pageToken) {
        String id = RunService.requireRunId(runId);
        Inputs.required(key, "metric_key");
        int limit = maxResults != null && maxResults > 0 && maxResults < WHOLE_HISTORY ? maxResults : Integer.MAX_VALUE;
        var cursor = new Object() {
            long after = PageToken.decodeOffset(pageToken);
            long sent;
            boolean done;
        };
        return Multi.createBy()
                .repeating()
                .uni(() -> cursor, c -> {
                    int want = (int) Math.min(HISTORY_CHUNK, limit - c.sent);
                    return history.page(id, key, c.after, want + 1).map(logged -> {
                        boolean more = logged.size() > want;
                        List<MetricHistoryRepository.Logged> chunk = more ? logged.subList(0, want) : logged;
                        if (!chunk.isEmpty()) {
                            c.after = chunk.get(chunk.size() - 1).seq();
                        }
                        c.sent += chunk.size();
                        boolean pageFull = c.sent >= limit;
                        c.done = !more || pageFull;
                        return new HistoryChunk(
                                chunk.stream()
                                        .map(MetricHistoryRepository.Logged::point)
                                        .toList(),
                                more && pageFull ? PageToken.encode(c.after) : null);
                    });
                })
                .whilst(chunk -> !cursor.done);
    }

    /**
     * Several runs' histories of one metric (MLflow's {@code get-history-bulk}, behind its UI's
     * charts): at most {@code maxResults} points in all (25,000 at most, the default), by run id,
     * then timestamp, step and value.
     */
    public Uni<List<RunDataRepository.RunPoint>> historyBulk(List<String> runIds, String key, Integer maxResults) {
        if (runIds.isEmpty()) {
            throw ApiException.invalidParameter("GetMetricHistoryBulk request must specify at least one run_id.");
        }
        if (runIds.size() > MAX_BULK_RUNS) {
            throw ApiException.invalidParameter("GetMetricHistoryBulk request cannot specify more than " + MAX_BULK_RUNS
                    + " run_ids. Received " + runIds.size() + " run_ids.");
        }
        if (key == null) {
            throw ApiException.invalidParameter("GetMetricHistoryBulk request must specify a metric_key.");
        }
        int max = maxResults == null ? WHOLE_HISTORY : Math.min(maxResults, WHOLE_HISTORY);
        if (max < 0) {
            throw ApiException.invalidParameter(
                    "Invalid value " + maxResults + " for parameter 'max_results' supplied. It must not be negative.");
        }
        if (max == 0) {
            return Uni.createFrom().item(List.of());
        }
        // by run id in byte (code point) order, as PostgreSQL's "C" collation and MLflow's sorted()
        List<String> byId = runIds.stream()
                .distinct()
                .sorted((a, b) ->
                        Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray()))
                .toList();
        List<RunDataRepository.RunPoint> out = new ArrayList<>();
        return bulkReads
                .run("get-history-bulk", (db, stop) -> firstByTime(db, byId, 0, key, max, stop, out, 0))
                .replaceWith(out);
    }

    /**
     * The first {@code limit} points of a metric over several runs, taken run after run in the order
     * given, each run's by timestamp, step and value, each run read only for what is still missing.
     * The answer is held within the read's share of {@code max-answer-memory} ({@link #pointCost},
     * plus the point's run id wrapper): one point more than fits is read at most, and the request is
     * then refused, never cut.
     */
    private Uni<Void> firstByTime(
            SqlConnection db,
            List<String> runIds,
            int next,
            String key,
            int limit,
            BooleanSupplier stop,
            List<RunDataRepository.RunPoint> out,
            long spent) {
        if (next == runIds.size() || out.size() >= limit) {
            return Uni.createFrom().voidItem();
        }
        if (stop.getAsBoolean()) {
            return BulkReads.stopped();
        }
        String run = runIds.get(next);
        long cost = pointCost(key, run) + RUN_POINT_BYTES;
        long affordable = (bulkReads.answerShare() - spent) / cost;
        int ask = (int) Math.min(limit - out.size(), affordable + 1);
        return history.firstByTime(db, run, key, ask).flatMap(points -> {
            if (points.size() > affordable) {
                return Uni.createFrom()
                        .failure(ApiException.invalidParameter("GetMetricHistoryBulk would answer more points than"
                                + " fit in " + mebibytes(bulkReads.answerShare()) + " for these " + runIds.size()
                                + " runs; ask for fewer run_ids or a smaller max_results."));
            }
            // the request's run id and key, shared by every point (not a copy per row)
            points.forEach(p -> out.add(new RunDataRepository.RunPoint(run, p)));
            return firstByTime(db, runIds, next + 1, key, limit, stop, out, spent + points.size() * cost);
        });
    }

    /** A RunPoint wrapper (header, two references) per get-history-bulk point. */
    private static final long RUN_POINT_BYTES = 24;

    static String mebibytes(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
    }

    /**
     * For each run, its points of the metric at the steps MLflow samples ({@link StepSampler}): at
     * most {@code maxResults} positions spread evenly over the sorted distinct steps the runs logged
     * in [start, end] (default: 0 to the highest step), their last, and each run's first and last step
     * in that window; every point logged at those steps, by step, timestamp and value. A run that
     * logged every step between its first and last (its step count says so) costs three index probes
     * and one read of the points chosen, however long its history; a run with gaps has its distinct
     * steps read by a loose index scan (one probe per distinct step, not per point).
     */
    public Uni<List<RunPoints>> bulkInterval(
            List<String> runIds, String key, Integer startStep, Integer endStep, Integer maxResults) {
        if (runIds.isEmpty()) {
            throw ApiException.missing("run_ids");
        }
        if (runIds.size() > MAX_BULK_RUNS) {
            throw ApiException.invalidParameter("GetMetricHistoryBulkInterval request must specify at most "
                    + MAX_BULK_RUNS + " run_ids. Received " + runIds.size() + " run_ids." + SEE_API_DOCS);
        }
        runIds.forEach(Validation::runId);
        Inputs.required(key, "metric_key");
        int max = maxResults == null ? MAX_BULK_RESULTS : maxResults;
        if (max < 1 || max > MAX_BULK_RESULTS) {
            throw ApiException.invalidParameter(
                    "max_results must be between 1 and " + MAX_BULK_RESULTS + "." + SEE_API_DOCS);
        }
        if ((startStep == null) != (endStep == null)) {
            throw ApiException.invalidParameter(
                    "If either start step or end step are specified, both must be specified.");
        }
        if (startStep != null && startStep > endStep) {
            throw ApiException.invalidParameter("end_step must be greater than start_step. Found start_step="
                    + startStep + " and end_step=" + endStep + ".");
        }
        List<String> runs = List.copyOf(new LinkedHashSet<>(runIds));
        return bulkReads.run(
                "get-history-bulk-interval", (db, stop) -> sampled(db, runs, key, startStep, endStep, max, stop));
    }

    private Uni<List<RunPoints>> sampled(
            SqlConnection db,
            List<String> runs,
            String key,
            Integer startStep,
            Integer endStep,
            int max,
            BooleanSupplier stop) {
        if (stop.getAsBoolean()) {
            return BulkReads.stopped();
        }
        List<Uni<MetricHistoryRepository.StepSummary>> summaries = new ArrayList<>();
        runs.forEach(run -> summaries.add(history.stepSummary(db, run, key)));
        return Uni.join().all(summaries).andFailFast().flatMap(perRun -> {
            if (stop.getAsBoolean()) {
                return BulkReads.stopped();
            }
            List<long[]> ranges = new ArrayList<>();
            List<Uni<List<long[]>>> gappy = new ArrayList<>();
            long withGaps = perRun.stream()
                    .filter(s -> s != null && !s.contiguous() && s.count() <= MAX_LISTED_STEPS)
                    .count();
            int listedPerRun = (int) Math.min(MAX_LISTED_STEPS, MAX_LISTED_STEPS_PER_READ / Math.max(1, withGaps));
            for (int i = 0; i < runs.size(); i++) {
                MetricHistoryRepository.StepSummary s = perRun.get(i);
                if (s == null) {
                    continue;
                }
                long[] range = {s.lo(), s.hi()};
                if (s.contiguous() || s.count() > listedPerRun) {
                    ranges.add(range);
                } else {
                    // a run with more steps than it claimed is sampled as its range too: memory stays bounded
                    gappy.add(history.distinctSteps(db, runs.get(i), key, listedPerRun)
                            .map(listed -> listed == null ? List.of(range) : singleSteps(listed)));
                }
            }
            Uni<StepSampler> steps = gappy.isEmpty()
                    ? Uni.createFrom().item(StepSampler.ofRanges(ranges))
                    : Uni.join().all(gappy).andFailFast().map(lists -> {
                        List<long[]> all = new ArrayList<>(ranges);
                        lists.forEach(all::addAll);
                        return StepSampler.ofRanges(all);
                    });
            return steps.flatMap(all -> {
                if (stop.getAsBoolean()) {
                    return BulkReads.stopped();
                }
                long start = startStep == null ? 0 : startStep;
                long end = endStep == null ? all.last() : endStep;
                TreeSet<Long> chosen = all.sample(start, end, max);
                for (MetricHistoryRepository.StepSummary s : perRun) {
                    if (s != null) {
                        for (long edge : new long[] {s.lo(), s.hi()}) {
                            if (edge >= start && edge <= end) {
                                chosen.add(edge);
                            }
                        }
                    }
                }
                long[] at = chosen.stream().mapToLong(Long::longValue).toArray();
                List<RunPoints> out = new ArrayList<>(runs.size());
                return pointsAt(db, runs, perRun, key, at, 0, stop, out).replaceWith(out);
            });
        });
    }

    /**
     * Each run's points at the chosen steps, run after run: as MLflow, the first 25,000 of a run by
     * step, timestamp and value ({@link #MAX_INTERVAL_POINTS_PER_RUN}), the rest of that run left out.
     * No more is read than the points the read's share of {@code max-answer-memory} still affords plus
     * one ({@link #pointCost}): past it the request is refused before more is read.
     */
    private Uni<Void> pointsAt(
            SqlConnection db,
            List<String> runs,
            List<MetricHistoryRepository.StepSummary> perRun,
            String key,
            long[] at,
            int next,
            BooleanSupplier stop,
            List<RunPoints> out) {
        if (next == runs.size()) {
            return Uni.createFrom().voidItem();
        }
        String run = runs.get(next);
        if (perRun.get(next) == null || at.length == 0) {
            out.add(new RunPoints(run, List.of()));
            return pointsAt(db, runs, perRun, key, at, next + 1, stop, out);
        }
        if (stop.getAsBoolean()) {
            return BulkReads.stopped();
        }
        long cost = pointCost(key, run);
        long spent = 0;
        for (RunPoints answered : out) {
            spent += answered.points().size() * pointCost(key, answered.runId());
        }
        long affordable = (bulkReads.answerShare() - spent) / cost;
        // one more than affordable is asked for: it says the answer would not fit, without reading on
        int limit = (int) Math.min(MAX_INTERVAL_POINTS_PER_RUN, affordable + 1);
        return history.atSteps(db, run, key, at, limit).flatMap(points -> {
            if (points.size() > affordable) {
                return Uni.createFrom()
                        .failure(ApiException.invalidParameter("GetMetricHistoryBulkInterval would answer more"
                                + " points than fit in " + mebibytes(bulkReads.answerShare()) + " for these "
                                + runs.size() + " runs at the " + at.length + " sampled steps; ask for fewer"
                                + " run_ids or a smaller max_results."));
            }
            out.add(new RunPoints(run, points));
            return pointsAt(db, runs, perRun, key, at, next + 1, stop, out);
        });
    }

    public record RunPoints(String runId, List<MetricPoint> points) {}

    private static List<long[]> singleSteps(long[] steps) {
        List<long[]> out = new ArrayList<>(steps.length);
        for (long step : steps) {
            out.add(new long[] {step, step});
        }
        return out;
    }
}
