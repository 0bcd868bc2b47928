package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.getRun;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.newRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What the Java client cannot do, in MLflow's wire format against the running suite. */
@ExtendWith(Suite.class)
class RawHttpIT {

    @Test
    void healthVersionAndUnknownRoutes() {
        assertThat(api().get("/health").asString()).isEqualTo("OK");
        assertThat(api().get("/version").asString()).isEqualTo("3.6.0");
        Response unknown = api().get("/api/2.0/mlflow/no-such-endpoint");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(unknown.asString()).getString("error_code")).isEqualTo("ENDPOINT_NOT_FOUND");
    }

    /** Flask's 405 where a path is served but not with this method, for every kind of endpoint. */
    @Test
    void aServedPathWithAnotherMethodIsMethodNotAllowedAsInFlask() {
        String[][] cases = {
            {"POST", "/get-artifact", "GET, HEAD, OPTIONS"},
            {"PUT", "/model-versions/get-artifact", "GET, HEAD, OPTIONS"},
            {"GET", "/ajax-api/2.0/mlflow/upload-artifact", "OPTIONS, POST"},
            {"POST", "/ajax-api/2.0/mlflow/get-trace-artifact", "GET, HEAD, OPTIONS"},
            {"DELETE", "/ajax-api/2.0/mlflow/gateway-proxy", "GET, HEAD, OPTIONS, POST"},
            {"POST", "/api/2.0/mlflow-artifacts/artifacts/a/b.txt", "DELETE, GET, HEAD, OPTIONS, PUT"},
            {"GET", "/api/2.0/mlflow/experiments/create", "OPTIONS, POST"},
        };
        for (String[] c : cases) {
            Response r = api().request(c[0], c[1]);
            assertThat(r.statusCode())
                    .as(c[0] + " " + c[1] + ": " + r.asString())
                    .isEqualTo(405);
            assertThat(r.header("Allow")).as(c[0] + " " + c[1]).isEqualTo(c[2]);
            assertThat(new JsonObject(r.asString()).getString("error_code")).isEqualTo("ENDPOINT_NOT_FOUND");
        }
        // a path no endpoint has stays 404 (MLflow serves get-artifact only at the top level)
        assertThat(api().post("/api/2.0/mlflow/get-artifact").statusCode()).isEqualTo(404);
    }

    /** A request sent with its path exactly as written (REST Assured rewrites double slashes). */
    private static HttpResponse<String> raw(String method, String pathAndQuery) throws Exception {
        return raw(method, pathAndQuery, HttpRequest.BodyPublishers.noBody());
    }

    private static HttpResponse<String> raw(String method, String pathAndQuery, HttpRequest.BodyPublisher body)
            throws Exception {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .send(
                        HttpRequest.newBuilder(URI.create(Suite.url() + pathAndQuery))
                                .method(method, body)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Flask serves HEAD wherever it serves GET (the GET answer: status and headers, no body) and
     * OPTIONS at every path it serves (200, the methods in Allow), for the REST routes and the
     * artifact downloads alike.
     */
    @Test
    void headAndOptionsAreAnsweredAsFlaskAnswersThem() throws Exception {
        String experiment = "/api/2.0/mlflow/experiments/get?experiment_id=0";
        var get = raw("GET", experiment);
        var head = raw("HEAD", experiment);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(head.headers().firstValue("Content-Length"))
                .hasValue(Integer.toString(get.body().getBytes(StandardCharsets.UTF_8).length));
        var missing = raw("HEAD", "/api/2.0/mlflow/experiments/get?experiment_id=987654321");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).isEmpty();

        // the streamed history
        String run = newRun(newExperiment());
        ok(post(
                "runs/log-metric",
                new JsonObject()
                        .put("run_id", run)
                        .put("key", "m")
                        .put("value", 1.0)
                        .put("timestamp", 1)
                        .put("step", 0)));
        var history = raw("HEAD", "/api/2.0/mlflow/metrics/get-history?run_id=" + run + "&metric_key=m");
        assertThat(history.statusCode()).isEqualTo(200);
        assertThat(history.body()).isEmpty();
        assertThat(history.headers().firstValue("Content-Type")).hasValue("application/json");

        // an artifact: its headers, no byte of it
        String file = "/api/2.0/mlflow-artifacts/artifacts/head-" + UUID.randomUUID() + "/f.txt";
        assertThat(raw("PUT", file, HttpRequest.BodyPublishers.ofString("hello"))
                        .statusCode())
                .isEqualTo(200);
        var artifact = raw("HEAD", file);
        assertThat(artifact.statusCode()).isEqualTo(200);
        assertThat(artifact.body()).isEmpty();
        assertThat(artifact.headers().firstValue("Content-Length")).hasValue("5");
        assertThat(raw("GET", file).body()).isEqualTo("hello");
        assertThat(raw("HEAD", file + ".missing").statusCode()).isEqualTo(404);

        String[][] options = {
            {"/api/2.0/mlflow/experiments/get", "GET, HEAD, OPTIONS"},
            {"/ajax-api/2.0/mlflow/experiments/create", "OPTIONS, POST"},
            {"/api/2.0/mlflow/metrics/get-history", "GET, HEAD, OPTIONS"},
            {"/api/2.0/mlflow-artifacts/artifacts/a/b.txt", "DELETE, GET, HEAD, OPTIONS, PUT"},
            {"/get-artifact", "GET, HEAD, OPTIONS"},
        };
        for (String[] c : options) {
            var r = raw("OPTIONS", c[0]);
            assertThat(r.statusCode()).as("OPTIONS " + c[0] + ": " + r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("Allow")).as("OPTIONS " + c[0]).hasValue(c[1]);
            assertThat(r.body()).isEmpty();
        }
        assertThat(raw("OPTIONS", "/api/2.0/mlflow/no-such-endpoint").statusCode())
                .isEqualTo(404);
    }

    /** werkzeug's merge_slashes: double slashes inside a served path are redirected (308) to it. */
    @Test
    void doubleSlashesInsideAPathAreRedirectedToTheMergedPathAsWerkzeugDoes() throws Exception {
        var r = raw("GET", "/api/2.0//mlflow/experiments/get?experiment_id=0");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(308);
        assertThat(r.headers().firstValue("Location")).hasValue("/api/2.0/mlflow/experiments/get?experiment_id=0");
        var followed = raw("GET", r.headers().firstValue("Location").orElseThrow());
        assertThat(new JsonObject(followed.body()).getJsonObject("experiment").getString("name"))
                .isEqualTo("Default");
        // merged, the path is served with GET only
        assertThat(raw("POST", "/api/2.0//mlflow/experiments/get").statusCode()).isEqualTo(405);
        // werkzeug merges slashes pairwise: three in a row stay two, and match nothing
        assertThat(raw("GET", "/api/2.0///mlflow/experiments/get").statusCode()).isEqualTo(404);
    }

    @Test
    void logInputsAndReadThemBackWithTheRun() {
        String run = newRun(newExperiment());
        ok(post(
                "runs/log-inputs",
                """
                {"run_id": "%s", "datasets": [{
                   "tags": [{"key": "mlflow.data.context", "value": "training"}],
                   "dataset": {"name": "wine", "digest": "7f2e1a", "source_type": "http",
                               "source": "{\\"url\\": \\"https://example.com/wine.csv\\"}",
                               "schema": "{\\"mlflow_colspec\\": []}", "profile": "{\\"num_rows\\": 178}"}}]}
                """
                        .formatted(run)));
        JsonObject input = getRun(run)
                .getJsonObject("inputs")
                .getJsonArray("dataset_inputs")
                .getJsonObject(0);
        assertThat(input.getJsonObject("dataset").getString("name")).isEqualTo("wine");
        assertThat(input.getJsonObject("dataset").getString("profile")).isEqualTo("{\"num_rows\": 178}");
        assertThat(input.getJsonArray("tags").getJsonObject(0).getString("value"))
                .isEqualTo("training");
        JsonObject found = ok(post(
                "runs/search",
                new JsonObject()
                        .put(
                                "experiment_ids",
                                new JsonArray()
                                        .add(getRun(run).getJsonObject("info").getString("experiment_id")))
                        .put("filter", "datasets.name = 'wine' AND datasets.context = 'training'")));
        assertThat(found.getJsonArray("runs")).hasSize(1);
    }

    @Test
    void bulkIntervalHistoryAndPagedHistory() {
        String exp = newExperiment();
        List<String> runs = List.of(newRun(exp), newRun(exp));
        for (String run : runs) {
            JsonArray metrics = new JsonArray();
            for (int s = 0; s < 100; s++) {
                metrics.add(new JsonObject()
                        .put("key", "loss")
                        .put("value", 1.0 / (s + 1))
                        .put("timestamp", 1000 + s)
                        .put("step", s));
            }
            ok(post("runs/log-batch", new JsonObject().put("run_id", run).put("metrics", metrics)));
        }
        JsonObject sampled = ok(api().queryParam("run_ids", runs.get(0))
                .queryParam("run_ids", runs.get(1))
                .queryParam("metric_key", "loss")
                .queryParam("max_results", 5)
                .get("/api/2.0/mlflow/metrics/get-history-bulk-interval"));
        JsonArray points = sampled.getJsonArray("metrics");
        assertThat(points).hasSize(12); // MLflow's choice: 5 evenly by position, and the last
        List<Long> firstRunSteps = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            JsonObject p = points.getJsonObject(i);
            if (p.getString("run_id").equals(runs.get(0))) {
                firstRunSteps.add(p.getLong("step"));
            }
        }
        assertThat(firstRunSteps).containsExactly(0L, 20L, 40L, 60L, 80L, 99L);

        List<Long> paged = new ArrayList<>();
        String token = null;
        do {
            var request = api().queryParam("run_id", runs.get(1))
                    .queryParam("metric_key", "loss")
                    .queryParam("max_results", 30);
            if (token != null) {
                request.queryParam("page_token", token);
            }
            JsonObject page = ok(request.get("/api/2.0/mlflow/metrics/get-history"));
            page.getJsonArray("metrics").forEach(m -> paged.add(((JsonObject) m).getLong("step")));
            token = page.getString("next_page_token");
        } while (token != null);
        assertThat(paged).hasSize(100).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void deleteExperimentTagAndSearchExperimentsOverGet() {
        String exp = newExperiment();
        ok(post(
                "experiments/set-experiment-tag",
                new JsonObject().put("experiment_id", exp).put("key", "k").put("value", "v")));
        ok(post(
                "experiments/delete-experiment-tag",
                new JsonObject().put("experiment_id", exp).put("key", "k")));
        JsonObject got = ok(api().queryParam("experiment_id", exp).get("/api/2.0/mlflow/experiments/get"));
        assertThat(got.getJsonObject("experiment").containsKey("tags")).isFalse();
        Response again = post(
                "experiments/delete-experiment-tag",
                new JsonObject().put("experiment_id", exp).put("key", "k"));
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(again.asString()).getString("error_code")).isEqualTo("RESOURCE_DOES_NOT_EXIST");

        String name = got.getJsonObject("experiment").getString("name");
        JsonObject viaGet = ok(api().queryParam("filter", "name = '" + name + "'")
                .queryParam("max_results", 10)
                .get("/api/2.0/mlflow/experiments/search"));
        assertThat(viaGet.getJsonArray("experiments")).hasSize(1);
        assertThat(viaGet.containsKey("next_page_token")).isFalse();
    }

    @Test
    void ajaxPrefixServesTheSameApi() {
        String exp = newExperiment();
        JsonObject viaAjax = ok(api().queryParam("experiment_id", exp).get("/ajax-api/2.0/mlflow/experiments/get"));
        assertThat(viaAjax.getJsonObject("experiment").getString("experiment_id"))
                .isEqualTo(exp);
    }

    @Test
    void wireFormatMatchesMlflow() {
        String run = newRun(newExperiment());
        ok(post(
                "runs/log-metric",
                "{\"run_id\": \"" + run + "\", \"key\": \"m\", \"value\": \"NaN\", \"timestamp\": \"5\"}"));
        JsonObject info = getRun(run).getJsonObject("info");
        // int64 as JSON numbers, enums by name, run_uuid beside run_id
        assertThat(info.getValue("start_time")).isInstanceOf(Long.class);
        assertThat(info.getString("status")).isEqualTo("RUNNING");
        assertThat(info.getString("run_uuid")).isEqualTo(run);
        JsonObject metric =
                getRun(run).getJsonObject("data").getJsonArray("metrics").getJsonObject(0);
        assertThat(metric.getString("value")).isEqualTo("NaN");
        assertThat(metric.getValue("timestamp")).isEqualTo(5);
        Response missing =
                api().queryParam("run_id", "0123456789abcdef0123456789abcdef").get("/api/2.0/mlflow/runs/get");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(missing.asString()).getMap())
                .containsOnlyKeys("error_code", "message")
                .containsEntry("error_code", "RESOURCE_DOES_NOT_EXIST");
    }

    @Test
    void logModelKeepsMlmodelHistory() {
        String run = newRun(newExperiment());
        String model = new JsonObject()
                .put("artifact_path", "model")
                .put("flavors", new JsonObject().put("python_function", new JsonObject()))
                .put("utc_time_created", "2024-01-01 00:00:00.000000")
                .put("run_id", run)
                .encode();
        ok(post("runs/log-model", new JsonObject().put("run_id", run).put("model_json", model)));
        JsonArray tags = getRun(run).getJsonObject("data").getJsonArray("tags");
        String history = null;
        for (int i = 0; i < tags.size(); i++) {
            if (tags.getJsonObject(i).getString("key").equals("mlflow.log-model.history")) {
                history = tags.getJsonObject(i).getString("value");
            }
        }
        assertThat(new JsonArray(history).getJsonObject(0).getString("artifact_path"))
                .isEqualTo("model");
    }
}
