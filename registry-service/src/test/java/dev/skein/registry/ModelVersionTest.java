package dev.skein.registry;

import static dev.skein.registry.Registry.fails;
import static dev.skein.registry.Registry.newModel;
import static dev.skein.registry.Registry.newVersion;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.v1.RegistryChangeKind;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.AuditEvent;
import dev.skein.proto.registry.v1.AuditServiceGrpc.AuditServiceBlockingStub;
import dev.skein.proto.registry.v1.CreateModelVersion;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.DeleteModelVersion;
import dev.skein.proto.registry.v1.DeleteModelVersionTag;
import dev.skein.proto.registry.v1.GetModelVersion;
import dev.skein.proto.registry.v1.GetModelVersionDownloadUri;
import dev.skein.proto.registry.v1.GetRegisteredModel;
import dev.skein.proto.registry.v1.ListAuditEvents;
import dev.skein.proto.registry.v1.ModelVersion;
import dev.skein.proto.registry.v1.ModelVersionStatus;
import dev.skein.proto.registry.v1.ModelVersionTag;
import dev.skein.proto.registry.v1.RegisteredModel;
import dev.skein.proto.registry.v1.RegisteredModelTag;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import dev.skein.proto.registry.v1.SearchModelVersions;
import dev.skein.proto.registry.v1.SetModelVersionTag;
import dev.skein.proto.registry.v1.SetRegisteredModelAlias;
import dev.skein.proto.registry.v1.TransitionModelVersionStage;
import dev.skein.proto.registry.v1.UpdateModelVersion;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ModelVersionTest {

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

    @GrpcClient("registry")
    AuditServiceBlockingStub audit;

    private ModelVersion get(String name, String version) {
        return registry.getModelVersion(GetModelVersion.newBuilder()
                        .setName(name)
                        .setVersion(version)
                        .build())
                .getModelVersion();
    }

    @Test
    void shouldCreateReadyVersionsNumberedFromOne() {
        String name = newModel(registry);
        ModelVersion v1 = registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setSource("s3://bucket/model")
                        .setDescription("first")
                        .setRunLink("http://ci/1")
                        .addTags(ModelVersionTag.newBuilder().setKey("k").setValue("v"))
                        .build())
                .getModelVersion();
        assertThat(v1.getVersion()).isEqualTo("1");
        assertThat(v1.getStatus()).isEqualTo(ModelVersionStatus.READY);
        assertThat(v1.getCurrentStage()).isEqualTo("None");
        assertThat(v1.getSource()).isEqualTo("s3://bucket/model");
        assertThat(v1.getTagsList()).extracting(ModelVersionTag::getKey).containsExactly("k");
        assertThat(get(name, "1")).isEqualTo(v1);
        assertThat(newVersion(registry, name).getVersion()).isEqualTo("2");
    }

    @Test
    void shouldNumberConcurrentVersionsOneToTwentyWithoutGapsOrDuplicates() throws Exception {
        String name = newModel(registry);
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<String>> created = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                created.add(pool.submit(() -> newVersion(registry, name).getVersion()));
            }
            List<Integer> numbers = new ArrayList<>();
            for (Future<String> f : created) {
                numbers.add(Integer.parseInt(f.get()));
            }
            assertThat(numbers)
                    .containsExactlyInAnyOrderElementsOf(
                            IntStream.rangeClosed(1, 20).boxed().toList());
        } finally {
            pool.shutdownNow();
        }
        var all = registry.searchModelVersions(SearchModelVersions.newBuilder()
                .setFilter("name = '" + name + "'")
                .build());
        assertThat(all.getModelVersionsList())
                .extracting(ModelVersion::getVersion)
                .containsExactlyElementsOf(IntStream.iterate(20, i -> i - 1)
                        .limit(20)
                        .mapToObj(Integer::toString)
                        .toList());
    }

    @Test
    void shouldTransitionStagesArchivingTheOthersWhenAsked() {
        String name = newModel(registry);
        newVersion(registry, name);
        newVersion(registry, name);
        newVersion(registry, name);
        transition(name, "1", "Production", false);
        transition(name, "2", "production", false);
        ModelVersion v3 = transition(name, "3", "PRODUCTION", true);
        assertThat(v3.getCurrentStage()).isEqualTo("Production");
        assertThat(List.of(get(name, "1"), get(name, "2")))
                .extracting(ModelVersion::getCurrentStage)
                .containsExactly("Archived", "Archived");
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> transition(name, "1", "Retired", false));
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> transition(name, "1", "Archived", true));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.transitionModelVersionStage(TransitionModelVersionStage.newBuilder()
                        .setName(name)
                        .setVersion("1")
                        .setStage("Staging")
                        .build()));
    }

    private ModelVersion transition(String name, String version, String stage, boolean archive) {
        return registry.transitionModelVersionStage(TransitionModelVersionStage.newBuilder()
                        .setName(name)
                        .setVersion(version)
                        .setStage(stage)
                        .setArchiveExistingVersions(archive)
                        .build())
                .getModelVersion();
    }

    @Test
    void shouldUpdateTagAndDeleteVersionsWithoutReusingNumbers() {
        String name = newModel(registry);
        newVersion(registry, name);
        newVersion(registry, name);
        registry.updateModelVersion(UpdateModelVersion.newBuilder()
                .setName(name)
                .setVersion("2")
                .setDescription("better")
                .build());
        registry.setModelVersionTag(SetModelVersionTag.newBuilder()
                .setName(name)
                .setVersion("2")
                .setKey("validated")
                .setValue("yes")
                .build());
        registry.setRegisteredModelAlias(SetRegisteredModelAlias.newBuilder()
                .setName(name)
                .setAlias("best")
                .setVersion("2")
                .build());
        ModelVersion v2 = get(name, "2");
        assertThat(v2.getDescription()).isEqualTo("better");
        assertThat(v2.getTagsList())
                .extracting(ModelVersionTag::getKey, ModelVersionTag::getValue)
                .containsExactly(tuple("validated", "yes"));
        registry.deleteModelVersionTag(DeleteModelVersionTag.newBuilder()
                .setName(name)
                .setVersion("2")
                .setKey("validated")
                .build());
        assertThat(get(name, "2").getTagsList()).isEmpty();

        registry.deleteModelVersion(
                DeleteModelVersion.newBuilder().setName(name).setVersion("2").build());
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get(name, "2")))
                .isEqualTo("Model Version (name=" + name + ", version=2) not found");
        assertThat(newVersion(registry, name).getVersion()).isEqualTo("3");
    }

    @Test
    void shouldResolveDownloadUrisIncludingCopiesFromOtherModels() {
        String source = newModel(registry);
        newVersion(registry, source);
        registry.setRegisteredModelAlias(SetRegisteredModelAlias.newBuilder()
                .setName(source)
                .setAlias("champion")
                .setVersion("1")
                .build());
        transition(source, "1", "Staging", false);
        String copy = newModel(registry);
        for (String uri : List.of(
                "models:/" + source + "/1", "models:/" + source + "@champion", "models:/" + source + "/Staging")) {
            ModelVersion v = registry.createModelVersion(CreateModelVersion.newBuilder()
                            .setName(copy)
                            .setSource(uri)
                            .build())
                    .getModelVersion();
            assertThat(v.getSource()).isEqualTo(uri);
            assertThat(registry.getModelVersionDownloadUri(GetModelVersionDownloadUri.newBuilder()
                                    .setName(copy)
                                    .setVersion(v.getVersion())
                                    .build())
                            .getArtifactUri())
                    .as(uri)
                    .isEqualTo("s3://bucket/models/" + source);
        }
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(copy)
                        .setSource("models:/" + source + "/7")
                        .build()));
    }

    @Test
    void shouldRefuseBadSourcesVersionsAndRunsItCannotCheck() {
        String name = newModel(registry);
        for (String bad : List.of(
                "/tmp/model", "file:///tmp/model", "relative/model", "s3://bucket/../secret", "C:\\models\\m")) {
            fails(
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    () -> registry.createModelVersion(CreateModelVersion.newBuilder()
                            .setName(name)
                            .setSource(bad)
                            .build()));
        }
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.createModelVersion(
                        CreateModelVersion.newBuilder().setName(name).build()));
        fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> newVersion(registry, "no-such-model"));
        for (String badVersion : List.of("one", "0", "-1", "1.5", "")) {
            fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> get(name, badVersion));
        }
        // a local path is checked against its run, which tracking-service (unreachable here) must answer
        fails(
                ErrorCode.TEMPORARILY_UNAVAILABLE,
                () -> registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setSource("/tmp/model")
                        .setRunId("0123456789abcdef0123456789abcdef")
                        .build()));
        assertThat(registry.searchModelVersions(SearchModelVersions.newBuilder()
                                .setFilter("name = '" + name + "'")
                                .build())
                        .getModelVersionsList())
                .isEmpty();
    }

    // --- MLflow 3: logged models and prompts ------------------------------------------------------

    @Test
    void shouldKeepAndReturnTheModelIdOfAVersionRegisteredFromALoggedModel() {
        String name = newModel(registry);
        String run = "0123456789abcdef0123456789abcdef";
        // with a run given and a source that is not models:/, MLflow 3 looks nothing up before it
        // writes; tagging the logged model afterwards fails here (no tracking-service), which must not
        // undo or fail the registration
        ModelVersion v = registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setSource("s3://bucket/1/models/m-0a1b2c/artifacts")
                        .setRunId(run)
                        .setModelId("m-0a1b2c")
                        .build())
                .getModelVersion();
        assertThat(v.getModelId()).isEqualTo("m-0a1b2c");
        assertThat(v.getRunId()).isEqualTo(run);
        assertThat(get(name, "1").getModelId()).isEqualTo("m-0a1b2c");
        assertThat(registry.searchModelVersions(SearchModelVersions.newBuilder()
                                .setFilter("name = '" + name + "'")
                                .build())
                        .getModelVersionsList())
                .extracting(ModelVersion::getModelId)
                .containsExactly("m-0a1b2c");
        assertThat(downloadUri(name, "1")).isEqualTo("s3://bucket/1/models/m-0a1b2c/artifacts");
        // a version without one has none, as in MLflow (the field is absent)
        assertThat(newVersion(registry, name).hasModelId()).isFalse();
        // the version's event carries it, for lineage: version -> logged model -> run
        var created =
                audit
                        .listAuditEvents(
                                ListAuditEvents.newBuilder().setModel(name).build())
                        .getEventsList()
                        .stream()
                        .map(AuditEvent::getChange)
                        .filter(c -> c.getKind() == RegistryChangeKind.MODEL_VERSION_CREATED)
                        .toList();
        assertThat(created).extracting(c -> c.getVersionAfter().getModelId()).containsExactly("m-0a1b2c", "");
        assertThat(created.get(0).getVersionAfter().getRunId()).isEqualTo(run);
    }

    @Test
    void shouldAcceptPromptVersionsWithDummySourceAsRegisterPromptSendsThem() {
        // MLflow 3.x register_prompt: the model, tagged as a prompt, then its first version with
        // source "dummy-source" and the template as a tag
        String name = "prompt-" + UUID.randomUUID();
        registry.createRegisteredModel(CreateRegisteredModel.newBuilder()
                .setName(name)
                .setDescription("first")
                .addTags(RegisteredModelTag.newBuilder()
                        .setKey("mlflow.prompt.is_prompt")
                        .setValue("true"))
                .build());
        ModelVersion v = registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setDescription("first")
                        .setSource("dummy-source")
                        .addTags(ModelVersionTag.newBuilder()
                                .setKey("mlflow.prompt.is_prompt")
                                .setValue("true"))
                        .addTags(ModelVersionTag.newBuilder()
                                .setKey("mlflow.prompt.text")
                                .setValue("Hello, {{name}}!"))
                        .build())
                .getModelVersion();
        assertThat(v.getVersion()).isEqualTo("1");
        assertThat(v.getSource()).isEqualTo("dummy-source");
        assertThat(v.getTagsList())
                .extracting(ModelVersionTag::getKey, ModelVersionTag::getValue)
                .containsExactlyInAnyOrder(
                        tuple("mlflow.prompt.is_prompt", "true"), tuple("mlflow.prompt.text", "Hello, {{name}}!"));
        assertThat(downloadUri(name, "1")).isEqualTo("dummy-source");
        // MLflow's rule is the version's tag (any value), not the model's: without it the same
        // source is a local path and refused
        String message = fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setSource("dummy-source")
                        .build()));
        assertThat(message).startsWith("Invalid model version source: 'dummy-source'. To use a local path");
        assertThat(registry.createModelVersion(CreateModelVersion.newBuilder()
                                .setName(name)
                                .setSource("dummy-source")
                                .addTags(ModelVersionTag.newBuilder()
                                        .setKey("mlflow.prompt.is_prompt")
                                        .setValue("false"))
                                .build())
                        .getModelVersion()
                        .getVersion())
                .isEqualTo("2");
    }

    @Test
    void shouldRefuseLoggedModelSourcesItCannotResolveWithoutWritingAnything() {
        String name = newModel(registry);
        // models:/<model_id> is followed to the logged model (tracking-service, unreachable here)
        fails(
                ErrorCode.TEMPORARILY_UNAVAILABLE,
                () -> registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setSource("models:/m-0a1b2c")
                        .setModelId("m-0a1b2c")
                        .build()));
        // a model_id without a run_id names the run through the logged model
        fails(
                ErrorCode.TEMPORARILY_UNAVAILABLE,
                () -> registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setSource("s3://bucket/m")
                        .setModelId("m-0a1b2c")
                        .build()));
        // a local source with a model_id is checked against the logged model's files
        fails(
                ErrorCode.TEMPORARILY_UNAVAILABLE,
                () -> registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setSource("/tmp/model")
                        .setRunId("0123456789abcdef0123456789abcdef")
                        .setModelId("m-0a1b2c")
                        .build()));
        // relative references are refused before anything is looked up, as for any source
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setSource("s3://bucket/../m")
                        .setModelId("m-0a1b2c")
                        .build()));
        // models:/ URIs MLflow 3 cannot parse: a trailing slash, an empty alias
        for (String bad : List.of("models:/m-0a1b2c/", "models:/m-0a1b2c@")) {
            assertThat(fails(
                            ErrorCode.INVALID_PARAMETER_VALUE,
                            () -> registry.createModelVersion(CreateModelVersion.newBuilder()
                                    .setName(name)
                                    .setSource(bad)
                                    .build())))
                    .startsWith("Unable to fetch model from model URI source artifact location '" + bad + "'");
        }
        assertThat(registry.searchModelVersions(SearchModelVersions.newBuilder()
                                .setFilter("name = '" + name + "'")
                                .build())
                        .getModelVersionsList())
                .isEmpty();
    }

    @Test
    void shouldRecordTheRunIdOfARemoteSourceAsGivenAsMlflowDoes() {
        String name = newModel(registry);
        // no lineage call is made: MLflow records a run_id without looking the run up
        ModelVersion v = create(name, "s3://bucket/m", "0123456789abcdef0123456789abcdef");
        assertThat(v.getRunId()).isEqualTo("0123456789abcdef0123456789abcdef");
        assertThat(downloadUri(name, "1")).isEqualTo("s3://bucket/m");
    }

    @Test
    void shouldRefuseEncodedTraversalInSourcesWithMlflowsMessage() {
        String name = newModel(registry);
        for (String bad : List.of(
                "mlflow-artifacts://host:9000/models/../../../",
                "http://host:9000/models/../../../",
                "mlflow-artifacts://host:9000/models/..%2f..%2fartifacts",
                "mlflow-artifacts://host:9000/models/artifact%00",
                "s3://bucket/models/%252e%252e%252fsecret",
                "runs:/0123456789abcdef0123456789abcdef/..%2F..%2Fother-run",
                "models:/" + name + "/1/..%2f..")) {
            assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> create(name, bad, null)))
                    .as(bad)
                    .contains("If supplying a source as an http, https,");
        }
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> create(name, "file:///tmp", null)))
                .contains("To use a local path as a model version");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> create(name, "file://123.456.789.123/path/to/source", "r")))
                .contains("is not a valid remote uri");
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> create(name, "models:/" + name + "/3", null)))
                .contains("Unable to fetch model from model URI source artifact location 'models:/" + name + "/3'")
                .contains("Model Version (name=" + name + ", version=3) not found");
        assertThat(create(name, "mlflow-artifacts://host:9000/models/artifact/..../", null)
                        .getSource())
                .isEqualTo("mlflow-artifacts://host:9000/models/artifact/..../");
    }

    @Test
    void shouldTouchTheModelOnStageTransitionsAndVersionDeletesButNotOnUpdates() {
        String name = newModel(registry);
        newVersion(registry, name);
        newVersion(registry, name);
        long created = model(name).getLastUpdatedTimestamp();
        afterMillisecond(created);
        ModelVersion moved = transition(name, "1", "Staging", false);
        assertThat(moved.getLastUpdatedTimestamp()).isGreaterThan(created);
        assertThat(model(name).getLastUpdatedTimestamp()).isEqualTo(moved.getLastUpdatedTimestamp());

        afterMillisecond(moved.getLastUpdatedTimestamp());
        registry.updateModelVersion(UpdateModelVersion.newBuilder()
                .setName(name)
                .setVersion("1")
                .setDescription("d")
                .build());
        assertThat(model(name).getLastUpdatedTimestamp()).isEqualTo(moved.getLastUpdatedTimestamp());

        long updated = get(name, "1").getLastUpdatedTimestamp();
        afterMillisecond(updated);
        registry.deleteModelVersion(
                DeleteModelVersion.newBuilder().setName(name).setVersion("2").build());
        assertThat(model(name).getLastUpdatedTimestamp()).isGreaterThan(updated);
    }

    @Test
    void shouldSearchVersionsMostRecentlyUpdatedFirstByDefault() {
        String run = "run-" + UUID.randomUUID();
        String a = newModel(registry);
        String b = newModel(registry);
        create(a, "s3://bucket/a/1", run);
        create(b, "s3://bucket/b/1", run);
        ModelVersion a2 = create(a, "s3://bucket/a/2", run);
        create(b, "s3://bucket/b/2", run);
        afterMillisecond(Math.max(a2.getLastUpdatedTimestamp(), get(b, "2").getLastUpdatedTimestamp()));
        transition(a, "1", "Staging", false);
        List<ModelVersion> found = search("run_id = '" + run + "'");
        assertThat(found.get(0))
                .extracting(ModelVersion::getName, ModelVersion::getVersion)
                .containsExactly(a, "1");
        assertThat(found)
                .extracting(ModelVersion::getName, ModelVersion::getVersion)
                .containsExactlyElementsOf(found.stream()
                        .sorted(Comparator.comparingLong(ModelVersion::getLastUpdatedTimestamp)
                                .reversed()
                                .thenComparing(ModelVersion::getName)
                                .thenComparing(v -> -Integer.parseInt(v.getVersion())))
                        .map(v -> tuple(v.getName(), v.getVersion()))
                        .toList());
        assertThat(searchOrdered("run_id = '" + run + "'", "version_number DESC"))
                .extracting(ModelVersion::getName, ModelVersion::getVersion)
                .containsExactly(
                        tuple(min(a, b), "2"), tuple(max(a, b), "2"), tuple(min(a, b), "1"), tuple(max(a, b), "1"));
        assertThat(searchOrdered("run_id = '" + run + "'", "name DESC"))
                .extracting(ModelVersion::getName, ModelVersion::getVersion)
                .containsExactly(
                        tuple(max(a, b), "2"), tuple(max(a, b), "1"), tuple(min(a, b), "2"), tuple(min(a, b), "1"));
    }

    private static String min(String a, String b) {
        return a.compareTo(b) < 0 ? a : b;
    }

    private static String max(String a, String b) {
        return a.compareTo(b) < 0 ? b : a;
    }

    /** Waits until the clock has passed {@code millis}, so the next change gets a later time. */
    private static void afterMillisecond(long millis) {
        while (System.currentTimeMillis() <= millis) {
            Thread.onSpinWait();
        }
    }

    private ModelVersion create(String name, String source, String runId) {
        CreateModelVersion.Builder request =
                CreateModelVersion.newBuilder().setName(name).setSource(source);
        if (runId != null) {
            request.setRunId(runId);
        }
        return registry.createModelVersion(request.build()).getModelVersion();
    }

    private String downloadUri(String name, String version) {
        return registry.getModelVersionDownloadUri(GetModelVersionDownloadUri.newBuilder()
                        .setName(name)
                        .setVersion(version)
                        .build())
                .getArtifactUri();
    }

    private RegisteredModel model(String name) {
        return registry.getRegisteredModel(
                        GetRegisteredModel.newBuilder().setName(name).build())
                .getRegisteredModel();
    }

    private List<ModelVersion> searchOrdered(String filter, String orderBy) {
        return registry.searchModelVersions(SearchModelVersions.newBuilder()
                        .setFilter(filter)
                        .addOrderBy(orderBy)
                        .build())
                .getModelVersionsList();
    }

    @Test
    void shouldSearchVersionsWithMlflowsFilterLanguage() {
        String a = newModel(registry);
        String b = newModel(registry);
        for (int i = 0; i < 3; i++) {
            newVersion(registry, a);
            newVersion(registry, b);
        }
        registry.setModelVersionTag(SetModelVersionTag.newBuilder()
                .setName(b)
                .setVersion("2")
                .setKey("env")
                .setValue("prod")
                .build());
        assertThat(search("name = '" + a + "' AND version_number >= 2"))
                .extracting(ModelVersion::getVersion)
                .containsExactly("3", "2");
        assertThat(search("tags.env = 'prod'"))
                .extracting(ModelVersion::getName, ModelVersion::getVersion)
                .containsExactly(tuple(b, "2"));
        assertThat(search("run_id IN ('x', 'y')")).isEmpty();
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> search("name IN ('x')"));
        assertThat(search("source_path = 's3://bucket/models/" + b + "' AND version_number = 1"))
                .extracting(ModelVersion::getName)
                .containsExactly(b);
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> search("version_number > 'one'"));
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> search("stage = 'Production'"));
    }

    private List<ModelVersion> search(String filter) {
        return registry.searchModelVersions(
                        SearchModelVersions.newBuilder().setFilter(filter).build())
                .getModelVersionsList();
    }
}
