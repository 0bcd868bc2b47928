package dev.skein.tracking.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.skein.common.error.GrpcErrors;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.CreateLoggedModel;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.DeleteExperiment;
import dev.skein.proto.tracking.v1.GetLoggedModel;
import dev.skein.proto.tracking.v1.LoggedModel;
import dev.skein.proto.tracking.v1.LoggedModelParameter;
import dev.skein.proto.tracking.v1.LoggedModelServiceGrpc.LoggedModelServiceBlockingStub;
import dev.skein.proto.tracking.v1.LoggedModelStatus;
import dev.skein.proto.tracking.v1.LoggedModelTag;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** MLflow 3's logged models over gRPC, against PostgreSQL. */
@QuarkusTest
class LoggedModelTest {

    @GrpcClient("tracking")
    LoggedModelServiceBlockingStub models;

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    private String newExperiment() {
        return tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName("models-" + UUID.randomUUID())
                        .build())
                .getExperimentId();
    }

    private String newRun(String experimentId) {
        return tracking.createRun(CreateRun.newBuilder()
                        .setExperimentId(experimentId)
                        .setUserId("tester")
                        .build())
                .getRun()
                .getInfo()
                .getRunId();
    }

    LoggedModel create(CreateLoggedModel.Builder b) {
        return models.createLoggedModel(b.build()).getModel();
    }

    LoggedModel get(String modelId) {
        return models.getLoggedModel(
                        GetLoggedModel.newBuilder().setModelId(modelId).build())
                .getModel();
    }

    static Map<String, String> tags(LoggedModel m) {
        return m.getInfo().getTagsList().stream()
                .collect(Collectors.toMap(LoggedModelTag::getKey, LoggedModelTag::getValue));
    }

    static Map<String, String> params(LoggedModel m) {
        return m.getData().getParamsList().stream()
                .collect(Collectors.toMap(LoggedModelParameter::getKey, LoggedModelParameter::getValue));
    }

    static void assertError(ThrowingCallable call, ErrorCode code, String message) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
        assertThat(e).as("expected %s", code).isNotNull();
        assertThat(GrpcErrors.errorCode(e)).isEqualTo(code);
        assertThat(e.getStatus().getDescription()).contains(message);
    }

    @Test
    void shouldCreatePendingModelWithIdNameLocationParamsAndTags() {
        String exp = newExperiment();
        String run = newRun(exp);
        LoggedModel m = create(CreateLoggedModel.newBuilder()
                .setExperimentId(exp)
                .setName("my-model")
                .setModelType("agent")
                .setSourceRunId(run)
                .addParams(LoggedModelParameter.newBuilder().setKey("alpha").setValue("0.5"))
                .addTags(LoggedModelTag.newBuilder().setKey("team").setValue("search")));

        assertThat(m.getInfo().getModelId()).matches("m-[0-9a-f]{32}");
        assertThat(m.getInfo().getExperimentId()).isEqualTo(exp);
        assertThat(m.getInfo().getName()).isEqualTo("my-model");
        assertThat(m.getInfo().getModelType()).isEqualTo("agent");
        assertThat(m.getInfo().getSourceRunId()).isEqualTo(run);
        assertThat(m.getInfo().getStatus()).isEqualTo(LoggedModelStatus.LOGGED_MODEL_PENDING);
        assertThat(m.getInfo().getArtifactUri())
                .isEqualTo("mlflow-artifacts:/" + exp + "/models/" + m.getInfo().getModelId() + "/artifacts");
        assertThat(m.getInfo().getCreationTimestampMs()).isPositive();
        assertThat(m.getInfo().getLastUpdatedTimestampMs())
                .isEqualTo(m.getInfo().getCreationTimestampMs());
        assertThat(params(m)).containsExactly(Map.entry("alpha", "0.5"));
        assertThat(tags(m)).containsExactly(Map.entry("team", "search"));

        LoggedModel read = get(m.getInfo().getModelId());
        assertThat(read).isEqualTo(m);
    }

    @Test
    void shouldGenerateNameWhenAbsent() {
        LoggedModel m = create(CreateLoggedModel.newBuilder().setExperimentId(newExperiment()));
        assertThat(m.getInfo().getName()).matches("[a-z]+-[a-z]+-\\d+");
        assertThat(m.getInfo().hasSourceRunId()).isFalse();
    }

    @Test
    void shouldRefuseCreateWithMLflowErrors() {
        assertError(
                () -> create(CreateLoggedModel.newBuilder()),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "Missing value for required parameter 'experiment_id'");
        assertError(
                () -> create(CreateLoggedModel.newBuilder().setExperimentId("987654321")),
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                "No Experiment with id=987654321 exists");
        String exp = newExperiment();
        assertError(
                () -> create(CreateLoggedModel.newBuilder().setExperimentId(exp).setName("a/b")),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "Invalid model name");
        assertError(
                () -> create(CreateLoggedModel.newBuilder()
                        .setExperimentId(exp)
                        .addParams(LoggedModelParameter.newBuilder().setKey("k").setValue("1"))
                        .addParams(LoggedModelParameter.newBuilder().setKey("k").setValue("2"))),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "unique, non-null keys");
        tracking.deleteExperiment(
                DeleteExperiment.newBuilder().setExperimentId(exp).build());
        assertError(
                () -> create(CreateLoggedModel.newBuilder().setExperimentId(exp)),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "must be in the 'active' state");
    }

    @Test
    void shouldReportUnknownModel() {
        assertError(
                () -> get("m-00000000000000000000000000000000"),
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                "Logged model with ID 'm-00000000000000000000000000000000' not found.");
    }
}
