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
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
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

    /** A record as the database holds it: what the expected answers are computed from. */
    private record Stored(String eventId, String model, String actor, String type, long time) {}

    /** The whole trail in the order it was written, read from the table itself. */
    private static List<Stored> stored() throws Exception {
        List<Stored> stored = new ArrayList<>();
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery(
                        "SELECT event_id, model_name, actor, type, time FROM registry.audit_events ORDER BY seq")) {
            while (r.next()) {
                stored.add(new Stored(
                        r.getString("event_id"),
                        r.getString("model_name"),
                        r.getString("actor"),
                        r.getString("type"),
                        r.getLong("time")));
            }
        }
        return stored;
    }

    /**
     * The event ids of every page of a listing, {@code maxResults} at a time: each page but the last
     * full and with a token, the last without one, and never an empty page after a token.
     */
    private List<String> pages(ListAuditEvents.Builder request, int maxResults) {
        List<String> ids = new ArrayList<>();
        request.setMaxResults(maxResults).clearPageToken();
        while (true) {
            var page = audit.listAuditEvents(request.build());
            if (request.hasPageToken()) {
                assertThat(page.getEventsList()).as("a page after a token").isNotEmpty();
            }
            page.getEventsList().forEach(e -> ids.add(e.getChange().getEventId()));
            if (!page.hasNextPageToken()) {
                return ids;
            }
            assertThat(page.getEventsList()).hasSize(maxResults);
            request.setPageToken(page.getNextPageToken());
        }
    }

    @Test
    void shouldAnswerEachFilterAndTheirCombinationsInOrderAcrossPages() throws Exception {
        String dora = "dora-" + UUID.randomUUID();
        String erin = "erin-" + UUID.randomUUID();
        String first = "paged-" + UUID.randomUUID();
        String second = "paged-" + UUID.randomUUID();
        var asDora = as(registry, dora);
        var asErin = as(registry, erin);
        long start = System.currentTimeMillis();
        asDora.createRegisteredModel(
                CreateRegisteredModel.newBuilder().setName(first).build());
        asErin.createRegisteredModel(
                CreateRegisteredModel.newBuilder().setName(second).build());
        // two actors' changes of two models, interleaved
        for (int i = 1; i <= 3; i++) {
            asDora.createModelVersion(CreateModelVersion.newBuilder()
                    .setName(first)
                    .setSource("s3://b/" + i)
                    .build());
            asErin.setRegisteredModelTag(SetRegisteredModelTag.newBuilder()
                    .setName(first)
                    .setKey("k" + i)
                    .setValue("v")
                    .build());
            asErin.createModelVersion(CreateModelVersion.newBuilder()
                    .setName(second)
                    .setSource("s3://b/" + i)
                    .build());
            asDora.setRegisteredModelTag(SetRegisteredModelTag.newBuilder()
                    .setName(second)
                    .setKey("k" + i)
                    .setValue("v")
                    .build());
        }
        Thread.sleep(5);
        long middle = System.currentTimeMillis();
        Thread.sleep(5);
        for (int i = 4; i <= 5; i++) {
            asDora.createModelVersion(CreateModelVersion.newBuilder()
                    .setName(first)
                    .setSource("s3://b/" + i)
                    .build());
            asErin.createModelVersion(CreateModelVersion.newBuilder()
                    .setName(second)
                    .setSource("s3://b/" + i)
                    .build());
        }
        asErin.transitionModelVersionStage(TransitionModelVersionStage.newBuilder()
                .setName(first)
                .setVersion("1")
                .setStage("Production")
                .setArchiveExistingVersions(false)
                .build());
        long end = System.currentTimeMillis();
        String created = "dev.skein.registry.model_version.created.v1";
        String tagSet = "dev.skein.registry.registered_model_tag.set.v1";
        List<Stored> trail = stored();

        record Case(ListAuditEvents.Builder request, Predicate<Stored> keeps) {}
        List<Case> cases = List.of(
                new Case(ListAuditEvents.newBuilder().setModel(first), s -> s.model()
                        .equals(first)),
                new Case(ListAuditEvents.newBuilder().setActor(dora), s -> s.actor()
                        .equals(dora)),
                // spaces around an actor or a type are not part of it
                new Case(ListAuditEvents.newBuilder().setActor(" " + erin + "  "), s -> s.actor()
                        .equals(erin)),
                new Case(ListAuditEvents.newBuilder().setType(" model_version.created "), s -> s.type()
                        .equals(created)),
                new Case(ListAuditEvents.newBuilder().setSince(start), s -> s.time() >= start),
                new Case(ListAuditEvents.newBuilder().setUntil(middle), s -> s.time() <= middle),
                new Case(
                        ListAuditEvents.newBuilder().setModel(first).setActor(erin),
                        s -> s.model().equals(first) && s.actor().equals(erin)),
                new Case(
                        ListAuditEvents.newBuilder().setActor(dora).setType("REGISTERED_MODEL_TAG_SET"),
                        s -> s.actor().equals(dora) && s.type().equals(tagSet)),
                new Case(
                        ListAuditEvents.newBuilder().setType(created).setSince(middle),
                        s -> s.type().equals(created) && s.time() >= middle),
                new Case(
                        ListAuditEvents.newBuilder()
                                .setActor(erin)
                                .setSince(start)
                                .setUntil(middle),
                        s -> s.actor().equals(erin) && s.time() >= start && s.time() <= middle),
                new Case(
                        ListAuditEvents.newBuilder()
                                .setModel(second)
                                .setActor(erin)
                                .setType("model_version.created")
                                .setSince(start)
                                .setUntil(end),
                        s -> s.model().equals(second)
                                && s.actor().equals(erin)
                                && s.type().equals(created)
                                && s.time() >= start
                                && s.time() <= end));
        for (Case c : cases) {
            List<String> expected =
                    trail.stream().filter(c.keeps()).map(Stored::eventId).toList();
            // pages small enough that every answer spans several (the trail holds other tests' changes too)
            int pageSize = Math.max(2, expected.size() / 4);
            assertThat(expected).as(c.request().toString()).hasSizeGreaterThan(pageSize);
            assertThat(pages(c.request(), pageSize)).as(c.request().toString()).containsExactlyElementsOf(expected);
        }
        assertThat(trail.stream()
                        .filter(s -> s.model().equals(first) && s.actor().equals(erin)))
                .extracting(Stored::type)
                .containsExactly(tagSet, tagSet, tagSet, "dev.skein.registry.model_version.stage_transitioned.v1");
    }

    @Test
    void shouldAnswerAnEmptyPageWithoutTokenWhenActorOrKindMatchNothing() {
        String frank = "frank-" + UUID.randomUUID();
        String name = "unmatched-" + UUID.randomUUID();
        var asFrank = as(registry, frank);
        asFrank.createRegisteredModel(
                CreateRegisteredModel.newBuilder().setName(name).build());
        asFrank.setRegisteredModelTag(SetRegisteredModelTag.newBuilder()
                .setName(name)
                .setKey("k")
                .setValue("v")
                .build());
        for (ListAuditEvents.Builder request : List.of(
                ListAuditEvents.newBuilder().setActor("nobody-" + UUID.randomUUID()),
                ListAuditEvents.newBuilder()
                        .setActor("nobody-" + UUID.randomUUID())
                        .setType("model_version.created"),
                ListAuditEvents.newBuilder().setActor(frank).setType("model_version.created"),
                ListAuditEvents.newBuilder().setModel(name).setType("model_version.deleted"),
                ListAuditEvents.newBuilder().setActor(frank).setSince(System.currentTimeMillis() + 60_000))) {
            var page = audit.listAuditEvents(request.setMaxResults(1).build());
            assertThat(page.getEventsList()).as(request.toString()).isEmpty();
            assertThat(page.hasNextPageToken()).as(request.toString()).isFalse();
        }
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
