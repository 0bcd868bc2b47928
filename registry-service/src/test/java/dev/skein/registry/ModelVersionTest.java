package dev.skein.registry;

import static dev.skein.registry.Registry.fails;
import static dev.skein.registry.Registry.newModel;
import static dev.skein.registry.Registry.newVersion;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.CreateModelVersion;
import dev.skein.proto.registry.v1.DeleteModelVersion;
import dev.skein.proto.registry.v1.DeleteModelVersionTag;
import dev.skein.proto.registry.v1.GetModelVersion;
import dev.skein.proto.registry.v1.GetModelVersionDownloadUri;
import dev.skein.proto.registry.v1.ModelVersion;
import dev.skein.proto.registry.v1.ModelVersionStatus;
import dev.skein.proto.registry.v1.ModelVersionTag;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import dev.skein.proto.registry.v1.SearchModelVersions;
import dev.skein.proto.registry.v1.SetModelVersionTag;
import dev.skein.proto.registry.v1.SetRegisteredModelAlias;
import dev.skein.proto.registry.v1.TransitionModelVersionStage;
import dev.skein.proto.registry.v1.UpdateModelVersion;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ModelVersionTest {

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

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
        // the run of a version must exist; tracking-service is not reachable in this test
        fails(
                ErrorCode.TEMPORARILY_UNAVAILABLE,
                () -> registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setSource("s3://bucket/m")
                        .setRunId("0123456789abcdef0123456789abcdef")
                        .build()));
        assertThat(registry.searchModelVersions(SearchModelVersions.newBuilder()
                                .setFilter("name = '" + name + "'")
                                .build())
                        .getModelVersionsList())
                .isEmpty();
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
