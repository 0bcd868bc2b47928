package dev.skein.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Skein's public API as the benchmarks call it: MLflow's REST API on the gateway, HTTP/1.1 with keep-alive. */
final class Gateway {

    private final String base;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    Gateway(String base) {
        this.base = base;
    }

    /** A new experiment with {@code n} runs; their ids. */
    List<String> newRuns(String name, int n) throws Exception {
        String experimentId = id(
                "experiment_id", post("experiments/create", "{\"name\":\"" + name + "-" + System.nanoTime() + "\"}"));
        List<String> runIds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            runIds.add(id(
                    "run_id",
                    post(
                            "runs/create",
                            "{\"experiment_id\":\"" + experimentId + "\",\"run_name\":\"run-" + i + "\"}")));
        }
        return runIds;
    }

    /** A new experiment named {@code name}; its id. */
    String createExperiment(String name) throws Exception {
        return id("experiment_id", post("experiments/create", "{\"name\":\"" + name + "\"}"));
    }

    /**
     * A new run as MLflow's Python client creates one in {@code mlflow.start_run(run_name=…)}: the
     * run name, start time and user, and the tags its context providers add; the new run's id.
     */
    String createRun(String experimentId, String runName, long startTime) throws Exception {
        return id(
                "run_id",
                post(
                        "runs/create",
                        "{\"experiment_id\":\"" + experimentId + "\",\"user_id\":\"bench\",\"run_name\":\""
                                + runName + "\",\"start_time\":" + startTime + ",\"tags\":["
                                + "{\"key\":\"mlflow.user\",\"value\":\"bench\"},"
                                + "{\"key\":\"mlflow.source.name\",\"value\":\"train.py\"},"
                                + "{\"key\":\"mlflow.source.type\",\"value\":\"LOCAL\"}]}"));
    }

    /** POSTs to {@code /api/2.0/mlflow/<path>}; anything but 200 fails the benchmark. */
    String post(String path, String json) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(base + "/api/2.0/mlflow/" + path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /** The value of a string field of a JSON answer, such as the id of what it created. */
    static String id(String field, String json) {
        Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + field + " in " + json);
        }
        return m.group(1);
    }
}
