package dev.skein.tracking.assessment;

import static dev.skein.common.grpc.Calls.unary;

import dev.skein.common.error.ApiException;
import dev.skein.proto.tracking.v1.CreateAssessment;
import dev.skein.proto.tracking.v1.DeleteAssessment;
import dev.skein.proto.tracking.v1.GetAssessmentRequest;
import dev.skein.proto.tracking.v1.MutinyAssessmentServiceGrpc;
import dev.skein.proto.tracking.v1.UpdateAssessment;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import java.util.LinkedHashMap;

/** The gRPC face of MLflow 3's assessments: maps requests and responses, nothing else. */
@GrpcService
public class AssessmentGrpcService extends MutinyAssessmentServiceGrpc.AssessmentServiceImplBase {

    private final AssessmentService assessments;

    public AssessmentGrpcService(AssessmentService assessments) {
        this.assessments = assessments;
    }

    @Override
    public Uni<CreateAssessment.Response> createAssessment(CreateAssessment r) {
        return unary(() -> {
            if (!r.hasAssessment()) {
                throw ApiException.missing("assessment");
            }
            var given = r.getAssessment();
            return assessments
                    .create(AssessmentProtos.fromProto(given, given.hasTraceId() ? given.getTraceId() : null))
                    .map(a -> CreateAssessment.Response.newBuilder()
                            .setAssessment(AssessmentProtos.toProto(a))
                            .build());
        });
    }

    @Override
    public Uni<GetAssessmentRequest.Response> getAssessment(GetAssessmentRequest r) {
        return unary(() -> assessments
                .get(r.hasTraceId() ? r.getTraceId() : null, r.hasAssessmentId() ? r.getAssessmentId() : null)
                .map(a -> GetAssessmentRequest.Response.newBuilder()
                        .setAssessment(AssessmentProtos.toProto(a))
                        .build()));
    }

    /** The mask's paths as MLflow's handler reads them; paths it does not know are ignored, as there. */
    @Override
    public Uni<UpdateAssessment.Response> updateAssessment(UpdateAssessment r) {
        return unary(() -> {
            if (!r.hasAssessment()) {
                throw ApiException.missing("assessment");
            }
            if (!r.hasUpdateMask() || r.getUpdateMask().getPathsCount() == 0) {
                throw ApiException.missing("update_mask");
            }
            var p = r.getAssessment();
            String name = null;
            boolean feedback = false;
            boolean expectation = false;
            String valueJson = null;
            Assessment.Error error = null;
            String rationale = null;
            LinkedHashMap<String, String> metadata = null;
            for (String path : r.getUpdateMask().getPathsList()) {
                switch (path) {
                    case "assessment_name" -> name = p.getAssessmentName();
                    case "feedback" -> {
                        feedback = true;
                        valueJson = AssessmentProtos.feedbackValue(p.getFeedback());
                        error = AssessmentProtos.error(p.getFeedback());
                    }
                    case "expectation" -> {
                        expectation = true;
                        valueJson = AssessmentProtos.expectationValue(p.getExpectation());
                    }
                    case "rationale" -> rationale = p.getRationale();
                    case "metadata" -> metadata = new LinkedHashMap<>(p.getMetadataMap());
                    default -> {
                        // span_id, source, overrides, valid… are not updatable; MLflow ignores them too
                        // (validity follows overrides: set when overridden, restored on delete)
                    }
                }
            }
            String traceId = r.hasTraceId() ? r.getTraceId() : p.hasTraceId() ? p.getTraceId() : null;
            String assessmentId =
                    r.hasAssessmentId() ? r.getAssessmentId() : p.hasAssessmentId() ? p.getAssessmentId() : null;
            return assessments
                    .update(
                            traceId,
                            assessmentId,
                            new AssessmentService.Update(
                                    name, feedback, expectation, valueJson, error, rationale, metadata))
                    .map(a -> UpdateAssessment.Response.newBuilder()
                            .setAssessment(AssessmentProtos.toProto(a))
                            .build());
        });
    }

    @Override
    public Uni<DeleteAssessment.Response> deleteAssessment(DeleteAssessment r) {
        return unary(() -> assessments
                .delete(r.hasTraceId() ? r.getTraceId() : null, r.hasAssessmentId() ? r.getAssessmentId() : null)
                .replaceWith(DeleteAssessment.Response.getDefaultInstance()));
    }
}
