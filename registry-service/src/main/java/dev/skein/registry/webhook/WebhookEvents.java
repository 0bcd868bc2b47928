package dev.skein.registry.webhook;

import dev.skein.common.error.ApiException;
import dev.skein.events.v1.ModelVersionState;
import dev.skein.events.v1.RegisteredModelState;
import dev.skein.events.v1.RegistryChange;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * MLflow 3.3's webhook events ({@code entity.action}) and their payload data, derived from registry
 * changes: what a receiver gets for each, and an example of each for {@code /webhooks/{id}/test}.
 */
public final class WebhookEvents {

    public static final List<String> SUPPORTED = List.of(
            "registered_model.created",
            "model_version.created",
            "model_version_tag.set",
            "model_version_tag.deleted",
            "model_version_alias.created",
            "model_version_alias.deleted");

    /** A webhook event to deliver: its {@code entity.action} name and data. */
    public record Event(String name, JsonObject data) {
        public String entity() {
            return name.substring(0, name.indexOf('.'));
        }

        public String action() {
            return name.substring(name.indexOf('.') + 1);
        }
    }

    static final String PROMPT_TAG = "mlflow.prompt.is_prompt";

    private WebhookEvents() {}

    public static void checkSupported(String event) {
        if (!SUPPORTED.contains(event)) {
            throw ApiException.invalidParameter(
                    "Invalid webhook event '" + event + "'. Supported events are " + SUPPORTED);
        }
    }

    /**
     * The webhook event a registry change makes, if any. A change to a prompt (MLflow 3: a model
     * tagged {@value #PROMPT_TAG}, or a version created with that tag) — its creation, a version, a
     * version's tag, an alias — is not a model event: MLflow's server sends model events only for
     * what is not a prompt.
     */
    public static Optional<Event> of(RegistryChange c) {
        if (ofPrompt(c)) {
            return Optional.empty();
        }
        return switch (c.getKind()) {
            case REGISTERED_MODEL_CREATED ->
                Optional.of(new Event("registered_model.created", model(c.getModelAfter())));
            case MODEL_VERSION_CREATED -> Optional.of(new Event("model_version.created", version(c.getVersionAfter())));
            case MODEL_VERSION_TAG_SET ->
                Optional.of(new Event(
                        "model_version_tag.set",
                        new JsonObject()
                                .put("name", c.getModelName())
                                .put("version", c.getVersion())
                                .put("key", c.getKey())
                                .put("value", c.getVersionAfter().getTagsOrDefault(c.getKey(), ""))));
            case MODEL_VERSION_TAG_DELETED ->
                Optional.of(new Event(
                        "model_version_tag.deleted",
                        new JsonObject()
                                .put("name", c.getModelName())
                                .put("version", c.getVersion())
                                .put("key", c.getKey())));
            case MODEL_VERSION_ALIAS_SET ->
                Optional.of(new Event(
                        "model_version_alias.created",
                        new JsonObject()
                                .put("name", c.getModelName())
                                .put("alias", c.getAlias())
                                .put("version", c.getVersion())));
            case MODEL_VERSION_ALIAS_DELETED ->
                Optional.of(new Event(
                        "model_version_alias.deleted",
                        new JsonObject().put("name", c.getModelName()).put("alias", c.getAlias())));
            default -> Optional.empty();
        };
    }

    /**
     * Whether the change is to a prompt, by MLflow's rules: a creation by the tags it was made with
     * (the model's, the version's), a version tag change by the registered model's tag at the time,
     * an alias change by the model's tags before or after.
     */
    private static boolean ofPrompt(RegistryChange c) {
        return switch (c.getKind()) {
            case REGISTERED_MODEL_CREATED -> c.getModelAfter().containsTags(PROMPT_TAG);
            case MODEL_VERSION_CREATED -> c.getVersionAfter().containsTags(PROMPT_TAG);
            case MODEL_VERSION_TAG_SET, MODEL_VERSION_TAG_DELETED -> c.getModelIsPrompt();
            default ->
                (c.hasModelBefore() && c.getModelBefore().containsTags(PROMPT_TAG))
                        || (c.hasModelAfter() && c.getModelAfter().containsTags(PROMPT_TAG));
        };
    }

    private static JsonObject model(RegisteredModelState m) {
        return new JsonObject()
                .put("name", m.getName())
                .put("tags", new JsonObject(Map.copyOf(m.getTagsMap())))
                .put("description", m.getDescription().isEmpty() ? null : m.getDescription());
    }

    private static JsonObject version(ModelVersionState v) {
        return new JsonObject()
                .put("name", v.getName())
                .put("version", v.getVersion())
                .put("source", v.getSource())
                .put("run_id", v.getRunId().isEmpty() ? null : v.getRunId())
                .put("tags", new JsonObject(Map.copyOf(v.getTagsMap())))
                .put("description", v.getDescription().isEmpty() ? null : v.getDescription());
    }

    /** An example of an event, as {@code /webhooks/{id}/test} sends it. */
    public static Event example(String name) {
        JsonObject data =
                switch (name) {
                    case "registered_model.created" ->
                        new JsonObject()
                                .put("name", "example_model")
                                .put("tags", new JsonObject().put("example_key", "example_value"))
                                .put("description", "An example registered model");
                    case "model_version.created" ->
                        new JsonObject()
                                .put("name", "example_model")
                                .put("version", "1")
                                .put("source", "models:/123")
                                .put("run_id", "abcd1234abcd5678")
                                .put("tags", new JsonObject().put("example_key", "example_value"))
                                .put("description", "An example model version");
                    case "model_version_tag.set" ->
                        new JsonObject()
                                .put("name", "example_model")
                                .put("version", "1")
                                .put("key", "example_key")
                                .put("value", "example_value");
                    case "model_version_tag.deleted" ->
                        new JsonObject()
                                .put("name", "example_model")
                                .put("version", "1")
                                .put("key", "example_key");
                    case "model_version_alias.created" ->
                        new JsonObject()
                                .put("name", "example_model")
                                .put("alias", "example_alias")
                                .put("version", "1");
                    case "model_version_alias.deleted" ->
                        new JsonObject().put("name", "example_model").put("alias", "example_alias");
                    default -> throw ApiException.invalidParameter("Invalid webhook event '" + name + "'");
                };
        return new Event(name, data);
    }
}
