package dev.skein.tracking.trace;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.skein.common.error.ApiException;
import dev.skein.proto.tracking.v1.Trace;
import dev.skein.proto.tracking.v1.TraceInfoV3;
import dev.skein.proto.tracking.v1.TraceLocation;
import dev.skein.tracking.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Maps MLflow 3's trace messages to and from {@link TraceInfo}: one place for TraceInfoV3. */
final class TraceV3 {

    private TraceV3() {}

    static TraceInfoV3 toProto(TraceInfo t) {
        TraceInfoV3.Builder b = TraceInfoV3.newBuilder()
                .setTraceId(t.requestId())
                .setTraceLocation(TraceLocation.newBuilder()
                        .setType(TraceLocation.TraceLocationType.MLFLOW_EXPERIMENT)
                        .setMlflowExperiment(TraceLocation.MlflowExperimentLocation.newBuilder()
                                .setExperimentId(Long.toString(t.experimentId()))))
                .setRequestTime(Timestamp.newBuilder()
                        .setSeconds(Math.floorDiv(t.timestampMs(), 1000))
                        .setNanos((int) Math.floorMod(t.timestampMs(), 1000) * 1_000_000))
                .setState(state(t.status()));
        if (t.executionTimeMs() != null) {
            b.setExecutionDuration(Duration.newBuilder()
                    .setSeconds(t.executionTimeMs() / 1000)
                    .setNanos((int) (t.executionTimeMs() % 1000) * 1_000_000));
        }
        if (t.clientRequestId() != null) {
            b.setClientRequestId(t.clientRequestId());
        }
        if (t.requestPreview() != null) {
            b.setRequestPreview(t.requestPreview());
        }
        if (t.responsePreview() != null) {
            b.setResponsePreview(t.responsePreview());
        }
        t.requestMetadata().forEach(m -> b.putTraceMetadata(m.key(), m.value() == null ? "" : m.value()));
        t.tags().forEach(tag -> b.putTags(tag.key(), tag.value() == null ? "" : tag.value()));
        return b.build();
    }

    /** The trace info a client sent; its experiment must be an MLflow experiment location. */
    static TraceInfo fromProto(TraceInfoV3 p) {
        TraceLocation location = p.getTraceLocation();
        if (!location.hasMlflowExperiment()
                || !location.getMlflowExperiment().hasExperimentId()
                || location.getMlflowExperiment().getExperimentId().isEmpty()) {
            throw ApiException.invalidParameter(
                    "trace_location must be an MLflow experiment (mlflow_experiment.experiment_id)");
        }
        long experimentId;
        try {
            experimentId = Long.parseLong(location.getMlflowExperiment().getExperimentId());
        } catch (NumberFormatException e) {
            throw ApiException.notFound(
                    "No Experiment with id=" + location.getMlflowExperiment().getExperimentId() + " exists");
        }
        // the JSON form is range-checked when it is read; the object form ({seconds, nanos}) is not
        if (!Timestamps.isValid(p.getRequestTime())) {
            throw ApiException.invalidParameter("Invalid request_time: seconds must be within years 1 to 9999 and"
                    + " nanos within [0, 999999999], got " + p.getRequestTime().getSeconds() + " s, "
                    + p.getRequestTime().getNanos() + " ns");
        }
        if (p.hasExecutionDuration()
                && (!Durations.isValid(p.getExecutionDuration()) || Durations.isNegative(p.getExecutionDuration()))) {
            throw ApiException.invalidParameter("Invalid execution_duration: it must be a duration of 0 to 10,000"
                    + " years, its nanos within [0, 999999999], got "
                    + p.getExecutionDuration().getSeconds()
                    + " s, " + p.getExecutionDuration().getNanos() + " ns");
        }
        long start = Timestamps.toMillis(p.getRequestTime());
        Long duration = p.hasExecutionDuration() ? Durations.toMillis(p.getExecutionDuration()) : null;
        String status =
                switch (p.getState()) {
                    case OK -> "OK";
                    case ERROR -> "ERROR";
                    case IN_PROGRESS -> TraceInfo.IN_PROGRESS;
                    default -> "TRACE_STATUS_UNSPECIFIED";
                };
        return new TraceInfo(
                p.hasTraceId() ? p.getTraceId() : null,
                experimentId,
                start,
                duration,
                status,
                entries(p.getTraceMetadataMap()),
                entries(p.getTagsMap()),
                p.hasClientRequestId() ? p.getClientRequestId() : null,
                p.hasRequestPreview() ? p.getRequestPreview() : p.hasRequest() ? p.getRequest() : null,
                p.hasResponsePreview() ? p.getResponsePreview() : p.hasResponse() ? p.getResponse() : null);
    }

    static Trace trace(TraceService.WithSpans t) {
        Trace.Builder b = Trace.newBuilder().setTraceInfo(toProto(t.info()));
        for (byte[] span : t.spans()) {
            try {
                b.addSpans(Span.parseFrom(span));
            } catch (InvalidProtocolBufferException e) {
                // written by LogSpans from a parsed span: unreadable bytes are corruption, not input
                throw new IllegalStateException(
                        "Stored span of trace " + t.info().requestId() + " is unreadable", e);
            }
        }
        return b.build();
    }

    /** Experiment ids of search locations; only MLflow experiments can be searched here. */
    static List<String> experimentIds(List<TraceLocation> locations) {
        List<String> ids = new ArrayList<>();
        for (TraceLocation l : locations) {
            if (!l.hasMlflowExperiment()) {
                throw ApiException.invalidParameter(
                        "Only MLflow experiment locations (mlflow_experiment) can be searched, got " + l.getType());
            }
            ids.add(l.getMlflowExperiment().getExperimentId());
        }
        return ids;
    }

    private static TraceInfoV3.State state(String status) {
        return switch (status) {
            case "OK" -> TraceInfoV3.State.OK;
            case "ERROR" -> TraceInfoV3.State.ERROR;
            case TraceInfo.IN_PROGRESS -> TraceInfoV3.State.IN_PROGRESS;
            default -> TraceInfoV3.State.STATE_UNSPECIFIED;
        };
    }

    private static List<KeyValue> entries(Map<String, String> map) {
        return map.entrySet().stream()
                .map(e -> new KeyValue(e.getKey(), e.getValue()))
                .toList();
    }
}
