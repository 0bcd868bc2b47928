package dev.skein.tracking;

import static dev.skein.tracking.Grpc.fails;
import static dev.skein.tracking.Grpc.getRun;
import static dev.skein.tracking.Grpc.metric;
import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.Dataset;
import dev.skein.proto.tracking.v1.DatasetInput;
import dev.skein.proto.tracking.v1.DeleteRun;
import dev.skein.proto.tracking.v1.DeleteTag;
import dev.skein.proto.tracking.v1.GetMetricHistory;
import dev.skein.proto.tracking.v1.InputTag;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.LogInputs;
import dev.skein.proto.tracking.v1.LogMetric;
import dev.skein.proto.tracking.v1.LogModel;
import dev.skein.proto.tracking.v1.LogParam;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.Param;
import dev.skein.proto.tracking.v1.RestoreRun;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.RunInfo;
import dev.skein.proto.tracking.v1.RunStatus;
import dev.skein.proto.tracking.v1.RunTag;
import dev.skein.proto.tracking.v1.SetTag;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import dev.skein.proto.tracking.v1.UpdateRun;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
class RunTest {

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    private static String tagValue(Run run, String key) {
        return run.getData().getTagsList().stream()
                .filter(t -> t.getKey().equals(key))
                .map(RunTag::getValue)
                .findFirst()
                .orElse(null);
    }

    @Test
    void shouldCreateRunWithGeneratedNameInTheRunNameTag() {
        String exp = newExperiment(tracking);
        Run run = tracking.createRun(CreateRun.newBuilder()
                        .setExperimentId(exp)
                        .setUserId("ada")
                        .setStartTime(42)
                        .build())
                .getRun();
        RunInfo info = run.getInfo();
        assertThat(info.getRunId()).matches("[0-9a-f]{32}").isEqualTo(info.getRunUuid());
        assertThat(info.getRunName()).matches("[a-z]+-[a-z]+-\\d+");
        assertThat(tagValue(run, "mlflow.runName")).isEqualTo(info.getRunName());
        assertThat(info.getStatus()).isEqualTo(RunStatus.RUNNING);
        assertThat(info.getStartTime()).isEqualTo(42);
        assertThat(info.getUserId()).isEqualTo("ada");
        assertThat(info.getLifecycleStage()).isEqualTo("active");
        assertThat(info.getArtifactUri()).isEqualTo("mlflow-artifacts:/" + exp + "/" + info.getRunId() + "/artifacts");
        assertThat(getRun(tracking, info.getRunId()).getInfo()).isEqualTo(info);
    }

    @Test
    void shouldUseTheDefaultExperimentAndTheNameGivenByTagOrArgument() {
        Run byTag = tracking.createRun(CreateRun.newBuilder()
                        .addTags(RunTag.newBuilder().setKey("mlflow.runName").setValue("from-tag"))
                        .build())
                .getRun();
        assertThat(byTag.getInfo().getExperimentId()).isEqualTo("0");
        assertThat(byTag.getInfo().getRunName()).isEqualTo("from-tag");
        Run byArg = tracking.createRun(
                        CreateRun.newBuilder().setRunName("from-arg").build())
                .getRun();
        assertThat(tagValue(byArg, "mlflow.runName")).isEqualTo("from-arg");
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.createRun(CreateRun.newBuilder()
                        .setRunName("a")
                        .addTags(RunTag.newBuilder().setKey("mlflow.runName").setValue("b"))
                        .build()));
        fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> tracking.createRun(
                        CreateRun.newBuilder().setExperimentId("987654321").build()));
    }

    @Test
    void shouldUpdateStatusEndTimeAndNameKeepingTheTagInStep() {
        String run = newRun(tracking, newExperiment(tracking));
        RunInfo info = tracking.updateRun(UpdateRun.newBuilder()
                        .setRunId(run)
                        .setStatus(RunStatus.FINISHED)
                        .setEndTime(1234)
                        .setRunName("final")
                        .build())
                .getRunInfo();
        assertThat(info.getStatus()).isEqualTo(RunStatus.FINISHED);
        assertThat(info.getEndTime()).isEqualTo(1234);
        assertThat(info.getRunName()).isEqualTo("final");
        assertThat(tagValue(getRun(tracking, run), "mlflow.runName")).isEqualTo("final");

        tracking.setTag(SetTag.newBuilder()
                .setRunId(run)
                .setKey("mlflow.runName")
                .setValue("by-tag")
                .build());
        assertThat(getRun(tracking, run).getInfo().getRunName()).isEqualTo("by-tag");
    }

    @Test
    void shouldDeleteAndRestoreRunsAndRefuseWritesToDeletedRuns() {
        String run = newRun(tracking, newExperiment(tracking));
        tracking.deleteRun(DeleteRun.newBuilder().setRunId(run).build());
        assertThat(getRun(tracking, run).getInfo().getLifecycleStage()).isEqualTo("deleted");
        String message = fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.logMetric(LogMetric.newBuilder()
                        .setRunId(run)
                        .setKey("m")
                        .setValue(1)
                        .setTimestamp(1)
                        .build()));
        assertThat(message).isEqualTo("The run " + run + " must be in the 'active' state. Current state is deleted.");
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.logParam(LogParam.newBuilder()
                        .setRunId(run)
                        .setKey("p")
                        .setValue("v")
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.setTag(SetTag.newBuilder()
                        .setRunId(run)
                        .setKey("t")
                        .setValue("v")
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.updateRun(UpdateRun.newBuilder()
                        .setRunId(run)
                        .setStatus(RunStatus.FAILED)
                        .build()));
        assertThat(getRun(tracking, run).getData().getMetricsList()).isEmpty();

        tracking.restoreRun(RestoreRun.newBuilder().setRunId(run).build());
        tracking.logMetric(LogMetric.newBuilder()
                .setRunId(run)
                .setKey("m")
                .setValue(1)
                .setTimestamp(1)
                .build());
        assertThat(getRun(tracking, run).getData().getMetricsCount()).isEqualTo(1);
    }

    @Test
    void shouldAnswerMlflowErrorsForUnknownOrMalformedRunIds() {
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> getRun(tracking, "0123456789abcdef")))
                .isEqualTo("Run with id=0123456789abcdef not found");
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> getRun(tracking, "../etc"));
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> tracking.deleteRun(DeleteRun.getDefaultInstance()));
    }

    @Test
    void shouldKeepTheLatestMetricByStepThenTimestampThenValue() {
        String run = newRun(tracking, newExperiment(tracking));
        log(run, metric("m", 1.0, 1000, 1));
        log(run, metric("m", 2.0, 2000, -5));
        log(run, metric("m", -3.0, 3000, 4));
        log(run, metric("m", 4.0, 2999, 4));
        Metric latest = getRun(tracking, run).getData().getMetrics(0);
        assertThat(latest.getValue()).isEqualTo(-3.0);
        assertThat(latest.getTimestamp()).isEqualTo(3000);
        assertThat(latest.getStep()).isEqualTo(4);
        // same step and timestamp: the higher value wins, a lower one never replaces it
        log(run, metric("m", -4.0, 3000, 4));
        assertThat(getRun(tracking, run).getData().getMetrics(0).getValue()).isEqualTo(-3.0);
        log(run, metric("m", -2.0, 3000, 4));
        assertThat(getRun(tracking, run).getData().getMetrics(0).getValue()).isEqualTo(-2.0);
        // the history comes back in the order it was logged
        var history = Grpc.history(
                tracking,
                GetMetricHistory.newBuilder().setRunId(run).setMetricKey("m").build());
        assertThat(history.getMetricsList())
                .extracting(Metric::getValue)
                .containsExactly(1.0, 2.0, -3.0, 4.0, -4.0, -2.0);
    }

    @Test
    void shouldRoundTripNanAndInfinities() {
        String run = newRun(tracking, newExperiment(tracking));
        log(run, metric("nan", Double.NaN, 1, 0));
        log(run, metric("pos", Double.POSITIVE_INFINITY, 1, 0));
        log(run, metric("neg", Double.NEGATIVE_INFINITY, 1, 0));
        assertThat(getRun(tracking, run).getData().getMetricsList())
                .extracting(Metric::getKey, Metric::getValue)
                .containsExactly(
                        tuple("nan", Double.NaN),
                        tuple("neg", Double.NEGATIVE_INFINITY),
                        tuple("pos", Double.POSITIVE_INFINITY));
    }

    private void log(String run, Metric m) {
        tracking.logMetric(LogMetric.newBuilder()
                .setRunId(run)
                .setKey(m.getKey())
                .setValue(m.getValue())
                .setTimestamp(m.getTimestamp())
                .setStep(m.getStep())
                .build());
    }

    @Test
    void shouldKeepParamsImmutable() {
        String run = newRun(tracking, newExperiment(tracking));
        tracking.logParam(
                LogParam.newBuilder().setRunId(run).setKey("lr").setValue("0.1").build());
        tracking.logParam(
                LogParam.newBuilder().setRunId(run).setKey("lr").setValue("0.1").build());
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> tracking.logParam(LogParam.newBuilder()
                                .setRunId(run)
                                .setKey("lr")
                                .setValue("0.2")
                                .build())))
                .contains("lr")
                .contains("0.1")
                .contains("0.2");
        assertThat(getRun(tracking, run).getData().getParamsList())
                .containsExactly(Param.newBuilder().setKey("lr").setValue("0.1").build());
    }

    @Test
    void shouldLogBatchAtomically() {
        String run = newRun(tracking, newExperiment(tracking));
        tracking.logParam(LogParam.newBuilder()
                .setRunId(run)
                .setKey("fixed")
                .setValue("1")
                .build());
        // the changed param fails the whole batch: none of its metrics, params or tags are written
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.logBatch(LogBatch.newBuilder()
                        .setRunId(run)
                        .addMetrics(metric("m", 1, 1, 0))
                        .addParams(Param.newBuilder().setKey("new").setValue("x"))
                        .addParams(Param.newBuilder().setKey("fixed").setValue("2"))
                        .addTags(RunTag.newBuilder().setKey("t").setValue("v"))
                        .build()));
        Run after = getRun(tracking, run);
        assertThat(after.getData().getMetricsList()).isEmpty();
        assertThat(after.getData().getParamsList()).extracting(Param::getKey).containsExactly("fixed");
        assertThat(after.getData().getTagsList()).extracting(RunTag::getKey).containsExactly("mlflow.runName");

        tracking.logBatch(LogBatch.newBuilder()
                .setRunId(run)
                .addMetrics(metric("m", 1, 10, 0))
                .addMetrics(metric("m", 3, 30, 2))
                .addMetrics(metric("m", 2, 20, 1))
                .addParams(Param.newBuilder().setKey("new").setValue("x"))
                .addTags(RunTag.newBuilder().setKey("t").setValue("v1"))
                .addTags(RunTag.newBuilder().setKey("t").setValue("v2"))
                .build());
        Run logged = getRun(tracking, run);
        assertThat(logged.getData().getMetricsList())
                .extracting(Metric::getValue)
                .containsExactly(3.0);
        assertThat(logged.getData().getParamsList()).extracting(Param::getKey).containsExactly("fixed", "new");
        assertThat(logged.getData().getTagsList())
                .extracting(RunTag::getKey, RunTag::getValue)
                .contains(tuple("t", "v2"));
    }

    @Test
    void shouldEnforceMlflowBatchLimitsAndKeyRules() {
        String run = newRun(tracking, newExperiment(tracking));
        LogBatch.Builder tooMany = LogBatch.newBuilder().setRunId(run);
        for (int i = 0; i < 1001; i++) {
            tooMany.addMetrics(metric("m" + i, i, 1, 0));
        }
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> tracking.logBatch(tooMany.build())))
                .contains("at most 1000 metrics")
                .contains("Got 1001");
        LogBatch.Builder params = LogBatch.newBuilder().setRunId(run);
        for (int i = 0; i < 101; i++) {
            params.addParams(Param.newBuilder().setKey("p" + i).setValue("v"));
        }
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> tracking.logBatch(params.build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.logBatch(LogBatch.newBuilder()
                        .setRunId(run)
                        .addParams(Param.newBuilder().setKey("dup").setValue("a"))
                        .addParams(Param.newBuilder().setKey("dup").setValue("a"))
                        .build()));
        for (String bad : List.of("../up", "/abs", "a//b", "a/./b", "bad*char", "", "x".repeat(251))) {
            fails(
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    () -> tracking.setTag(SetTag.newBuilder()
                            .setRunId(run)
                            .setKey(bad)
                            .setValue("v")
                            .build()));
        }
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.logParam(LogParam.newBuilder()
                        .setRunId(run)
                        .setKey("long")
                        .setValue("v".repeat(6001))
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.setTag(SetTag.newBuilder()
                        .setRunId(run)
                        .setKey("long")
                        .setValue("v".repeat(5001))
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.logMetric(LogMetric.newBuilder()
                        .setRunId(run)
                        .setKey("m")
                        .setValue(1)
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.logMetric(LogMetric.newBuilder()
                        .setRunId(run)
                        .setKey("m")
                        .setValue(1)
                        .setTimestamp(-1)
                        .build()));
        // nothing of the above was written
        Run after = getRun(tracking, run);
        assertThat(after.getData().getMetricsList()).isEmpty();
        assertThat(after.getData().getParamsList()).isEmpty();
        assertThat(after.getData().getTagsList()).extracting(RunTag::getKey).containsExactly("mlflow.runName");
    }

    @Test
    void shouldAcceptValuesUpToMlflowsLimitsWhateverTheirContent() {
        String run = newRun(tracking, newExperiment(tracking));
        java.util.Random random = new java.util.Random(7);
        String param = random.ints(6000, 33, 0x2FFF)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
        String tag = random.ints(5000, 33, 0x2FFF)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
        tracking.logParam(LogParam.newBuilder()
                .setRunId(run)
                .setKey("long")
                .setValue(param)
                .build());
        tracking.setTag(
                SetTag.newBuilder().setRunId(run).setKey("long").setValue(tag).build());
        Run got = getRun(tracking, run);
        assertThat(got.getData().getParams(0).getValue()).isEqualTo(param);
        assertThat(tagValue(got, "long")).isEqualTo(tag);
        // PostgreSQL text cannot hold NUL: the caller's value is refused, not a server failure
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.setTag(SetTag.newBuilder()
                        .setRunId(run)
                        .setKey("nul")
                        .setValue("a\u0000b")
                        .build()));
    }

    @Test
    void shouldDeleteTagsWithMlflowMessages() {
        String run = newRun(tracking, newExperiment(tracking));
        tracking.setTag(
                SetTag.newBuilder().setRunId(run).setKey("tag0").setValue("v").build());
        tracking.deleteTag(DeleteTag.newBuilder().setRunId(run).setKey("tag0").build());
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> tracking.deleteTag(DeleteTag.newBuilder()
                                .setRunId(run)
                                .setKey("tag0")
                                .build())))
                .isEqualTo("No tag with name: tag0 in run with id " + run);
    }

    @Test
    void shouldLogDatasetInputsOncePerRun() {
        String run = newRun(tracking, newExperiment(tracking));
        DatasetInput input = DatasetInput.newBuilder()
                .addTags(InputTag.newBuilder().setKey("mlflow.data.context").setValue("training"))
                .setDataset(Dataset.newBuilder()
                        .setName("iris")
                        .setDigest("abc123")
                        .setSourceType("local")
                        .setSource("{\"uri\": \"/data/iris.csv\"}")
                        .setSchema("{\"columns\": []}"))
                .build();
        tracking.logInputs(
                LogInputs.newBuilder().setRunId(run).addDatasets(input).build());
        tracking.logInputs(
                LogInputs.newBuilder().setRunId(run).addDatasets(input).build());
        assertThat(getRun(tracking, run).getInputs().getDatasetInputsList()).containsExactly(input);
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.logInputs(LogInputs.newBuilder()
                        .setRunId(run)
                        .addDatasets(DatasetInput.newBuilder()
                                .setDataset(Dataset.newBuilder().setName("no-digest")))
                        .build()));
    }

    @Test
    void shouldAppendLoggedModelsToTheHistoryTag() {
        String run = newRun(tracking, newExperiment(tracking));
        String model = "{\"artifact_path\": \"model\", \"flavors\": {\"python_function\": {}},"
                + " \"utc_time_created\": \"2024-01-01 00:00:00.000000\", \"run_id\": \"" + run + "\"}";
        tracking.logModel(
                LogModel.newBuilder().setRunId(run).setModelJson(model).build());
        tracking.logModel(LogModel.newBuilder()
                .setRunId(run)
                .setModelJson(model.replace("\"model\"", "\"model2\""))
                .build());
        JsonArray history = new JsonArray(tagValue(getRun(tracking, run), "mlflow.log-model.history"));
        List<String> paths = new ArrayList<>();
        history.forEach(m -> paths.add(((io.vertx.core.json.JsonObject) m).getString("artifact_path")));
        assertThat(paths).containsExactly("model", "model2");
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.logModel(LogModel.newBuilder()
                        .setRunId(run)
                        .setModelJson("{\"flavors\": {}}")
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.logModel(LogModel.newBuilder()
                        .setRunId(run)
                        .setModelJson("not json")
                        .build()));
    }
}
