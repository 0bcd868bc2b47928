package dev.skein.registry;

import static dev.skein.registry.Registry.fails;
import static dev.skein.registry.Registry.newModel;
import static dev.skein.registry.Registry.newVersion;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.DeleteRegisteredModel;
import dev.skein.proto.registry.v1.DeleteRegisteredModelAlias;
import dev.skein.proto.registry.v1.DeleteRegisteredModelTag;
import dev.skein.proto.registry.v1.GetLatestVersions;
import dev.skein.proto.registry.v1.GetModelVersion;
import dev.skein.proto.registry.v1.GetModelVersionByAlias;
import dev.skein.proto.registry.v1.GetRegisteredModel;
import dev.skein.proto.registry.v1.ModelVersion;
import dev.skein.proto.registry.v1.RegisteredModel;
import dev.skein.proto.registry.v1.RegisteredModelAlias;
import dev.skein.proto.registry.v1.RegisteredModelTag;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import dev.skein.proto.registry.v1.RenameRegisteredModel;
import dev.skein.proto.registry.v1.SearchRegisteredModels;
import dev.skein.proto.registry.v1.SetRegisteredModelAlias;
import dev.skein.proto.registry.v1.SetRegisteredModelTag;
import dev.skein.proto.registry.v1.TransitionModelVersionStage;
import dev.skein.proto.registry.v1.UpdateRegisteredModel;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class RegisteredModelTest {

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

    private RegisteredModel get(String name) {
        return registry.getRegisteredModel(
                        GetRegisteredModel.newBuilder().setName(name).build())
                .getRegisteredModel();
    }

    @Test
    void shouldCreateGetUpdateAndRenameModels() {
        String name = "model-" + UUID.randomUUID();
        RegisteredModel created = registry.createRegisteredModel(CreateRegisteredModel.newBuilder()
                        .setName(name)
                        .setDescription("first")
                        .addTags(RegisteredModelTag.newBuilder().setKey("team").setValue("vision"))
                        .build())
                .getRegisteredModel();
        assertThat(created.getName()).isEqualTo(name);
        assertThat(created.getDescription()).isEqualTo("first");
        assertThat(created.getCreationTimestamp()).isPositive();
        assertThat(get(name)).isEqualTo(created);

        registry.updateRegisteredModel(UpdateRegisteredModel.newBuilder()
                .setName(name)
                .setDescription("second")
                .build());
        assertThat(get(name).getDescription()).isEqualTo("second");

        newVersion(registry, name);
        String renamed = name + "-renamed";
        RegisteredModel after = registry.renameRegisteredModel(RenameRegisteredModel.newBuilder()
                        .setName(name)
                        .setNewName(renamed)
                        .build())
                .getRegisteredModel();
        assertThat(after.getName()).isEqualTo(renamed);
        // versions move with their model
        assertThat(registry.getModelVersion(GetModelVersion.newBuilder()
                                .setName(renamed)
                                .setVersion("1")
                                .build())
                        .getModelVersion()
                        .getName())
                .isEqualTo(renamed);
        fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get(name));
    }

    @Test
    void shouldAnswerMlflowErrorsForMissingAndDuplicateModels() {
        String name = newModel(registry);
        assertThat(fails(
                        ErrorCode.RESOURCE_ALREADY_EXISTS,
                        () -> registry.createRegisteredModel(
                                CreateRegisteredModel.newBuilder().setName(name).build())))
                .isEqualTo("Registered Model (name=" + name + ") already exists.");
        assertThat(fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get("no-such-model")))
                .isEqualTo("Registered Model with name=no-such-model not found");
        String other = newModel(registry);
        fails(
                ErrorCode.RESOURCE_ALREADY_EXISTS,
                () -> registry.renameRegisteredModel(RenameRegisteredModel.newBuilder()
                        .setName(name)
                        .setNewName(other)
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.createRegisteredModel(CreateRegisteredModel.getDefaultInstance()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.createRegisteredModel(CreateRegisteredModel.newBuilder()
                        .setName("m-" + UUID.randomUUID())
                        .addTags(RegisteredModelTag.newBuilder().setKey("k").setValue("v".repeat(5001)))
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.createRegisteredModel(CreateRegisteredModel.newBuilder()
                        .setName("m-" + UUID.randomUUID())
                        .addTags(RegisteredModelTag.newBuilder().setKey("../k").setValue("v"))
                        .build()));
    }

    @Test
    void shouldSetAndDeleteTags() {
        String name = newModel(registry);
        registry.setRegisteredModelTag(SetRegisteredModelTag.newBuilder()
                .setName(name)
                .setKey("k")
                .setValue("1")
                .build());
        registry.setRegisteredModelTag(SetRegisteredModelTag.newBuilder()
                .setName(name)
                .setKey("k")
                .setValue("2")
                .build());
        assertThat(get(name).getTagsList())
                .extracting(RegisteredModelTag::getValue)
                .containsExactly("2");
        registry.deleteRegisteredModelTag(
                DeleteRegisteredModelTag.newBuilder().setName(name).setKey("k").build());
        registry.deleteRegisteredModelTag(
                DeleteRegisteredModelTag.newBuilder().setName(name).setKey("k").build());
        assertThat(get(name).getTagsList()).isEmpty();
    }

    @Test
    void shouldManageAliasesWithMlflowsRules() {
        String name = newModel(registry);
        newVersion(registry, name);
        newVersion(registry, name);
        registry.setRegisteredModelAlias(SetRegisteredModelAlias.newBuilder()
                .setName(name)
                .setAlias("champion")
                .setVersion("1")
                .build());
        registry.setRegisteredModelAlias(SetRegisteredModelAlias.newBuilder()
                .setName(name)
                .setAlias("champion")
                .setVersion("2")
                .build());
        assertThat(get(name).getAliasesList())
                .containsExactly(RegisteredModelAlias.newBuilder()
                        .setAlias("champion")
                        .setVersion("2")
                        .build());
        ModelVersion byAlias = registry.getModelVersionByAlias(GetModelVersionByAlias.newBuilder()
                        .setName(name)
                        .setAlias("champion")
                        .build())
                .getModelVersion();
        assertThat(byAlias.getVersion()).isEqualTo("2");
        assertThat(byAlias.getAliasesList()).containsExactly("champion");

        for (String bad : List.of("latest", "LATEST", "v1", "V12", "bad alias", "a/b")) {
            fails(
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    () -> registry.setRegisteredModelAlias(SetRegisteredModelAlias.newBuilder()
                            .setName(name)
                            .setAlias(bad)
                            .setVersion("1")
                            .build()));
        }
        fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> registry.setRegisteredModelAlias(SetRegisteredModelAlias.newBuilder()
                        .setName(name)
                        .setAlias("x")
                        .setVersion("9")
                        .build()));

        registry.deleteRegisteredModelAlias(DeleteRegisteredModelAlias.newBuilder()
                .setName(name)
                .setAlias("champion")
                .build());
        assertThat(get(name).getAliasesList()).isEmpty();
        fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> registry.getModelVersionByAlias(GetModelVersionByAlias.newBuilder()
                        .setName(name)
                        .setAlias("champion")
                        .build()));
    }

    @Test
    void shouldReportTheLatestVersionPerStage() {
        String name = newModel(registry);
        for (int i = 0; i < 4; i++) {
            newVersion(registry, name);
        }
        transition(name, "1", "Production");
        transition(name, "2", "Staging");
        transition(name, "3", "Staging");
        List<ModelVersion> latest = registry.getLatestVersions(
                        GetLatestVersions.newBuilder().setName(name).build())
                .getModelVersionsList();
        assertThat(latest)
                .extracting(ModelVersion::getCurrentStage, ModelVersion::getVersion)
                .containsExactly(tuple("None", "4"), tuple("Staging", "3"), tuple("Production", "1"));
        assertThat(registry.getLatestVersions(GetLatestVersions.newBuilder()
                                .setName(name)
                                .addStages("staging")
                                .build())
                        .getModelVersionsList())
                .extracting(ModelVersion::getVersion)
                .containsExactly("3");
        assertThat(get(name).getLatestVersionsList()).hasSize(3);
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.getLatestVersions(GetLatestVersions.newBuilder()
                        .setName(name)
                        .addStages("Retired")
                        .build()));
    }

    private void transition(String name, String version, String stage) {
        registry.transitionModelVersionStage(TransitionModelVersionStage.newBuilder()
                .setName(name)
                .setVersion(version)
                .setStage(stage)
                .setArchiveExistingVersions(false)
                .build());
    }

    @Test
    void shouldDeleteModelsWithTheirVersions() {
        String name = newModel(registry);
        newVersion(registry, name);
        registry.deleteRegisteredModel(
                DeleteRegisteredModel.newBuilder().setName(name).build());
        fails(ErrorCode.RESOURCE_DOES_NOT_EXIST, () -> get(name));
        fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> registry.getModelVersion(GetModelVersion.newBuilder()
                        .setName(name)
                        .setVersion("1")
                        .build()));
        fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> registry.deleteRegisteredModel(
                        DeleteRegisteredModel.newBuilder().setName(name).build()));
    }

    @Test
    void shouldSearchWithFiltersOrderingAndPages() {
        String prefix = "search-" + UUID.randomUUID() + "-";
        for (int i = 0; i < 5; i++) {
            registry.createRegisteredModel(CreateRegisteredModel.newBuilder()
                    .setName(prefix + i)
                    .addTags(RegisteredModelTag.newBuilder().setKey("parity").setValue(i % 2 == 0 ? "even" : "odd"))
                    .build());
        }
        assertThat(registry.searchRegisteredModels(SearchRegisteredModels.newBuilder()
                                .setFilter("name LIKE '" + prefix + "%' AND tags.parity = 'odd'")
                                .addOrderBy("name DESC")
                                .build())
                        .getRegisteredModelsList())
                .extracting(RegisteredModel::getName)
                .containsExactly(prefix + 3, prefix + 1);
        List<String> paged = new ArrayList<>();
        SearchRegisteredModels.Builder request = SearchRegisteredModels.newBuilder()
                .setFilter("name ILIKE '" + prefix.toUpperCase() + "%'")
                .setMaxResults(2);
        while (true) {
            var page = registry.searchRegisteredModels(request.build());
            page.getRegisteredModelsList().forEach(m -> paged.add(m.getName()));
            if (!page.hasNextPageToken()) {
                break;
            }
            request.setPageToken(page.getNextPageToken());
        }
        assertThat(paged).containsExactly(prefix + 0, prefix + 1, prefix + 2, prefix + 3, prefix + 4);
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.searchRegisteredModels(SearchRegisteredModels.newBuilder()
                        .setFilter("metrics.x > 1")
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.searchRegisteredModels(
                        SearchRegisteredModels.newBuilder().setMaxResults(1001).build()));
    }
}
