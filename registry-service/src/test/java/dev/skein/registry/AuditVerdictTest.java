package dev.skein.registry;

import static dev.skein.registry.Registry.as;
import static dev.skein.registry.Registry.fails;
import static dev.skein.registry.Registry.newModel;
import static dev.skein.registry.Registry.newVersion;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.common.testing.ConsumerProbe;
import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.common.testing.TopicReader.Event;
import dev.skein.events.v1.AuditCompleted;
import dev.skein.events.v1.EvaluationCompleted;
import dev.skein.events.v1.RegistryChange;
import dev.skein.events.v1.RegistryChangeKind;
import dev.skein.events.v1.RuleVerdict;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.AuditEvent;
import dev.skein.proto.registry.v1.AuditServiceGrpc.AuditServiceBlockingStub;
import dev.skein.proto.registry.v1.DeleteModelVersion;
import dev.skein.proto.registry.v1.DeleteModelVersionTag;
import dev.skein.proto.registry.v1.DeleteRegisteredModel;
import dev.skein.proto.registry.v1.GetModelVersion;
import dev.skein.proto.registry.v1.ListAuditEvents;
import dev.skein.proto.registry.v1.ModelVersionTag;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import dev.skein.proto.registry.v1.SetModelVersionTag;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * evaluation-service's audit verdicts, published on {@code skein.evaluation.results.v1} as it
 * publishes them (CloudEvents in binary mode), become tags of their model version: registry changes
 * by evaluation-service, in the audit trail and on the registry's topic, once per event.
 */
@QuarkusTest
class AuditVerdictTest {

    private static final String TOPIC = "skein.evaluation.results.v1";
    private static final String DLQ = "skein.evaluation.results.v1.registry-audits-dlq";
    private static final String AUDIT = "dev.skein.evaluation.audit.completed.v1";
    private static final String EVALUATION = "dev.skein.evaluation.completed.v1";
    private static final String STATUS = "skein.audit.status";
    private static final String REPORT = "skein.audit.report";
    /** The test instance's management port: /q/metrics. */
    private static final int MANAGEMENT_PORT = 18382;

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

    @GrpcClient("registry")
    AuditServiceBlockingStub audit;

    private static String auditJson(String eventId, String model, String version, boolean passed, String report) {
        return OutboxEvent.json(AuditCompleted.newBuilder()
                .setEventId(eventId)
                .setAuditId(UUID.randomUUID().toString())
                .setModelName(model)
                .setVersion(version)
                .setRunId("r" + UUID.randomUUID().toString().replace("-", ""))
                .setCauseEventId(UUID.randomUUID().toString())
                .setPassed(passed)
                .setStatus(passed ? "passed" : "failed")
                .setReport(report)
                .addRules(RuleVerdict.newBuilder()
                        .setMetric("accuracy")
                        .setPassed(passed)
                        .setCandidateValue(passed ? 0.93 : 0.71)
                        .setMessage(report))
                .setTime(System.currentTimeMillis()));
    }

    /** An audit verdict as evaluation-service's outbox relay publishes it, keyed by model name. */
    private static String publishAudit(String model, String version, boolean passed, String report) {
        String eventId = UUID.randomUUID().toString();
        publish(AUDIT, model, eventId, auditJson(eventId, model, version, passed, report));
        return eventId;
    }

    /** A record with binary-mode CloudEvent headers (none for a null type or id). */
    private static void publish(String type, String key, String ceId, String value) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.kafkaBootstrap());
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            ProducerRecord<String, String> record = new ProducerRecord<>(TOPIC, key, value);
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("ce_specversion", "1.0");
            headers.put("ce_id", ceId);
            headers.put("ce_type", type);
            headers.put("ce_source", "/skein/evaluation-service");
            headers.put("ce_subject", key);
            headers.put("content-type", "application/json");
            headers.forEach((name, v) -> {
                if (v != null) {
                    record.headers().add(name, v.getBytes(StandardCharsets.UTF_8));
                }
            });
            producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, String> tags(String model, String version) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (ModelVersionTag t : registry.getModelVersion(GetModelVersion.newBuilder()
                        .setName(model)
                        .setVersion(version)
                        .build())
                .getModelVersion()
                .getTagsList()) {
            tags.put(t.getKey(), t.getValue());
        }
        return tags;
    }

    private void awaitTag(String model, String version, String key, String value) throws InterruptedException {
        TestInfra.await(
                "version " + version + " of " + model + " tagged " + key + "=" + value,
                Duration.ofSeconds(60),
                () -> value.equals(tags(model, version).get(key)));
    }

    /** The model's changes made by evaluation-service, oldest first. */
    private List<RegistryChange> byEvaluationService(String model) {
        return audit
                .listAuditEvents(ListAuditEvents.newBuilder()
                        .setModel(model)
                        .setActor("evaluation-service")
                        .build())
                .getEventsList()
                .stream()
                .map(AuditEvent::getChange)
                .toList();
    }

    /** Dead letters with this key, read until {@code expected} are there or {@code timeout} has passed. */
    private static List<Event> deadLetters(String key, int expected, Duration timeout) {
        return TopicReader.read(
                TestInfra.kafkaBootstrap(), DLQ, Set.of(key)::contains, expected, timeout, Duration.ofMillis(500));
    }

    @Test
    void shouldTagTheVersionWithTheVerdictAsChangesByEvaluationService() throws Exception {
        String model = newModel(registry);
        newVersion(registry, model);
        newVersion(registry, model);

        publishAudit(model, "2", false, "accuracy 0.71 < 0.9 (rule accuracy >= 0.9)");

        awaitTag(model, "2", STATUS, "failed");
        assertThat(tags(model, "2"))
                .containsEntry(STATUS, "failed")
                .containsEntry(REPORT, "accuracy 0.71 < 0.9 (rule accuracy >= 0.9)");
        assertThat(tags(model, "1")).doesNotContainKeys(STATUS, REPORT);

        List<RegistryChange> changes = byEvaluationService(model);
        assertThat(changes)
                .extracting(RegistryChange::getKind, RegistryChange::getVersion, RegistryChange::getKey)
                .containsExactly(
                        tuple(RegistryChangeKind.MODEL_VERSION_TAG_SET, "2", STATUS),
                        tuple(RegistryChangeKind.MODEL_VERSION_TAG_SET, "2", REPORT));
        // one after the other in the model's history: committed together, nothing in between
        assertThat(changes.get(1).getModelSequence()).isEqualTo(changes.get(0).getModelSequence() + 1);
        assertThat(changes.get(0).getVersionBefore().getTagsMap()).doesNotContainKey(STATUS);
        assertThat(changes.get(0).getVersionAfter().getTagsMap()).containsEntry(STATUS, "failed");
        assertThat(changes.get(1).getVersionAfter().getTagsMap())
                .containsEntry(STATUS, "failed")
                .containsEntry(REPORT, "accuracy 0.71 < 0.9 (rule accuracy >= 0.9)");

        // and on the registry's stream, as every change: model created, two versions, two tags
        List<Event> published = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                "skein.registry.events.v1",
                Set.of(changes.get(0).getModelId())::contains,
                5,
                Duration.ofSeconds(60),
                Duration.ofSeconds(1));
        assertThat(published.subList(3, published.size()))
                .extracting(e -> e.header("ce_id"), e -> e.header("ce_type"))
                .containsExactly(
                        tuple(changes.get(0).getEventId(), "dev.skein.registry.model_version_tag.set.v1"),
                        tuple(changes.get(1).getEventId(), "dev.skein.registry.model_version_tag.set.v1"));
    }

    @Test
    void shouldChangeNothingWhenTheSameEventIsDeliveredAgain() throws Exception {
        String model = newModel(registry);
        newVersion(registry, model);
        newVersion(registry, model);
        String eventId = UUID.randomUUID().toString();
        String verdict = auditJson(eventId, model, "1", true, "all 3 rules passed");
        publish(AUDIT, model, eventId, verdict);
        awaitTag(model, "1", STATUS, "passed");
        // no caller may set or delete the verdict's tags: a gate reading them reads the audit's word
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> as(registry, "reviewer")
                        .setModelVersionTag(SetModelVersionTag.newBuilder()
                                .setName(model)
                                .setVersion("1")
                                .setKey(STATUS)
                                .setValue("waived")
                                .build())))
                .contains("evaluation-service only");
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> as(registry, "reviewer")
                        .deleteModelVersionTag(DeleteModelVersionTag.newBuilder()
                                .setName(model)
                                .setVersion("1")
                                .setKey(REPORT)
                                .build())))
                .contains("evaluation-service only");

        publish(AUDIT, model, eventId, verdict);
        // the same key, so the same partition: once this one is recorded, the redelivery was handled
        publishAudit(model, "2", true, "all 3 rules passed");
        awaitTag(model, "2", STATUS, "passed");

        assertThat(tags(model, "1")).containsEntry(STATUS, "passed").containsEntry(REPORT, "all 3 rules passed");
        assertThat(byEvaluationService(model))
                .extracting(RegistryChange::getVersion, RegistryChange::getKey)
                .containsExactly(tuple("1", STATUS), tuple("1", REPORT), tuple("2", STATUS), tuple("2", REPORT));
    }

    @Test
    void shouldIgnoreEvaluationResultsThatAreNotAudits() throws Exception {
        String model = newModel(registry);
        newVersion(registry, model);
        String evaluationId = UUID.randomUUID().toString();
        // read as an audit, this would be one without model name or version: a dead letter
        publish(
                EVALUATION,
                model,
                evaluationId,
                OutboxEvent.json(EvaluationCompleted.newBuilder()
                        .setEventId(evaluationId)
                        .setEvaluationId(UUID.randomUUID().toString())
                        .setRunId("r" + UUID.randomUUID().toString().replace("-", ""))
                        .setStatus("SUCCEEDED")
                        .setModelType("classifier")
                        .putMetrics("accuracy", 0.93)
                        .setTrigger("RUN_FINISHED")
                        .setActor("alice")
                        .setTime(System.currentTimeMillis())));
        publishAudit(model, "1", true, "all rules passed");
        awaitTag(model, "1", STATUS, "passed");

        // a dead letter of the first record would have been written before the second was handled
        assertThat(deadLetters(model, 1, Duration.ofSeconds(3))).isEmpty();
        assertThat(byEvaluationService(model)).hasSize(2);
    }

    @Test
    void shouldDeadLetterRecordsThatAreNotUsableAuditsWithTheReasonAndGoOn() throws Exception {
        String model = newModel(registry);
        newVersion(registry, model);
        String unparseable = "bad-json-" + UUID.randomUUID();
        String noId = "no-id-" + UUID.randomUUID();
        String noModel = "no-model-" + UUID.randomUUID();
        String noVersion = "no-version-" + UUID.randomUUID();
        publish(AUDIT, unparseable, UUID.randomUUID().toString(), "{\"modelName\": ");
        publish(AUDIT, noId, null, auditJson("", model, "1", true, "ok"));
        String id = UUID.randomUUID().toString();
        publish(AUDIT, noModel, id, auditJson(id, "", "1", true, "ok"));
        id = UUID.randomUUID().toString();
        publish(AUDIT, noVersion, id, auditJson(id, model, "", true, "ok"));

        Map<String, String> reasons = Map.of(
                unparseable, "Not an AuditCompleted event",
                noId, "no event id",
                noModel, "no model_name",
                noVersion, "no version");
        for (var expected : reasons.entrySet()) {
            List<Event> dead = deadLetters(expected.getKey(), 1, Duration.ofSeconds(60));
            assertThat(dead).as(expected.getKey()).hasSize(1);
            assertThat(dead.get(0).header("skein-dlq-reason")).contains(expected.getValue());
            assertThat(dead.get(0).header("skein-dlq-topic")).isEqualTo(TOPIC);
            assertThat(dead.get(0).header("ce_type")).isEqualTo(AUDIT);
        }
        assertThat(deadLetters(unparseable, 1, Duration.ofSeconds(5)).get(0).value())
                .isEqualTo("{\"modelName\": ");

        // nothing was recorded from them, and the consumer goes on
        assertThat(tags(model, "1")).doesNotContainKeys(STATUS, REPORT);
        publishAudit(model, "1", true, "all rules passed");
        awaitTag(model, "1", STATUS, "passed");
        assertThat(byEvaluationService(model)).hasSize(2);
    }

    @Test
    void shouldSkipVerdictsOnDeletedVersionsAndModelsAndGoOn() throws Exception {
        String model = newModel(registry);
        newVersion(registry, model);
        newVersion(registry, model);
        registry.deleteModelVersion(
                DeleteModelVersion.newBuilder().setName(model).setVersion("1").build());
        String gone = newModel(registry);
        newVersion(registry, gone);
        registry.deleteRegisteredModel(
                DeleteRegisteredModel.newBuilder().setName(gone).build());

        // all on one partition (the same key), in order
        String id = UUID.randomUUID().toString();
        publish(AUDIT, model, id, auditJson(id, model, "1", false, "accuracy 0.5 < 0.9"));
        id = UUID.randomUUID().toString();
        publish(AUDIT, model, id, auditJson(id, gone, "1", false, "accuracy 0.5 < 0.9"));
        publishAudit(model, "2", true, "all rules passed");
        awaitTag(model, "2", STATUS, "passed");

        assertThat(byEvaluationService(model))
                .extracting(RegistryChange::getVersion)
                .containsExactly("2", "2");
        assertThat(byEvaluationService(gone)).isEmpty();
        assertThat(deadLetters(model, 1, Duration.ofSeconds(3))).isEmpty();
    }

    @Test
    void shouldRecordAVerdictOnceTheDatabaseIsBackWithoutDeadLetteringIt() throws Exception {
        String model = newModel(registry);
        newVersion(registry, model);
        double retriesBefore = ConsumerProbe.retries(MANAGEMENT_PORT, "registry-audits");
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                Statement s = c.createStatement()) {
            // every attempt to record the verdict now fails, as in an outage of the database
            s.execute("ALTER TABLE registry.consumed_events RENAME TO consumed_events_away");
            try {
                publishAudit(model, "1", true, "all rules passed");
                TestInfra.await(
                        "the consumer retrying",
                        Duration.ofSeconds(60),
                        () -> ConsumerProbe.retries(MANAGEMENT_PORT, "registry-audits") >= retriesBefore + 2);
                assertThat(tags(model, "1")).doesNotContainKeys(STATUS, REPORT);
            } finally {
                s.execute("ALTER TABLE registry.consumed_events_away RENAME TO consumed_events");
            }
        }
        awaitTag(model, "1", STATUS, "passed");
        assertThat(tags(model, "1")).containsEntry(REPORT, "all rules passed");
        assertThat(byEvaluationService(model)).hasSize(2);
        assertThat(deadLetters(model, 1, Duration.ofSeconds(3))).isEmpty();
    }
}
