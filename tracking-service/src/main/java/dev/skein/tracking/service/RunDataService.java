package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.validation.Inputs;
import dev.skein.tracking.Dataset;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.MetricPoint;
import dev.skein.tracking.repository.MetricHistoryRepository;
import dev.skein.tracking.repository.RunDataRepository;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Logging to a run (metrics, params, tags, inputs, models) and reading metric histories. */
@ApplicationScoped
public class RunDataService {

    /** History requests with no max_results, or one this large or larger, get the whole history. */
    public static final int WHOLE_HISTORY = 25_000;

    /** Points per streamed chunk of a history (and per query reading it). */
    public static final int HISTORY_CHUNK = 5_000;

    public static final int MAX_BULK_RUNS = 100;
    public static final int MAX_BULK_RESULTS = 2_500;
    public static final int DEFAULT_BULK_RESULTS = 320;

    private final RunDataRepository data;
    private final MetricHistoryRepository history;

    public RunDataService(RunDataRepository data, MetricHistoryRepository history) {
        this.data = data;
        this.history = history;
    }

    /** A metric point as a caller sent it: any part may be missing until validated. */
    public record MetricInput(String key, Double value, Long timestamp, long step) {}

    public Uni<Void> logBatch(
            String runId, List<MetricInput> metricInputs, List<KeyValue> params, List<KeyValue> tags) {
        String id = RunService.requireRunId(runId);
        Validation.batchLimits(metricInputs.size(), params.size(), tags.size());
        List<MetricPoint> metrics = new ArrayList<>(metricInputs.size());
        for (MetricInput m : metricInputs) {
            Validation.metric(m.key(), m.value(), m.timestamp());
            metrics.add(new MetricPoint(m.key(), m.value(), m.timestamp(), m.step()));
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
        return data.logBatch(id, metrics, params, tags);
    }

    public Uni<Void> logMetric(String runId, String key, Double value, Long timestamp, long step) {
        Inputs.required(key, "key");
        if (value == null) {
            throw ApiException.missing("value");
        }
        if (timestamp == null) {
            throw ApiException.missing("timestamp");
        }
        return logBatch(runId, List.of(new MetricInput(key, value, timestamp, step)), List.of(), List.of());
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
        String id = RunService.requireRunId(runId);
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
        return datasets.isEmpty() ? Uni.createFrom().voidItem() : data.logInputs(id, datasets);
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
     * For each run, at most {@code maxResults} points of the metric with steps in [start, end],
     * at steps spread evenly over the range of its logged steps (always keeping the first and last):
     * a few index probes per run, however long its history. MLflow spreads them evenly over the list
     * of logged steps instead, which means reading them all; for runs logged at every step (or every
     * k-th) both choose the same steps.
     */
    public Uni<List<RunPoints>> bulkInterval(
            List<String> runIds, String key, Integer startStep, Integer endStep, Integer maxResults) {
        if (runIds.isEmpty()) {
            throw ApiException.missing("run_ids");
        }
        if (runIds.size() > MAX_BULK_RUNS) {
            throw ApiException.invalidParameter("GetMetricHistoryBulkInterval request must specify at most "
                    + MAX_BULK_RUNS + " run_ids. Received " + runIds.size() + " run_ids.");
        }
        runIds.forEach(Validation::runId);
        Inputs.required(key, "metric_key");
        if ((startStep == null) != (endStep == null)) {
            throw ApiException.invalidParameter(
                    "If either start step or end step are specified, both must be specified.");
        }
        if (startStep != null && startStep > endStep) {
            throw ApiException.invalidParameter("end_step must be greater than start_step. Found start_step="
                    + startStep + " and end_step=" + endStep + ".");
        }
        int max = maxResults == null ? DEFAULT_BULK_RESULTS : maxResults;
        if (max < 1 || max > MAX_BULK_RESULTS) {
            throw ApiException.invalidParameter(
                    "max_results must be between 1 and " + MAX_BULK_RESULTS + ". Got " + max + ".");
        }
        long start = startStep == null ? Long.MIN_VALUE : startStep;
        long end = endStep == null ? Long.MAX_VALUE : endStep;
        List<Uni<RunPoints>> perRun = new ArrayList<>();
        for (String runId : new LinkedHashSet<>(runIds)) {
            perRun.add(history.stepRange(runId, key, start, end)
                    .flatMap(range -> range == null
                            ? Uni.createFrom().item(List.<MetricPoint>of())
                            : history.atOrAfter(runId, key, targets(range[0], range[1], max), range[1]))
                    .map(points -> new RunPoints(runId, points)));
        }
        return Uni.join().all(perRun).andFailFast();
    }

    public record RunPoints(String runId, List<MetricPoint> points) {}

    /**
     * Up to {@code max} target steps spread evenly over [lo, hi], both included: every step when the
     * range holds no more than {@code max}. Each target stands for the first step logged at or after
     * it, so runs logged at every step get exactly these steps.
     */
    static long[] targets(long lo, long hi, int max) {
        if (hi - lo < max) { // no more steps in range than asked for: each one
            long[] all = new long[(int) (hi - lo + 1)];
            for (int i = 0; i < all.length; i++) {
                all[i] = lo + i;
            }
            return all;
        }
        if (max == 1) {
            return new long[] {lo};
        }
        long[] targets = new long[max];
        for (int i = 0; i < max; i++) {
            targets[i] = lo + Math.round((double) i * (hi - lo) / (max - 1));
        }
        return targets;
    }
}
