package dev.skein.registry;

import static dev.skein.registry.Registry.fails;
import static dev.skein.registry.Registry.newModel;
import static dev.skein.registry.Registry.newVersion;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.CreateModelVersion;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.DeleteRegisteredModel;
import dev.skein.proto.registry.v1.GetLatestVersions;
import dev.skein.proto.registry.v1.GetModelVersion;
import dev.skein.proto.registry.v1.GetModelVersionByAlias;
import dev.skein.proto.registry.v1.GetRegisteredModel;
import dev.skein.proto.registry.v1.ModelVersion;
import dev.skein.proto.registry.v1.ModelVersionTag;
import dev.skein.proto.registry.v1.RegisteredModel;
import dev.skein.proto.registry.v1.RegisteredModelTag;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import dev.skein.proto.registry.v1.SearchModelVersions;
import dev.skein.proto.registry.v1.SearchRegisteredModels;
import dev.skein.proto.registry.v1.SetRegisteredModelAlias;
import dev.skein.proto.registry.v1.SetRegisteredModelTag;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * MLflow's own prompt clients (2.21+ and 3.x: {@code register_prompt}, {@code load_prompt},
 * {@code search_prompts}, {@code set_prompt_alias}, {@code delete_prompt}) and its model searches,
 * which leave prompts out: each request here is in the shape those clients send it (after the
 * gateway's JSON → protobuf mapping).
 */
@QuarkusTest
class PromptClientTest {

    static final String IS_PROMPT = "mlflow.prompt.is_prompt";
    static final String TEXT = "mlflow.prompt.text";

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

    /** register_prompt: the model tagged as a prompt, then its version (store.create_prompt_version). */
    private String registerPrompt(String name, String template, String commitMessage) {
        registry.createRegisteredModel(CreateRegisteredModel.newBuilder()
                .setName(name)
                .addTags(RegisteredModelTag.newBuilder().setKey(IS_PROMPT).setValue("true"))
                .addTags(RegisteredModelTag.newBuilder().setKey("team").setValue("search"))
                .build());
        return createPromptVersion(name, template, commitMessage).getVersion();
    }

    private ModelVersion createPromptVersion(String name, String template, String commitMessage) {
        return registry.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(name)
                        .setSource("prompt-template")
                        .setDescription(commitMessage)
                        .addTags(ModelVersionTag.newBuilder().setKey(IS_PROMPT).setValue("true"))
                        .addTags(ModelVersionTag.newBuilder().setKey(TEXT).setValue(template))
                        .addTags(ModelVersionTag.newBuilder()
                                .setKey("_mlflow_prompt_type")
                                .setValue("text"))
                        .build())
                .getModelVersion();
    }

    private List<String> models(String filter) {
        return registry
                .searchRegisteredModels(SearchRegisteredModels.newBuilder()
                        .setFilter(filter)
                        .setMaxResults(1000)
                        .build())
                .getRegisteredModelsList()
                .stream()
                .map(RegisteredModel::getName)
                .toList();
    }

    private List<String> versions(String filter) {
        return registry
                .searchModelVersions(
                        SearchModelVersions.newBuilder().setFilter(filter).build())
                .getModelVersionsList()
                .stream()
                .map(v -> v.getName() + "/" + v.getVersion())
                .toList();
    }

    @Test
    void shouldRegisterAndLoadAPromptAsMlflowsClientDoes() {
        String name = "qa." + UUID.randomUUID();
        assertThat(registerPrompt(name, "Answer {{question}} briefly.", "first draft"))
                .isEqualTo("1");
        ModelVersion v2 = createPromptVersion(name, "Answer {{ question }} in {{lang}}.", "add a language");
        assertThat(v2.getVersion()).isEqualTo("2");

        // load_prompt("prompts:/qa/1"): the model (is it a prompt?), then the version
        RegisteredModel model = registry.getRegisteredModel(
                        GetRegisteredModel.newBuilder().setName(name).build())
                .getRegisteredModel();
        assertThat(model.getTagsList())
                .extracting(RegisteredModelTag::getKey, RegisteredModelTag::getValue)
                .contains(tuple(IS_PROMPT, "true"));
        ModelVersion v1 = registry.getModelVersion(GetModelVersion.newBuilder()
                        .setName(name)
                        .setVersion("1")
                        .build())
                .getModelVersion();
        // the template in its tag, the commit message as the description
        assertThat(v1.getTagsList())
                .extracting(ModelVersionTag::getKey, ModelVersionTag::getValue)
                .contains(tuple(TEXT, "Answer {{question}} briefly."), tuple(IS_PROMPT, "true"));
        assertThat(v1.getDescription()).isEqualTo("first draft");
        assertThat(v1.getSource()).isEqualTo("prompt-template");

        // set_prompt_alias, then load_prompt("prompts:/qa@production")
        registry.setRegisteredModelAlias(SetRegisteredModelAlias.newBuilder()
                .setName(name)
                .setAlias("production")
                .setVersion("1")
                .build());
        ModelVersion byAlias = registry.getModelVersionByAlias(GetModelVersionByAlias.newBuilder()
                        .setName(name)
                        .setAlias("production")
                        .build())
                .getModelVersion();
        assertThat(byAlias.getVersion()).isEqualTo("1");
        assertThat(byAlias.getAliasesList()).containsExactly("production");

        // load_prompt("prompts:/qa@latest"): the latest version of every stage, the first taken
        List<ModelVersion> latest = registry.getLatestVersions(GetLatestVersions.newBuilder()
                        .setName(name)
                        .addAllStages(List.of("None", "Staging", "Production", "Archived"))
                        .build())
                .getModelVersionsList();
        assertThat(latest).extracting(ModelVersion::getVersion).containsExactly("2");
        assertThat(latest.get(0).getDescription()).isEqualTo("add a language");

        // "latest" is not an alias anyone can set: it always means the newest version
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> registry.setRegisteredModelAlias(SetRegisteredModelAlias.newBuilder()
                        .setName(name)
                        .setAlias("latest")
                        .setVersion("1")
                        .build()));

        // delete_prompt
        registry.deleteRegisteredModel(
                DeleteRegisteredModel.newBuilder().setName(name).build());
        fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> registry.getRegisteredModel(
                        GetRegisteredModel.newBuilder().setName(name).build()));
    }

    @Test
    void shouldFindPromptsOnlyWhenTheFilterAsksForThem() {
        String prefix = "mix-" + UUID.randomUUID() + "-";
        String model = prefix + "model";
        String tagged = prefix + "tagged-false";
        String prompt = prefix + "prompt";
        registry.createRegisteredModel(
                CreateRegisteredModel.newBuilder().setName(model).build());
        registry.createRegisteredModel(CreateRegisteredModel.newBuilder()
                .setName(tagged)
                .addTags(RegisteredModelTag.newBuilder().setKey(IS_PROMPT).setValue("false"))
                .build());
        registerPrompt(prompt, "Summarise {{text}}", "v1");
        String like = "name LIKE '" + prefix + "%'";

        // search_prompts (3.x store): backticked key, tags. prefix
        assertThat(models("tags.`" + IS_PROMPT + "` = 'true' AND " + like)).containsExactly(prompt);
        // 2.21's search_prompts, with its user filter appended
        assertThat(models(like + " AND tag.`" + IS_PROMPT + "` = 'true'")).containsExactly(prompt);
        // search_registered_models of a 3.x client: `!=` matches models that have no such tag
        assertThat(models(like + " AND tag.`" + IS_PROMPT + "` != 'true'")).containsExactly(model, tagged);
        // MLflow's SQL store: = 'false' asks for models too; != 'false' for prompts, and is then
        // compared as written (values are case-sensitive, so 'FALSE' keeps the model tagged 'false')
        assertThat(models(like + " AND tags.`" + IS_PROMPT + "` = 'false'")).containsExactly(model, tagged);
        assertThat(models(like + " AND tags.`" + IS_PROMPT + "` != 'false'")).containsExactly(prompt);
        assertThat(models(like + " AND tags.`" + IS_PROMPT + "` != 'FALSE'")).containsExactly(prompt, tagged);
        // an older client sends no prompt filter: the server leaves prompts out all the same
        assertThat(models(like)).containsExactly(model, tagged);
        // the key unquoted is the same key
        assertThat(models(like + " AND tags.mlflow.prompt.is_prompt = 'true'")).containsExactly(prompt);
        // other tags keep MLflow's rule: != matches only models that have the tag
        registry.setRegisteredModelTag(SetRegisteredModelTag.newBuilder()
                .setName(model)
                .setKey("team")
                .setValue("ranking")
                .build());
        assertThat(models(like + " AND tags.team != 'search'")).containsExactly(model);
        assertThat(models(like + " AND tags.team != 'search' AND tags.`" + IS_PROMPT + "` = 'true'"))
                .isEmpty();
        assertThat(models(like + " AND tags.team = 'search' AND tags.`" + IS_PROMPT + "` = 'true'"))
                .containsExactly(prompt);
    }

    @Test
    void shouldSearchPromptVersionsOnlyWhenAskedAsMlflowsStoreDoes() {
        String model = newModel(registry);
        newVersion(registry, model);
        String prompt = "versions-" + UUID.randomUUID();
        registerPrompt(prompt, "Translate {{text}}", "v1");
        createPromptVersion(prompt, "Translate {{text}} to {{lang}}", "v2");

        // a prompt's versions, as the UI and load_prompt's callers list them
        assertThat(versions("name = '" + prompt + "' AND tags.`" + IS_PROMPT + "` = 'true'"))
                .containsExactly(prompt + "/2", prompt + "/1");
        // a model search never returns a prompt's versions unless asked
        assertThat(versions("name = '" + prompt + "'")).isEmpty();
        assertThat(versions("name = '" + prompt + "' AND tag.`" + IS_PROMPT + "` != 'true'"))
                .isEmpty();
        assertThat(versions("name = '" + model + "'")).containsExactly(model + "/1");
        assertThat(versions("name = '" + model + "' AND tag.`" + IS_PROMPT + "` != 'true'"))
                .containsExactly(model + "/1");
        assertThat(versions("name = '" + model + "' AND tag.`" + IS_PROMPT + "` = 'true'"))
                .isEmpty();
        // a template is searchable by its tag like any other
        assertThat(versions("tags.`" + IS_PROMPT + "` = 'true' AND tags.`" + TEXT + "` LIKE '%{{lang}}'"))
                .containsExactly(prompt + "/2");
    }
}
