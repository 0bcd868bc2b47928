package dev.skein.registry;

import static dev.skein.registry.Registry.fails;
import static dev.skein.registry.Registry.newModel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.v1.RegistryChange;
import dev.skein.events.v1.RegistryChangeKind;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.AuditEvent;
import dev.skein.proto.registry.v1.AuditServiceGrpc.AuditServiceBlockingStub;
import dev.skein.proto.registry.v1.CreateModelVersion;
import dev.skein.proto.registry.v1.CreatePrompt;
import dev.skein.proto.registry.v1.CreatePromptVersion;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.DiffLine;
import dev.skein.proto.registry.v1.DiffPromptVersions;
import dev.skein.proto.registry.v1.GetModelVersion;
import dev.skein.proto.registry.v1.GetPromptVersion;
import dev.skein.proto.registry.v1.GetRegisteredModel;
import dev.skein.proto.registry.v1.ListAuditEvents;
import dev.skein.proto.registry.v1.ListPromptVersions;
import dev.skein.proto.registry.v1.ModelVersion;
import dev.skein.proto.registry.v1.ModelVersionTag;
import dev.skein.proto.registry.v1.PromptMessage;
import dev.skein.proto.registry.v1.PromptServiceGrpc.PromptServiceBlockingStub;
import dev.skein.proto.registry.v1.PromptTemplate;
import dev.skein.proto.registry.v1.PromptVersion;
import dev.skein.proto.registry.v1.RegisteredModel;
import dev.skein.proto.registry.v1.RegisteredModelTag;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import dev.skein.proto.registry.v1.RenderPrompt;
import dev.skein.proto.registry.v1.SetRegisteredModelAlias;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Skein's prompt API ({@code /api/2.0/skein/prompts/…}) over gRPC, as the gateway calls it. */
@QuarkusTest
class PromptApiTest {

    @GrpcClient("registry")
    PromptServiceBlockingStub prompts;

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

    @GrpcClient("registry")
    AuditServiceBlockingStub audit;

    private static PromptTemplate text(String text) {
        return PromptTemplate.newBuilder().setText(text).build();
    }

    private static PromptMessage message(String role, String content) {
        return PromptMessage.newBuilder().setRole(role).setContent(content).build();
    }

    private PromptVersion create(String name, PromptTemplate template, String commitMessage) {
        return prompts.createPrompt(CreatePrompt.newBuilder()
                        .setName(name)
                        .setTemplate(template)
                        .setCommitMessage(commitMessage)
                        .build())
                .getPromptVersion();
    }

    private PromptVersion addVersion(String name, PromptTemplate template, String commitMessage) {
        return prompts.createPromptVersion(CreatePromptVersion.newBuilder()
                        .setName(name)
                        .setTemplate(template)
                        .setCommitMessage(commitMessage)
                        .build())
                .getPromptVersion();
    }

    private GetPromptVersion.Builder get(String name) {
        return GetPromptVersion.newBuilder().setName(name);
    }

    @Test
    void shouldCreateAPromptStoredAsMlflowStoresIt() {
        String name = "greeting-" + UUID.randomUUID();
        PromptVersion v1 = prompts.createPrompt(CreatePrompt.newBuilder()
                        .setName(name)
                        .setTemplate(text("Hello {{ name }}, welcome to {{place.city}}! {{name}}"))
                        .setCommitMessage("first draft")
                        .setDescription("greets users")
                        .addTags(RegisteredModelTag.newBuilder().setKey("team").setValue("growth"))
                        .addVersionTags(
                                ModelVersionTag.newBuilder().setKey("author").setValue("ana"))
                        .build())
                .getPromptVersion();
        assertThat(v1.getVersion()).isEqualTo("1");
        assertThat(v1.getType()).isEqualTo("text");
        assertThat(v1.getCommitMessage()).isEqualTo("first draft");
        assertThat(v1.getVariablesList()).containsExactly("name", "place.city");
        assertThat(v1.getTagsList())
                .extracting(ModelVersionTag::getKey, ModelVersionTag::getValue)
                .containsExactly(tuple("author", "ana"));

        // what MLflow's load_prompt reads: the model tagged as a prompt, the version's tags
        RegisteredModel model = registry.getRegisteredModel(
                        GetRegisteredModel.newBuilder().setName(name).build())
                .getRegisteredModel();
        assertThat(model.getDescription()).isEqualTo("greets users");
        assertThat(model.getTagsList())
                .extracting(RegisteredModelTag::getKey, RegisteredModelTag::getValue)
                .containsExactlyInAnyOrder(tuple("mlflow.prompt.is_prompt", "true"), tuple("team", "growth"));
        ModelVersion stored = registry.getModelVersion(GetModelVersion.newBuilder()
                        .setName(name)
                        .setVersion("1")
                        .build())
                .getModelVersion();
        assertThat(stored.getDescription()).isEqualTo("first draft");
        assertThat(stored.getSource()).isEqualTo("prompt-template");
        assertThat(stored.getTagsList())
                .extracting(ModelVersionTag::getKey, ModelVersionTag::getValue)
                .containsExactlyInAnyOrder(
                        tuple("mlflow.prompt.is_prompt", "true"),
                        tuple("mlflow.prompt.text", "Hello {{ name }}, welcome to {{place.city}}! {{name}}"),
                        tuple("_mlflow_prompt_type", "text"),
                        tuple("author", "ana"));
    }

    @Test
    void shouldStoreChatPromptsAsMlflowsJsonList() {
        String name = "chat-" + UUID.randomUUID();
        PromptVersion v1 = create(
                name,
                PromptTemplate.newBuilder()
                        .addMessages(message("system", "You answer in {{lang}}."))
                        .addMessages(message("user", "{{question}}"))
                        .build(),
                "chat");
        assertThat(v1.getType()).isEqualTo("chat");
        assertThat(v1.getVariablesList()).containsExactly("lang", "question");
        ModelVersion stored = registry.getModelVersion(GetModelVersion.newBuilder()
                        .setName(name)
                        .setVersion("1")
                        .build())
                .getModelVersion();
        assertThat(stored.getTagsList())
                .extracting(ModelVersionTag::getKey, ModelVersionTag::getValue)
                .contains(
                        tuple(
                                "mlflow.prompt.text",
                                "[{\"role\":\"system\",\"content\":\"You answer in {{lang}}.\"},"
                                        + "{\"role\":\"user\",\"content\":\"{{question}}\"}]"),
                        tuple("_mlflow_prompt_type", "chat"));

        RenderPrompt.Response rendered = prompts.renderPrompt(RenderPrompt.newBuilder()
                .setName(name)
                .putAllVariables(Map.of("lang", "French", "question", "Where is {{lang}} spoken?"))
                .build());
        assertThat(rendered.hasText()).isFalse();
        // a value is inserted as it is, never rendered again
        assertThat(rendered.getMessagesList())
                .extracting(PromptMessage::getRole, PromptMessage::getContent)
                .containsExactly(tuple("system", "You answer in French."), tuple("user", "Where is {{lang}} spoken?"));
    }

    @Test
    void shouldGetVersionsByNumberAliasAndLatestAndListThemInPages() {
        String name = "versions-" + UUID.randomUUID();
        create(name, text("one"), "v1");
        addVersion(name, text("two"), "v2");
        addVersion(name, text("three"), "v3");
        registry.setRegisteredModelAlias(SetRegisteredModelAlias.newBuilder()
                .setName(name)
                .setAlias("production")
                .setVersion("2")
                .build());

        assertThat(prompts.getPromptVersion(get(name).setVersion("1").build())
                        .getPromptVersion()
                        .getTemplate()
                        .getText())
                .isEqualTo("one");
        PromptVersion production = prompts.getPromptVersion(
                        get(name).setAlias("production").build())
                .getPromptVersion();
        assertThat(production.getVersion()).isEqualTo("2");
        assertThat(production.getAliasesList()).containsExactly("production");
        assertThat(prompts.getPromptVersion(get(name).build())
                        .getPromptVersion()
                        .getVersion())
                .isEqualTo("3");
        assertThat(prompts.getPromptVersion(get(name).setAlias("latest").build())
                        .getPromptVersion()
                        .getCommitMessage())
                .isEqualTo("v3");

        var first = prompts.listPromptVersions(
                ListPromptVersions.newBuilder().setName(name).setMaxResults(2).build());
        assertThat(first.getPromptVersionsList())
                .extracting(PromptVersion::getVersion)
                .containsExactly("3", "2");
        var second = prompts.listPromptVersions(ListPromptVersions.newBuilder()
                .setName(name)
                .setMaxResults(2)
                .setPageToken(first.getNextPageToken())
                .build());
        assertThat(second.getPromptVersionsList())
                .extracting(PromptVersion::getVersion)
                .containsExactly("1");
        assertThat(second.hasNextPageToken()).isFalse();

        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> prompts.listPromptVersions(ListPromptVersions.newBuilder()
                        .setName(name)
                        .setMaxResults(1001)
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> prompts.getPromptVersion(
                        get(name).setVersion("1").setAlias("production").build()));
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> prompts.getPromptVersion(
                                get(name).setAlias("staging").build())))
                .contains("alias staging not found");
        fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> prompts.getPromptVersion(get(name).setVersion("9").build()));
    }

    @Test
    void shouldDiffTwoVersionsLineByLine() {
        String name = "diff-" + UUID.randomUUID();
        create(name, text("You are a helpful assistant.\nAnswer {{question}}.\nBe brief."), "v1");
        addVersion(name, text("You are a helpful assistant.\nAnswer {{question}} in {{lang}}.\nBe brief."), "v2");

        var diff = prompts.diffPromptVersions(DiffPromptVersions.newBuilder()
                .setName(name)
                .setFromVersion("1")
                .setToVersion("2")
                .build());
        assertThat(diff.getLinesList())
                .extracting(DiffLine::getOp, DiffLine::getText, DiffLine::getFromLine, DiffLine::getToLine)
                .containsExactly(
                        tuple(DiffLine.Op.EQUAL, "You are a helpful assistant.", 1, 1),
                        tuple(DiffLine.Op.DELETE, "Answer {{question}}.", 2, 0),
                        tuple(DiffLine.Op.INSERT, "Answer {{question}} in {{lang}}.", 0, 2),
                        tuple(DiffLine.Op.EQUAL, "Be brief.", 3, 3));
        assertThat(diff.getLines(1).hasToLine()).isFalse();
        assertThat(diff.getAdded()).isEqualTo(1);
        assertThat(diff.getRemoved()).isEqualTo(1);
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> prompts.diffPromptVersions(DiffPromptVersions.newBuilder()
                        .setName(name)
                        .setFromVersion("1")
                        .build()));
    }

    @Test
    void shouldRenderVariablesAndNameTheMissingOnes() {
        String name = "render-" + UUID.randomUUID();
        create(name, text("Translate {{ text }} into {{lang}} for {{user.name}}; {{ not a var }} {x}"), "v1");

        RenderPrompt.Response rendered = prompts.renderPrompt(RenderPrompt.newBuilder()
                .setName(name)
                .setVersion("1")
                .putVariables("text", "$1 \\ costs")
                .putVariables("lang", "German")
                .putVariables("user.name", "Ana")
                .putVariables("unused", "ignored")
                .build());
        // only MLflow's variables are placeholders; the rest of the text stays as written
        assertThat(rendered.getText()).isEqualTo("Translate $1 \\ costs into German for Ana; {{ not a var }} {x}");
        assertThat(rendered.getVersion()).isEqualTo("1");

        String missing = fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> prompts.renderPrompt(RenderPrompt.newBuilder()
                        .setName(name)
                        .putVariables("text", "hi")
                        .build()));
        assertThat(missing).contains("'lang'").contains("'user.name'").doesNotContain("'text'");
    }

    @Test
    void shouldRefuseWhatIsNotAPromptAndBadInput() {
        String model = newModel(registry);
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> prompts.getPromptVersion(get(model).build())))
                .contains("is registered as a model, not a prompt");
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> addVersion(model, text("x"), "on a model"));
        assertThat(fails(ErrorCode.RESOURCE_ALREADY_EXISTS, () -> create(model, text("x"), "taken")))
                .contains("already taken by a registered model");
        String prompt = "p-" + UUID.randomUUID();
        create(prompt, text("x"), "v1");
        assertThat(fails(ErrorCode.RESOURCE_ALREADY_EXISTS, () -> create(prompt, text("y"), "again")))
                .isEqualTo("Prompt (name=" + prompt + ") already exists.");
        assertThat(fails(
                        ErrorCode.RESOURCE_DOES_NOT_EXIST,
                        () -> prompts.getPromptVersion(
                                get("nope-" + UUID.randomUUID()).build())))
                .startsWith("Prompt with name=nope-");

        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> create("bad name!", text("x"), "v1"));
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> create("no-template-" + UUID.randomUUID(), text(""), "v1"));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> create(
                        "no-role-" + UUID.randomUUID(),
                        PromptTemplate.newBuilder()
                                .addMessages(PromptMessage.newBuilder().setContent("hi"))
                                .build(),
                        "v1"));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> prompts.createPrompt(CreatePrompt.newBuilder()
                        .setName("none-" + UUID.randomUUID())
                        .build()));

        // the prompt and its first version are one transaction: a version refused leaves no prompt
        String atomic = "atomic-" + UUID.randomUUID();
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> prompts.createPrompt(CreatePrompt.newBuilder()
                        .setName(atomic)
                        .setTemplate(text("x"))
                        .addVersionTags(ModelVersionTag.newBuilder().setKey("").setValue("v"))
                        .build()));
        fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> registry.getRegisteredModel(
                        GetRegisteredModel.newBuilder().setName(atomic).build()));
    }

    @Test
    void shouldRecordTheSameEventsAsAPromptMadeThroughMlflowsApi() {
        String ours = "ours-" + UUID.randomUUID();
        prompts.createPrompt(CreatePrompt.newBuilder()
                .setName(ours)
                .setTemplate(text("Hi {{name}}"))
                .setCommitMessage("v1")
                .build());
        // MLflow 3's create_prompt + create_prompt_version
        String theirs = "theirs-" + UUID.randomUUID();
        registry.createRegisteredModel(CreateRegisteredModel.newBuilder()
                .setName(theirs)
                .addTags(RegisteredModelTag.newBuilder()
                        .setKey("mlflow.prompt.is_prompt")
                        .setValue("true"))
                .build());
        registry.createModelVersion(CreateModelVersion.newBuilder()
                .setName(theirs)
                .setSource("prompt-template")
                .setDescription("v1")
                .addTags(ModelVersionTag.newBuilder()
                        .setKey("mlflow.prompt.is_prompt")
                        .setValue("true"))
                .addTags(ModelVersionTag.newBuilder()
                        .setKey("mlflow.prompt.text")
                        .setValue("Hi {{name}}"))
                .addTags(ModelVersionTag.newBuilder()
                        .setKey("_mlflow_prompt_type")
                        .setValue("text"))
                .build());

        List<RegistryChange> a = changes(ours);
        List<RegistryChange> b = changes(theirs);
        assertThat(a)
                .extracting(RegistryChange::getKind, RegistryChange::getModelSequence, RegistryChange::getModelIsPrompt)
                .containsExactly(
                        tuple(RegistryChangeKind.REGISTERED_MODEL_CREATED, 1L, false),
                        tuple(RegistryChangeKind.MODEL_VERSION_CREATED, 2L, true));
        assertThat(a)
                .extracting(RegistryChange::getKind, RegistryChange::getModelSequence, RegistryChange::getModelIsPrompt)
                .containsExactlyElementsOf(b.stream()
                        .map(c -> tuple(c.getKind(), c.getModelSequence(), c.getModelIsPrompt()))
                        .toList());
        assertThat(a.get(0).getModelAfter().getTagsMap())
                .isEqualTo(b.get(0).getModelAfter().getTagsMap());
        assertThat(a.get(1).getVersionAfter().getTagsMap())
                .isEqualTo(b.get(1).getVersionAfter().getTagsMap());
        assertThat(a.get(1).getVersionAfter().getSource())
                .isEqualTo(b.get(1).getVersionAfter().getSource());
        assertThat(a.get(1).getVersionAfter().getDescription()).isEqualTo("v1");
    }

    private List<RegistryChange> changes(String model) {
        return audit
                .listAuditEvents(ListAuditEvents.newBuilder().setModel(model).build())
                .getEventsList()
                .stream()
                .map(AuditEvent::getChange)
                .toList();
    }
}
