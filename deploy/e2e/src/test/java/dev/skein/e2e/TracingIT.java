package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.error;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static dev.skein.e2e.Http.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * MLflow Tracing against the running suite, in MLflow 2.17's wire format, as {@code mlflow.start_span}
 * and {@code @mlflow.trace} drive it: start a trace, upload its spans ({@code traces.json}) through the
 * artifact proxy at the trace's {@code mlflow.artifactLocation}, end it, read it back, search, tag,
 * delete, and fetch the spans as the UI does ({@code get-trace-artifact}).
 */
@ExtendWith(Suite.class)
class TracingIT {

    private static final String LOCATION = "mlflow.artifactLocation";

    private static JsonObject start(String experimentId, long timestampMs, String name) {
        return ok(post(
                        "traces",
                        new JsonObject()
                                .put("experiment_id", experimentId)
                                .put("timestamp_ms", timestampMs)
                                .put(
                                        "request_metadata",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("key", "mlflow.traceInputs")
                                                        .put("value", "{\"q\": \"hi\"}")))
                                .put(
                                        "tags",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("key", "mlflow.traceName")
                                                        .put("value", name)))))
                .getJsonObject("trace_info");
    }

    private static JsonObject end(String requestId, long timestampMs, String status) {
        return ok(send(
                        "PATCH",
                        "traces/" + requestId,
                        new JsonObject()
                                .put("request_id", requestId)
                                .put("timestamp_ms", timestampMs)
                                .put("status", status)
                                .put(
                                        "tags",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("key", "tag1")
                                                        .put("value", "soccer")))))
                .getJsonObject("trace_info");
    }

    private static Map<String, String> tags(JsonObject traceInfo) {
        return traceInfo.getJsonArray("tags").stream()
                .map(JsonObject.class::cast)
                .collect(Collectors.toMap(t -> t.getString("key"), t -> t.getString("value")));
    }

    private static Response info(String requestId) {
        return api().get("/api/2.0/mlflow/traces/" + requestId + "/info");
    }

    /** The artifact proxy path of a trace's spans, from its mlflow-artifacts: location. */
    private static String spansPath(JsonObject traceInfo) {
        return tags(traceInfo).get(LOCATION).replaceFirst("^mlflow-artifacts:/", "") + "/traces.json";
    }

    private static Response search(Map<String, Object> params, String... experimentIds) {
        var request = api().queryParam("experiment_ids", (Object[]) experimentIds);
        params.forEach(request::queryParam);
        return request.get("/api/2.0/mlflow/traces");
    }

    private static List<String> ids(Response r) {
        JsonArray traces = ok(r).getJsonArray("traces");
        return traces == null
                ? List.of()
                : traces.stream()
                        .map(t -> ((JsonObject) t).getString("request_id"))
                        .toList();
    }

    @Test
    void shouldRecordATraceWithItsSpansAsMlflowsClientDoes() {
        String exp = newExperiment();
        JsonObject started = start(exp, 1_700_000_000_000L, "predict");
        String id = started.getString("request_id");
        assertThat(started.getString("experiment_id")).isEqualTo(exp);
        assertThat(started.getLong("timestamp_ms")).isEqualTo(1_700_000_000_000L);
        assertThat(started.getString("status")).isEqualTo("IN_PROGRESS");
        assertThat(tags(started))
                .containsEntry(LOCATION, "mlflow-artifacts:/" + exp + "/traces/" + id + "/artifacts")
                .containsEntry("mlflow.traceName", "predict");

        String spans =
                "{\"spans\": [{\"name\": \"predict\", \"context\": {\"span_id\": \"0x1\", \"trace_id\": \"0x2\"},"
                        + " \"attributes\": {\"fruit\": \"\\\"apple\\\"\"}}], \"request\": \"{}\", \"response\": \"42\"}";
        Response upload = api().contentType("application/json")
                .body(spans.getBytes(StandardCharsets.UTF_8))
                .put("/api/2.0/mlflow-artifacts/artifacts/" + spansPath(started));
        assertThat(upload.statusCode()).as(upload.asString()).isEqualTo(200);

        JsonObject ended = end(id, 1_700_000_000_250L, "OK");
        assertThat(ended.getLong("execution_time_ms")).isEqualTo(250);
        assertThat(ended.getString("status")).isEqualTo("OK");
        assertThat(tags(ended)).containsEntry("tag1", "soccer").containsKey(LOCATION);
        assertThat(ended.getJsonArray("request_metadata"))
                .containsExactly(
                        new JsonObject().put("key", "mlflow.traceInputs").put("value", "{\"q\": \"hi\"}"));
        assertThat(ok(info(id)).getJsonObject("trace_info")).isEqualTo(ended);

        // MLflow's UI reads the spans through the tracking server
        Response artifact = api().queryParam("request_id", id).get("/ajax-api/2.0/mlflow/get-trace-artifact");
        assertThat(artifact.statusCode()).as(artifact.asString()).isEqualTo(200);
        assertThat(artifact.header("Content-Disposition")).isEqualTo("attachment; filename=traces.json");
        assertThat(new JsonObject(artifact.asString())).isEqualTo(new JsonObject(spans));
        Response head = api().queryParam("request_id", id).head("/ajax-api/2.0/mlflow/get-trace-artifact");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo(artifact.header("Content-Length"));
        assertThat(head.asByteArray()).isEmpty();
        // and the Python client's search downloads them from the artifact proxy
        assertThat(api().get("/api/2.0/mlflow-artifacts/artifacts/" + spansPath(ended))
                        .asString())
                .isEqualTo(spans);
    }

    @Test
    void shouldAnswerMlflowErrorsForMissingTracesAndSpans() {
        Response missing = info("0123456789abcdef0123456789abcdef");
        assertThat(error(missing)).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(new JsonObject(missing.asString()).getString("message"))
                .isEqualTo("Trace with request_id '0123456789abcdef0123456789abcdef' not found.");

        Response noId = api().get("/ajax-api/2.0/mlflow/get-trace-artifact");
        assertThat(error(noId)).isEqualTo("400 BAD_REQUEST");
        assertThat(new JsonObject(noId.asString()).getString("message"))
                .isEqualTo("Request must include the \"request_id\" query parameter.");

        String id = start(newExperiment(), 1, "never-uploaded").getString("request_id");
        Response noSpans = api().queryParam("request_id", id).get("/ajax-api/2.0/mlflow/get-trace-artifact");
        assertThat(error(noSpans)).isEqualTo("404 NOT_FOUND");
        assertThat(new JsonObject(noSpans.asString()).getString("message"))
                .isEqualTo("Trace data not found for path=traces.json");
    }

    @Test
    void shouldSearchWithFilterOrderAndPages() {
        String exp = newExperiment();
        String t1 = start(exp, 1000, "trace1").getString("request_id");
        end(t1, 1010, "OK");
        String t2 = start(exp, 2000, "trace2").getString("request_id");
        end(t2, 2500, "OK");
        String t3 = start(exp, 3000, "trace3").getString("request_id");
        end(t3, 3001, "ERROR");

        assertThat(ids(search(Map.of(), exp))).containsExactly(t3, t2, t1);
        assertThat(ids(search(Map.of("filter", "status = 'OK'", "order_by", "timestamp ASC"), exp)))
                .containsExactly(t1, t2);
        assertThat(ids(search(Map.of("filter", "trace.name = 'trace2'"), exp))).containsExactly(t2);
        assertThat(ids(search(Map.of("filter", "tag.tag1 = 'soccer' AND execution_time_ms >= 10"), exp)))
                .containsExactly(t2, t1);
        assertThat(ids(search(
                        Map.of(
                                "filter",
                                "request_metadata.`mlflow.traceInputs` = '{\"q\": \"hi\"}'",
                                "order_by",
                                "execution_time_ms DESC"),
                        exp)))
                .containsExactly(t2, t1, t3);

        JsonObject first = ok(search(Map.of("max_results", 2), exp));
        assertThat(first.getJsonArray("traces")).hasSize(2);
        Response second = search(Map.of("page_token", first.getString("next_page_token")), exp);
        assertThat(ids(second)).containsExactly(t1);
        assertThat(ok(second).containsKey("next_page_token")).isFalse();

        Response like = search(Map.of("filter", "name LIKE 'trace%'"), exp);
        assertThat(error(like)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        Response tooMany = search(Map.of("max_results", 501), exp);
        assertThat(error(tooMany)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(error(api().get("/api/2.0/mlflow/traces"))).isEqualTo("400 INVALID_PARAMETER_VALUE");
    }

    @Test
    void shouldSetAndDeleteTags() {
        String id = start(newExperiment(), 1000, "tagged").getString("request_id");
        ok(send(
                "PATCH",
                "traces/" + id + "/tags",
                new JsonObject().put("key", "tag1").put("value", "green")));
        assertThat(tags(ok(info(id)).getJsonObject("trace_info"))).containsEntry("tag1", "green");
        ok(send("DELETE", "traces/" + id + "/tags", new JsonObject().put("key", "tag1")));
        assertThat(tags(ok(info(id)).getJsonObject("trace_info"))).doesNotContainKey("tag1");
        Response again = send("DELETE", "traces/" + id + "/tags", new JsonObject().put("key", "tag1"));
        assertThat(error(again)).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(new JsonObject(again.asString()).getString("message"))
                .isEqualTo("No trace tag with key 'tag1' for trace with request_id '" + id + "'");
    }

    @Test
    void shouldDeleteTracesByIdsAndByAgeAndDropThemFromSearch() {
        String exp = newExperiment();
        String a = start(exp, 100, "a").getString("request_id");
        String b = start(exp, 200, "b").getString("request_id");
        String c = start(exp, 300, "c").getString("request_id");
        String d = start(exp, 400, "d").getString("request_id");

        JsonObject byId = ok(post(
                "traces/delete-traces",
                new JsonObject().put("experiment_id", exp).put("request_ids", new JsonArray().add(b))));
        assertThat(byId.getInteger("traces_deleted")).isEqualTo(1);
        assertThat(error(info(b))).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(ids(search(Map.of(), exp))).containsExactly(d, c, a);

        JsonObject oldest = ok(post(
                "traces/delete-traces",
                new JsonObject()
                        .put("experiment_id", exp)
                        .put("max_timestamp_millis", 1_000_000_000_000_000L)
                        .put("max_traces", 1)));
        assertThat(oldest.getInteger("traces_deleted")).isEqualTo(1);
        assertThat(ids(search(Map.of(), exp))).containsExactly(d, c);

        JsonObject all = ok(post(
                "traces/delete-traces",
                new JsonObject().put("experiment_id", exp).put("max_timestamp_millis", 1_000_000_000_000_000L)));
        assertThat(all.getInteger("traces_deleted")).isEqualTo(2);
        assertThat(ids(search(Map.of(), exp))).isEmpty();

        Response neither = post("traces/delete-traces", new JsonObject().put("experiment_id", exp));
        assertThat(error(neither)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(new JsonObject(neither.asString()).getString("message"))
                .isEqualTo("Either `max_timestamp_millis` or `request_ids` must be specified.");
    }
}
