package dev.skein.registry;

import static dev.skein.registry.Registry.as;
import static dev.skein.registry.Registry.fails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.util.JsonFormat;
import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.events.v1.RegistryChange;
import dev.skein.events.v1.RegistryChangeKind;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.AuditEvent;
import dev.skein.proto.registry.v1.AuditServiceGrpc.AuditServiceBlockingStub;
import dev.skein.proto.registry.v1.CreateModelVersion;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.DeleteRegisteredModel;
import dev.skein.proto.registry.v1.ListAuditEvents;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import dev.skein.proto.registry.v1.RenameRegisteredModel;
import dev.skein.proto.registry.v1.SetModelVersionTag;
import dev.skein.proto.registry.v1.SetRegisteredModelAlias;
import dev.skein.proto.registry.v1.SetRegisteredModelTag;
import dev.skein.proto.registry.v1.TransitionModelVersionStage;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Every registry change: in the audit trail, on skein.registry.events.v1, the same, in order. */
@QuarkusTest
class AuditTrailTest {

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

    @GrpcClient("registry")
    AuditServiceBlockingStub audit;

    private List<AuditEvent> trail(String model) {
        List<AuditEvent> events = new ArrayList<>();
        ListAuditEvents.Builder request =
                ListAuditEvents.newBuilder().setModel(model).setMaxResults(3);
        while (true) {
            var page = audit.listAuditEvents(request.build());
            events.addAll(page.getEventsList());
            if (!page.hasNextPageToken()) {
                return events;
            }
            request.setPageToken(page.getNextPageToken());
        }
    }

    @Test
    void shouldRecordEveryChangeWithWhoWhenAndTheStateBeforeAndAfter() throws Exception {
        var alice = as(registry, "alice");
        String name = "audited-" + UUID.randomUUID();
        long start = System.currentTimeMillis();
        alice.createRegisteredModel(
                CreateRegisteredModel.newBuilder().setName(name).build());
        alice.setRegisteredModelTag(SetRegisteredModelTag.newBuilder()
                .setName(name)
                .setKey("k")
                .setValue("v")
                .build());
        alice.createModelVersion(CreateModelVersion.newBuilder()
                .setName(name)
                .setSource("s3://b/1")
                .build());
        alice.createModelVersion(CreateModelVersion.newBuilder()
                .setName(name)
                .setSource("s3://b/2")
                .build());
        alice.setModelVersionTag(SetModelVersionTag.newBuilder()
                .setName(name)
                .setVersion("1")
                .setKey("t")
                .setValue("x")
                .build());
        alice.setRegisteredModelAlias(SetRegisteredModelAlias.newBuilder()
                .setName(name)
                .setAlias("champion")
                .setVersion("1")
                .build());
        alice.transitionModelVersionStage(TransitionModelVersionStage.newBuilder()
                .setName(name)
                .setVersion("1")
                .setStage("Production")
                .setArchiveExistingVersions(false)
                .build());
        alice.transitionModelVersionStage(TransitionModelVersionStage.newBuilder()
                .setName(name)
                .setVersion("2")
                .setStage("Production")
                .setArchiveExistingVersions(true)
                .build());

        List<AuditEvent> events = trail(name);
        assertThat(events)
                .extracting(e -> e.getChange().getKind())
                .containsExactly(
                        RegistryChangeKind.REGISTERED_MODEL_CREATED,
                        RegistryChangeKind.REGISTERED_MODEL_TAG_SET,
                        RegistryChangeKind.MODEL_VERSION_CREATED,
                        RegistryChangeKind.MODEL_VERSION_CREATED,
                        RegistryChangeKind.MODEL_VERSION_TAG_SET,
                        RegistryChangeKind.MODEL_VERSION_ALIAS_SET,
                        RegistryChangeKind.MODEL_VERSION_STAGE_TRANSITIONED,
                        RegistryChangeKind.MODEL_VERSION_STAGE_TRANSITIONED,
                        RegistryChangeKind.MODEL_VERSION_STAGE_TRANSITIONED);
        assertThat(events)
                .extracting(e -> e.getChange().getModelSequence())
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.getChange().getActor()).isEqualTo("alice");
            assertThat(e.getChange().getTime()).isGreaterThanOrEqualTo(start);
            assertThat(e.getChange().getModelName()).isEqualTo(name);
        });
        RegistryChange created = events.get(0).getChange();
        assertThat(created.hasModelBefore()).isFalse();
        assertThat(created.getModelAfter().getName()).isEqualTo(name);
        RegistryChange tagSet = events.get(1).getChange();
        assertThat(tagSet.getKey()).isEqualTo("k");
        assertThat(tagSet.getModelBefore().getTagsMap()).isEmpty();
        assertThat(tagSet.getModelAfter().getTagsMap()).containsEntry("k", "v");
        RegistryChange alias = events.get(5).getChange();
        assertThat(alias.getModelAfter().getAliasesMap()).containsEntry("champion", "1");
        RegistryChange promoted = events.get(6).getChange();
        assertThat(promoted.getVersionBefore().getCurrentStage()).isEqualTo("None");
        assertThat(promoted.getVersionAfter().getCurrentStage()).isEqualTo("Production");
        // the last promotion archives version 1: its own event, after the promotion of version 2
        assertThat(events.get(7).getChange().getVersion()).isEqualTo("2");
        assertThat(events.get(8).getChange().getVersion()).isEqualTo("1");
        assertThat(events.get(8).getChange().getVersionAfter().getCurrentStage())
                .isEqualTo("Archived");
        assertThat(events.get(0).getType()).isEqualTo("dev.skein.registry.registered_model.created.v1");

        // the same changes, by the same ids, in the same order, on the Kafka topic keyed by model id
        List<TopicReader.Event> published = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                "skein.registry.events.v1",
                Set.of(events.get(0).getChange().getModelId())::contains,
                events.size(),
                Duration.ofSeconds(60),
                Duration.ofSeconds(2));
        assertThat(published)
                .extracting(e -> e.header("ce_id"))
                .containsExactlyElementsOf(
                        events.stream().map(e -> e.getChange().getEventId()).toList());
        assertThat(published)
                .extracting(e -> e.header("ce_type"))
                .containsExactlyElementsOf(
                        events.stream().map(AuditEvent::getType).toList());
        RegistryChange.Builder fromKafka = RegistryChange.newBuilder();
        JsonFormat.parser().merge(published.get(1).value(), fromKafka);
        assertThat(fromKafka.build()).isEqualTo(tagSet);
    }

    @Test
    void shouldKeepAModelsHistoryAcrossRenameAndDelete() {
        String name = "renamed-" + UUID.randomUUID();
        registry.createRegisteredModel(
                CreateRegisteredModel.newBuilder().setName(name).build());
        registry.renameRegisteredModel(RenameRegisteredModel.newBuilder()
                .setName(name)
                .setNewName(name + "-2")
                .build());
        registry.deleteRegisteredModel(
                DeleteRegisteredModel.newBuilder().setName(name + "-2").build());
        List<AuditEvent> after = trail(name + "-2");
        assertThat(after)
                .extracting(e -> e.getChange().getKind())
                .containsExactly(
                        RegistryChangeKind.REGISTERED_MODEL_RENAMED, RegistryChangeKind.REGISTERED_MODEL_DELETED);
        RegistryChange renamed = after.get(0).getChange();
        assertThat(renamed.getModelBefore().getName()).isEqualTo(name);
        assertThat(renamed.getModelAfter().getName()).isEqualTo(name + "-2");
        assertThat(renamed.getModelSequence()).isEqualTo(2);
        assertThat(renamed.getModelId())
                .isEqualTo(trail(name).get(0).getChange().getModelId());
        assertThat(after.get(1).getChange().hasModelAfter()).isFalse();
        assertThat(after.get(1).getChange().getActor()).isEqualTo("unknown");
    }

    private List<AuditEvent> list(ListAuditEvents.Builder request) {
        return audit.listAuditEvents(request.setMaxResults(100).build()).getEventsList();
    }

    @Test
    void shouldFilterTheTrailByActorKindAndTime() throws Exception {
        String name = "filtered-" + UUID.randomUUID();
        String bob = "bob-" + UUID.randomUUID();
        as(registry, bob)
                .createRegisteredModel(
                        CreateRegisteredModel.newBuilder().setName(name).build());
        as(registry, "carol-" + UUID.randomUUID())
                .setRegisteredModelTag(SetRegisteredModelTag.newBuilder()
                        .setName(name)
                        .setKey("k")
                        .setValue("v")
                        .build());
        Thread.sleep(5);
        long middle = System.currentTimeMillis();
        Thread.sleep(5);
        as(registry, bob)
                .createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setSource("s3://b/1")
                        .build());
        List<AuditEvent> all = trail(name);
        assertThat(all).hasSize(3);

        assertThat(list(ListAuditEvents.newBuilder().setActor(bob)))
                .extracting(e -> e.getChange().getKind())
                .containsExactly(RegistryChangeKind.REGISTERED_MODEL_CREATED, RegistryChangeKind.MODEL_VERSION_CREATED);
        assertThat(list(ListAuditEvents.newBuilder().setModel(name).setActor("nobody-" + UUID.randomUUID())))
                .isEmpty();

        // the CloudEvent type, its short form and the kind's name all select the same changes
        for (String type : List.of(
                "dev.skein.registry.model_version.created.v1", "model_version.created", "MODEL_VERSION_CREATED")) {
            assertThat(list(ListAuditEvents.newBuilder().setModel(name).setType(type)))
                    .as(type)
                    .extracting(e -> e.getChange().getEventId())
                    .containsExactly(all.get(2).getChange().getEventId());
        }

        assertThat(list(ListAuditEvents.newBuilder().setModel(name).setUntil(middle)))
                .extracting(e -> e.getChange().getKind())
                .containsExactly(
                        RegistryChangeKind.REGISTERED_MODEL_CREATED, RegistryChangeKind.REGISTERED_MODEL_TAG_SET);
        assertThat(list(ListAuditEvents.newBuilder().setModel(name).setSince(middle)))
                .extracting(e -> e.getChange().getKind())
                .containsExactly(RegistryChangeKind.MODEL_VERSION_CREATED);
        long first = all.get(0).getChange().getTime();
        assertThat(list(ListAuditEvents.newBuilder()
                        .setModel(name)
                        .setSince(first)
                        .setUntil(first)))
                .extracting(e -> e.getChange().getEventId())
                .contains(all.get(0).getChange().getEventId())
                .doesNotContain(all.get(2).getChange().getEventId());

        // filters combine, and the pages of a filtered trail hold only its changes
        ListAuditEvents.Builder byBob =
                ListAuditEvents.newBuilder().setActor(bob).setSince(first).setMaxResults(1);
        var firstPage = audit.listAuditEvents(byBob.build());
        assertThat(firstPage.getEventsList())
                .extracting(e -> e.getChange().getKind())
                .containsExactly(RegistryChangeKind.REGISTERED_MODEL_CREATED);
        var secondPage = audit.listAuditEvents(
                byBob.setPageToken(firstPage.getNextPageToken()).build());
        assertThat(secondPage.getEventsList())
                .extracting(e -> e.getChange().getKind())
                .containsExactly(RegistryChangeKind.MODEL_VERSION_CREATED);
        assertThat(secondPage.hasNextPageToken()).isFalse();
        assertThat(list(ListAuditEvents.newBuilder().setActor(bob).setType("registered_model_tag.set")))
                .isEmpty();
    }

    @Test
    void shouldRefuseFiltersItCannotApply() {
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> audit.listAuditEvents(ListAuditEvents.newBuilder()
                                .setType("model.exploded")
                                .build())))
                .contains("model.exploded")
                .contains("model_version.created");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> audit.listAuditEvents(
                                ListAuditEvents.newBuilder().setType("").build())))
                .contains("type");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> audit.listAuditEvents(
                                ListAuditEvents.newBuilder().setActor(" ").build())))
                .contains("actor");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> audit.listAuditEvents(ListAuditEvents.newBuilder()
                                .setSince(2000)
                                .setUntil(1000)
                                .build())))
                .contains("until");
    }

    @Test
    void shouldRefuseToChangeOrDeleteAuditRecordsEvenInTheDatabase() throws Exception {
        registry.createRegisteredModel(CreateRegisteredModel.newBuilder()
                .setName("kept-" + UUID.randomUUID())
                .build());
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeUpdate("UPDATE registry.audit_events SET actor = 'mallory'"))
                    .hasMessageContaining("audit records cannot be changed or deleted");
            assertThatThrownBy(() -> s.executeUpdate("DELETE FROM registry.audit_events"))
                    .hasMessageContaining("audit records cannot be changed or deleted");
            assertThatThrownBy(() -> s.executeUpdate("TRUNCATE registry.audit_events"))
                    .hasMessageContaining("audit records cannot be changed or deleted");
        }
    }
}
