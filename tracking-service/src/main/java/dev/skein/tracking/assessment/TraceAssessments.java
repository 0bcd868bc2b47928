package dev.skein.tracking.assessment;

import dev.skein.proto.tracking.v1.Trace;
import dev.skein.proto.tracking.v1.TraceInfoV3;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;

/**
 * Adds the traces' assessments to MLflow 3 trace infos ({@code TraceInfoV3.assessments}) wherever
 * the trace API answers them: one query for all the traces of an answer.
 */
@ApplicationScoped
public class TraceAssessments {

    private final AssessmentService assessments;

    public TraceAssessments(AssessmentService assessments) {
        this.assessments = assessments;
    }

    public Uni<TraceInfoV3> withAssessments(TraceInfoV3 info) {
        return infos(List.of(info)).map(infos -> infos.get(0));
    }

    public Uni<List<TraceInfoV3>> infos(List<TraceInfoV3> infos) {
        return assessments
                .byTrace(infos.stream().map(TraceInfoV3::getTraceId).toList())
                .map(found -> infos.stream().map(i -> add(i, found)).toList());
    }

    public Uni<Trace> withAssessments(Trace trace) {
        return traces(List.of(trace)).map(traces -> traces.get(0));
    }

    public Uni<List<Trace>> traces(List<Trace> traces) {
        return assessments
                .byTrace(traces.stream().map(t -> t.getTraceInfo().getTraceId()).toList())
                .map(found -> traces.stream()
                        .map(t -> found.containsKey(t.getTraceInfo().getTraceId())
                                ? t.toBuilder()
                                        .setTraceInfo(add(t.getTraceInfo(), found))
                                        .build()
                                : t)
                        .toList());
    }

    private static TraceInfoV3 add(TraceInfoV3 info, Map<String, List<Assessment>> found) {
        List<Assessment> of = found.get(info.getTraceId());
        if (of == null) {
            return info;
        }
        TraceInfoV3.Builder b = info.toBuilder();
        of.forEach(a -> b.addAssessments(AssessmentProtos.toProto(a)));
        return b.build();
    }
}
