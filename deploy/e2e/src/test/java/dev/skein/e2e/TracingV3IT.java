package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * MLflow 3 tracing against the running suite, in MLflow 3's wire format, in the order an MLflow 3.6
 * client logs a trace: its spans over OTLP ({@code POST /v1/traces}, protobuf, header {@code
 * x-mlflow-experiment-id}) once {@code /version} says 3.4 or later, then the trace info
 * (StartTraceV3), which comes back tagged {@code mlflow.trace.spansLocation = TRACKING_STORE} so the
 * client uploads no {@code traces.json}; then read back (GetTraceInfoV3, batchGet with spans),
 * searched, tagged on both tag paths, deleted. Also OTLP's JSON encoding, and the OTLP errors.
 */
@ExtendWith(Suite.class)
class TracingV3IT {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long T0 = 1_717_000_000_000L * 1_000_000;

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static KeyValue attr(String key, String json) {
        return KeyValue.newBuilder()
                .setKey(key)
                .setValue(AnyValue.newBuilder().setStringValue(json))
                .build();
    }

    /** A span as MLflow 3's client makes it (Span.to_otel_proto): MLflow's attributes JSON-encoded. */
    private static Span span(byte[] trace, byte[] id, byte[] parent, String name, String type, long start, long end) {
        Span.Builder b = Span.newBuilder()
                .setTraceId(ByteString.copyFrom(trace))
                .setSpanId(ByteString.copyFrom(id))
                .setName(name)
                .setStartTimeUnixNano(start)
                .setEndTimeUnixNano(end)
                .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_OK))
                .addAttributes(attr("mlflow.traceRequestId", "\"" + traceId(trace) + "\""))
                .addAttributes(attr("mlflow.spanType", "\"" + type + "\""));
        if (parent != null) {
            b.setParentSpanId(ByteString.copyFrom(parent));
        } else {
            b.addAttributes(attr("mlflow.spanInputs", "{\"question\": \"hi\"}"));
            b.addAttributes(attr("mlflow.spanOutputs", "\"hello\""));
        }
        return b.build();
    }

    private static String traceId(byte[] otelTraceId) {
        return "tr-" + HexFormat.of().formatHex(otelTraceId);
    }

    private static byte[] export(Span... spans) {
        return ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder()
                        .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(List.of(spans))))
                .build()
                .toByteArray();
    }

    private static Response otlp(String experimentId, String contentType, byte[] body) {
        var request = api().header("Content-Type", contentType).body(body);
        if (experimentId != null) {
            request = request.header("x-mlflow-experiment-id", experimentId);
        }
        return request.post("/v1/traces");
    }

    private static JsonObject location(String experimentId) {
        return new JsonObject()
                .put("type", "MLFLOW_EXPERIMENT")
                .put("mlflow_experiment", new JsonObject().put("experiment_id", experimentId));
    }

    private static Response v3(String method, String path, JsonObject body) {
        return api().contentType(ContentType.JSON).body(body.encode()).request(method, "/api/3.0/mlflow/" + path);
    }

    private static JsonObject info(String traceId) {
        return ok(api().get("/api/3.0/mlflow/traces/" + traceId))
                .getJsonObject("trace")
                .getJsonObject("trace_info");
    }

    private static List<String> search(String experimentId, String filter, String... orderBy) {
        JsonObject body = new JsonObject().put("locations", new JsonArray().add(location(experimentId)));
        if (filter != null) {
            body.put("filter", filter);
        }
        if (orderBy.length > 0) {
            body.put("order_by", new JsonArray(List.of((Object[]) orderBy)));
        }
        return ok(v3("POST", "traces/search", body)).getJsonArray("traces", new JsonArray()).stream()
                .map(t -> ((JsonObject) t).getString("trace_id"))
                .toList();
    }

    @Test
    void shouldLogTraceAsAnMlflow3ClientDoesThenReadSearchTagAndDeleteIt() throws Exception {
        // the client asks the server's version to decide on OTLP (>= 3.4)
        Response version = api().get("/version");
        assertThat(version.statusCode()).isEqualTo(200);
        assertThat(version.asString()).isEqualTo("3.6.0");

        String exp = newExperiment();
        byte[] trace = random(16);
        byte[] root = random(8);
        byte[] llm = random(8);
        String id = traceId(trace);

        // 1. spans as they end: the LLM call first, the root last
        Response first = otlp(
                exp,
                "application/x-protobuf",
                export(span(trace, llm, root, "openai", "LLM", T0 + 1_000_000, T0 + 40_000_000)));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.contentType()).isEqualTo("application/x-protobuf");
        assertThat(ExportTraceServiceResponse.parseFrom(first.asByteArray()))
                .isEqualTo(ExportTraceServiceResponse.getDefaultInstance());
        assertThat(info(id).getString("state")).isEqualTo("IN_PROGRESS");
        assertThat(otlp(
                                exp,
                                "application/x-protobuf",
                                export(span(trace, root, null, "agent", "AGENT", T0, T0 + 50_000_000)))
                        .statusCode())
                .isEqualTo(200);

        // 2. the trace info, as TracingClient.start_trace sends it
        JsonObject started = ok(v3(
                        "POST",
                        "traces",
                        new JsonObject()
                                .put(
                                        "trace",
                                        new JsonObject()
                                                .put(
                                                        "trace_info",
                                                        new JsonObject()
                                                                .put("trace_id", id)
                                                                .put("client_request_id", "req-1")
                                                                .put("trace_location", location(exp))
                                                                .put("request_preview", "{\"question\": \"hi\"}")
                                                                .put("response_preview", "\"hello\"")
                                                                .put("request_time", "2024-05-29T16:26:40Z")
                                                                .put("execution_duration", "0.050s")
                                                                .put("state", "OK")
                                                                .put(
                                                                        "trace_metadata",
                                                                        new JsonObject()
                                                                                .put("mlflow.trace_schema.version", "3")
                                                                                .put("mlflow.trace.sizeBytes", "1234"))
                                                                .put(
                                                                        "tags",
                                                                        new JsonObject()
                                                                                .put("mlflow.traceName", "agent")
                                                                                .put("mlflow.user", "alice"))))))
                .getJsonObject("trace")
                .getJsonObject("trace_info");
        assertThat(started.getString("trace_id")).isEqualTo(id);
        assertThat(started.getJsonObject("tags").getString("mlflow.trace.spansLocation"))
                .isEqualTo("TRACKING_STORE");
        assertThat(started.getJsonObject("tags").getString("mlflow.artifactLocation"))
                .isEqualTo("mlflow-artifacts:/" + exp + "/traces/" + id + "/artifacts");
        assertThat(started.getString("request_time")).isEqualTo("2024-05-29T16:26:40Z");
        assertThat(started.getString("execution_duration")).isEqualTo("0.050s");
        assertThat(started.getJsonObject("trace_location")
                        .getJsonObject("mlflow_experiment")
                        .getString("experiment_id"))
                .isEqualTo(exp);

        // 3. read back: info, then spans with batchGet (what get_trace does for TRACKING_STORE traces)
        JsonObject got = info(id);
        assertThat(got.getString("state")).isEqualTo("OK");
        assertThat(got.getString("client_request_id")).isEqualTo("req-1");
        assertThat(got.getJsonObject("trace_metadata").getString("mlflow.trace_schema.version"))
                .isEqualTo("3");
        JsonArray traces = ok(api().queryParam("trace_ids", id).get("/api/3.0/mlflow/traces/batchGet"))
                .getJsonArray("traces");
        assertThat(traces).hasSize(1);
        JsonArray spans = traces.getJsonObject(0).getJsonArray("spans");
        assertThat(spans.stream().map(s -> ((JsonObject) s).getString("name"))).containsExactly("agent", "openai");
        JsonObject child = spans.getJsonObject(1);
        assertThat(Base64.getDecoder().decode(child.getString("trace_id"))).isEqualTo(trace);
        assertThat(Base64.getDecoder().decode(child.getString("parent_span_id")))
                .isEqualTo(root);
        assertThat(child.getLong("start_time_unix_nano")).isEqualTo(T0 + 1_000_000);
        assertThat(child.getJsonObject("status").getString("code")).isEqualTo("STATUS_CODE_OK");
        assertThat(ok(api().queryParam("trace_id", id).get("/api/3.0/mlflow/traces/get"))
                        .getJsonObject("trace")
                        .getJsonArray("spans"))
                .hasSize(2);
        // older clients read the same trace through MLflow 2's API
        assertThat(ok(api().get("/api/2.0/mlflow/traces/" + id + "/info"))
                        .getJsonObject("trace_info")
                        .getString("status"))
                .isEqualTo("OK");

        // 4. a second trace over OTLP's JSON encoding (ids in hex), gzip-compressed
        byte[] tool = random(16);
        String toolSpan = HexFormat.of().formatHex(random(8));
        String json = new JsonObject()
                .put(
                        "resourceSpans",
                        new JsonArray()
                                .add(
                                        new JsonObject()
                                                .put(
                                                        "scopeSpans",
                                                        new JsonArray()
                                                                .add(
                                                                        new JsonObject()
                                                                                .put(
                                                                                        "spans",
                                                                                        new JsonArray()
                                                                                                .add(
                                                                                                        new JsonObject()
                                                                                                                .put(
                                                                                                                        "traceId",
                                                                                                                        HexFormat
                                                                                                                                .of()
                                                                                                                                .formatHex(
                                                                                                                                        tool))
                                                                                                                .put(
                                                                                                                        "spanId",
                                                                                                                        toolSpan)
                                                                                                                .put(
                                                                                                                        "name",
                                                                                                                        "calculator")
                                                                                                                .put(
                                                                                                                        "kind",
                                                                                                                        1)
                                                                                                                .put(
                                                                                                                        "startTimeUnixNano",
                                                                                                                        Long
                                                                                                                                .toString(
                                                                                                                                        T0
                                                                                                                                                + 100_000_000))
                                                                                                                .put(
                                                                                                                        "endTimeUnixNano",
                                                                                                                        Long
                                                                                                                                .toString(
                                                                                                                                        T0
                                                                                                                                                + 130_000_000))
                                                                                                                .put(
                                                                                                                        "status",
                                                                                                                        new JsonObject()
                                                                                                                                .put(
                                                                                                                                        "code",
                                                                                                                                        2))
                                                                                                                .put(
                                                                                                                        "attributes",
                                                                                                                        new JsonArray()
                                                                                                                                .add(
                                                                                                                                        new JsonObject()
                                                                                                                                                .put(
                                                                                                                                                        "key",
                                                                                                                                                        "mlflow.spanType")
                                                                                                                                                .put(
                                                                                                                                                        "value",
                                                                                                                                                        new JsonObject()
                                                                                                                                                                .put(
                                                                                                                                                                        "stringValue",
                                                                                                                                                                        "\"TOOL\""))))))))))
                .encode();
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Response jsonAnswer = api().header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip")
                .header("x-mlflow-experiment-id", exp)
                .body(gz.toByteArray())
                .post("/v1/traces");
        assertThat(jsonAnswer.statusCode()).as(jsonAnswer.asString()).isEqualTo(200);
        assertThat(jsonAnswer.contentType()).startsWith("application/json");
        String toolId = traceId(tool);
        assertThat(info(toolId).getString("state")).isEqualTo("ERROR");

        // 5. search: by span, by state, by tag, ordered, paged
        assertThat(search(exp, "span.type = 'LLM'")).containsExactly(id);
        assertThat(search(exp, "span.name = 'calculator'")).containsExactly(toolId);
        assertThat(search(exp, "trace.status = 'ERROR'")).containsExactly(toolId);
        assertThat(search(exp, "tag.mlflow.traceName = 'agent'")).containsExactly(id);
        assertThat(search(exp, "trace.timestamp_ms > 0", "timestamp_ms ASC")).containsExactly(id, toolId);
        JsonObject page = ok(v3(
                "POST",
                "traces/search",
                new JsonObject()
                        .put("locations", new JsonArray().add(location(exp)))
                        .put("max_results", 1)));
        assertThat(page.getJsonArray("traces")).hasSize(1);
        assertThat(page.getString("next_page_token")).isNotEmpty();
        Response badFilter = v3(
                "POST",
                "traces/search",
                new JsonObject()
                        .put("locations", new JsonArray().add(location(exp)))
                        .put("filter", "span.color = 'x'"));
        assertThat(badFilter.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(badFilter.asString()).getString("error_code")).isEqualTo("INVALID_PARAMETER_VALUE");

        // 6. tags on the v3 path and on the 2.0 path MLflow 3 also sends v3 ids to
        ok(v3(
                "PATCH",
                "traces/" + id + "/tags",
                new JsonObject().put("key", "reviewed").put("value", "yes")));
        ok(api().contentType(ContentType.JSON)
                .body(new JsonObject()
                        .put("key", "topic")
                        .put("value", "greeting")
                        .encode())
                .patch("/api/2.0/mlflow/traces/" + id + "/tags"));
        assertThat(info(id).getJsonObject("tags").getMap())
                .containsEntry("reviewed", "yes")
                .containsEntry("topic", "greeting");
        ok(v3("DELETE", "traces/" + id + "/tags", new JsonObject().put("key", "reviewed")));
        assertThat(info(id).getJsonObject("tags").getMap()).doesNotContainKey("reviewed");
        Response immutable = v3(
                "PATCH",
                "traces/" + id + "/tags",
                new JsonObject().put("key", "mlflow.artifactLocation").put("value", "s3://x"));
        assertThat(immutable.statusCode()).isEqualTo(400);

        // 7. delete with MLflow 3's DeleteTracesV3: spans go with the trace
        JsonObject deleted = ok(v3(
                "POST",
                "traces/delete-traces",
                new JsonObject().put("experiment_id", exp).put("request_ids", new JsonArray().add(id))));
        assertThat(deleted.getInteger("traces_deleted")).isEqualTo(1);
        assertThat(ok(api().queryParam("trace_ids", id).get("/api/3.0/mlflow/traces/batchGet"))
                        .getJsonArray("traces", new JsonArray()))
                .isEmpty();
        Response gone = api().get("/api/3.0/mlflow/traces/" + id);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(gone.asString()).getString("error_code")).isEqualTo("RESOURCE_DOES_NOT_EXIST");
        assertThat(search(exp, "span.type = 'LLM'")).isEmpty();
    }

    @Test
    void shouldStartTraceWithoutSpansLeavingThemToTheArtifactStore() {
        String exp = newExperiment();
        String id = traceId(random(16));
        JsonObject started = ok(v3(
                        "POST",
                        "traces",
                        new JsonObject()
                                .put(
                                        "trace",
                                        new JsonObject()
                                                .put(
                                                        "trace_info",
                                                        new JsonObject()
                                                                .put("trace_id", id)
                                                                .put("trace_location", location(exp))
                                                                .put("request_time", "2024-05-29T16:26:40.123Z")
                                                                .put("state", "OK")))))
                .getJsonObject("trace")
                .getJsonObject("trace_info");
        // no spans location tag: the client uploads traces.json to the artifact location
        assertThat(started.getJsonObject("tags").containsKey("mlflow.trace.spansLocation"))
                .isFalse();
        assertThat(started.getString("request_time")).isEqualTo("2024-05-29T16:26:40.123Z");
        Response unknown = v3(
                "POST",
                "traces",
                new JsonObject()
                        .put(
                                "trace",
                                new JsonObject()
                                        .put(
                                                "trace_info",
                                                new JsonObject()
                                                        .put("trace_id", traceId(random(16)))
                                                        .put("trace_location", location("987654321")))));
        assertThat(unknown.statusCode()).isEqualTo(404);
        Response badTime = v3(
                "POST",
                "traces",
                new JsonObject()
                        .put(
                                "trace",
                                new JsonObject()
                                        .put(
                                                "trace_info",
                                                new JsonObject()
                                                        .put("trace_id", id)
                                                        .put("trace_location", location(exp))
                                                        .put("request_time", "yesterday"))));
        assertThat(badTime.statusCode()).isEqualTo(400);
    }

    @Test
    void shouldRefuseOtlpRequestsAsMlflowDoes() throws Exception {
        String exp = newExperiment();
        byte[] body = export(span(random(16), random(8), null, "root", "CHAIN", T0, T0 + 1));

        Response noHeader = otlp(null, "application/x-protobuf", body);
        assertThat(noHeader.statusCode()).isEqualTo(422);
        assertThat(new JsonObject(noHeader.asString())
                        .getJsonArray("detail")
                        .getJsonObject(0)
                        .getJsonArray("loc"))
                .containsExactly("header", "x-mlflow-experiment-id");

        Response badType = otlp(exp, "text/plain", body);
        assertThat(badType.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(badType.asString()).getString("detail"))
                .startsWith("Invalid Content-Type: text/plain");

        Response garbage = otlp(exp, "application/x-protobuf", new byte[] {(byte) 0xff, 0x01, 0x02});
        assertThat(garbage.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(garbage.asString()).getString("detail"))
                .startsWith("Invalid OpenTelemetry protobuf format");

        Response empty = otlp(exp, "application/x-protobuf", new byte[0]);
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(empty.asString()).getString("detail")).contains("no spans found");

        // spans the store refuses: MLflow's error body and the code's status, as MLflow's server
        // answers an MlflowException there, never the service's internals
        Response noExperiment = otlp("987654321", "application/x-protobuf", body);
        assertThat(noExperiment.statusCode()).isEqualTo(404);
        JsonObject missing = new JsonObject(noExperiment.asString());
        assertThat(missing.getString("error_code")).isEqualTo("RESOURCE_DOES_NOT_EXIST");
        assertThat(missing.getString("message")).isEqualTo("No Experiment with id=987654321 exists");

        Response badIds = otlp(
                exp,
                "application/x-protobuf",
                export(Span.newBuilder()
                        .setTraceId(ByteString.copyFrom(random(5)))
                        .setSpanId(ByteString.copyFrom(random(8)))
                        .build()));
        assertThat(badIds.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(badIds.asString()).getString("error_code")).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(new JsonObject(badIds.asString()).getString("message")).contains("trace_id must be 16 bytes");

        // a small gzip body that inflates past the OTLP limit (16 MB) is refused, not inflated
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bomb)) {
            out.write(export(span(random(16), random(8), null, "x".repeat(20 << 20), "CHAIN", T0, T0 + 1)));
        }
        Response inflated = api().header("Content-Type", "application/x-protobuf")
                .header("Content-Encoding", "gzip")
                .header("x-mlflow-experiment-id", exp)
                .body(bomb.toByteArray())
                .post("/v1/traces");
        assertThat(inflated.statusCode()).isEqualTo(413);
        assertThat(new JsonObject(inflated.asString()).getString("error_code")).isEqualTo("INVALID_PARAMETER_VALUE");

        Response get = api().get("/v1/traces");
        assertThat(get.statusCode()).isEqualTo(405);
    }
}
