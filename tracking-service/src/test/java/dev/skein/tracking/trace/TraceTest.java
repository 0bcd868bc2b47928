package dev.skein.tracking.trace;

import static dev.skein.tracking.Grpc.fails;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.DeleteExperiment;
import dev.skein.proto.tracking.v1.DeleteTraceTag;
import dev.skein.proto.tracking.v1.DeleteTraces;
import dev.skein.proto.tracking.v1.EndTrace;
import dev.skein.proto.tracking.v1.GetTraceInfo;
import dev.skein.proto.tracking.v1.SearchTraces;
import dev.skein.proto.tracking.v1.SetTraceTag;
import dev.skein.proto.tracking.v1.StartTrace;
import dev.skein.proto.tracking.v1.TraceInfo;
import dev.skein.proto.tracking.v1.TraceRequestMetadata;
import dev.skein.proto.tracking.v1.TraceServiceGrpc.TraceServiceBlockingStub;
import dev.skein.proto.tracking.v1.TraceStatus;
import dev.skein.proto.tracking.v1.TraceTag;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** MLflow 2.17's trace records over gRPC, against PostgreSQL (test_rest_tracking.py's trace cases). */
@QuarkusTest
class TraceTest {

    @GrpcClient("tracking")
    TraceServiceBlockingStub traces;

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    private String newExperiment() {
        return tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName("traces-" + UUID.randomUUID())
                        .build())
                .getExperimentId();
    }

    private TraceInfo start(String experimentId, long timestampMs, Map<String, String> tags) {
        StartTrace.Builder b =
                StartTrace.newBuilder().setExperimentId(experimentId).setTimestampMs(timestampMs);
        tags.forEach((k, v) -> b.addTags(TraceTag.newBuilder().setKey(k).setValue(v)));
        return traces.startTrace(b.build()).getTraceInfo();
    }

    private TraceInfo end(String requestId, long timestampMs, TraceStatus status) {
        return traces.endTrace(EndTrace.newBuilder()
                        .setRequestId(requestId)
                        .setTimestampMs(timestampMs)
                        .setStatus(status)
                        .build())
                .getTraceInfo();
    }

    private TraceInfo get(String requestId) {
        return traces.getTraceInfo(
                        GetTraceInfo.newBuilder().setRequestId(requestId).build())
                .getTraceInfo();
    }

    private static Map<String, String> tags(TraceInfo t) {
        return t.getTagsList().stream().collect(Collectors.toMap(TraceTag::getKey, TraceTag::getValue));
    }

    private static Map<String, String> metadata(TraceInfo t) {
        return t.getRequestMetadataList().stream()
                .collect(Collectors.toMap(TraceRequestMetadata::getKey, TraceRequestMetadata::getValue));
    }

    private List<String> search(SearchTraces.Builder request) {
        return traces.searchTraces(request.build()).getTracesList().stream()
                .map(TraceInfo::getRequestId)
                .toList();
    }

    @Test
    void shouldStartAndEndTraceMergingMetadataAndTags() {
        String exp = newExperiment();
        TraceInfo started = traces.startTrace(StartTrace.newBuilder()
                        .setExperimentId(exp)
                        .setTimestampMs(1000)
                        .addRequestMetadata(TraceRequestMetadata.newBuilder()
                                .setKey("meta1")
                                .setValue("apple"))
                        .addRequestMetadata(TraceRequestMetadata.newBuilder()
                                .setKey("meta2")
                                .setValue("grape"))
                        .addTags(TraceTag.newBuilder().setKey("tag1").setValue("football"))
                        .addTags(TraceTag.newBuilder().setKey("tag2").setValue("basketball"))
                        .build())
                .getTraceInfo();
        assertThat(started.getRequestId()).matches("[0-9a-f]{32}");
        assertThat(started.getExperimentId()).isEqualTo(exp);
        assertThat(started.getTimestampMs()).isEqualTo(1000);
        assertThat(started.getExecutionTimeMs()).isZero();
        assertThat(started.getStatus()).isEqualTo(TraceStatus.IN_PROGRESS);
        assertThat(metadata(started)).isEqualTo(Map.of("meta1", "apple", "meta2", "grape"));
        assertThat(tags(started))
                .containsEntry("tag1", "football")
                .containsEntry("tag2", "basketball")
                .containsEntry(
                        "mlflow.artifactLocation",
                        "mlflow-artifacts:/" + exp + "/traces/" + started.getRequestId() + "/artifacts");

        TraceInfo ended = traces.endTrace(EndTrace.newBuilder()
                        .setRequestId(started.getRequestId())
                        .setTimestampMs(3000)
                        .setStatus(TraceStatus.OK)
                        .addRequestMetadata(TraceRequestMetadata.newBuilder()
                                .setKey("meta1")
                                .setValue("orange"))
                        .addRequestMetadata(TraceRequestMetadata.newBuilder()
                                .setKey("meta3")
                                .setValue("banana"))
                        .addTags(TraceTag.newBuilder().setKey("tag1").setValue("soccer"))
                        .addTags(TraceTag.newBuilder().setKey("tag3").setValue("tennis"))
                        .build())
                .getTraceInfo();
        assertThat(ended.getTimestampMs()).isEqualTo(1000);
        assertThat(ended.getExecutionTimeMs()).isEqualTo(2000);
        assertThat(ended.getStatus()).isEqualTo(TraceStatus.OK);
        assertThat(metadata(ended)).isEqualTo(Map.of("meta1", "orange", "meta2", "grape", "meta3", "banana"));
        assertThat(tags(ended))
                .containsEntry("tag1", "soccer")
                .containsEntry("tag2", "basketball")
                .containsEntry("tag3", "tennis");
        assertThat(get(started.getRequestId())).isEqualTo(ended);
    }

    @Test
    void shouldRefuseUnknownTracesAndExperiments() {
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get("0123456789abcdef0123456789abcdef")))
                .isEqualTo("Trace with request_id '0123456789abcdef0123456789abcdef' not found.");
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> end("nope", 1, TraceStatus.OK)))
                .contains("Trace with request_id 'nope' not found.");
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> start("987654321", 1, Map.of())))
                .contains("No Experiment with id=987654321 exists");
        String exp = newExperiment();
        tracking.deleteExperiment(
                DeleteExperiment.newBuilder().setExperimentId(exp).build());
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> start(exp, 1, Map.of())))
                .isEqualTo("The experiment " + exp + " must be in the 'active' state. Current state is deleted.");
    }

    @Test
    void shouldSearchNewestFirstWithFilterOrderAndPages() {
        String exp = newExperiment();
        String t1 = start(exp, 1000, Map.of("mlflow.traceName", "trace1", "team", "a"))
                .getRequestId();
        end(t1, 1100, TraceStatus.OK);
        String t2 = start(exp, 2000, Map.of("mlflow.traceName", "trace2", "team", "b"))
                .getRequestId();
        end(t2, 2500, TraceStatus.OK);
        String t3 = start(exp, 3000, Map.of("mlflow.traceName", "trace3", "team", "a"))
                .getRequestId();
        end(t3, 3050, TraceStatus.ERROR);
        SearchTraces.Builder all = SearchTraces.newBuilder().addExperimentIds(exp);

        assertThat(search(all.clone())).containsExactly(t3, t2, t1);
        assertThat(search(all.clone().setFilter("status = 'OK'").addOrderBy("timestamp ASC")))
                .containsExactly(t1, t2);
        assertThat(search(all.clone().setFilter("trace.status != 'OK'"))).containsExactly(t3);
        assertThat(search(all.clone().setFilter("tag.team = 'a'"))).containsExactly(t3, t1);
        assertThat(search(all.clone().setFilter("name = 'trace2'"))).containsExactly(t2);
        assertThat(search(all.clone().setFilter("name IN ('trace1', 'trace3')")))
                .containsExactly(t3, t1);
        assertThat(search(all.clone().setFilter("execution_time_ms > 60 AND timestamp_ms < 3000")))
                .containsExactly(t2, t1);
        assertThat(search(all.clone().addOrderBy("execution_time_ms DESC"))).containsExactly(t2, t1, t3);
        assertThat(search(all.clone().addOrderBy("name DESC"))).containsExactly(t3, t2, t1);

        SearchTraces.Response first =
                traces.searchTraces(all.clone().setMaxResults(2).build());
        assertThat(first.getTracesList()).extracting(TraceInfo::getRequestId).containsExactly(t3, t2);
        assertThat(first.hasNextPageToken()).isTrue();
        SearchTraces.Response second = traces.searchTraces(
                all.clone().setPageToken(first.getNextPageToken()).build());
        assertThat(second.getTracesList()).extracting(TraceInfo::getRequestId).containsExactly(t1);
        assertThat(second.hasNextPageToken()).isFalse();
    }

    @Test
    void shouldFilterOnRequestMetadataAndRunId() {
        String exp = newExperiment();
        String withRun = traces.startTrace(StartTrace.newBuilder()
                        .setExperimentId(exp)
                        .setTimestampMs(10)
                        .addRequestMetadata(TraceRequestMetadata.newBuilder()
                                .setKey("mlflow.sourceRun")
                                .setValue("run-1"))
                        .build())
                .getTraceInfo()
                .getRequestId();
        start(exp, 20, Map.of());
        SearchTraces.Builder all = SearchTraces.newBuilder().addExperimentIds(exp);
        assertThat(search(all.clone().setFilter("run_id = 'run-1'"))).containsExactly(withRun);
        assertThat(search(all.clone().setFilter("request_metadata.`mlflow.sourceRun` = 'run-1'")))
                .containsExactly(withRun);
        assertThat(search(all.clone().setFilter("metadata.`mlflow.sourceRun` != 'run-1'")))
                .isEmpty();
    }

    @Test
    void shouldRefuseBadSearches() {
        String exp = newExperiment();
        SearchTraces.Builder all = SearchTraces.newBuilder().addExperimentIds(exp);
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.searchTraces(
                                all.clone().setFilter("tag.team LIKE 'a%'").build())))
                .contains("operator 'LIKE'");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.searchTraces(
                                all.clone().setFilter("metrics.x > 1").build())))
                .contains("metric fields cannot be used to search traces");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.searchTraces(all.clone().setMaxResults(501).build())))
                .contains("Invalid value 501 for parameter 'max_results' supplied");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.searchTraces(SearchTraces.getDefaultInstance())))
                .contains("Missing value for required parameter 'experiment_ids'");
    }

    @Test
    void shouldDeleteTracesByIdsAndByAgeOldestFirst() {
        String exp = newExperiment();
        String a = start(exp, 100, Map.of()).getRequestId();
        String b = start(exp, 200, Map.of()).getRequestId();
        String c = start(exp, 300, Map.of()).getRequestId();
        String d = start(exp, 400, Map.of()).getRequestId();

        assertThat(traces.deleteTraces(DeleteTraces.newBuilder()
                                .setExperimentId(exp)
                                .addRequestIds(b)
                                .build())
                        .getTracesDeleted())
                .isEqualTo(1);
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get(b))).contains(b);
        assertThat(traces.deleteTraces(DeleteTraces.newBuilder()
                                .setExperimentId(exp)
                                .setMaxTimestampMillis(1_000_000_000_000_000L)
                                .setMaxTraces(1)
                                .build())
                        .getTracesDeleted())
                .isEqualTo(1);
        assertThat(search(SearchTraces.newBuilder().addExperimentIds(exp))).containsExactly(d, c);
        assertThat(traces.deleteTraces(DeleteTraces.newBuilder()
                                .setExperimentId(exp)
                                .setMaxTimestampMillis(300)
                                .build())
                        .getTracesDeleted())
                .isEqualTo(1);
        assertThat(search(SearchTraces.newBuilder().addExperimentIds(exp))).containsExactly(d);
        assertThat(a).isNotNull();

        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.deleteTraces(
                                DeleteTraces.newBuilder().setExperimentId(exp).build())))
                .isEqualTo("Either `max_timestamp_millis` or `request_ids` must be specified.");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.deleteTraces(DeleteTraces.newBuilder()
                                .setExperimentId(exp)
                                .addRequestIds(d)
                                .setMaxTraces(1)
                                .build())))
                .isEqualTo("`max_traces` can't be specified if `request_ids` is specified.");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.deleteTraces(DeleteTraces.newBuilder()
                                .setExperimentId(exp)
                                .setMaxTimestampMillis(1)
                                .setMaxTraces(0)
                                .build())))
                .isEqualTo("`max_traces` must be a positive integer, received 0.");
    }

    @Test
    void shouldSetAndDeleteTraceTags() {
        String exp = newExperiment();
        String id = start(exp, 1000, Map.of("tag1", "red", "tag2", "blue")).getRequestId();
        traces.setTraceTag(SetTraceTag.newBuilder()
                .setRequestId(id)
                .setKey("tag1")
                .setValue("green")
                .build());
        assertThat(tags(get(id))).containsEntry("tag1", "green");
        traces.deleteTraceTag(
                DeleteTraceTag.newBuilder().setRequestId(id).setKey("tag2").build());
        assertThat(tags(get(id))).doesNotContainKey("tag2");

        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> traces.deleteTraceTag(DeleteTraceTag.newBuilder()
                                .setRequestId(id)
                                .setKey("tag2")
                                .build())))
                .isEqualTo("No trace tag with key 'tag2' for trace with request_id '" + id + "'");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.setTraceTag(
                                SetTraceTag.newBuilder().setRequestId(id).build())))
                .contains("Missing value for required parameter 'key'");
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> traces.setTraceTag(SetTraceTag.newBuilder()
                                .setRequestId("missing")
                                .setKey("k")
                                .setValue("v")
                                .build())))
                .contains("Trace with request_id 'missing' not found.");
    }

    @Test
    void shouldKeepTheArtifactLocationTagTheServerSet() {
        String exp = newExperiment();
        String id = start(exp, 1000, Map.of()).getRequestId();
        String location = "mlflow-artifacts:/" + exp + "/traces/" + id + "/artifacts";
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.setTraceTag(SetTraceTag.newBuilder()
                                .setRequestId(id)
                                .setKey("mlflow.artifactLocation")
                                .setValue("s3://elsewhere")
                                .build())))
                .isEqualTo("Tag 'mlflow.artifactLocation' is immutable and cannot be set on a trace.");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> traces.deleteTraceTag(DeleteTraceTag.newBuilder()
                                .setRequestId(id)
                                .setKey("mlflow.artifactLocation")
                                .build())))
                .isEqualTo("Tag 'mlflow.artifactLocation' is immutable and cannot be deleted on a trace.");
        TraceInfo ended = traces.endTrace(EndTrace.newBuilder()
                        .setRequestId(id)
                        .setTimestampMs(2000)
                        .setStatus(TraceStatus.OK)
                        .addTags(TraceTag.newBuilder()
                                .setKey("mlflow.artifactLocation")
                                .setValue("s3://elsewhere"))
                        .build())
                .getTraceInfo();
        assertThat(tags(ended)).containsEntry("mlflow.artifactLocation", location);
        assertThat(tags(get(id))).containsEntry("mlflow.artifactLocation", location);
    }
}
