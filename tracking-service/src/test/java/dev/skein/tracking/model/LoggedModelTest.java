package dev.skein.tracking.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.common.testing.TopicReader.Event;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.CreateLoggedModel;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.DeleteExperiment;
import dev.skein.proto.tracking.v1.DeleteLoggedModel;
import dev.skein.proto.tracking.v1.DeleteLoggedModelTag;
import dev.skein.proto.tracking.v1.FinalizeLoggedModel;
import dev.skein.proto.tracking.v1.GetLoggedModel;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.ListLoggedModelVersion;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.LogInputs;
import dev.skein.proto.tracking.v1.LogLoggedModelParamsRequest;
import dev.skein.proto.tracking.v1.LogMetric;
import dev.skein.proto.tracking.v1.LogOutputs;
import dev.skein.proto.tracking.v1.LoggedModel;
import dev.skein.proto.tracking.v1.LoggedModelParameter;
import dev.skein.proto.tracking.v1.LoggedModelServiceGrpc.LoggedModelServiceBlockingStub;
import dev.skein.proto.tracking.v1.LoggedModelStatus;
import dev.skein.proto.tracking.v1.LoggedModelTag;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.ModelInput;
import dev.skein.proto.tracking.v1.ModelOutput;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.SearchLoggedModels;
import dev.skein.proto.tracking.v1.SetLoggedModelTags;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import dev.skein.tracking.Grpc;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
        assertThat(Grpc.fails(code, call)).contains(message);
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
    void shouldListEveryVersionRegisteredAtOnceFromAModel() throws Exception {
        String id = create(CreateLoggedModel.newBuilder().setExperimentId(newExperiment()))
                .getInfo()
                .getModelId();
        int versions = 16;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(versions);
        try {
            List<java.util.concurrent.Future<?>> calls = new ArrayList<>();
            for (int v = 1; v <= versions; v++) {
                int version = v;
                calls.add(pool.submit(() -> models.listLoggedModelVersion(ListLoggedModelVersion.newBuilder()
                        .setModelId(id)
                        .setName("iris")
                        .setVersion(version)
                        .build())));
            }
            for (var call : calls) {
                call.get();
            }
        } finally {
            pool.shutdown();
        }
        // listed again: no duplicate
        models.listLoggedModelVersion(ListLoggedModelVersion.newBuilder()
                .setModelId(id)
                .setName("iris")
                .setVersion(3)
                .build());
        var listed = new io.vertx.core.json.JsonArray(tags(get(id)).get("mlflow.modelVersions"));
        assertThat(listed.stream()
                        .map(o -> ((JsonObject) o).getInteger("version"))
                        .sorted()
                        .toList())
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, versions)
                        .boxed()
                        .toList());
        assertError(
                () -> models.listLoggedModelVersion(ListLoggedModelVersion.newBuilder()
                        .setModelId("m-00000000000000000000000000000000")
                        .setName("iris")
                        .setVersion(1)
                        .build()),
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                "m-00000000000000000000000000000000");
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

    private String newModel(String exp, String name) {
        return create(CreateLoggedModel.newBuilder().setExperimentId(exp).setName(name))
                .getInfo()
                .getModelId();
    }

    private LoggedModel finalizeModel(String modelId, LoggedModelStatus status) {
        return models.finalizeLoggedModel(FinalizeLoggedModel.newBuilder()
                        .setModelId(modelId)
                        .setStatus(status)
                        .build())
                .getModel();
    }

    private static Metric.Builder point(String key, double value, long step) {
        return Metric.newBuilder()
                .setKey(key)
                .setValue(value)
                .setTimestamp(1000 + step)
                .setStep(step);
    }

    private void logBatch(String run, Metric.Builder... metrics) {
        LogBatch.Builder b = LogBatch.newBuilder().setRunId(run);
        for (Metric.Builder m : metrics) {
            b.addMetrics(m);
        }
        tracking.logBatch(b.build());
    }

    private SearchLoggedModels.Response search(SearchLoggedModels.Builder b) {
        return models.searchLoggedModels(b.build());
    }

    private static List<String> names(SearchLoggedModels.Response r) {
        return r.getModelsList().stream().map(m -> m.getInfo().getName()).toList();
    }

    @Test
    void shouldFinalizeReadyOrUploadFailedAndRefuseOtherStatuses() throws InterruptedException {
        String exp = newExperiment();
        String id = newModel(exp, "finalized");
        long created = get(id).getInfo().getLastUpdatedTimestampMs();
        Thread.sleep(5);

        LoggedModel ready = finalizeModel(id, LoggedModelStatus.LOGGED_MODEL_READY);
        assertThat(ready.getInfo().getStatus()).isEqualTo(LoggedModelStatus.LOGGED_MODEL_READY);
        assertThat(ready.getInfo().getLastUpdatedTimestampMs()).isGreaterThan(created);
        assertThat(get(id).getInfo().getStatus()).isEqualTo(LoggedModelStatus.LOGGED_MODEL_READY);

        String failed = newModel(exp, "failed");
        assertThat(finalizeModel(failed, LoggedModelStatus.LOGGED_MODEL_UPLOAD_FAILED)
                        .getInfo()
                        .getStatus())
                .isEqualTo(LoggedModelStatus.LOGGED_MODEL_UPLOAD_FAILED);

        assertError(
                () -> models.finalizeLoggedModel(
                        FinalizeLoggedModel.newBuilder().setModelId(id).build()),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "Missing value for required parameter 'status'");
        assertError(
                () -> finalizeModel(id, LoggedModelStatus.LOGGED_MODEL_PENDING),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "for parameter 'status'");
        assertError(
                () -> finalizeModel("m-nope", LoggedModelStatus.LOGGED_MODEL_READY),
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                "Logged model with ID 'm-nope' not found.");
    }

    @Test
    void shouldSoftDeleteModelHiddenFromGetAndSearchUnlessAllowed() {
        String exp = newExperiment();
        String id = newModel(exp, "doomed");
        models.deleteLoggedModel(DeleteLoggedModel.newBuilder().setModelId(id).build());

        assertError(() -> get(id), ErrorCode.RESOURCE_DOES_NOT_EXIST, "Logged model with ID '" + id + "' not found.");
        LoggedModel deleted = models.getLoggedModel(GetLoggedModel.newBuilder()
                        .setModelId(id)
                        .setAllowDeleted(true)
                        .build())
                .getModel();
        assertThat(deleted.getInfo().getName()).isEqualTo("doomed");
        assertThat(search(SearchLoggedModels.newBuilder().addExperimentIds(exp)).getModelsList())
                .isEmpty();
        assertError(
                () -> models.deleteLoggedModel(
                        DeleteLoggedModel.newBuilder().setModelId("m-missing").build()),
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                "Logged model with ID 'm-missing' not found.");
    }

    @Test
    void shouldSetAndDeleteTags() {
        String id = newModel(newExperiment(), "tagged");
        models.setLoggedModelTags(SetLoggedModelTags.newBuilder()
                .setModelId(id)
                .addTags(LoggedModelTag.newBuilder().setKey("a").setValue("1"))
                .addTags(LoggedModelTag.newBuilder().setKey("b").setValue("2"))
                .build());
        models.setLoggedModelTags(SetLoggedModelTags.newBuilder()
                .setModelId(id)
                .addTags(LoggedModelTag.newBuilder().setKey("a").setValue("changed"))
                .build());
        assertThat(tags(get(id))).containsOnly(Map.entry("a", "changed"), Map.entry("b", "2"));

        models.deleteLoggedModelTag(
                DeleteLoggedModelTag.newBuilder().setModelId(id).setTagKey("b").build());
        assertThat(tags(get(id))).containsOnly(Map.entry("a", "changed"));
        assertError(
                () -> models.deleteLoggedModelTag(DeleteLoggedModelTag.newBuilder()
                        .setModelId(id)
                        .setTagKey("b")
                        .build()),
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                "No tag with key 'b' found for model with ID '" + id + "'.");
        assertError(
                () -> models.setLoggedModelTags(SetLoggedModelTags.newBuilder()
                        .setModelId("m-missing")
                        .addTags(LoggedModelTag.newBuilder().setKey("a").setValue("1"))
                        .build()),
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                "Logged model with ID 'm-missing' not found.");
    }

    @Test
    void shouldLogParamsOnceAndRefuseChangingOne() {
        String id = newModel(newExperiment(), "params");
        LogLoggedModelParamsRequest first = LogLoggedModelParamsRequest.newBuilder()
                .setModelId(id)
                .addParams(LoggedModelParameter.newBuilder().setKey("lr").setValue("0.1"))
                .build();
        models.logLoggedModelParams(first);
        models.logLoggedModelParams(first); // the same value again is fine
        assertError(
                () -> models.logLoggedModelParams(LogLoggedModelParamsRequest.newBuilder()
                        .setModelId(id)
                        .addParams(LoggedModelParameter.newBuilder()
                                .setKey("depth")
                                .setValue("3"))
                        .addParams(
                                LoggedModelParameter.newBuilder().setKey("lr").setValue("0.2"))
                        .build()),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "[lr]");
        assertThat(params(get(id))).containsOnly(Map.entry("lr", "0.1"));
    }

    @Test
    void shouldRecordMetricsLoggedWithModelIdAsTheModelsAndTheRuns() {
        String exp = newExperiment();
        String run = newRun(exp);
        String id = newModel(exp, "scored");
        logBatch(
                run,
                point("accuracy", 0.9, 1).setModelId(id).setDatasetName("eval").setDatasetDigest("d1"),
                point("loss", 0.3, 1).setModelId(id),
                point("other", 1.0, 1));
        tracking.logMetric(LogMetric.newBuilder()
                .setRunId(run)
                .setKey("accuracy")
                .setValue(0.95)
                .setTimestamp(2000)
                .setStep(2)
                .setModelId(id)
                .setDatasetName("eval")
                .setDatasetDigest("d1")
                .build());

        List<Metric> metrics = get(id).getData().getMetricsList();
        assertThat(metrics)
                .containsExactly(
                        Metric.newBuilder()
                                .setKey("accuracy")
                                .setValue(0.9)
                                .setTimestamp(1001)
                                .setStep(1)
                                .setRunId(run)
                                .setModelId(id)
                                .setDatasetName("eval")
                                .setDatasetDigest("d1")
                                .build(),
                        Metric.newBuilder()
                                .setKey("accuracy")
                                .setValue(0.95)
                                .setTimestamp(2000)
                                .setStep(2)
                                .setRunId(run)
                                .setModelId(id)
                                .setDatasetName("eval")
                                .setDatasetDigest("d1")
                                .build(),
                        Metric.newBuilder()
                                .setKey("loss")
                                .setValue(0.3)
                                .setTimestamp(1001)
                                .setStep(1)
                                .setRunId(run)
                                .setModelId(id)
                                .build());
        // The run keeps them as its own metrics too.
        Run r = tracking.getRun(GetRun.newBuilder().setRunId(run).build()).getRun();
        assertThat(r.getData().getMetricsList())
                .extracting(Metric::getKey, Metric::getValue)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("accuracy", 0.95),
                        org.assertj.core.groups.Tuple.tuple("loss", 0.3),
                        org.assertj.core.groups.Tuple.tuple("other", 1.0));
    }

    @Test
    void shouldRefuseMetricsForUnknownModelWritingNothing() {
        String exp = newExperiment();
        String run = newRun(exp);
        assertError(
                () -> logBatch(run, point("kept", 1, 0), point("acc", 0.5, 0).setModelId("m-unknown")),
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                "Logged model with ID 'm-unknown' not found.");
        assertThat(tracking.getRun(GetRun.newBuilder().setRunId(run).build())
                        .getRun()
                        .getData()
                        .getMetricsList())
                .isEmpty();
    }

    @Test
    void shouldShowModelOutputsAndInputsInRun() {
        String exp = newExperiment();
        String run = newRun(exp);
        String produced = newModel(exp, "produced");
        String used = newModel(exp, "used");
        tracking.logOutputs(LogOutputs.newBuilder()
                .setRunId(run)
                .addModels(ModelOutput.newBuilder().setModelId(produced).setStep(7))
                .build());
        tracking.logInputs(LogInputs.newBuilder()
                .setRunId(run)
                .addModels(ModelInput.newBuilder().setModelId(used))
                .build());

        Run r = tracking.getRun(GetRun.newBuilder().setRunId(run).build()).getRun();
        assertThat(r.getOutputs().getModelOutputsList())
                .containsExactly(
                        ModelOutput.newBuilder().setModelId(produced).setStep(7).build());
        assertThat(r.getInputs().getModelInputsList())
                .containsExactly(ModelInput.newBuilder().setModelId(used).build());

        assertError(
                () -> tracking.logOutputs(LogOutputs.newBuilder().setRunId(run).build()),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "Missing value for required parameter 'models'");
        assertError(
                () -> tracking.logOutputs(LogOutputs.newBuilder()
                        .setRunId(run)
                        .addModels(ModelOutput.newBuilder().setModelId("m-unknown"))
                        .build()),
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                "Logged model with ID 'm-unknown' not found.");
        assertError(
                () -> tracking.logOutputs(LogOutputs.newBuilder()
                        .setRunId("0123456789abcdef0123456789abcdef")
                        .addModels(ModelOutput.newBuilder().setModelId(produced))
                        .build()),
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                "Run with id=0123456789abcdef0123456789abcdef not found");
    }

    @Test
    void shouldSearchByAttributesParamsTagsAndMetricsOnDatasets() {
        String exp = newExperiment();
        String run = newRun(exp);
        String a = create(CreateLoggedModel.newBuilder()
                        .setExperimentId(exp)
                        .setName("alpha")
                        .setModelType("agent")
                        .addParams(
                                LoggedModelParameter.newBuilder().setKey("lr").setValue("0.1"))
                        .addTags(LoggedModelTag.newBuilder().setKey("team").setValue("x")))
                .getInfo()
                .getModelId();
        String b = create(CreateLoggedModel.newBuilder()
                        .setExperimentId(exp)
                        .setName("beta")
                        .addParams(
                                LoggedModelParameter.newBuilder().setKey("lr").setValue("0.2"))
                        .addTags(LoggedModelTag.newBuilder().setKey("team").setValue("y")))
                .getInfo()
                .getModelId();
        String c = newModel(exp, "gamma");
        finalizeModel(a, LoggedModelStatus.LOGGED_MODEL_READY);
        logBatch(
                run,
                point("acc", 0.9, 0).setModelId(a).setDatasetName("train").setDatasetDigest("t1"),
                point("acc", 0.5, 0).setModelId(a).setDatasetName("test").setDatasetDigest("e1"),
                point("acc", 0.7, 0).setModelId(b).setDatasetName("test").setDatasetDigest("e1"),
                point("acc", 0.6, 0).setModelId(c).setDatasetName("test").setDatasetDigest("e2"));

        SearchLoggedModels.Builder base = SearchLoggedModels.newBuilder().addExperimentIds(exp);
        // default order: newest first
        assertThat(names(search(base.clone()))).containsExactly("gamma", "beta", "alpha");
        assertThat(names(search(base.clone().setFilter("name = 'beta'")))).containsExactly("beta");
        assertThat(names(search(base.clone().setFilter("name LIKE '%a' AND model_type = 'agent'"))))
                .containsExactly("alpha");
        assertThat(names(search(base.clone().setFilter("status = 'READY'")))).containsExactly("alpha");
        assertThat(names(search(base.clone().setFilter("params.lr = '0.2'")))).containsExactly("beta");
        assertThat(names(search(base.clone().setFilter("tags.team != 'y'")))).containsExactly("alpha");
        assertThat(names(search(base.clone().setFilter("metrics.acc > 0.65")))).containsExactly("beta", "alpha");
        // metric filters consider only the datasets given
        assertThat(names(search(base.clone()
                        .setFilter("metrics.acc > 0.65")
                        .addDatasets(SearchLoggedModels.Dataset.newBuilder().setDatasetName("test")))))
                .containsExactly("beta");
        // datasets alone: models with a metric on one of them
        assertThat(names(search(base.clone()
                        .addDatasets(SearchLoggedModels.Dataset.newBuilder()
                                .setDatasetName("test")
                                .setDatasetDigest("e2")))))
                .containsExactly("gamma");
        // order by a metric on a dataset, missing values last
        assertThat(names(search(base.clone()
                        .addOrderBy(SearchLoggedModels.OrderBy.newBuilder()
                                .setFieldName("metrics.acc")
                                .setAscending(false)
                                .setDatasetName("test")
                                .setDatasetDigest("e1")))))
                .containsExactly("beta", "alpha", "gamma");
        assertThat(names(search(base.clone()
                        .addOrderBy(SearchLoggedModels.OrderBy.newBuilder().setFieldName("name")))))
                .containsExactly("alpha", "beta", "gamma");
        assertThat(search(base.clone().clearExperimentIds().addExperimentIds("not-a-number"))
                        .getModelsList())
                .isEmpty();
    }

    @Test
    void shouldPageWithTokensBoundToTheRequest() {
        String exp = newExperiment();
        for (int i = 0; i < 5; i++) {
            newModel(exp, "model-" + i);
        }
        SearchLoggedModels.Builder base = SearchLoggedModels.newBuilder()
                .addExperimentIds(exp)
                .setMaxResults(2)
                .addOrderBy(SearchLoggedModels.OrderBy.newBuilder().setFieldName("name"));
        List<String> seen = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            SearchLoggedModels.Builder b = base.clone();
            if (token != null) {
                b.setPageToken(token);
            }
            SearchLoggedModels.Response page = search(b);
            seen.addAll(names(page));
            token = page.hasNextPageToken() ? page.getNextPageToken() : null;
            pages++;
        } while (token != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactly("model-0", "model-1", "model-2", "model-3", "model-4");

        String first = search(base.clone()).getNextPageToken();
        assertThat(new JsonObject(new String(Base64.getDecoder().decode(first))).getLong("offset"))
                .isEqualTo(2);
        assertError(
                () -> search(base.clone().setFilter("name = 'model-1'").setPageToken(first)),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "Filter string in the page token does not match");
        assertError(
                () -> search(base.clone().addExperimentIds("0").setPageToken(first)),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "Experiment IDs in the page token do not match");
        assertError(
                () -> search(base.clone().setPageToken("not a token")),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "Invalid page token");
    }

    @Test
    void shouldRefuseBadSearchesWithMLflowErrors() {
        String exp = newExperiment();
        assertError(
                () -> search(SearchLoggedModels.newBuilder()),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "Missing value for required parameter 'experiment_ids'");
        assertError(
                () -> search(SearchLoggedModels.newBuilder()
                        .addExperimentIds(exp)
                        .addOrderBy(SearchLoggedModels.OrderBy.newBuilder().setFieldName("params.lr"))),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "Invalid order by field name: params.lr. Only metrics are supported.");
        assertError(
                () -> search(SearchLoggedModels.newBuilder()
                        .addExperimentIds(exp)
                        .addOrderBy(SearchLoggedModels.OrderBy.newBuilder().setFieldName("colour"))),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "Invalid order by field name: colour");
        assertError(
                () -> search(SearchLoggedModels.newBuilder()
                        .addExperimentIds(exp)
                        .addDatasets(SearchLoggedModels.Dataset.newBuilder().setDatasetDigest("d"))),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "`dataset_name` in the `datasets` clause must be specified.");
        assertError(
                () -> search(
                        SearchLoggedModels.newBuilder().addExperimentIds(exp).setFilter("metrics.acc > 'x'")),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "metric 'acc'");
        assertError(
                () -> search(
                        SearchLoggedModels.newBuilder().addExperimentIds(exp).setMaxResults(5000)),
                ErrorCode.INVALID_PARAMETER_VALUE,
                "max_results");
    }

    @Test
    void shouldPublishCreatedAndFinalizedOnTheRunStreamKeyedByRun() {
        String exp = newExperiment();
        String run = newRun(exp);
        String id = create(CreateLoggedModel.newBuilder()
                        .setExperimentId(exp)
                        .setName("evented")
                        .setSourceRunId(run))
                .getInfo()
                .getModelId();
        finalizeModel(id, LoggedModelStatus.LOGGED_MODEL_READY);

        List<Event> events = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                "skein.tracking.runs.v1",
                Set.of(run)::contains,
                3,
                Duration.ofSeconds(60),
                Duration.ofSeconds(2));
        assertThat(events)
                .extracting(e -> e.header("ce_type"))
                .containsExactly(
                        "dev.skein.tracking.run.created.v1",
                        "dev.skein.tracking.logged_model.created.v1",
                        "dev.skein.tracking.logged_model.finalized.v1");
        JsonObject created = new JsonObject(events.get(1).value());
        assertThat(events.get(1).header("ce_subject")).isEqualTo(id);
        assertThat(created.getString("modelId")).isEqualTo(id);
        assertThat(created.getString("sourceRunId")).isEqualTo(run);
        assertThat(created.getString("artifactUri")).endsWith("/models/" + id + "/artifacts");
        assertThat(new JsonObject(events.get(2).value()).getString("status")).isEqualTo("READY");
    }
}
