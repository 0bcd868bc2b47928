package dev.skein.cli.projects;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The tracking calls of a project run through the public API. */
public final class ApiTracking implements Tracking {

    private static final String API = "/api/2.0/mlflow/";
    private final Api api;

    public ApiTracking(Api api) {
        this.api = api;
    }

    @Override
    public String createRun(String experimentId, String runName, Map<String, String> tags) {
        ObjectNode body = Api.object().put("experiment_id", experimentId).put("start_time", System.currentTimeMillis());
        if (runName != null) {
            body.put("run_name", runName);
        }
        ArrayNode array = body.putArray("tags");
        tags.forEach((k, v) -> array.addObject().put("key", k).put("value", v));
        return api.post(API + "runs/create", body)
                .path("run")
                .path("info")
                .path("run_id")
                .asText();
    }

    @Override
    public void logParams(String runId, Map<String, String> params) {
        List<Map.Entry<String, String>> all = new ArrayList<>(params.entrySet());
        // log-batch takes at most 100 params a call
        for (int i = 0; i < all.size(); i += 100) {
            ObjectNode body = Api.object().put("run_id", runId);
            ArrayNode array = body.putArray("params");
            all.subList(i, Math.min(all.size(), i + 100))
                    .forEach(e -> array.addObject().put("key", e.getKey()).put("value", e.getValue()));
            api.post(API + "runs/log-batch", body);
        }
    }

    @Override
    public void setTerminated(String runId, RunStatus status) {
        api.post(
                API + "runs/update",
                Api.object()
                        .put("run_id", runId)
                        .put("status", status.name())
                        .put("end_time", System.currentTimeMillis()));
    }

    @Override
    public String experimentId(String name) {
        try {
            return api.get(Api.query(API + "experiments/get-by-name", Api.params("experiment_name", name)))
                    .path("experiment")
                    .path("experiment_id")
                    .asText();
        } catch (ApiException e) {
            if (!e.notFound()) {
                throw e;
            }
            return api.post(API + "experiments/create", Api.object().put("name", name))
                    .path("experiment_id")
                    .asText();
        }
    }

    @Override
    public String trackingUri() {
        return api.settings().trackingUri().toString();
    }
}
