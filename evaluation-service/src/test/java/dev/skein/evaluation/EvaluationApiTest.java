package dev.skein.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.skein.common.error.GrpcErrors;
import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.events.v1.ModelVersionState;
import dev.skein.events.v1.RegistryChange;
import dev.skein.events.v1.RegistryChangeKind;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.evaluation.v1.Audit;
import dev.skein.proto.evaluation.v1.AuditStatus;
import dev.skein.proto.evaluation.v1.CreateEvaluation;
import dev.skein.proto.evaluation.v1.EvaluationServiceGrpc.EvaluationServiceBlockingStub;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import dev.skein.proto.evaluation.v1.GetEvaluation;
import dev.skein.proto.evaluation.v1.GetValidationRules;
import dev.skein.proto.evaluation.v1.MetricThreshold;
import dev.skein.proto.evaluation.v1.SearchAudits;
import dev.skein.proto.evaluation.v1.SearchEvaluations;
import dev.skein.proto.evaluation.v1.SetValidationRules;
import dev.skein.proto.evaluation.v1.ValidationRules;
import dev.skein.proto.registry.v1.GetModelVersionByAlias;
import dev.skein.proto.registry.v1.GetRegisteredModel;
import dev.skein.proto.registry.v1.RegisteredModel;
import dev.skein.proto.registry.v1.RegisteredModelTag;
import dev.skein.proto.registry.v1.RegistryServiceGrpc;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.RunData;
import dev.skein.proto.tracking.v1.RunInfo;
import dev.skein.proto.tracking.v1.RunStatus;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * evaluation-service's API and its audit consumer against real PostgreSQL and Kafka. tracking- and
 * registry-service do not run here: what needs them is proven end to end (deploy/e2e EvaluationIT);
 * here, that nothing is recorded when they cannot be asked, and that audits wait for them. The audits of
 * rules in a model's tag answer from {@link FakeUpstreams}, started on the clients' port for those tests.
 */
@QuarkusTest
class EvaluationApiTest {

    @GrpcClient("evaluation")
    EvaluationServiceBlockingStub evaluation;

    private static EvaluationSpec.Builder spec() {
        return EvaluationSpec.newBuilder()
                .setData("eval/predictions.csv")
                .setModelType("classifier")
                .setTargets("label")
                .setPredictions("prediction");
    }

    private static String fails(ErrorCode code, Runnable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("the call fails").isNotNull();
        assertThat(GrpcErrors.errorCode(e)).isEqualTo(code);
        return e.getStatus().getDescription();
    }

    @Test
    void shouldRefuseAnIncompleteOrUnsupportedSpecWithTheFieldNamed() {
        String run = UUID.randomUUID().toString().replace("-", "");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> evaluation.createEvaluation(CreateEvaluation.newBuilder()
                                .setRunId(run)
                                .setSpec(spec().clearModelType())
                                .build())))
                .contains("spec.model_type");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> evaluation.createEvaluation(CreateEvaluation.newBuilder()
                                .setRunId(run)
                                .setSpec(spec().clearTargets())
                                .build())))
                .contains("spec.targets");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> evaluation.createEvaluation(CreateEvaluation.newBuilder()
                                .setRunId(run)
                                .setSpec(spec().setModelType("sentiment"))
                                .build())))
                .contains("model_type must be one of classifier, regressor, retriever, question-answering");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> evaluation.createEvaluation(CreateEvaluation.newBuilder()
                                .setRunId(run)
                                .setSpec(spec().setModelType("text-summarization")
                                        .setSampleWeights("w"))
                                .build())))
                .contains("sample_weights apply to classifiers and regressors only");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> evaluation.createEvaluation(CreateEvaluation.newBuilder()
                                .setRunId(run)
                                .setSpec(spec().setAverage("median"))
                                .build())))
                .contains("average");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> evaluation.createEvaluation(
                                CreateEvaluation.newBuilder().setSpec(spec()).build())))
                .contains("run_id");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> evaluation.createEvaluation(CreateEvaluation.newBuilder()
                                .setRunId(run)
                                .setSpec(spec().setTargets("label\u0000"))
                                .build())))
                .contains("control characters");
        assertThat(evaluation
                        .searchEvaluations(
                                SearchEvaluations.newBuilder().setRunId(run).build())
                        .getEvaluationsList())
                .as("nothing recorded")
                .isEmpty();
    }

    @Test
    void shouldRecordNothingWhenTheRunCannotBeReadAndSaySoAsTemporary() {
        String run = UUID.randomUUID().toString().replace("-", "");
        fails(
                ErrorCode.TEMPORARILY_UNAVAILABLE,
                () -> evaluation.createEvaluation(CreateEvaluation.newBuilder()
                        .setRunId(run)
                        .setSpec(spec())
                        .build()));
        assertThat(evaluation
                        .searchEvaluations(
                                SearchEvaluations.newBuilder().setRunId(run).build())
                        .getEvaluationsList())
                .isEmpty();
    }

    @Test
    void shouldAnswerAnUnknownEvaluationAsMissing() {
        fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> evaluation.getEvaluation(GetEvaluation.newBuilder()
                        .setEvaluationId(UUID.randomUUID().toString())
                        .build()));
        fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> evaluation.getEvaluation(
                        GetEvaluation.newBuilder().setEvaluationId("not-an-id").build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> evaluation.searchEvaluations(SearchEvaluations.newBuilder()
                        .setRunId("r")
                        .setMaxResults(5000)
                        .build()));
    }

    @Test
    void shouldKeepValidationRulesPerModelAndRefuseWhatMlflowRefuses() {
        String model = "rules-" + UUID.randomUUID();
        ValidationRules none = evaluation
                .getValidationRules(
                        GetValidationRules.newBuilder().setName(model).build())
                .getRules();
        assertThat(none.getRulesList()).isEmpty();
        assertThat(none.getBaselineAlias()).isEqualTo("champion");

        MetricThreshold accuracy = MetricThreshold.newBuilder()
                .setMetric("accuracy_score")
                .setThreshold(0.8)
                .setMinAbsoluteChange(0.01)
                .setGreaterIsBetter(true)
                .build();
        MetricThreshold loss = MetricThreshold.newBuilder()
                .setMetric("log_loss")
                .setThreshold(0.5)
                .setGreaterIsBetter(false)
                .build();
        evaluation.setValidationRules(SetValidationRules.newBuilder()
                .setName(model)
                .addRules(accuracy)
                .addRules(loss)
                .setBaselineAlias("prod")
                .build());
        ValidationRules kept = evaluation
                .getValidationRules(
                        GetValidationRules.newBuilder().setName(model).build())
                .getRules();
        assertThat(kept.getRulesList()).containsExactly(accuracy, loss);
        assertThat(kept.getBaselineAlias()).isEqualTo("prod");
        assertThat(kept.getLastUpdatedTimestamp()).isPositive();

        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> evaluation.setValidationRules(SetValidationRules.newBuilder()
                                .setName(model)
                                .addRules(accuracy.toBuilder().setMinRelativeChange(2))
                                .build())))
                .contains("min_relative_change");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> evaluation.setValidationRules(SetValidationRules.newBuilder()
                                .setName(model)
                                .addRules(loss.toBuilder().clearGreaterIsBetter())
                                .build())))
                .contains("greater_is_better");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> evaluation.setValidationRules(SetValidationRules.newBuilder()
                                .setName(model)
                                .addRules(loss)
                                .addRules(loss)
                                .build())))
                .contains("more than one rule");
        assertThat(evaluation
                        .getValidationRules(
                                GetValidationRules.newBuilder().setName(model).build())
                        .getRules()
                        .getRulesList())
                .as("refused changes leave the rules as they were")
                .containsExactly(accuracy, loss);

        evaluation.setValidationRules(
                SetValidationRules.newBuilder().setName(model).build());
        assertThat(evaluation
                        .getValidationRules(
                                GetValidationRules.newBuilder().setName(model).build())
                        .getRules()
                        .getRulesList())
                .isEmpty();
    }

    private static KafkaProducer<String, String> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.kafkaBootstrap());
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    private static String json(RegistryChange change) throws Exception {
        return com.google.protobuf.util.JsonFormat.printer().print(change);
    }

    private List<Audit> audits(String model) {
        return evaluation
                .searchAudits(SearchAudits.newBuilder().setName(model).build())
                .getAuditsList();
    }

    @Test
    void shouldRecordOneAuditPerNewVersionEventWaitingForTheRunAndNoneForPrompts() throws Exception {
        String model = "audited-" + UUID.randomUUID();
        String prompt = "prompt-" + UUID.randomUUID();
        RegistryChange created = RegistryChange.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setKind(RegistryChangeKind.MODEL_VERSION_CREATED)
                .setModelName(model)
                .setVersion("1")
                .setVersionAfter(ModelVersionState.newBuilder()
                        .setName(model)
                        .setVersion("1")
                        .setRunId("abc123"))
                .build();
        RegistryChange promptVersion = created.toBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setModelName(prompt)
                .setModelIsPrompt(true)
                .build();
        try (var producer = producer()) {
            producer.send(new ProducerRecord<>("skein.registry.events.v1", model, json(created)))
                    .get();
            producer.send(new ProducerRecord<>("skein.registry.events.v1", model, json(created)))
                    .get();
            producer.send(new ProducerRecord<>("skein.registry.events.v1", prompt, json(promptVersion)))
                    .get();
            producer.send(new ProducerRecord<>("skein.registry.events.v1", model, "{not json"))
                    .get();
        }
        TestInfra.await("the audit is recorded", Duration.ofSeconds(60), () -> !audits(model)
                .isEmpty());
        var dlq = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                "skein.registry.events.v1.evaluation-audits-dlq",
                model::equals,
                1,
                Duration.ofSeconds(60),
                Duration.ofSeconds(1));
        assertThat(dlq).hasSize(1);
        assertThat(dlq.get(0).value()).isEqualTo("{not json");
        List<Audit> audits = audits(model);
        assertThat(audits).as("a redelivered event changes nothing").hasSize(1);
        Audit audit = audits.get(0);
        assertThat(audit.getVersion()).isEqualTo("1");
        assertThat(audit.getRunId()).isEqualTo("abc123");
        // tracking-service does not run here: the audit waits for it instead of judging without the run
        assertThat(audit.getStatus()).isEqualTo(AuditStatus.AUDIT_PENDING);
        assertThat(audits(prompt)).as("prompts are not audited").isEmpty();
        // SmallRye's dead-letter-queue strategy names the reason
        assertThat(dlq.get(0).header("dead-letter-reason")).contains("Not a registry change");
    }

    /**
     * tracking- and registry-service as audits ask them, on the port the test profile gives both clients:
     * runs that finished with their metrics, registered models with their tags, no aliases. A run or model
     * not given is UNAVAILABLE, as when nothing listens there, so other tests' audits keep waiting.
     */
    static final class FakeUpstreams implements AutoCloseable {
        final Map<String, Map<String, Double>> runs = new ConcurrentHashMap<>();
        final Map<String, Map<String, String>> modelTags = new ConcurrentHashMap<>();
        private final Server server;

        FakeUpstreams() throws IOException {
            server = NettyServerBuilder.forPort(18999)
                    .addService(new TrackingServiceGrpc.TrackingServiceImplBase() {
                        @Override
                        public void getRun(GetRun request, StreamObserver<GetRun.Response> response) {
                            Map<String, Double> metrics = runs.get(request.getRunId());
                            if (metrics == null) {
                                response.onError(Status.UNAVAILABLE.asRuntimeException());
                                return;
                            }
                            RunData.Builder data = RunData.newBuilder();
                            metrics.forEach((k, v) -> data.addMetrics(
                                    Metric.newBuilder().setKey(k).setValue(v).setStep(0)));
                            response.onNext(GetRun.Response.newBuilder()
                                    .setRun(Run.newBuilder()
                                            .setInfo(RunInfo.newBuilder()
                                                    .setRunId(request.getRunId())
                                                    .setExperimentId("0")
                                                    .setStatus(RunStatus.FINISHED)
                                                    .setLifecycleStage("active")
                                                    .setEndTime(System.currentTimeMillis() - 60_000))
                                            .setData(data))
                                    .build());
                            response.onCompleted();
                        }
                    })
                    .addService(new RegistryServiceGrpc.RegistryServiceImplBase() {
                        @Override
                        public void getRegisteredModel(
                                GetRegisteredModel request, StreamObserver<GetRegisteredModel.Response> response) {
                            Map<String, String> tags = modelTags.get(request.getName());
                            if (tags == null) {
                                response.onError(Status.UNAVAILABLE.asRuntimeException());
                                return;
                            }
                            RegisteredModel.Builder model =
                                    RegisteredModel.newBuilder().setName(request.getName());
                            tags.forEach((k, v) -> model.addTags(
                                    RegisteredModelTag.newBuilder().setKey(k).setValue(v)));
                            response.onNext(GetRegisteredModel.Response.newBuilder()
                                    .setRegisteredModel(model)
                                    .build());
                            response.onCompleted();
                        }

                        @Override
                        public void getModelVersionByAlias(
                                GetModelVersionByAlias request,
                                StreamObserver<GetModelVersionByAlias.Response> response) {
                            response.onError(Status.NOT_FOUND.asRuntimeException());
                        }
                    })
                    .build()
                    .start();
        }

        @Override
        public void close() throws InterruptedException {
            server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static void versionCreated(String model, String version, String runId) throws Exception {
        RegistryChange created = RegistryChange.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setKind(RegistryChangeKind.MODEL_VERSION_CREATED)
                .setModelName(model)
                .setVersion(version)
                .setVersionAfter(ModelVersionState.newBuilder()
                        .setName(model)
                        .setVersion(version)
                        .setRunId(runId))
                .build();
        try (var producer = producer()) {
            producer.send(new ProducerRecord<>("skein.registry.events.v1", model, json(created)))
                    .get();
        }
    }

    /** The version's audit once it has its verdict. */
    private Audit verdict(String model, String version) throws InterruptedException {
        TestInfra.await(
                model + " version " + version + " is judged", Duration.ofSeconds(60), () -> evaluation
                        .searchAudits(SearchAudits.newBuilder()
                                .setName(model)
                                .setVersion(version)
                                .build())
                        .getAuditsList()
                        .stream()
                        .anyMatch(a -> a.getStatus() != AuditStatus.AUDIT_PENDING));
        List<Audit> audits = evaluation
                .searchAudits(SearchAudits.newBuilder()
                        .setName(model)
                        .setVersion(version)
                        .build())
                .getAuditsList();
        assertThat(audits).hasSize(1);
        return audits.get(0);
    }

    private static String tagRules(double accuracyAtLeast, String alias) {
        return "{\"rules\": [{\"metric\": \"accuracy_score\", \"threshold\": " + accuracyAtLeast
                + ", \"greater_is_better\": true}], \"baseline_alias\": \"" + alias + "\"}";
    }

    @Test
    void shouldApplyTheRulesOfTheModelsTagWhenNoneAreSetThroughTheApi() throws Exception {
        String model = "tagged-" + UUID.randomUUID();
        try (FakeUpstreams fake = new FakeUpstreams()) {
            fake.runs.put("run-low-" + model, Map.of("accuracy_score", 0.7));
            fake.runs.put("run-high-" + model, Map.of("accuracy_score", 0.9));
            fake.modelTags.put(model, Map.of("skein.validation.rules", tagRules(0.8, "production"), "team", "a"));
            versionCreated(model, "1", "run-low-" + model);
            versionCreated(model, "2", "run-high-" + model);

            Audit low = verdict(model, "1");
            assertThat(low.getStatus()).isEqualTo(AuditStatus.AUDIT_FAILED);
            assertThat(low.getReport())
                    .isEqualTo("rules from model tag skein.validation.rules: passed 0/1 rules; failed:"
                            + " accuracy_score 0.7 < threshold 0.8");
            assertThat(low.getBaselineAlias()).isEqualTo("production");
            assertThat(low.getOutcomesList()).hasSize(1);
            assertThat(low.getOutcomes(0).getMetric()).isEqualTo("accuracy_score");
            assertThat(low.getOutcomes(0).getCandidateValue()).isEqualTo(0.7);
            assertThat(low.getOutcomes(0).getRule().getThreshold()).isEqualTo(0.8);

            Audit high = verdict(model, "2");
            assertThat(high.getStatus()).isEqualTo(AuditStatus.PASSED);
            assertThat(high.getReport()).isEqualTo("rules from model tag skein.validation.rules: passed 1/1 rules");
        }
    }

    @Test
    void shouldLetTheRulesSetThroughTheApiWinOverTheTagUntilTheyAreCleared() throws Exception {
        String model = "both-" + UUID.randomUUID();
        evaluation.setValidationRules(SetValidationRules.newBuilder()
                .setName(model)
                .addRules(MetricThreshold.newBuilder()
                        .setMetric("accuracy_score")
                        .setThreshold(0.95)
                        .setGreaterIsBetter(true))
                .build());
        try (FakeUpstreams fake = new FakeUpstreams()) {
            fake.runs.put("run-" + model, Map.of("accuracy_score", 0.9));
            fake.modelTags.put(model, Map.of("skein.validation.rules", tagRules(0.5, "champion")));
            versionCreated(model, "1", "run-" + model);
            Audit byApi = verdict(model, "1");
            assertThat(byApi.getStatus()).isEqualTo(AuditStatus.AUDIT_FAILED);
            assertThat(byApi.getReport())
                    .isEqualTo("passed 0/1 rules; failed: accuracy_score 0.9 < threshold 0.95 (model tag"
                            + " skein.validation.rules not applied: the rules set through the API win)");

            // the API's rules cleared: the tag applies to the next version
            evaluation.setValidationRules(
                    SetValidationRules.newBuilder().setName(model).build());
            versionCreated(model, "2", "run-" + model);
            Audit byTag = verdict(model, "2");
            assertThat(byTag.getStatus()).isEqualTo(AuditStatus.PASSED);
            assertThat(byTag.getReport()).isEqualTo("rules from model tag skein.validation.rules: passed 1/1 rules");
        }
    }

    @Test
    void shouldFailTheAuditWithTheReasonWhenTheTagCannotBeApplied() throws Exception {
        String model = "badly-tagged-" + UUID.randomUUID();
        try (FakeUpstreams fake = new FakeUpstreams()) {
            fake.runs.put("run-" + model, Map.of("accuracy_score", 0.9));
            // MLflow's MetricThreshold refuses a rule without greater_is_better
            fake.modelTags.put(
                    model,
                    Map.of(
                            "skein.validation.rules",
                            "{\"rules\": [{\"metric\": \"accuracy_score\", \"threshold\": 0.8}]}"));
            versionCreated(model, "1", "run-" + model);
            Audit refused = verdict(model, "1");
            assertThat(refused.getStatus()).isEqualTo(AuditStatus.AUDIT_FAILED);
            assertThat(refused.getReport())
                    .isEqualTo("failed: model tag skein.validation.rules is not valid: Rule for metric"
                            + " 'accuracy_score': Could not instantiate MetricThreshold class:"
                            + " `greater_is_better` parameter must be defined.");
            assertThat(refused.getOutcomesList()).isEmpty();

            fake.modelTags.put(model, Map.of("skein.validation.rules", "accuracy_score >= 0.8"));
            versionCreated(model, "2", "run-" + model);
            Audit notJson = verdict(model, "2");
            assertThat(notJson.getStatus()).isEqualTo(AuditStatus.AUDIT_FAILED);
            assertThat(notJson.getReport())
                    .startsWith("failed: model tag skein.validation.rules is not valid: not JSON (");
        }
    }
}
