package dev.skein.registry.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.v1.ModelVersionState;
import dev.skein.events.v1.RegisteredModelState;
import dev.skein.events.v1.RegistryChange;
import dev.skein.events.v1.RegistryChangeKind;
import org.junit.jupiter.api.Test;

/** Which registry changes a webhook receiver hears of: a model's, never a prompt's (MLflow 3's server). */
class WebhookEventsTest {

    private static final String PROMPT = "mlflow.prompt.is_prompt";

    private static ModelVersionState version(boolean prompt) {
        ModelVersionState.Builder v = ModelVersionState.newBuilder()
                .setName("m")
                .setVersion("1")
                .setSource("s3://b/m")
                .putTags("team", "a");
        return (prompt ? v.putTags(PROMPT, "true") : v).build();
    }

    private static RegisteredModelState model(boolean prompt) {
        RegisteredModelState.Builder m = RegisteredModelState.newBuilder().setName("m");
        return (prompt ? m.putTags(PROMPT, "true") : m).build();
    }

    private static RegistryChange.Builder change(RegistryChangeKind kind) {
        return RegistryChange.newBuilder().setKind(kind).setModelName("m").setVersion("1");
    }

    @Test
    void versionTagChangesOfAModelAreEventsAndOfAPromptAreNot() {
        for (boolean prompt : new boolean[] {false, true}) {
            // the registered model decides, as MLflow's _is_prompt(name): not the version's own tags
            var set = WebhookEvents.of(change(RegistryChangeKind.MODEL_VERSION_TAG_SET)
                    .setKey("team")
                    .setModelIsPrompt(prompt)
                    .setVersionBefore(version(!prompt))
                    .setVersionAfter(version(!prompt))
                    .build());
            var deleted = WebhookEvents.of(change(RegistryChangeKind.MODEL_VERSION_TAG_DELETED)
                    .setKey("team")
                    .setModelIsPrompt(prompt)
                    .setVersionBefore(version(!prompt))
                    .setVersionAfter(version(!prompt))
                    .build());
            if (prompt) {
                assertThat(set).isEmpty();
                assertThat(deleted).isEmpty();
            } else {
                assertThat(set.orElseThrow().name()).isEqualTo("model_version_tag.set");
                assertThat(set.orElseThrow().data().getString("value")).isEqualTo("a");
                assertThat(deleted.orElseThrow().name()).isEqualTo("model_version_tag.deleted");
            }
        }
    }

    @Test
    void aliasChangesOfAModelAreEventsAndOfAPromptAreNot() {
        for (boolean prompt : new boolean[] {false, true}) {
            var set = WebhookEvents.of(change(RegistryChangeKind.MODEL_VERSION_ALIAS_SET)
                    .setAlias("champion")
                    .setModelBefore(model(prompt))
                    .setModelAfter(model(prompt))
                    .build());
            var deleted = WebhookEvents.of(change(RegistryChangeKind.MODEL_VERSION_ALIAS_DELETED)
                    .setAlias("champion")
                    .setModelBefore(model(prompt))
                    .setModelAfter(model(prompt))
                    .build());
            assertThat(set.map(WebhookEvents.Event::name))
                    .isEqualTo(
                            prompt ? java.util.Optional.empty() : java.util.Optional.of("model_version_alias.created"));
            assertThat(deleted.map(WebhookEvents.Event::name))
                    .isEqualTo(
                            prompt ? java.util.Optional.empty() : java.util.Optional.of("model_version_alias.deleted"));
        }
    }

    @Test
    void creationsOfAPromptAndItsVersionsAreNotModelEvents() {
        assertThat(WebhookEvents.of(change(RegistryChangeKind.REGISTERED_MODEL_CREATED)
                        .setModelAfter(model(true))
                        .build()))
                .isEmpty();
        assertThat(WebhookEvents.of(change(RegistryChangeKind.MODEL_VERSION_CREATED)
                        .setVersionAfter(version(true))
                        .build()))
                .isEmpty();
        assertThat(WebhookEvents.of(change(RegistryChangeKind.MODEL_VERSION_CREATED)
                                .setVersionAfter(version(false))
                                .build())
                        .map(WebhookEvents.Event::name))
                .hasValue("model_version.created");
    }
}
