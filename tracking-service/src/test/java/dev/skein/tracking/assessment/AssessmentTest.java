package dev.skein.tracking.assessment;

import static dev.skein.tracking.Grpc.fails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.skein.common.error.GrpcErrors;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.Assessment;
import dev.skein.proto.tracking.v1.AssessmentError;
import dev.skein.proto.tracking.v1.AssessmentServiceGrpc.AssessmentServiceBlockingStub;
import dev.skein.proto.tracking.v1.AssessmentSource;
import dev.skein.proto.tracking.v1.BatchGetTraces;
import dev.skein.proto.tracking.v1.CreateAssessment;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.DeleteAssessment;
import dev.skein.proto.tracking.v1.DeleteTraces;
import dev.skein.proto.tracking.v1.Expectation;
import dev.skein.proto.tracking.v1.Feedback;
import dev.skein.proto.tracking.v1.GetAssessmentRequest;
import dev.skein.proto.tracking.v1.GetTrace;
import dev.skein.proto.tracking.v1.GetTraceInfoV3;
import dev.skein.proto.tracking.v1.SearchTracesV3;
import dev.skein.proto.tracking.v1.StartTraceV3;
import dev.skein.proto.tracking.v1.Trace;
import dev.skein.proto.tracking.v1.TraceInfoV3;
import dev.skein.proto.tracking.v1.TraceLocation;
import dev.skein.proto.tracking.v1.TraceServiceGrpc.TraceServiceBlockingStub;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import dev.skein.proto.tracking.v1.UpdateAssessment;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** MLflow 3's assessments over gRPC, against PostgreSQL: create, get, update, delete, override, in trace infos. */
@QuarkusTest
class AssessmentTest {

    @GrpcClient("tracking")
    AssessmentServiceBlockingStub assessments;

    @GrpcClient("tracking")
    TraceServiceBlockingStub traces;

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    private String newTrace() {
        String exp = tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName("assessments-" + UUID.randomUUID())
                        .build())
                .getExperimentId();
        String traceId = "tr-" + UUID.randomUUID().toString().replace("-", "");
        traces.startTraceV3(StartTraceV3.newBuilder()
                .setTrace(Trace.newBuilder()
                        .setTraceInfo(TraceInfoV3.newBuilder()
                                .setTraceId(traceId)
                                .setTraceLocation(TraceLocation.newBuilder()
                                        .setType(TraceLocation.TraceLocationType.MLFLOW_EXPERIMENT)
                                        .setMlflowExperiment(TraceLocation.MlflowExperimentLocation.newBuilder()
                                                .setExperimentId(exp)))
                                .setRequestTime(Timestamp.newBuilder().setSeconds(1_700_000_000L))
                                .setState(TraceInfoV3.State.OK)))
                .build());
        return traceId;
    }

    private static String experimentOf(TraceInfoV3 info) {
        return info.getTraceLocation().getMlflowExperiment().getExperimentId();
    }

    private static Assessment.Builder feedback(String name, Value value) {
        return Assessment.newBuilder()
                .setAssessmentName(name)
                .setSource(AssessmentSource.newBuilder()
                        .setSourceType(AssessmentSource.SourceType.LLM_JUDGE)
                        .setSourceId("gpt-judge"))
                .setFeedback(Feedback.newBuilder().setValue(value));
    }

    private static Value number(double d) {
        return Value.newBuilder().setNumberValue(d).build();
    }

    private static Value string(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }

    private Assessment create(String traceId, Assessment.Builder a) {
        return assessments
                .createAssessment(CreateAssessment.newBuilder()
                        .setAssessment(a.setTraceId(traceId))
                        .build())
                .getAssessment();
    }

    private Assessment get(String traceId, String id) {
        return assessments
                .getAssessment(GetAssessmentRequest.newBuilder()
                        .setTraceId(traceId)
                        .setAssessmentId(id)
                        .build())
                .getAssessment();
    }

    private Assessment update(String traceId, String id, Assessment.Builder fields, String... paths) {
        return assessments
                .updateAssessment(UpdateAssessment.newBuilder()
                        .setTraceId(traceId)
                        .setAssessmentId(id)
                        .setAssessment(fields)
                        .setUpdateMask(FieldMask.newBuilder().addAllPaths(List.of(paths)))
                        .build())
                .getAssessment();
    }

    private void delete(String traceId, String id) {
        assessments.deleteAssessment(DeleteAssessment.newBuilder()
                .setTraceId(traceId)
                .setAssessmentId(id)
                .build());
    }

    private TraceInfoV3 info(String traceId) {
        return traces.getTraceInfoV3(
                        GetTraceInfoV3.newBuilder().setTraceId(traceId).build())
                .getTrace()
                .getTraceInfo();
    }

    @Test
    void shouldCreateFeedbackAndExpectationsAndAnswerThemInEveryTraceInfo() {
        String traceId = newTrace();
        Assessment fb = create(
                traceId,
                feedback("correctness", number(0.75))
                        .setRationale("mostly right")
                        .setSpanId("00f067aa0ba902b7")
                        .putMetadata("judge_version", "2")
                        .setCreateTime(Timestamp.newBuilder().setSeconds(1_700_000_100L)));
        assertThat(fb.getAssessmentId()).matches("a-[0-9a-f]{32}");
        assertThat(fb.getTraceId()).isEqualTo(traceId);
        assertThat(fb.getValid()).isTrue();
        assertThat(fb.getFeedback().getValue().getNumberValue()).isEqualTo(0.75);
        assertThat(fb.getSource().getSourceType()).isEqualTo(AssessmentSource.SourceType.LLM_JUDGE);
        assertThat(fb.getSource().getSourceId()).isEqualTo("gpt-judge");
        assertThat(fb.getCreateTime().getSeconds()).isEqualTo(1_700_000_100L);
        assertThat(fb.getLastUpdateTime()).isEqualTo(fb.getCreateTime());
        assertThat(fb.getMetadataMap()).containsExactly(java.util.Map.entry("judge_version", "2"));

        // a list, as MLflow's client sends it: serialized; a string as a plain value
        Assessment facts = create(
                traceId,
                Assessment.newBuilder()
                        .setAssessmentName("expected_facts")
                        .setSource(AssessmentSource.newBuilder()
                                .setSourceType(AssessmentSource.SourceType.HUMAN)
                                .setSourceId("ann@example.com"))
                        .setCreateTime(Timestamp.newBuilder().setSeconds(1_700_000_200L))
                        .setExpectation(Expectation.newBuilder()
                                .setSerializedValue(Expectation.SerializedValue.newBuilder()
                                        .setSerializationFormat("JSON_FORMAT")
                                        .setValue("[\"Paris\", \"France\"]"))));
        assertThat(facts.getExpectation().hasValue()).isFalse();
        assertThat(facts.getExpectation().getSerializedValue().getValue()).isEqualTo("[\"Paris\",\"France\"]");
        Assessment answer = create(
                traceId,
                Assessment.newBuilder()
                        .setAssessmentName("expected_response")
                        .setCreateTime(Timestamp.newBuilder().setSeconds(1_700_000_300L))
                        .setExpectation(Expectation.newBuilder().setValue(string("Paris"))));
        assertThat(answer.getExpectation().getValue().getStringValue()).isEqualTo("Paris");

        assertThat(get(traceId, fb.getAssessmentId())).isEqualTo(fb);
        TraceInfoV3 info = info(traceId);
        assertThat(info.getAssessmentsList()).containsExactly(fb, facts, answer);
        assertThat(traces.batchGetTraces(
                                BatchGetTraces.newBuilder().addTraceIds(traceId).build())
                        .getTraces(0)
                        .getTraceInfo()
                        .getAssessmentsList())
                .containsExactly(fb, facts, answer);
        assertThat(traces.getTrace(GetTrace.newBuilder().setTraceId(traceId).build())
                        .getTrace()
                        .getTraceInfo()
                        .getAssessmentsCount())
                .isEqualTo(3);
        assertThat(traces.searchTracesV3(SearchTracesV3.newBuilder()
                                .addLocations(info.getTraceLocation())
                                .build())
                        .getTraces(0)
                        .getAssessmentsList())
                .containsExactly(fb, facts, answer);
        assertThat(experimentOf(info)).isNotEmpty();
    }

    @Test
    void shouldKeepAFeedbacksErrorInPlaceOfItsValue() {
        String traceId = newTrace();
        Assessment failed = create(
                traceId,
                Assessment.newBuilder()
                        .setAssessmentName("faithfulness")
                        .setFeedback(Feedback.newBuilder()
                                .setValue(Value.newBuilder().setNullValue(NullValue.NULL_VALUE))
                                .setError(AssessmentError.newBuilder()
                                        .setErrorCode("RATE_LIMIT_EXCEEDED")
                                        .setErrorMessage("judge rate limited")
                                        .setStackTrace("Traceback …"))));
        assertThat(failed.getFeedback().getValue().hasNullValue()).isTrue();
        assertThat(failed.getFeedback().getError().getErrorCode()).isEqualTo("RATE_LIMIT_EXCEEDED");
        assertThat(get(traceId, failed.getAssessmentId())
                        .getFeedback()
                        .getError()
                        .getStackTrace())
                .isEqualTo("Traceback …");
    }

    @Test
    void shouldUpdateOnlyWhatTheMaskNames() {
        String traceId = newTrace();
        Assessment fb = create(
                traceId,
                feedback("correctness", number(0.2))
                        .setRationale("wrong city")
                        .putMetadata("a", "1")
                        .setCreateTime(Timestamp.newBuilder().setSeconds(1_700_000_000L)));
        Assessment updated = update(
                traceId,
                fb.getAssessmentId(),
                Assessment.newBuilder()
                        .setAssessmentName("ignored: not in the mask")
                        .setFeedback(Feedback.newBuilder().setValue(number(1)))
                        .setRationale("right after all")
                        .putMetadata("b", "2")
                        .setSpanId("not updatable"),
                "feedback",
                "rationale",
                "metadata",
                "span_id");
        assertThat(updated.getAssessmentName()).isEqualTo("correctness");
        assertThat(updated.getFeedback().getValue().getNumberValue()).isEqualTo(1.0);
        assertThat(updated.getRationale()).isEqualTo("right after all");
        assertThat(updated.getMetadataMap()).containsEntry("a", "1").containsEntry("b", "2");
        assertThat(updated.hasSpanId()).isFalse();
        assertThat(updated.getCreateTime()).isEqualTo(fb.getCreateTime());
        assertThat(updated.getLastUpdateTime().getSeconds())
                .isGreaterThan(fb.getCreateTime().getSeconds());
        assertThat(get(traceId, fb.getAssessmentId())).isEqualTo(updated);

        Assessment renamed = update(
                traceId,
                fb.getAssessmentId(),
                Assessment.newBuilder().setAssessmentName("accuracy"),
                "assessment_name");
        assertThat(renamed.getAssessmentName()).isEqualTo("accuracy");
        assertThat(renamed.getRationale()).isEqualTo("right after all");

        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> update(
                                traceId,
                                fb.getAssessmentId(),
                                Assessment.newBuilder()
                                        .setExpectation(Expectation.newBuilder().setValue(string("x"))),
                                "expectation")))
                .isEqualTo("Cannot update expectation value on a Feedback assessment.");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> update(traceId, fb.getAssessmentId(), Assessment.newBuilder(), "feedback")))
                .isEqualTo("Either `value` or `error` must be provided.");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> assessments.updateAssessment(UpdateAssessment.newBuilder()
                                .setTraceId(traceId)
                                .setAssessmentId(fb.getAssessmentId())
                                .setAssessment(Assessment.newBuilder())
                                .build())))
                .contains("update_mask");
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> update(
                                traceId, "a-missing", Assessment.newBuilder().setRationale("r"), "rationale")))
                .isEqualTo("Assessment with ID 'a-missing' not found for trace '" + traceId + "'");
        // the refused updates changed nothing
        assertThat(get(traceId, fb.getAssessmentId())).isEqualTo(renamed);
    }

    @Test
    void shouldInvalidateTheOverriddenAssessmentAndRestoreItWhenTheOverrideIsDeleted() {
        String traceId = newTrace();
        Assessment judge = create(
                traceId,
                feedback("correctness", Value.newBuilder().setBoolValue(false).build()));
        Assessment human = create(
                traceId,
                feedback("correctness", Value.newBuilder().setBoolValue(true).build())
                        .setSource(AssessmentSource.newBuilder()
                                .setSourceType(AssessmentSource.SourceType.HUMAN)
                                .setSourceId("bob"))
                        .setOverrides(judge.getAssessmentId()));
        assertThat(human.getOverrides()).isEqualTo(judge.getAssessmentId());
        assertThat(human.getValid()).isTrue();
        assertThat(get(traceId, judge.getAssessmentId()).getValid()).isFalse();
        assertThat(info(traceId).getAssessmentsList())
                .extracting(Assessment::getAssessmentId, Assessment::getValid)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(judge.getAssessmentId(), false),
                        org.assertj.core.groups.Tuple.tuple(human.getAssessmentId(), true));

        // overriding an assessment the trace does not have writes nothing
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> create(traceId, feedback("x", number(1)).setOverrides("a-nope"))))
                .isEqualTo("Assessment with ID 'a-nope' not found for trace '" + traceId + "'");
        assertThat(info(traceId).getAssessmentsCount()).isEqualTo(2);

        delete(traceId, human.getAssessmentId());
        assertThat(get(traceId, judge.getAssessmentId()).getValid()).isTrue();
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get(traceId, human.getAssessmentId())))
                .isEqualTo(
                        "Assessment with ID '" + human.getAssessmentId() + "' not found for trace '" + traceId + "'");
        // deleting it again is nothing to do, as in MLflow
        delete(traceId, human.getAssessmentId());
        assertThat(info(traceId).getAssessmentsList())
                .extracting(Assessment::getAssessmentId)
                .containsExactly(judge.getAssessmentId());
    }

    @Test
    void shouldRefuseBadAssessmentsWithMlflowsErrors() {
        String traceId = newTrace();
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(traceId, Assessment.newBuilder().setAssessmentName("no value"))))
                .isEqualTo("Unknown assessment type: None");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(
                                traceId,
                                Assessment.newBuilder()
                                        .setAssessmentName("empty")
                                        .setFeedback(Feedback.getDefaultInstance()))))
                .isEqualTo("Either `value` or `error` must be provided.");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(
                                traceId,
                                Assessment.newBuilder()
                                        .setAssessmentName("null")
                                        .setExpectation(Expectation.newBuilder()
                                                .setValue(Value.newBuilder().setNullValue(NullValue.NULL_VALUE))))))
                .isEqualTo("The `value` field must be specified.");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(
                                traceId,
                                Assessment.newBuilder()
                                        .setAssessmentName("pickled")
                                        .setExpectation(Expectation.newBuilder()
                                                .setSerializedValue(Expectation.SerializedValue.newBuilder()
                                                        .setSerializationFormat("PICKLE")
                                                        .setValue("x"))))))
                .isEqualTo("Unknown serialization format: PICKLE. Only JSON_FORMAT is supported.");
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> create(traceId, feedback("", number(1)))))
                .contains("assessment.assessment_name");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE, () -> create(traceId, feedback("n".repeat(251), number(1)))))
                .contains("exceeded length limit of 250");
        // a value over the limit: a list of 7,000 ten-character strings is about 84,000 characters of JSON
        ListValue.Builder big = ListValue.newBuilder();
        for (int i = 0; i < 7_000; i++) {
            big.addValues(string("0123456789"));
        }
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(
                                traceId,
                                feedback(
                                        "big",
                                        Value.newBuilder().setListValue(big).build()))))
                .contains("exceeded length limit of 65536");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(traceId, feedback("why", number(1)).setRationale("r".repeat(65_537)))))
                .contains("exceeded length limit of 65536");
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> create(traceId, feedback("nan", number(Double.NaN)))))
                .contains("NaN");
        assertThat(info(traceId).getAssessmentsCount()).isZero();

        String unknown = "tr-" + HexFormat.of().formatHex(new byte[16]);
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> create(unknown, feedback("c", number(1)))))
                .isEqualTo("Trace with ID '" + unknown + "' not found.");
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get(unknown, "a-1")))
                .isEqualTo("Trace with ID '" + unknown + "' not found.");
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get(traceId, "a-1")))
                .isEqualTo("Assessment with ID 'a-1' not found for trace '" + traceId + "'");
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> delete(unknown, "a-1")))
                .isEqualTo("Trace with ID '" + unknown + "' not found.");
    }

    @Test
    void shouldDeleteATracesAssessmentsWithTheTrace() {
        String traceId = newTrace();
        Assessment fb = create(traceId, feedback("correctness", number(1)));
        String exp = experimentOf(info(traceId));
        assertThat(traces.deleteTraces(DeleteTraces.newBuilder()
                                .setExperimentId(exp)
                                .addRequestIds(traceId)
                                .build())
                        .getTracesDeleted())
                .isEqualTo(1);
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get(traceId, fb.getAssessmentId())))
                .isEqualTo("Trace with ID '" + traceId + "' not found.");
    }

    @Test
    void shouldKeepATraceAtItsAssessmentLimitUnderConcurrentCreates() throws Exception {
        String traceId = newTrace();
        int below = AssessmentService.MAX_PER_TRACE - 5;
        for (int i = 0; i < below; i++) {
            create(traceId, feedback("f" + i, number(i)));
        }
        // 20 creates race for the last 5 places: exactly 5 are written, the others refused
        var pool = java.util.concurrent.Executors.newFixedThreadPool(20);
        try {
            List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int n = i;
                results.add(pool.submit(() -> {
                    try {
                        create(traceId, feedback("race" + n, number(n)));
                        return true;
                    } catch (StatusRuntimeException e) {
                        assertThat(GrpcErrors.errorCode(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
                        assertThat(e.getStatus().getDescription())
                                .contains("already has " + AssessmentService.MAX_PER_TRACE + " assessments");
                        return false;
                    }
                }));
            }
            int written = 0;
            for (var r : results) {
                written += r.get() ? 1 : 0;
            }
            assertThat(written).isEqualTo(5);
        } finally {
            pool.shutdownNow();
        }
        assertThat(info(traceId).getAssessmentsCount()).isEqualTo(AssessmentService.MAX_PER_TRACE);
    }

    @Test
    void shouldBoundWhatOneTracesAssessmentsHoldAndHowDeepAValueNests() {
        String traceId = newTrace();
        String rationale = "r".repeat(60_000);
        int fit = (int) (AssessmentService.MAX_BYTES_PER_TRACE / 60_100);
        for (int i = 0; i < fit; i++) {
            create(traceId, feedback("long" + i, number(i)).setRationale(rationale));
        }
        // the last free bytes but about 2,000 taken by one more
        int filler = (int) (AssessmentService.MAX_BYTES_PER_TRACE - fit * 60_100L - 2_000);
        String fillerId = create(traceId, feedback("filler", number(1)).setRationale("f".repeat(filler)))
                .getAssessmentId();
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(traceId, feedback("one-more", number(1)).setRationale("x".repeat(10_000)))))
                .contains("would hold more than " + AssessmentService.MAX_BYTES_PER_TRACE + " bytes");
        // an update may not grow the trace past it either; a smaller one is fine
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> update(
                                traceId,
                                fillerId,
                                Assessment.newBuilder().setRationale("f".repeat(filler + 10_000)),
                                "rationale")))
                .contains("would hold more than");
        assertThat(update(traceId, fillerId, Assessment.newBuilder().setRationale("short"), "rationale")
                        .getRationale())
                .isEqualTo("short");
        assertThat(info(traceId).getAssessmentsCount()).isEqualTo(fit + 1);

        // a value nested past the limit is refused: answers carry it deeper than requests
        Value deep = number(1);
        for (int i = 0; i <= AssessmentProtos.MAX_VALUE_DEPTH; i++) {
            deep = Value.newBuilder()
                    .setListValue(com.google.protobuf.ListValue.newBuilder().addValues(deep))
                    .build();
        }
        Value tooDeep = deep;
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> create(traceId, feedback("deep", tooDeep))))
                .contains("levels deep at most");
    }

    @Test
    void shouldIgnoreValidInAnUpdateMaskAsMlflowDoes() {
        String traceId = newTrace();
        Assessment first = create(traceId, feedback("q", number(1)));
        create(traceId, feedback("q", number(2)).setOverrides(first.getAssessmentId()));
        assertThat(get(traceId, first.getAssessmentId()).getValid()).isFalse();
        update(traceId, first.getAssessmentId(), Assessment.newBuilder().setValid(true), "valid");
        assertThat(get(traceId, first.getAssessmentId()).getValid()).isFalse();
    }
}
