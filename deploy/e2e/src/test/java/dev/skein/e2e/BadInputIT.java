package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.getRun;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.newRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Bad input is answered with 400 and MLflow's error body, and writes nothing; no request gets a 500. */
@ExtendWith(Suite.class)
class BadInputIT {

    private static void refused(Response r, String messagePart) {
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(400);
        JsonObject body = new JsonObject(r.asString());
        assertThat(body.getMap()).containsOnlyKeys("error_code", "message");
        assertThat(body.getString("error_code")).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(body.getString("message")).contains(messagePart);
    }

    private static void assertRunUntouched(String run) {
        JsonObject data = getRun(run).getJsonObject("data");
        assertThat(data.containsKey("metrics")).as("metrics written: %s", data).isFalse();
        assertThat(data.containsKey("params")).as("params written: %s", data).isFalse();
        assertThat(data.getJsonArray("tags")).as("tags written").hasSize(1); // only mlflow.runName
    }

    @Test
    void malformedJsonWrongTypesAndMissingFields() {
        String run = newRun(newExperiment());
        refused(
                post("runs/log-batch", "{\"run_id\": \"" + run + "\", \"metrics\": [{\"key\": \"m\","),
                "not valid JSON");
        refused(post("runs/log-batch", "[\"" + run + "\"]"), "JSON object");
        refused(
                post(
                        "runs/log-metric",
                        new JsonObject()
                                .put("run_id", run)
                                .put("key", "m")
                                .put("value", "high")
                                .put("timestamp", 1)),
                "'value'");
        refused(
                post(
                        "runs/log-metric",
                        new JsonObject()
                                .put("run_id", run)
                                .put("key", 7)
                                .put("value", 1)
                                .put("timestamp", 1)),
                "'key'");
        refused(
                post(
                        "runs/log-batch",
                        new JsonObject().put("run_id", run).put("params", new JsonObject().put("key", "p"))),
                "'params'");
        refused(
                post(
                        "runs/log-metric",
                        new JsonObject().put("run_id", run).put("value", 1).put("timestamp", 1)),
                "Missing value for required parameter 'key'");
        refused(
                post(
                        "runs/log-metric",
                        new JsonObject().put("run_id", run).put("key", "m").put("value", 1)),
                "Missing value for required parameter 'timestamp'");
        refused(
                post("runs/log-parameter", new JsonObject().put("run_id", run).put("key", "p")),
                "Missing value for required parameter 'value'");
        refused(post("experiments/create", "{}"), "Missing value for required parameter 'name'");
        refused(api().queryParam("experiment_id", "").get("/api/2.0/mlflow/experiments/get"), "experiment_id");
        refused(
                api().contentType(ContentType.TEXT).body("{}").post("/api/2.0/mlflow/experiments/create"),
                "Content-Type");
        // PostgreSQL text cannot hold NUL: refused as the caller's error
        refused(
                post("runs/set-tag", "{\"run_id\": \"" + run + "\", \"key\": \"t\", \"value\": \"a\\u0000b\"}"),
                "Invalid value");
        assertRunUntouched(run);
    }

    /** What PostgreSQL's own error text looks like: none of it may reach a client. */
    private static final List<String> PG_TEXT =
            List.of("ERROR:", "SQLSTATE", "violates", "invalid byte sequence", "0x00", "constraint", "relation \"");

    private static void refusedInOurWords(Response r) {
        refused(r, "");
        for (String text : PG_TEXT) {
            assertThat(r.asString()).as(r.asString()).doesNotContainIgnoringCase(text);
        }
    }

    @Test
    void databaseRefusalsAreAnsweredInOurWordsNotPostgres() {
        String experiment = newExperiment();
        String run = newRun(experiment);
        String model = "nul-" + java.util.UUID.randomUUID();
        ok(post("registered-models/create", new JsonObject().put("name", model)));
        // NUL in text reaches PostgreSQL, which refuses it: a 400 in our words, not its message nor a 500
        Response nulTag =
                post("runs/set-tag", "{\"run_id\": \"" + run + "\", \"key\": \"t\", \"value\": \"a\\u0000b\"}");
        refusedInOurWords(nulTag);
        assertThat(new JsonObject(nulTag.asString()).getString("message")).contains("NUL");
        refusedInOurWords(
                post("runs/log-parameter", "{\"run_id\": \"" + run + "\", \"key\": \"p\", \"value\": \"x\\u0000\"}"));
        refusedInOurWords(post(
                "experiments/set-experiment-tag",
                "{\"experiment_id\": \"" + experiment + "\", \"key\": \"t\", \"value\": \"\\u0000\"}"));
        refusedInOurWords(post(
                "registered-models/set-tag", "{\"name\": \"" + model + "\", \"key\": \"t\", \"value\": \"a\\u0000\"}"));
        assertRunUntouched(run);
        // bytes that are not UTF-8 are never PostgreSQL's to describe either
        byte[] body = ("{\"run_id\": \"" + run + "\", \"key\": \"u\", \"value\": \"a\u00ff\"}")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Response invalidUtf8 = api().contentType("application/json").body(body).post("/api/2.0/mlflow/runs/set-tag");
        assertThat(invalidUtf8.statusCode()).as(invalidUtf8.asString()).isLessThan(500);
        for (String text : PG_TEXT) {
            assertThat(invalidUtf8.asString()).doesNotContainIgnoringCase(text);
        }
    }

    @Test
    void batchLimitsKeysAndLengths() {
        String run = newRun(newExperiment());
        JsonArray metrics = new JsonArray();
        for (int i = 0; i < 1001; i++) {
            metrics.add(new JsonObject().put("key", "m" + i).put("value", i).put("timestamp", 1));
        }
        refused(
                post("runs/log-batch", new JsonObject().put("run_id", run).put("metrics", metrics)),
                "at most 1000 metrics");
        refused(
                post(
                        "runs/log-metric",
                        new JsonObject()
                                .put("run_id", run)
                                .put("key", "../escape")
                                .put("value", 1)
                                .put("timestamp", 1)),
                "Invalid metric name");
        refused(
                post(
                        "runs/log-parameter",
                        new JsonObject().put("run_id", run).put("key", "/abs").put("value", "v")),
                "Invalid param name");
        refused(
                post(
                        "runs/set-tag",
                        new JsonObject().put("run_id", run).put("key", "a/../b").put("value", "v")),
                "Invalid tag name");
        refused(
                post(
                        "runs/log-parameter",
                        new JsonObject().put("run_id", run).put("key", "p").put("value", "x".repeat(6001))),
                "exceeded length limit of 6000");
        refused(
                post(
                        "runs/set-tag",
                        new JsonObject().put("run_id", run).put("key", "t").put("value", "x".repeat(5001))),
                "exceeded length limit of 5000");
        refused(
                post(
                        "runs/set-tag",
                        new JsonObject()
                                .put("run_id", run)
                                .put("key", "k".repeat(251))
                                .put("value", "v")),
                "exceeded length limit of 250");
        // 5 MB: refused from its declared size, before it is read
        String big = "{\"run_id\": \"" + run + "\", \"tags\": [{\"key\": \"t\", \"value\": \"" + "x".repeat(5_000_000)
                + "\"}]}";
        refused(post("runs/log-batch", big), "at most 1000000 bytes");
        refused(
                post(
                        "runs/set-tag",
                        "{\"run_id\": \"" + run + "\", \"key\": \"t\", \"value\": \"" + "x".repeat(5_000_000) + "\"}"),
                "exceeded length limit of 5000");
        assertRunUntouched(run);
    }

    @Test
    void invalidFiltersAndQuotesInsideStrings() {
        String exp = newExperiment();
        String run = newRun(exp);
        ok(post(
                "runs/log-parameter",
                new JsonObject().put("run_id", run).put("key", "note").put("value", "it's")));
        JsonArray ids = new JsonArray().add(exp);
        refused(
                post("runs/search", new JsonObject().put("experiment_ids", ids).put("filter", "metrics.m > 'x'")),
                "numeric");
        refused(
                post(
                        "runs/search",
                        new JsonObject().put("experiment_ids", ids).put("filter", "params.note = 'a' OR 1 = 1")),
                "AND");
        refused(
                post("runs/search", new JsonObject().put("experiment_ids", ids).put("filter", "params.note = 'it's'")),
                "Invalid filter");
        refused(
                post(
                        "runs/search",
                        new JsonObject()
                                .put("experiment_ids", ids)
                                .put("filter", "params.note = 'x'; DROP TABLE runs")),
                "Invalid filter");
        refused(
                post(
                        "runs/search",
                        new JsonObject()
                                .put("experiment_ids", ids)
                                .put("order_by", new JsonArray().add("metrics.m UP"))),
                "Invalid order_by");
        refused(post("experiments/search", new JsonObject().put("filter", "name = ")), "Invalid filter");
        JsonObject backslash = ok(post(
                "runs/search", new JsonObject().put("experiment_ids", ids).put("filter", "params.note LIKE 'it\\'")));
        assertThat(backslash.containsKey("runs")).isFalse();
        JsonObject quoted = ok(post(
                "runs/search", new JsonObject().put("experiment_ids", ids).put("filter", "params.note = \"it's\"")));
        assertThat(quoted.getJsonArray("runs")).hasSize(1);
        JsonObject escaped = ok(post(
                "runs/search", new JsonObject().put("experiment_ids", ids).put("filter", "params.note = 'it''s'")));
        assertThat(escaped.getJsonArray("runs")).hasSize(1);
        JsonObject injection = ok(post(
                "runs/search",
                new JsonObject().put("experiment_ids", ids).put("filter", "params.note = 'x'' OR ''a''=''a'")));
        assertThat(injection.containsKey("runs")).isFalse();
    }

    /**
     * A 404, a 405 and a 308 do not need the request body: the gateway answers at once, announces the
     * close, reads and drops at most skein.gateway.max-discarded-body-size (64 MiB) of a body still
     * arriving, and closes the connection; it never reads a body of any size to its end.
     */
    @Test
    void routingAnswersCloseTheConnectionInsteadOfReadingAnEndlessBody() throws Exception {
        String[][] cases = {
            {"/api/2.0/mlflow/no-such-endpoint", "404"},
            {"/api/2.0/mlflow/experiments/get", "405"},
            {"/api/2.0//mlflow/experiments/create", "308"},
        };
        long declared = 1L << 30;
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (String[] c : cases) {
                try (Socket s = new Socket("127.0.0.1", Suite.GATEWAY_PORT)) {
                    OutputStream out = s.getOutputStream();
                    out.write(("POST " + c[0] + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: " + declared + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    Future<String> answer = threads.submit(() -> {
                        ByteArrayOutputStream got = new ByteArrayOutputStream();
                        byte[] buf = new byte[8192];
                        try {
                            for (int n; (n = s.getInputStream().read(buf)) >= 0; ) {
                                got.write(buf, 0, n);
                            }
                        } catch (IOException reset) {
                            // closed with unread request bytes: a reset may follow the answer
                        }
                        return got.toString(StandardCharsets.UTF_8);
                    });
                    Future<Long> sent = threads.submit(() -> {
                        byte[] chunk = new byte[64 * 1024];
                        Arrays.fill(chunk, (byte) ' ');
                        long n = 0;
                        try {
                            while (n < declared) {
                                out.write(chunk);
                                n += chunk.length;
                            }
                        } catch (IOException closed) {
                            // the gateway closed the connection: what it read is bounded
                        }
                        return n;
                    });
                    // generous: a gateway that read the whole GiB, or stopped reading without closing,
                    // fails here (the second never returns)
                    long written = sent.get(5, TimeUnit.MINUTES);
                    assertThat(written)
                            .as("bytes of the body sent before the gateway closed (%s)", c[0])
                            .isLessThan(declared / 4);
                    assertThat(answer.get(1, TimeUnit.MINUTES))
                            .as(c[0])
                            .startsWith("HTTP/1.1 " + c[1])
                            .containsIgnoringCase("connection: close");
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /** Every endpoint, fed every shape of nonsense: never a 500. */
    @Test
    void noRequestOfAnyShapeGetsA500() {
        String run = newRun(newExperiment());
        List<String> bodies = List.of(
                "",
                "{}",
                "[]",
                "null",
                "\"x\"",
                "42",
                "{\"a\":",
                "{\"run_id\": {}}",
                "{\"run_id\": \"" + run + "\"}",
                "{\"run_id\": \"" + run + "\", \"metrics\": [{}], \"params\": [{}], \"tags\": [{}]}",
                "{\"experiment_id\": [1], \"name\": {}, \"key\": null, \"value\": true, \"max_results\": -1}",
                "{\"experiment_ids\": [\"x\", \"1\"], \"filter\": \"\\u0000\", \"page_token\": \"!!\", \"max_results\": 99999999}",
                "{\"run_id\": \"" + run + "\", \"model_json\": \"{}\", \"datasets\": [{\"dataset\": {}}]}",
                "{\"run_ids\": [], \"metric_key\": \"\", \"start_step\": 5, \"end_step\": 1}",
                "{\"name\": \"x\", \"version\": \"99999999999\", \"stage\": \"\", \"alias\": \"\", \"source\": \"runs:/\"}",
                "{\"name\": \"\u0000\", \"new_name\": \"\", \"stages\": [\"x\"], \"url\": \"http://[::1\", \"events\": [{}]}",
                "{\"name\": \"x\", \"source\": \"models:/x@\", \"run_id\": \"!\", \"tags\": [{\"key\": null}]}");
        List<String> paths = List.of(
                "experiments/create",
                "experiments/search",
                "experiments/get",
                "experiments/get-by-name",
                "experiments/delete",
                "experiments/restore",
                "experiments/update",
                "experiments/set-experiment-tag",
                "experiments/delete-experiment-tag",
                "runs/create",
                "runs/update",
                "runs/delete",
                "runs/restore",
                "runs/get",
                "runs/search",
                "runs/log-metric",
                "runs/log-parameter",
                "runs/set-tag",
                "runs/delete-tag",
                "runs/log-batch",
                "runs/log-model",
                "runs/log-inputs",
                "metrics/get-history",
                "metrics/get-history-bulk-interval");
        List<String> failures = new ArrayList<>();
        List<String[]> registry = List.of(
                new String[] {"POST", "registered-models/create"},
                new String[] {"POST", "registered-models/rename"},
                new String[] {"PATCH", "registered-models/update"},
                new String[] {"DELETE", "registered-models/delete"},
                new String[] {"GET", "registered-models/get"},
                new String[] {"GET", "registered-models/search"},
                new String[] {"POST", "registered-models/get-latest-versions"},
                new String[] {"POST", "registered-models/set-tag"},
                new String[] {"DELETE", "registered-models/delete-tag"},
                new String[] {"POST", "registered-models/alias"},
                new String[] {"DELETE", "registered-models/alias"},
                new String[] {"GET", "registered-models/alias"},
                new String[] {"POST", "model-versions/create"},
                new String[] {"PATCH", "model-versions/update"},
                new String[] {"POST", "model-versions/transition-stage"},
                new String[] {"DELETE", "model-versions/delete"},
                new String[] {"GET", "model-versions/get"},
                new String[] {"GET", "model-versions/search"},
                new String[] {"GET", "model-versions/get-download-uri"},
                new String[] {"POST", "model-versions/set-tag"},
                new String[] {"DELETE", "model-versions/delete-tag"},
                new String[] {"POST", "webhooks"},
                new String[] {"GET", "webhooks"},
                new String[] {"GET", "webhooks/nope"},
                new String[] {"PATCH", "webhooks/nope"},
                new String[] {"DELETE", "webhooks/nope"},
                new String[] {"POST", "webhooks/nope/test"});
        for (String[] route : registry) {
            for (String body : bodies) {
                Response r = api().contentType(ContentType.JSON)
                        .header("Authorization", "Bearer " + Suite.ADMIN_TOKEN) // webhooks need it
                        .body(body)
                        .request(route[0], "/api/2.0/mlflow/" + route[1]);
                if (r.statusCode() >= 500) {
                    failures.add(route[0] + " " + route[1] + " " + body + " -> " + r.statusCode() + " " + r.asString());
                }
            }
        }
        List<String[]> artifacts = List.of(
                new String[] {"POST", "/api/2.0/mlflow-artifacts/mpu/create/a/b"},
                new String[] {"POST", "/api/2.0/mlflow-artifacts/mpu/complete/a/b"},
                new String[] {"POST", "/api/2.0/mlflow-artifacts/mpu/abort/a/b"},
                new String[] {"DELETE", "/api/2.0/mlflow-artifacts/artifacts/a/b"},
                new String[] {"POST", "/api/2.0/mlflow/artifacts/presigned-upload-url"},
                new String[] {"POST", "/api/2.0/mlflow/artifacts/presigned-download-url"},
                new String[] {"POST", "/api/2.0/skein/admin/runs/purge"});
        // the endpoints of MLflow 2.17 parity (issue 10): history in bulk, dataset search, the UI's
        // upload, tracing, the gateway proxy and GraphQL
        String trace = "0123456789abcdef0123456789abcdef";
        List<String[]> parity = List.of(
                new String[] {"GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk"},
                new String[] {
                    "GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk?run_id=" + run + "&metric_key=m&max_results=x"
                },
                new String[] {
                    "GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk?run_id=%00&metric_key=%00&max_results=-1"
                },
                new String[] {"POST", "/ajax-api/2.0/mlflow/experiments/search-datasets"},
                new String[] {"POST", "/ajax-api/2.0/mlflow/upload-artifact"},
                new String[] {"POST", "/ajax-api/2.0/mlflow/upload-artifact?run_uuid=" + run + "&path=a.txt"},
                new String[] {"POST", "/ajax-api/2.0/mlflow/upload-artifact?run_uuid=%00&path=..%2fa"},
                new String[] {"POST", "/api/2.0/mlflow/traces"},
                new String[] {"PATCH", "/api/2.0/mlflow/traces/" + trace},
                new String[] {"GET", "/api/2.0/mlflow/traces/" + trace + "/info"},
                new String[] {"GET", "/api/2.0/mlflow/traces?experiment_ids=x&max_results=-1&page_token=!!"},
                new String[] {"POST", "/api/2.0/mlflow/traces/delete-traces"},
                new String[] {"PATCH", "/api/2.0/mlflow/traces/" + trace + "/tags"},
                new String[] {"DELETE", "/api/2.0/mlflow/traces/" + trace + "/tags"},
                new String[] {"GET", "/ajax-api/2.0/mlflow/get-trace-artifact"},
                new String[] {"GET", "/ajax-api/2.0/mlflow/get-trace-artifact?request_id=" + trace},
                new String[] {"GET", "/ajax-api/2.0/mlflow/gateway-proxy?gateway_path=%00"},
                new String[] {"POST", "/ajax-api/2.0/mlflow/gateway-proxy"},
                new String[] {"POST", "/graphql"},
                new String[] {"GET", "/graphql?query=%7B&variables=%5B"});
        List<String[]> raw = new ArrayList<>(artifacts);
        raw.addAll(parity);
        for (String[] route : raw) {
            for (String body : bodies) {
                Response r = api().urlEncodingEnabled(false)
                        .contentType(ContentType.JSON)
                        .header("Authorization", "Bearer " + Suite.ADMIN_TOKEN)
                        .body(body)
                        .request(route[0], route[1]);
                if (r.statusCode() >= 500) {
                    failures.add(route[0] + " " + route[1] + " " + body + " -> " + r.statusCode() + " " + r.asString());
                }
            }
        }
        for (String query : List.of(
                "/api/2.0/mlflow/artifacts/list?run_id=" + run + "&page_token=!!",
                "/api/2.0/mlflow/artifacts/list?run_id=" + run + "&max_results=-1",
                "/api/2.0/mlflow/artifacts/list?run_id=nope",
                "/api/2.0/mlflow/artifacts/list",
                "/api/2.0/mlflow-artifacts/artifacts?path=%00",
                "/api/2.0/mlflow-artifacts/artifacts?max_results=abc",
                "/api/2.0/mlflow-artifacts/artifacts/nope/nothing.bin",
                "/get-artifact",
                "/get-artifact?run_id=" + run,
                "/get-artifact?run_id=x&path=a",
                "/model-versions/get-artifact?name=x",
                "/model-versions/get-artifact?name=nope&version=abc&path=a")) {
            Response r = api().urlEncodingEnabled(false).get(query);
            if (r.statusCode() >= 500) {
                failures.add("GET " + query + " -> " + r.statusCode() + " " + r.asString());
            }
        }
        for (String query : List.of(
                "?model=x&since=abc",
                "?page_token=!!",
                "?max_results=0",
                "?model=%00",
                "?type=bogus",
                "?actor=",
                "?until=abc",
                "?since=2&until=1")) {
            Response r = api().urlEncodingEnabled(false).get("/api/2.0/skein/audit/events" + query);
            if (r.statusCode() >= 500) {
                failures.add("GET audit" + query + " -> " + r.statusCode() + " " + r.asString());
            }
        }
        for (String path : paths) {
            for (String body : bodies) {
                Response post = api().contentType(ContentType.JSON).body(body).post("/api/2.0/mlflow/" + path);
                if (post.statusCode() >= 500) {
                    failures.add("POST " + path + " " + body + " -> " + post.statusCode() + " " + post.asString());
                }
            }
            for (String query : List.of(
                    "",
                    "?run_id=",
                    "?experiment_id=abc&max_results=x",
                    "?run_ids=a&run_ids=%00",
                    "?metric_key=m&run_id=" + run + "&page_token=zz",
                    "?experiment_name=%27")) {
                Response get = api().urlEncodingEnabled(false).get("/api/2.0/mlflow/" + path + query);
                if (get.statusCode() >= 500) {
                    failures.add("GET " + path + query + " -> " + get.statusCode() + " " + get.asString());
                }
            }
        }
        assertThat(failures).isEmpty();
    }
}
