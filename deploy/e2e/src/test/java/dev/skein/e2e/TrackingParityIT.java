package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.newRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * MLflow 2.17.2's server tests ({@code tests/tracking/test_rest_tracking.py}, tracking part), sent
 * as raw HTTP through the gateway: each test names the MLflow test it follows.
 */
@ExtendWith(Suite.class)
class TrackingParityIT {

    private static final String BULK = "/ajax-api/2.0/mlflow/metrics/get-history-bulk";
    private static final String INTERVAL = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval";
    private static final String DATASETS = "/ajax-api/2.0/mlflow/experiments/search-datasets";
    private static final String GATEWAY_PROXY = "/ajax-api/2.0/mlflow/gateway-proxy";

    /** MLflow's assert_bad_request: 400 and the message contained in the response's text. */
    private static void badRequest(Response r, String message) {
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(400);
        JsonObject error = new JsonObject(r.asString());
        assertThat(error.getString("error_code")).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(r.asString()).contains(message);
    }

    private static Response postJson(String path, String json) {
        return api().contentType(ContentType.JSON).body(json).post(path);
    }

    private static Response get(String path, Map<String, List<?>> params) {
        RequestSpecification spec = api();
        params.forEach((name, values) -> values.forEach(v -> spec.queryParam(name, v)));
        return spec.get(path);
    }

    private static void logMetric(String run, String key, double value, long timestamp, long step) {
        ok(post(
                "runs/log-metric",
                new JsonObject()
                        .put("run_id", run)
                        .put("key", key)
                        .put("value", value)
                        .put("timestamp", timestamp)
                        .put("step", step)));
    }

    private static JsonObject point(String run, String key, double value, long timestamp, long step) {
        return new JsonObject()
                .put("key", key)
                .put("value", value)
                .put("timestamp", timestamp)
                .put("step", step)
                .put("run_id", run);
    }

    /** Metrics as the response says them, each re-encoded so that 10 and 10.0 compare equal. */
    private static List<JsonObject> metrics(Response r) {
        JsonArray array = ok(r).getJsonArray("metrics", new JsonArray());
        List<JsonObject> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonObject m = array.getJsonObject(i);
            out.add(point(
                    m.getString("run_id"),
                    m.getString("key"),
                    m.getDouble("value"),
                    m.getLong("timestamp"),
                    m.getLong("step")));
        }
        return out;
    }

    /** test_create_get_search_experiment (relative location) and test_create_experiment_validation. */
    @Test
    void createExperimentValidationAndRelativeLocation() {
        String exp = ok(post(
                        "experiments/create",
                        "{\"name\": \"parity-" + System.nanoTime() + "\", \"artifact_location\": \"my_location\","
                                + " \"tags\": [{\"key\": \"key1\", \"value\": \"val1\"}]}"))
                .getString("experiment_id");
        JsonObject got = ok(api().queryParam("experiment_id", exp).get("/api/2.0/mlflow/experiments/get"))
                .getJsonObject("experiment");
        // MLflow makes it absolute against its working directory; Skein under its artifact root
        assertThat(got.getString("artifact_location")).isEqualTo("mlflow-artifacts:/my_location");
        String run = newRun(exp);
        assertThat(Http.getRun(run).getJsonObject("info").getString("artifact_uri"))
                .isEqualTo("mlflow-artifacts:/my_location/" + run + "/artifacts");

        badRequest(post("experiments/create", "{\"name\": 123}"), "Invalid value 123 for parameter 'name'");
        badRequest(post("experiments/create", "{}"), "Missing value for required parameter 'name'");
        badRequest(
                post(
                        "experiments/create",
                        "{\"name\": \"experiment name\", \"artifact_location\": 9.0,"
                                + " \"tags\": [{\"key\": \"key\", \"value\": \"value\"}]}"),
                "Invalid value 9.0 for parameter 'artifact_location'");
        badRequest(
                post(
                        "experiments/create",
                        "{\"name\": \"experiment name\", \"artifact_location\": \"my_location\","
                                + " \"tags\": \"5\"}"),
                "Invalid value \\\"5\\\" for parameter 'tags'");
    }

    /** test_log_metric_validation, test_log_param_validation, test_set_tag_validation. */
    @Test
    void logMetricParamAndTagValidation() {
        String run = newRun(newExperiment());
        String r = "\"" + run + "\"";
        badRequest(
                post(
                        "runs/log-metric",
                        "{\"run_id\": 31, \"key\": \"metric\", \"value\": 41, \"timestamp\": 59, \"step\": 26}"),
                "Invalid value 31 for parameter 'run_id' supplied");
        badRequest(
                post(
                        "runs/log-metric",
                        "{\"run_id\": " + r + ", \"key\": 31, \"value\": 41, \"timestamp\": 59, \"step\": 26}"),
                "Invalid value 31 for parameter 'key' supplied");
        badRequest(
                post(
                        "runs/log-metric",
                        "{\"run_id\": " + r
                                + ", \"key\": \"foo\", \"value\": 31, \"timestamp\": 59, \"step\": \"foo\"}"),
                "Invalid value \\\"foo\\\" for parameter 'step' supplied");
        badRequest(
                post(
                        "runs/log-metric",
                        "{\"run_id\": " + r
                                + ", \"key\": \"foo\", \"value\": 31, \"timestamp\": \"foo\", \"step\": 41}"),
                "Invalid value \\\"foo\\\" for parameter 'timestamp' supplied");
        badRequest(
                post(
                        "runs/log-metric",
                        "{\"run_id\": null, \"key\": \"foo\", \"value\": 31, \"timestamp\": 59, \"step\": 41}"),
                "Missing value for required parameter 'run_id'");
        badRequest(
                post("runs/log-metric", "{\"run_id\": " + r + ", \"value\": 31, \"timestamp\": 59, \"step\": 41}"),
                "Missing value for required parameter 'key'");
        badRequest(
                post(
                        "runs/log-metric",
                        "{\"run_id\": " + r + ", \"key\": null, \"value\": 31, \"timestamp\": 59, \"step\": 41}"),
                "Missing value for required parameter 'key'");

        badRequest(
                post("runs/log-parameter", "{\"run_id\": 31, \"key\": \"param\", \"value\": 41}"),
                "Invalid value 31 for parameter 'run_id' supplied");
        badRequest(
                post("runs/log-parameter", "{\"run_id\": " + r + ", \"key\": 31, \"value\": 41}"),
                "Invalid value 31 for parameter 'key' supplied");

        badRequest(
                post("runs/set-tag", "{\"run_id\": 31, \"key\": \"tag\", \"value\": 41}"),
                "Invalid value 31 for parameter 'run_id' supplied");
        badRequest(
                post("runs/set-tag", "{\"run_id\": " + r + ", \"key\": \"param\", \"value\": 41}"),
                "Invalid value 41 for parameter 'value' supplied");
        badRequest(
                post("runs/set-tag", "{\"run_id\": " + r + ", \"value\": \"value\"}"),
                "Missing value for required parameter 'key'");
        ok(post("runs/set-tag", "{\"run_uuid\": " + r + ", \"key\": \"key\", \"value\": \"value\"}"));
    }

    /** test_log_batch_validation and test_search_validation. */
    @Test
    void logBatchAndSearchValidation() {
        String exp = newExperiment();
        String run = newRun(exp);
        for (String parameter : List.of("metrics", "params", "tags")) {
            badRequest(
                    post("runs/log-batch", new JsonObject().put("run_id", run).put(parameter, "foo")),
                    "Invalid value \\\"foo\\\" for parameter '" + parameter + "' supplied");
        }
        badRequest(
                post(
                        "runs/log-batch",
                        "{\"run_id\": \"" + run + "\", \"metrics\": [{\"key\": \"mae\", \"value\": 2.5}]}"),
                "Missing value for required parameter 'metrics[0].timestamp'");
        ok(post(
                "runs/log-batch",
                "{\"run_id\": \"" + run
                        + "\", \"metrics\": [{\"key\": \"mae\", \"value\": 2.5, \"timestamp\": 123456789}]}"));

        Response tooMany = post(
                "runs/search",
                new JsonObject().put("experiment_ids", new JsonArray().add(exp)).put("max_results", 123456789));
        badRequest(tooMany, "Invalid value 123456789 for parameter 'max_results' supplied");
    }

    /** test_delete_tag and test_update_run_name_without_changing_status. */
    @Test
    void deleteTagErrorsAndRenamingAFinishedRun() {
        String run = newRun(newExperiment());
        ok(post(
                "runs/set-tag",
                new JsonObject().put("run_id", run).put("key", "taggity").put("value", "do-dah")));
        ok(post("runs/delete-tag", new JsonObject().put("run_id", run).put("key", "taggity")));
        Response fake = post(
                "runs/delete-tag", new JsonObject().put("run_id", "fake_run_id").put("key", "taggity"));
        assertThat(fake.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(fake.asString()).getString("message")).containsPattern("Run .+ not found");
        Response noTag =
                post("runs/delete-tag", new JsonObject().put("run_id", run).put("key", "fakeTag"));
        assertThat(noTag.statusCode()).isEqualTo(404);
        assertThat(noTag.asString()).contains("No tag with name: fakeTag");

        ok(post("runs/update", new JsonObject().put("run_id", run).put("status", "FINISHED")));
        ok(post("runs/update", new JsonObject().put("run_id", run).put("run_name", "name_abc")));
        JsonObject info = Http.getRun(run).getJsonObject("info");
        assertThat(info.getString("run_name")).isEqualTo("name_abc");
        assertThat(info.getString("status")).isEqualTo("FINISHED");

        ok(post("runs/delete", new JsonObject().put("run_id", run)));
        badRequest(
                post("runs/delete-tag", new JsonObject().put("run_id", run).put("key", "taggity")),
                "The run " + run + " must be in");
    }

    /** test_get_metric_history_bulk_rejects_invalid_requests. */
    @Test
    void historyBulkRejectsInvalidRequests() {
        badRequest(
                get(BULK, Map.of("metric_key", List.of("key"))),
                "GetMetricHistoryBulk request must specify at least one run_id");
        badRequest(
                get(
                        BULK,
                        Map.of(
                                "run_id",
                                IntStream.range(0, 1000)
                                        .mapToObj(i -> "id_" + i)
                                        .toList(),
                                "metric_key",
                                List.of("key"))),
                "GetMetricHistoryBulk request cannot specify more than");
        badRequest(
                get(BULK, Map.of("run_id", List.of("123"))), "GetMetricHistoryBulk request must specify a metric_key");
        badRequest(
                get(BULK, Map.of("run_id", List.of("123"), "metric_key", List.of("k"), "max_results", List.of("x"))),
                "Invalid value");
        // MLflow serves it under /ajax-api only
        assertThat(get(
                                BULK.replace("/ajax-api/", "/api/"),
                                Map.of("run_id", List.of("123"), "metric_key", List.of("k")))
                        .statusCode())
                .isEqualTo(404);
    }

    /**
     * test_get_metric_history_bulk_returns_expected_metrics_in_expected_order and
     * test_get_metric_history_bulk_respects_max_results.
     */
    @Test
    void historyBulkOrderAndMaxResults() {
        String exp = newExperiment();
        String run1 = newRun(exp);
        String run2 = newRun(exp);
        String run3 = newRun(exp);
        double[][] a = {{1, 2, 10.0}, {1, 3, 11.0}, {1, 3, 12.0}, {2, 3, 12.0}};
        double[][] b = {{7, -2, -100.0}, {8, 0, 0.0}, {8, 0, 1.0}, {9, 1, 12.0}};
        for (double[] m : a) {
            logMetric(run1, "metricA", m[2], (long) m[0], (long) m[1]);
            logMetric(run2, "metricA", m[2] + 1, (long) m[0], (long) m[1]);
        }
        for (double[] m : b) {
            logMetric(run1, "metricB", m[2], (long) m[0], (long) m[1]);
            logMetric(run2, "metricB", m[2] + 1, (long) m[0], (long) m[1]);
        }
        List<JsonObject> run1A = new ArrayList<>();
        List<JsonObject> run2A = new ArrayList<>();
        for (double[] m : a) {
            run1A.add(point(run1, "metricA", m[2], (long) m[0], (long) m[1]));
            run2A.add(point(run2, "metricA", m[2] + 1, (long) m[0], (long) m[1]));
        }
        List<JsonObject> run1B = new ArrayList<>();
        List<JsonObject> run2B = new ArrayList<>();
        for (double[] m : b) {
            run1B.add(point(run1, "metricB", m[2], (long) m[0], (long) m[1]));
            run2B.add(point(run2, "metricB", m[2] + 1, (long) m[0], (long) m[1]));
        }
        assertThat(metrics(get(BULK, Map.of("run_id", List.of(run1), "metric_key", List.of("metricA")))))
                .isEqualTo(run1A);
        assertThat(metrics(get(BULK, Map.of("run_id", List.of(run2), "metric_key", List.of("metricB")))))
                .isEqualTo(run2B);
        boolean oneFirst = run1.compareTo(run2) < 0;
        List<JsonObject> bothA = new ArrayList<>(oneFirst ? run1A : run2A);
        bothA.addAll(oneFirst ? run2A : run1A);
        assertThat(metrics(get(BULK, Map.of("run_id", List.of(run1, run2), "metric_key", List.of("metricA")))))
                .isEqualTo(bothA);
        List<JsonObject> bothB = new ArrayList<>(oneFirst ? run1B : run2B);
        bothB.addAll(oneFirst ? run2B : run1B);
        assertThat(metrics(get(BULK, Map.of("run_id", List.of(run1, run2, run3), "metric_key", List.of("metricB")))))
                .isEqualTo(bothB);

        assertThat(metrics(get(
                        BULK,
                        Map.of("run_id", List.of(run1), "metric_key", List.of("metricA"), "max_results", List.of(2)))))
                .isEqualTo(run1A.subList(0, 2));
    }

    /** test_get_metric_history_bulk_interval_rejects_invalid_requests. */
    @Test
    void historyBulkIntervalRejectsInvalidRequests() {
        badRequest(
                get(INTERVAL, Map.of("metric_key", List.of("key"))), "Missing value for required parameter 'run_ids'.");
        badRequest(
                get(
                        INTERVAL,
                        Map.of(
                                "run_ids",
                                IntStream.range(0, 1000)
                                        .mapToObj(i -> "id_" + i)
                                        .toList(),
                                "metric_key",
                                List.of("key"))),
                "GetMetricHistoryBulkInterval request must specify at most 100 run_ids.");
        badRequest(
                get(
                        INTERVAL,
                        Map.of("run_ids", List.of("123"), "metric_key", List.of("key"), "max_results", List.of(0))),
                "max_results must be between 1 and 2500");
        badRequest(
                get(INTERVAL, Map.of("run_ids", List.of("123"), "metric_key", List.of(""))),
                "Missing value for required parameter 'metric_key'");
        badRequest(
                get(INTERVAL, Map.of("run_ids", List.of("123"), "max_results", List.of(5))),
                "Missing value for required parameter 'metric_key'");
        badRequest(
                get(
                        INTERVAL,
                        Map.of(
                                "run_ids",
                                List.of("123"),
                                "metric_key",
                                List.of("key"),
                                "start_step",
                                List.of(1),
                                "end_step",
                                List.of(0),
                                "max_results",
                                List.of(5))),
                "end_step must be greater than start_step. ");
        badRequest(
                get(
                        INTERVAL,
                        Map.of(
                                "run_ids",
                                List.of("123"),
                                "metric_key",
                                List.of("key"),
                                "start_step",
                                List.of(1),
                                "max_results",
                                List.of(5))),
                "If either start step or end step are specified, both must be specified.");
    }

    private static List<JsonObject> pointsAt(String run, int steps, long timestamp, IntPredicate keep) {
        return IntStream.range(0, steps)
                .filter(keep)
                .mapToObj(s -> point(run, "metricA", 10.0, timestamp, s))
                .toList();
    }

    /** test_get_metric_history_bulk_interval_respects_max_results: MLflow's exact steps. */
    @Test
    void historyBulkIntervalChoosesMlflowsSteps() {
        String exp = newExperiment();
        String run1 = newRun(exp);
        for (int s = 0; s < 10; s++) {
            logMetric(run1, "metricA", 10.0, 1, s);
        }
        List<Integer> expected = List.of(0, 2, 4, 6, 8, 9);
        assertThat(metrics(get(
                        INTERVAL,
                        Map.of("run_ids", List.of(run1), "metric_key", List.of("metricA"), "max_results", List.of(5)))))
                .isEqualTo(pointsAt(run1, 10, 1, expected::contains));
        assertThat(metrics(get(
                        INTERVAL,
                        Map.of(
                                "run_ids",
                                List.of(run1),
                                "metric_key",
                                List.of("metricA"),
                                "start_step",
                                List.of(0),
                                "end_step",
                                List.of(4),
                                "max_results",
                                List.of(5)))))
                .isEqualTo(pointsAt(run1, 5, 1, s -> true));

        String run2 = newRun(exp);
        JsonArray batch = new JsonArray(); // run 2 logs its 20 steps in one batch: chosen the same way
        for (int s = 0; s < 20; s++) {
            batch.add(new JsonObject()
                    .put("key", "metricA")
                    .put("value", 10.0)
                    .put("timestamp", 1)
                    .put("step", s));
        }
        ok(post("runs/log-batch", new JsonObject().put("run_id", run2).put("metrics", batch)));
        List<Integer> both = List.of(0, 4, 8, 9, 12, 16, 19);
        List<JsonObject> expectedBoth = new ArrayList<>(pointsAt(run1, 10, 1, both::contains));
        expectedBoth.addAll(pointsAt(run2, 20, 1, both::contains));
        assertThat(metrics(get(
                        INTERVAL,
                        Map.of(
                                "run_ids",
                                List.of(run1, run2),
                                "metric_key",
                                List.of("metricA"),
                                "max_results",
                                List.of(5)))))
                .isEqualTo(expectedBoth);

        for (int s = 0; s < 10; s++) { // the same steps again, at timestamp 2: both points of each step
            logMetric(run1, "metricA", 10.0, 2, s);
        }
        List<JsonObject> twice = new ArrayList<>();
        for (int s : expected) {
            twice.add(point(run1, "metricA", 10.0, 1, s));
            twice.add(point(run1, "metricA", 10.0, 2, s));
        }
        assertThat(metrics(get(
                        INTERVAL,
                        Map.of("run_ids", List.of(run1), "metric_key", List.of("metricA"), "max_results", List.of(5)))))
                .isEqualTo(twice);
    }

    /** test_search_dataset_handler_rejects_invalid_requests and _returns_expected_results. */
    @Test
    void searchDatasets() {
        badRequest(postJson(DATASETS, "{}"), "SearchDatasets request must specify at least one experiment_id.");
        badRequest(
                postJson(DATASETS, "{\"experiment_ids\": []}"),
                "SearchDatasets request must specify at least one experiment_id.");
        JsonArray many = new JsonArray();
        IntStream.range(0, 1000).forEach(i -> many.add("id_" + i));
        badRequest(
                postJson(DATASETS, new JsonObject().put("experiment_ids", many).encode()),
                "SearchDatasets request cannot specify more than");

        String exp = newExperiment();
        String run = newRun(exp);
        ok(post(
                "runs/log-inputs",
                """
                {"run_id": "%s", "datasets": [{"tags": [{"key": "mlflow.data.context", "value": "training"}],
                  "dataset": {"name": "name1", "digest": "digest1", "source_type": "source_type1", "source": "source1"}}]}
                """
                        .formatted(run)));
        JsonObject found = ok(postJson(
                DATASETS,
                new JsonObject().put("experiment_ids", new JsonArray().add(exp)).encode()));
        assertThat(found.getJsonArray("dataset_summaries"))
                .isEqualTo(new JsonArray()
                        .add(new JsonObject()
                                .put("experiment_id", exp)
                                .put("name", "name1")
                                .put("digest", "digest1")
                                .put("context", "training")));
        assertThat(api().contentType(ContentType.JSON)
                        .body("{}")
                        .post(DATASETS.replace("/ajax-api/", "/api/"))
                        .statusCode())
                .isEqualTo(404);
    }

    /** test_log_inputs_validation: run_id is checked before datasets. */
    @Test
    void logInputsValidation() {
        String run = newRun(newExperiment());
        badRequest(
                post(
                        "runs/log-inputs",
                        """
                        {"datasets": [{"tags": [{"key": "tag1", "value": "value1"}],
                          "dataset": {"name": "name1", "digest": "digest1", "source_type": "source_type1", "source": "source1"}}]}
                        """),
                "Missing value for required parameter 'run_id'");
        badRequest(
                post("runs/log-inputs", new JsonObject().put("run_id", run)),
                "Missing value for required parameter 'datasets'");
    }

    /** test_gateway_proxy_handler_rejects_invalid_requests, and MLflow's answer without a deployments server. */
    @Test
    void gatewayProxyReachesTheLlmGateway() {
        JsonObject listing =
                ok(api().queryParam("gateway_path", "api/2.0/endpoints/").get(GATEWAY_PROXY));
        assertThat(listing.getJsonArray("endpoints").stream()
                        .map(e -> ((JsonObject) e).getString("name"))
                        .toList())
                .contains("chat", "embeddings");
        badRequest(postJson(GATEWAY_PROXY, "{}"), "Deployments proxy request must specify a gateway_path.");
        badRequest(api().get(GATEWAY_PROXY), "Deployments proxy request must specify a gateway_path.");
        // a body the chat endpoint refuses: llm-gateway-service's 422, worded as MLflow's proxy words it
        Response invocation =
                postJson(GATEWAY_PROXY, "{\"gateway_path\": \"gateway/chat/invocations\", \"json_data\": {}}");
        assertThat(invocation.statusCode()).isEqualTo(422);
        JsonObject error = new JsonObject(invocation.asString());
        assertThat(error.getString("error_code")).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(error.getString("message"))
                .startsWith("Deployments proxy request failed with error code 422. Error message: ")
                .contains("messages");
        Response unknown = postJson(GATEWAY_PROXY, "{\"gateway_path\": \"api/2.0/mlflow/runs/search\"}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(unknown.asString()).getString("error_code")).isEqualTo("RESOURCE_DOES_NOT_EXIST");
    }

    /** The new routes answer nonsense with 4xx, never a 500 (as BadInputIT asks of every route). */
    @Test
    void newRoutesNeverAnswerA500() {
        List<String> bodies = List.of(
                "",
                "{}",
                "[]",
                "null",
                "42",
                "{\"a\":",
                "{\"experiment_ids\": {}}",
                "{\"experiment_ids\": [1, null]}",
                "{\"gateway_path\": 5}",
                "{\"gateway_path\": \"\\u0000\"}");
        List<String> failures = new ArrayList<>();
        for (String path : List.of(DATASETS, GATEWAY_PROXY)) {
            for (String body : bodies) {
                Response r = postJson(path, body);
                if (r.statusCode() >= 500) {
                    failures.add(path + " " + body + " -> " + r.statusCode() + " " + r.asString());
                }
            }
        }
        List<Map<String, List<?>>> queries = List.of(
                Map.of(),
                Map.of("run_id", List.of("!!"), "metric_key", List.of("\u0000")),
                Map.of("run_id", List.of("a"), "metric_key", List.of("k"), "max_results", List.of("-1")),
                Map.of("run_id", List.of("a"), "metric_key", List.of("k"), "max_results", List.of("99999999999")),
                Map.of(
                        "run_ids",
                        List.of("a"),
                        "metric_key",
                        List.of("k"),
                        "start_step",
                        List.of("-5"),
                        "end_step",
                        List.of("-1")),
                Map.of("gateway_path", List.of("../../etc")));
        for (String path : List.of(BULK, INTERVAL, GATEWAY_PROXY)) {
            for (Map<String, List<?>> query : queries) {
                Response r = get(path, query);
                if (r.statusCode() >= 500) {
                    failures.add(path + " " + query + " -> " + r.statusCode() + " " + r.asString());
                }
            }
        }
        assertThat(failures).isEmpty();
    }
}
