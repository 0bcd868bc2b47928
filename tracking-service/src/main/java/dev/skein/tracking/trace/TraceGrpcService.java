package dev.skein.tracking.trace;

import static dev.skein.common.grpc.Calls.unary;

import dev.skein.proto.tracking.v1.BatchGetTraces;
import dev.skein.proto.tracking.v1.DeleteTraceTag;
import dev.skein.proto.tracking.v1.DeleteTraces;
import dev.skein.proto.tracking.v1.EndTrace;
import dev.skein.proto.tracking.v1.GetTrace;
import dev.skein.proto.tracking.v1.GetTraceInfo;
import dev.skein.proto.tracking.v1.GetTraceInfoV3;
import dev.skein.proto.tracking.v1.LogSpans;
import dev.skein.proto.tracking.v1.MutinyTraceServiceGrpc;
import dev.skein.proto.tracking.v1.SearchTraces;
import dev.skein.proto.tracking.v1.SearchTracesV3;
import dev.skein.proto.tracking.v1.SetTraceTag;
import dev.skein.proto.tracking.v1.StartTrace;
import dev.skein.proto.tracking.v1.StartTraceV3;
import dev.skein.proto.tracking.v1.Trace;
import dev.skein.proto.tracking.v1.TraceRequestMetadata;
import dev.skein.proto.tracking.v1.TraceStatus;
import dev.skein.proto.tracking.v1.TraceTag;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.assessment.TraceAssessments;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import java.util.List;

/** The gRPC face of traces: maps requests and responses, nothing else. */
@GrpcService
public class TraceGrpcService extends MutinyTraceServiceGrpc.TraceServiceImplBase {

    /** MLflow cuts tag and metadata keys and values to this many characters in its answers. */
    private static final int MAX_CHARS_IN_ANSWER = 250;

    private final TraceService traces;

    /** MLflow 3's trace infos carry the trace's assessments (assessment package). */
    private final TraceAssessments assessments;

    public TraceGrpcService(TraceService traces, TraceAssessments assessments) {
        this.traces = traces;
        this.assessments = assessments;
    }

    @Override
    public Uni<StartTrace.Response> startTrace(StartTrace r) {
        return unary(() -> traces.start(
                        r.hasExperimentId() ? r.getExperimentId() : null,
                        r.getTimestampMs(),
                        r.getRequestMetadataList().stream()
                                .map(m -> entry(m.hasKey(), m.getKey(), m.getValue()))
                                .toList(),
                        tags(r.getTagsList()))
                .map(t ->
                        StartTrace.Response.newBuilder().setTraceInfo(proto(t)).build()));
    }

    @Override
    public Uni<EndTrace.Response> endTrace(EndTrace r) {
        return unary(() -> traces.end(
                        r.getRequestId(),
                        r.getTimestampMs(),
                        r.getStatus().name(),
                        r.getRequestMetadataList().stream()
                                .map(m -> entry(m.hasKey(), m.getKey(), m.getValue()))
                                .toList(),
                        tags(r.getTagsList()))
                .map(t -> EndTrace.Response.newBuilder().setTraceInfo(proto(t)).build()));
    }

    @Override
    public Uni<GetTraceInfo.Response> getTraceInfo(GetTraceInfo r) {
        return unary(() -> traces.get(r.getRequestId()).map(t -> GetTraceInfo.Response.newBuilder()
                .setTraceInfo(proto(t))
                .build()));
    }

    @Override
    public Uni<SearchTraces.Response> searchTraces(SearchTraces r) {
        return unary(() -> traces.search(
                        r.getExperimentIdsList(),
                        r.hasFilter() ? r.getFilter() : null,
                        r.getMaxResults(),
                        r.getOrderByList(),
                        r.hasPageToken() ? r.getPageToken() : null)
                .map(page -> {
                    SearchTraces.Response.Builder b = SearchTraces.Response.newBuilder();
                    page.items().forEach(t -> b.addTraces(proto(t)));
                    if (page.nextPageToken() != null) {
                        b.setNextPageToken(page.nextPageToken());
                    }
                    return b.build();
                }));
    }

    @Override
    public Uni<DeleteTraces.Response> deleteTraces(DeleteTraces r) {
        return unary(() -> traces.delete(
                        r.hasExperimentId() ? r.getExperimentId() : null,
                        r.hasMaxTimestampMillis() ? r.getMaxTimestampMillis() : null,
                        r.hasMaxTraces() ? r.getMaxTraces() : null,
                        r.getRequestIdsList())
                .map(n -> DeleteTraces.Response.newBuilder().setTracesDeleted(n).build()));
    }

    @Override
    public Uni<SetTraceTag.Response> setTraceTag(SetTraceTag r) {
        return unary(() -> traces.setTag(
                        r.hasRequestId() ? r.getRequestId() : r.getTraceId(),
                        r.hasKey() ? r.getKey() : null,
                        r.hasValue() ? r.getValue() : null)
                .replaceWith(SetTraceTag.Response.getDefaultInstance()));
    }

    @Override
    public Uni<DeleteTraceTag.Response> deleteTraceTag(DeleteTraceTag r) {
        return unary(() -> traces.deleteTag(
                        r.hasRequestId() ? r.getRequestId() : r.getTraceId(), r.hasKey() ? r.getKey() : null)
                .replaceWith(DeleteTraceTag.Response.getDefaultInstance()));
    }

    @Override
    public Uni<StartTraceV3.Response> startTraceV3(StartTraceV3 r) {
        return unary(() -> traces.startV3(TraceV3.fromProto(r.getTrace().getTraceInfo()))
                .flatMap(t -> assessments.withAssessments(TraceV3.toProto(t)))
                .map(info -> StartTraceV3.Response.newBuilder()
                        .setTrace(Trace.newBuilder().setTraceInfo(info))
                        .build()));
    }

    @Override
    public Uni<GetTraceInfoV3.Response> getTraceInfoV3(GetTraceInfoV3 r) {
        return unary(() -> traces.get(r.getTraceId())
                .flatMap(t -> assessments.withAssessments(TraceV3.toProto(t)))
                .map(info -> GetTraceInfoV3.Response.newBuilder()
                        .setTrace(Trace.newBuilder().setTraceInfo(info))
                        .build()));
    }

    @Override
    public Uni<BatchGetTraces.Response> batchGetTraces(BatchGetTraces r) {
        return unary(() -> traces.batchGet(r.getTraceIdsList(), r.getExperimentIdsList())
                .flatMap(found ->
                        assessments.traces(found.stream().map(TraceV3::trace).toList()))
                .map(found ->
                        BatchGetTraces.Response.newBuilder().addAllTraces(found).build()));
    }

    @Override
    public Uni<GetTrace.Response> getTrace(GetTrace r) {
        return unary(() -> traces.getWithSpans(r.hasTraceId() ? r.getTraceId() : null)
                .flatMap(t -> assessments.withAssessments(TraceV3.trace(t)))
                .map(t -> GetTrace.Response.newBuilder().setTrace(t).build()));
    }

    @Override
    public Uni<SearchTracesV3.Response> searchTracesV3(SearchTracesV3 r) {
        return unary(() -> traces.searchV3(
                        TraceV3.experimentIds(r.getLocationsList()),
                        r.hasFilter() ? r.getFilter() : null,
                        r.getMaxResults(),
                        r.getOrderByList(),
                        r.hasPageToken() ? r.getPageToken() : null)
                .flatMap(page -> assessments
                        .infos(page.items().stream().map(TraceV3::toProto).toList())
                        .map(infos -> {
                            SearchTracesV3.Response.Builder b =
                                    SearchTracesV3.Response.newBuilder().addAllTraces(infos);
                            if (page.nextPageToken() != null) {
                                b.setNextPageToken(page.nextPageToken());
                            }
                            return b.build();
                        })));
    }

    @Override
    public Uni<LogSpans.Response> logSpans(LogSpans r) {
        return unary(() -> traces.logSpans(r.hasExperimentId() ? r.getExperimentId() : null, r.getSpansList())
                .map(n -> LogSpans.Response.newBuilder()
                        .setSpans(r.getSpansCount())
                        .setTraces(n)
                        .build()));
    }

    private static List<KeyValue> tags(List<TraceTag> tags) {
        return tags.stream()
                .map(t -> entry(t.hasKey(), t.getKey(), t.getValue()))
                .toList();
    }

    private static KeyValue entry(boolean hasKey, String key, String value) {
        return new KeyValue(hasKey ? key : null, value);
    }

    static dev.skein.proto.tracking.v1.TraceInfo proto(TraceInfo t) {
        var b = dev.skein.proto.tracking.v1.TraceInfo.newBuilder()
                .setRequestId(t.requestId())
                .setExperimentId(Long.toString(t.experimentId()))
                .setTimestampMs(t.timestampMs())
                .setExecutionTimeMs(t.executionTimeMs() == null ? 0 : t.executionTimeMs())
                .setStatus(TraceStatus.valueOf(t.status()));
        t.requestMetadata()
                .forEach(m -> b.addRequestMetadata(
                        TraceRequestMetadata.newBuilder().setKey(cut(m.key())).setValue(cut(m.value()))));
        t.tags()
                .forEach(tag ->
                        b.addTags(TraceTag.newBuilder().setKey(cut(tag.key())).setValue(cut(tag.value()))));
        return b.build();
    }

    private static String cut(String s) {
        return s == null ? "" : s.length() > MAX_CHARS_IN_ANSWER ? s.substring(0, MAX_CHARS_IN_ANSWER) : s;
    }
}
