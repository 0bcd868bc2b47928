package dev.skein.tracking.trace;

import static dev.skein.tracking.Grpc.fails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.BatchGetTraces;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.DeleteTraceTag;
import dev.skein.proto.tracking.v1.DeleteTraces;
import dev.skein.proto.tracking.v1.GetTraceInfoV3;
import dev.skein.proto.tracking.v1.LogSpans;
import dev.skein.proto.tracking.v1.SearchTracesV3;
import dev.skein.proto.tracking.v1.SetTraceTag;
import dev.skein.proto.tracking.v1.StartTraceV3;
import dev.skein.proto.tracking.v1.Trace;
import dev.skein.proto.tracking.v1.TraceInfoV3;
import dev.skein.proto.tracking.v1.TraceLocation;
import dev.skein.proto.tracking.v1.TraceServiceGrpc.TraceServiceBlockingStub;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** MLflow 3's trace API and span storage over gRPC, against PostgreSQL. */
@QuarkusTest
class TraceV3Test {

    private static final SecureRandom RANDOM = new SecureRandom();

    @GrpcClient("tracking")
    TraceServiceBlockingStub traces;

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    private String newExperiment() {
        return tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName("traces-v3-" + UUID.randomUUID())
                        .build())
                .getExperimentId();
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static KeyValue attr(String key, String jsonValue) {
        return KeyValue.newBuilder()
                .setKey(key)
                .setValue(AnyValue.newBuilder().setStringValue(jsonValue))
                .build();
    }

    /** A span as MLflow 3's client exports it: MLflow's attributes JSON-encoded. */
    private static Span span(
            byte[] traceId, byte[] spanId, byte[] parent, String name, String type, long startNs, long endNs) {
        Span.Builder b = Span.newBuilder()
                .setTraceId(ByteString.copyFrom(traceId))
                .setSpanId(ByteString.copyFrom(spanId))
                .setName(name)
                .setStartTimeUnixNano(startNs)
                .setEndTimeUnixNano(endNs)
                .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_OK))
                .addAttributes(
                        attr("mlflow.traceRequestId", "\"tr-" + HexFormat.of().formatHex(traceId) + "\""))
                .addAttributes(attr("mlflow.spanType", "\"" + type + "\""));
        if (parent != null) {
            b.setParentSpanId(ByteString.copyFrom(parent));
        } else {
            b.addAttributes(attr("mlflow.spanInputs", "{\"question\": \"what is skein?\"}"));
            b.addAttributes(attr("mlflow.spanOutputs", "\"a platform\""));
        }
        return b.build();
    }

    private static TraceLocation location(String experimentId) {
        return TraceLocation.newBuilder()
                .setType(TraceLocation.TraceLocationType.MLFLOW_EXPERIMENT)
                .setMlflowExperiment(
                        TraceLocation.MlflowExperimentLocation.newBuilder().setExperimentId(experimentId))
                .build();
    }

    private TraceInfoV3 info(String traceId) {
        return traces.getTraceInfoV3(
                        GetTraceInfoV3.newBuilder().setTraceId(traceId).build())
                .getTrace()
                .getTraceInfo();
    }

    @Test
    void shouldMakeTraceFromSpansThenCompleteItWithTheClientsTraceInfo() {
        String exp = newExperiment();
        byte[] otelTrace = random(16);
        String traceId = "tr-" + HexFormat.of().formatHex(otelTrace);
        byte[] root = random(8);
        byte[] child = random(8);
        long t0 = 1_700_000_000_000L * 1_000_000;
        // the child ends first and is exported alone: the trace is in progress
        var first = traces.logSpans(LogSpans.newBuilder()
                .setExperimentId(exp)
                .addSpans(span(otelTrace, child, root, "retrieve", "RETRIEVER", t0 + 5_000_000, t0 + 20_000_000))
                .build());
        assertThat(first.getSpans()).isEqualTo(1);
        assertThat(first.getTraces()).isEqualTo(1);
        TraceInfoV3 partial = info(traceId);
        assertThat(partial.getState()).isEqualTo(TraceInfoV3.State.IN_PROGRESS);
        // the trace's spans are in the store only once its root is: until then a client that ends the
        // trace must upload them itself
        assertThat(partial.getTagsMap()).doesNotContainKey("mlflow.trace.spansLocation");

        traces.logSpans(LogSpans.newBuilder()
                .setExperimentId(exp)
                .addSpans(span(otelTrace, root, null, "agent", "AGENT", t0, t0 + 50_000_000))
                .build());
        TraceInfoV3 done = info(traceId);
        assertThat(done.getState()).isEqualTo(TraceInfoV3.State.OK);
        assertThat(done.getTagsMap()).containsEntry("mlflow.trace.spansLocation", "TRACKING_STORE");
        assertThat(done.getRequestTime().getSeconds()).isEqualTo(1_700_000_000L);
        assertThat(done.getExecutionDuration().getNanos()).isEqualTo(50_000_000);
        assertThat(done.getRequestPreview()).isEqualTo("{\"question\": \"what is skein?\"}");
        assertThat(done.getResponsePreview()).isEqualTo("\"a platform\"");
        assertThat(done.getTagsMap())
                .containsEntry("mlflow.traceName", "agent")
                .containsEntry(
                        "mlflow.artifactLocation", "mlflow-artifacts:/" + exp + "/traces/" + traceId + "/artifacts");

        // then the client's StartTraceV3, as MLflow 3.6 sends it after the spans
        Trace started = traces.startTraceV3(StartTraceV3.newBuilder()
                        .setTrace(Trace.newBuilder()
                                .setTraceInfo(TraceInfoV3.newBuilder()
                                        .setTraceId(traceId)
                                        .setTraceLocation(location(exp))
                                        .setRequestTime(Timestamp.newBuilder().setSeconds(1_700_000_000L))
                                        .setExecutionDuration(
                                                Duration.newBuilder().setNanos(50_000_000))
                                        .setState(TraceInfoV3.State.OK)
                                        .setRequestPreview("{\"question\": \"what is skein?\"}")
                                        .putTraceMetadata("mlflow.trace_schema.version", "3")
                                        .putTags("mlflow.traceName", "agent")
                                        .putTags("topic", "docs")
                                        .putTags("mlflow.artifactLocation", "s3://elsewhere")))
                        .build())
                .getTrace();
        assertThat(started.getTraceInfo().getTagsMap())
                .containsEntry("topic", "docs")
                .containsEntry("mlflow.trace.spansLocation", "TRACKING_STORE")
                .containsEntry(
                        "mlflow.artifactLocation", "mlflow-artifacts:/" + exp + "/traces/" + traceId + "/artifacts");
        assertThat(started.getTraceInfo().getTraceMetadataMap()).containsEntry("mlflow.trace_schema.version", "3");
        assertThat(started.getTraceInfo()
                        .getTraceLocation()
                        .getMlflowExperiment()
                        .getExperimentId())
                .isEqualTo(exp);

        List<Trace> got = traces.batchGetTraces(BatchGetTraces.newBuilder()
                        .addTraceIds(traceId)
                        .addTraceIds("tr-00000000000000000000000000000000")
                        .build())
                .getTracesList();
        assertThat(got).hasSize(1);
        assertThat(got.get(0).getSpansList()).extracting(Span::getName).containsExactly("agent", "retrieve");
        assertThat(got.get(0).getSpans(1).getParentSpanId()).isEqualTo(ByteString.copyFrom(root));
    }

    @Test
    void shouldStartTraceWithoutSpansSoTheClientUploadsThem() {
        String exp = newExperiment();
        String traceId = "tr-" + HexFormat.of().formatHex(random(16));
        Trace started = traces.startTraceV3(StartTraceV3.newBuilder()
                        .setTrace(Trace.newBuilder()
                                .setTraceInfo(TraceInfoV3.newBuilder()
                                        .setTraceId(traceId)
                                        .setClientRequestId("req-7")
                                        .setTraceLocation(location(exp))
                                        .setRequestTime(Timestamp.newBuilder()
                                                .setSeconds(1_700_000_123L)
                                                .setNanos(456_000_000))
                                        .setExecutionDuration(
                                                Duration.newBuilder().setSeconds(2))
                                        .setState(TraceInfoV3.State.ERROR)))
                        .build())
                .getTrace();
        TraceInfoV3 i = started.getTraceInfo();
        assertThat(i.getTraceId()).isEqualTo(traceId);
        assertThat(i.getClientRequestId()).isEqualTo("req-7");
        assertThat(i.getRequestTime().getNanos()).isEqualTo(456_000_000);
        assertThat(i.getExecutionDuration().getSeconds()).isEqualTo(2);
        assertThat(i.getState()).isEqualTo(TraceInfoV3.State.ERROR);
        assertThat(i.getTagsMap()).doesNotContainKey("mlflow.trace.spansLocation");
        assertThat(info(traceId)).isEqualTo(i);
        assertThat(traces.batchGetTraces(
                                BatchGetTraces.newBuilder().addTraceIds(traceId).build())
                        .getTraces(0)
                        .getSpansCount())
                .isZero();

        // MLflow 3 sets tags on v3 ids through either path's message field
        traces.setTraceTag(SetTraceTag.newBuilder()
                .setTraceId(traceId)
                .setKey("k")
                .setValue("v")
                .build());
        assertThat(info(traceId).getTagsMap()).containsEntry("k", "v");
        traces.deleteTraceTag(
                DeleteTraceTag.newBuilder().setTraceId(traceId).setKey("k").build());
        assertThat(info(traceId).getTagsMap()).doesNotContainKey("k");
    }

    @Test
    void shouldSearchBySpansTagsAndStateAndDeleteWithSpans() {
        String exp = newExperiment();
        long t0 = 1_700_000_000_000L * 1_000_000;
        byte[] llmTrace = random(16);
        byte[] toolTrace = random(16);
        byte[] llmRoot = random(8);
        traces.logSpans(LogSpans.newBuilder()
                .setExperimentId(exp)
                .addSpans(span(llmTrace, llmRoot, null, "chat", "CHAIN", t0, t0 + 1_000_000))
                .addSpans(span(llmTrace, random(8), llmRoot, "openai", "LLM", t0, t0 + 900_000))
                .addSpans(span(toolTrace, random(8), null, "calc", "TOOL", t0 + 5_000_000, t0 + 6_000_000))
                .build());
        String llm = "tr-" + HexFormat.of().formatHex(llmTrace);
        String tool = "tr-" + HexFormat.of().formatHex(toolTrace);
        SearchTracesV3.Builder search = SearchTracesV3.newBuilder().addLocations(location(exp));

        assertThat(ids(search.clone().setFilter("span.type = 'LLM'"))).containsExactly(llm);
        assertThat(ids(search.clone().setFilter("span.name IN ('calc', 'nope')")))
                .containsExactly(tool);
        assertThat(ids(search.clone().setFilter("span.name LIKE 'op%'"))).containsExactly(llm);
        assertThat(ids(search.clone().setFilter("trace.state = 'OK'"))).containsExactly(tool, llm);
        assertThat(ids(search.clone().setFilter("tag.mlflow.traceName = 'calc'")))
                .containsExactly(tool);
        assertThat(ids(search.clone().addOrderBy("timestamp_ms ASC"))).containsExactly(llm, tool);
        var page = traces.searchTracesV3(search.clone().setMaxResults(1).build());
        assertThat(page.getTracesList()).extracting(TraceInfoV3::getTraceId).containsExactly(tool);
        assertThat(page.getNextPageToken()).isNotEmpty();
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.searchTracesV3(
                                search.clone().setFilter("span.color = 'red'").build())))
                .contains("Invalid attribute key 'color'");

        var deleted = traces.deleteTraces(DeleteTraces.newBuilder()
                .setExperimentId(exp)
                .addRequestIds(llm)
                .build());
        assertThat(deleted.getTracesDeleted()).isEqualTo(1);
        assertThat(ids(search.clone().setFilter("span.type = 'LLM'"))).isEmpty();
        assertThat(traces.batchGetTraces(
                                BatchGetTraces.newBuilder().addTraceIds(llm).build())
                        .getTracesList())
                .isEmpty();
    }

    @Test
    void shouldRefuseSpansOfAnotherExperimentsTraceAndBadSpans() {
        String exp = newExperiment();
        String other = newExperiment();
        byte[] t = random(16);
        long t0 = 1_700_000_000_000L * 1_000_000;
        traces.logSpans(LogSpans.newBuilder()
                .setExperimentId(exp)
                .addSpans(span(t, random(8), null, "root", "CHAIN", t0, t0 + 1))
                .build());
        byte[] lost = random(16);
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.logSpans(LogSpans.newBuilder()
                                .setExperimentId(other)
                                .addSpans(span(lost, random(8), null, "fine", "CHAIN", t0, t0 + 1))
                                .addSpans(span(t, random(8), null, "stolen", "CHAIN", t0, t0 + 1))
                                .build())))
                .contains("belongs to another experiment");
        // nothing of the refused batch was written
        assertThat(traces.batchGetTraces(BatchGetTraces.newBuilder()
                                .addTraceIds("tr-" + HexFormat.of().formatHex(lost))
                                .build())
                        .getTracesList())
                .isEmpty();
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.logSpans(LogSpans.newBuilder()
                                .setExperimentId(exp)
                                .addSpans(Span.newBuilder()
                                        .setTraceId(ByteString.copyFrom(random(3)))
                                        .setSpanId(ByteString.copyFrom(random(8))))
                                .build())))
                .contains("trace_id must be 16 bytes");
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> traces.logSpans(LogSpans.newBuilder()
                                .setExperimentId("987654321")
                                .addSpans(span(random(16), random(8), null, "x", "CHAIN", t0, t0 + 1))
                                .build())))
                .contains("No Experiment with id=987654321 exists");
    }

    @Test
    void shouldStoreASpanSentTwiceInOneBatchOnceAsLastSentAndCutLongNamesInTheSearchColumns() {
        String exp = newExperiment();
        byte[] t = random(16);
        byte[] root = random(8);
        byte[] child = random(8);
        long t0 = 1_700_000_000_000L * 1_000_000;
        String longName = "n".repeat(5000);
        String longType = "T".repeat(4000);
        var logged = traces.logSpans(LogSpans.newBuilder()
                .setExperimentId(exp)
                .addSpans(span(t, child, root, "first", "LLM", t0 + 1, t0 + 2))
                .addSpans(span(t, root, null, longName, longType, t0, t0 + 10))
                .addSpans(span(t, child, root, "second", "LLM", t0 + 1, t0 + 3))
                .build());
        assertThat(logged.getTraces()).isEqualTo(1);
        String id = "tr-" + HexFormat.of().formatHex(t);
        List<Span> stored = traces.batchGetTraces(
                        BatchGetTraces.newBuilder().addTraceIds(id).build())
                .getTraces(0)
                .getSpansList();
        assertThat(stored).extracting(Span::getName).containsExactly(longName, "second");
        assertThat(stored.get(1).getEndTimeUnixNano()).isEqualTo(t0 + 3);
        SearchTracesV3.Builder search = SearchTracesV3.newBuilder().addLocations(location(exp));
        assertThat(ids(search.clone().setFilter("span.name = '" + "n".repeat(250) + "'")))
                .containsExactly(id);
        assertThat(ids(search.clone().setFilter("span.name = 'first'"))).isEmpty();
    }

    @Test
    void shouldRefuseTraceIdsThatAreNotHexadecimal() {
        String exp = newExperiment();
        long t0 = 1_700_000_000_000L * 1_000_000;
        Span escaping = span(random(16), random(8), null, "root", "CHAIN", t0, t0 + 1).toBuilder()
                .addAttributes(attr("mlflow.traceRequestId", "\"tr-../../../elsewhere\""))
                .build();
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.logSpans(LogSpans.newBuilder()
                                .setExperimentId(exp)
                                .addSpans(escaping)
                                .build())))
                .contains("tr-../../../elsewhere");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.startTraceV3(StartTraceV3.newBuilder()
                                .setTrace(Trace.newBuilder()
                                        .setTraceInfo(TraceInfoV3.newBuilder()
                                                .setTraceId("tr-abc/../x")
                                                .setTraceLocation(location(exp))
                                                .setRequestTime(
                                                        Timestamp.newBuilder().setSeconds(1))))
                                .build())))
                .contains("hexadecimal");
    }

    @Test
    void shouldRefuseTimesOutsideProtobufsRanges() {
        String exp = newExperiment();
        TraceInfoV3.Builder info = TraceInfoV3.newBuilder()
                .setTraceId("tr-" + HexFormat.of().formatHex(random(16)))
                .setTraceLocation(location(exp));
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.startTraceV3(StartTraceV3.newBuilder()
                                .setTrace(Trace.newBuilder()
                                        .setTraceInfo(info.clone()
                                                .setRequestTime(
                                                        Timestamp.newBuilder().setSeconds(Long.MAX_VALUE / 100))))
                                .build())))
                .contains("request_time");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.startTraceV3(StartTraceV3.newBuilder()
                                .setTrace(Trace.newBuilder()
                                        .setTraceInfo(info.clone()
                                                .setRequestTime(
                                                        Timestamp.newBuilder().setSeconds(1))
                                                .setExecutionDuration(
                                                        Duration.newBuilder().setSeconds(-5))))
                                .build())))
                .contains("execution_duration");
    }

    @Test
    void shouldRefuseSpansPastTheLimitOfATraceWithoutWritingAnyOfThem() {
        // the test profile allows 20 spans a trace
        String exp = newExperiment();
        byte[] t = random(16);
        byte[] root = random(8);
        long t0 = 1_700_000_000_000L * 1_000_000;
        List<Span> first = new java.util.ArrayList<>();
        first.add(span(t, root, null, "root", "AGENT", t0, t0 + 100));
        for (int i = 1; i < 15; i++) {
            first.add(span(t, random(8), root, "step-" + i, "TOOL", t0 + i, t0 + i + 1));
        }
        traces.logSpans(
                LogSpans.newBuilder().setExperimentId(exp).addAllSpans(first).build());
        String id = "tr-" + HexFormat.of().formatHex(t);
        List<Span> six = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            six.add(span(t, random(8), root, "late-" + i, "TOOL", t0 + 50, t0 + 60));
        }
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.logSpans(LogSpans.newBuilder()
                                .setExperimentId(exp)
                                .addAllSpans(six)
                                .build())))
                .contains("more than 20 spans");
        assertThat(traces.batchGetTraces(
                                BatchGetTraces.newBuilder().addTraceIds(id).build())
                        .getTraces(0)
                        .getSpansCount())
                .isEqualTo(15);
        // spans sent again replace themselves: they do not count twice
        traces.logSpans(LogSpans.newBuilder()
                .setExperimentId(exp)
                .addAllSpans(first)
                .addAllSpans(six.subList(0, 5))
                .build());
        assertThat(traces.batchGetTraces(
                                BatchGetTraces.newBuilder().addTraceIds(id).build())
                        .getTraces(0)
                        .getSpansCount())
                .isEqualTo(20);
    }

    @Test
    void shouldRefuseToReadMoreSpanBytesAtOnceThanTheLimit() {
        // the test profile allows 64 KB of spans per read
        String exp = newExperiment();
        long t0 = 1_700_000_000_000L * 1_000_000;
        byte[] big = random(16);
        byte[] bigRoot = random(8);
        LogSpans.Builder spans = LogSpans.newBuilder().setExperimentId(exp);
        spans.addSpans(span(big, bigRoot, null, "root", "AGENT", t0, t0 + 100));
        for (int i = 0; i < 10; i++) {
            spans.addSpans(span(big, random(8), bigRoot, "chunk", "RETRIEVER", t0 + i, t0 + i + 1).toBuilder()
                    .addAttributes(attr("document", "\"" + "d".repeat(8000) + "\""))
                    .build());
        }
        traces.logSpans(spans.build());
        byte[] small = random(16);
        traces.logSpans(LogSpans.newBuilder()
                .setExperimentId(exp)
                .addSpans(span(small, random(8), null, "root", "CHAIN", t0, t0 + 1))
                .build());
        String bigId = "tr-" + HexFormat.of().formatHex(big);
        String smallId = "tr-" + HexFormat.of().formatHex(small);
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.batchGetTraces(BatchGetTraces.newBuilder()
                                .addTraceIds(bigId)
                                .addTraceIds(smallId)
                                .build())))
                .contains("ask for fewer traces");
        assertThat(traces.batchGetTraces(
                                BatchGetTraces.newBuilder().addTraceIds(smallId).build())
                        .getTracesList())
                .hasSize(1);
    }

    @Test
    void shouldRefuseSpansOfADeletedExperiment() {
        String exp = newExperiment();
        tracking.deleteExperiment(dev.skein.proto.tracking.v1.DeleteExperiment.newBuilder()
                .setExperimentId(exp)
                .build());
        long t0 = 1_700_000_000_000L * 1_000_000;
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.logSpans(LogSpans.newBuilder()
                                .setExperimentId(exp)
                                .addSpans(span(random(16), random(8), null, "x", "CHAIN", t0, t0 + 1))
                                .build())))
                .contains("must be in the 'active' state");
    }

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    /**
     * A span filter is a range of an experiment index of the spans (V7, V9: the experiment and the
     * column in its condition), not a probe of every trace's spans nor a read of all of them.
     */
    @Test
    void shouldFilterOnSpansThroughTheExperimentsIndexes() {
        assertThat(plan("span.status = 'ERROR'", 1L, 2L))
                .containsPattern("Index Cond: \\(\\(experiment_id = [^\\n]*\\(status = ");
        assertThat(plan("span.name = 'x'", 1L, 2L))
                .containsPattern("Index Cond: \\(\\(experiment_id = [^\\n]*\\(name = ");
        assertThat(plan("span.type = 'LLM'", 1L))
                .containsPattern("Index Cond: \\(\\(experiment_id = [^\\n]*\\(type = ");
    }

    private String plan(String filter, Long... experimentIds) {
        var comparisons = dev.skein.common.search.SearchParser.parseFilter(TraceGrammar.TRACES_V3, filter);
        var query = TraceSearchSql.build(experimentIds, comparisons, List.of(), 101, 0);
        return pool.withTransaction(conn -> conn.query("SET LOCAL enable_seqscan = off")
                        .execute()
                        .flatMap(v ->
                                conn.preparedQuery("EXPLAIN " + query.sql()).execute(query.tuple())))
                .map(rows -> {
                    StringBuilder text = new StringBuilder();
                    rows.forEach(r -> text.append(r.getString(0)).append('\n'));
                    return text.toString();
                })
                .await()
                .indefinitely();
    }

    private List<String> ids(SearchTracesV3.Builder request) {
        return traces.searchTracesV3(request.build()).getTracesList().stream()
                .map(TraceInfoV3::getTraceId)
                .toList();
    }
}
