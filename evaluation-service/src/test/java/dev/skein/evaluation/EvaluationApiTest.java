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
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * evaluation-service's API and its audit consumer against real PostgreSQL and Kafka. tracking- and
 * registry-service do not run here: what needs them is proven end to end (deploy/e2e EvaluationIT);
 * here, that nothing is recorded when they cannot be asked, and that audits wait for them.
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
}
