package dev.skein.cli.projects;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import java.util.Map;
import java.util.OptionalDouble;

/** A sweep's tracking calls through the public API; the trials' own go through {@link ApiTracking}. */
public final class ApiSweepTracking implements SweepTracking {

    private static final String API = "/api/2.0/mlflow/";
    private final Api api;
    private final ApiTracking runs;

    public ApiSweepTracking(Api api) {
        this.api = api;
        this.runs = new ApiTracking(api);
    }

    @Override
    public String createRun(String experimentId, String runName, Map<String, String> tags) {
        return runs.createRun(experimentId, runName, tags);
    }

    @Override
    public void logParams(String runId, Map<String, String> params) {
        runs.logParams(runId, params);
    }

    @Override
    public void setTerminated(String runId, RunStatus status) {
        runs.setTerminated(runId, status);
    }

    @Override
    public String experimentId(String name) {
        return runs.experimentId(name);
    }

    @Override
    public String trackingUri() {
        return runs.trackingUri();
    }

    @Override
    public void setTags(String runId, Map<String, String> tags) {
        ObjectNode body = Api.object().put("run_id", runId);
        ArrayNode array = body.putArray("tags");
        tags.forEach((k, v) -> array.addObject().put("key", k).put("value", v));
        api.post(API + "runs/log-batch", body);
    }

    @Override
    public void logMetric(String runId, String key, double value) {
        api.post(
                API + "runs/log-metric",
                Api.object()
                        .put("run_id", runId)
                        .put("key", key)
                        .put("value", value)
                        .put("timestamp", System.currentTimeMillis())
                        .put("step", 0));
    }

    @Override
    public OptionalDouble latestMetric(String runId, String key) {
        JsonNode metrics = api.get(Api.query(API + "runs/get", Api.params("run_id", runId)))
                .path("run")
                .path("data")
                .path("metrics");
        for (JsonNode metric : metrics) {
            if (key.equals(metric.path("key").asText())) {
                JsonNode value = metric.path("value");
                // MLflow writes NaN and the infinities as strings in JSON
                double v = value.isNumber() ? value.asDouble() : parse(value.asText());
                return OptionalDouble.of(v);
            }
        }
        return OptionalDouble.empty();
    }

    private static double parse(String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
