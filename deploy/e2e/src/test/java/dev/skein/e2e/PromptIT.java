package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.error;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Prompts through the gateway: MLflow 3's clients' searches in their wire format (backticked tag
 * keys, {@code !=} on the prompt tag), and Skein's prompt API ({@code /api/2.0/skein/prompts/…}).
 */
@ExtendWith(Suite.class)
class PromptIT {

    private static Response skein(String path, JsonObject body) {
        return api().contentType(ContentType.JSON).body(body.encode()).post("/api/2.0/skein/prompts/" + path);
    }

    private static List<String> names(JsonObject searchAnswer) {
        JsonArray models = searchAnswer.getJsonArray("registered_models", new JsonArray());
        return models.stream().map(o -> ((JsonObject) o).getString("name")).toList();
    }

    @Test
    void mlflowClientsSearchesTellPromptsFromModels() {
        String prefix = "it-" + UUID.randomUUID() + "-";
        ok(post("registered-models/create", new JsonObject().put("name", prefix + "model")));
        ok(skein(
                "create",
                new JsonObject()
                        .put("name", prefix + "prompt")
                        .put("template", new JsonObject().put("text", "Hi {{name}}"))
                        .put("commit_message", "v1")));
        String like = "name LIKE '" + prefix + "%'";
        // search_registered_models of an MLflow 3 client
        assertThat(names(ok(api().queryParam("filter", like + " AND tag.`mlflow.prompt.is_prompt` != 'true'")
                        .get("/api/2.0/mlflow/registered-models/search"))))
                .containsExactly(prefix + "model");
        // search_prompts
        assertThat(names(ok(api().queryParam("filter", "tags.`mlflow.prompt.is_prompt` = 'true' AND " + like)
                        .get("/api/2.0/mlflow/registered-models/search"))))
                .containsExactly(prefix + "prompt");
    }

    /** A chat template: {@code system}, then the user's {@code {{question}}}. */
    private static JsonObject chat(String system) {
        return new JsonObject()
                .put(
                        "messages",
                        new JsonArray()
                                .add(new JsonObject().put("role", "system").put("content", system))
                                .add(new JsonObject().put("role", "user").put("content", "{{question}}")));
    }

    @Test
    void promptApiCreatesListsDiffsAndRenders() {
        String name = "it-qa-" + UUID.randomUUID();
        JsonObject v1 = ok(skein(
                        "create",
                        new JsonObject()
                                .put("name", name)
                                .put("template", chat("Answer in {{lang}}."))
                                .put("commit_message", "first")))
                .getJsonObject("prompt_version");
        assertThat(v1.getString("version")).isEqualTo("1");
        assertThat(v1.getString("type")).isEqualTo("chat");
        assertThat(v1.getJsonArray("variables")).containsExactly("lang", "question");

        ok(skein(
                "versions/create",
                new JsonObject()
                        .put("name", name)
                        .put("template", chat("Answer briefly in {{lang}}."))
                        .put("commit_message", "brief")));

        JsonObject latest = ok(api().queryParam("name", name).get("/api/2.0/skein/prompts/versions/get"))
                .getJsonObject("prompt_version");
        assertThat(latest.getString("version")).isEqualTo("2");
        assertThat(latest.getString("commit_message")).isEqualTo("brief");

        JsonObject page = ok(api().queryParam("name", name)
                .queryParam("max_results", 1)
                .get("/api/2.0/skein/prompts/versions/list"));
        assertThat(page.getJsonArray("prompt_versions")).hasSize(1);
        assertThat(page.getString("next_page_token")).isNotEmpty();

        JsonObject diff = ok(api().queryParam("name", name)
                .queryParam("from_version", "1")
                .queryParam("to_version", "2")
                .get("/api/2.0/skein/prompts/versions/diff"));
        assertThat(diff.getInteger("added")).isEqualTo(1);
        assertThat(diff.getInteger("removed")).isEqualTo(1);

        JsonObject rendered = ok(skein(
                "render",
                new JsonObject()
                        .put("name", name)
                        .put("version", "1")
                        .put("variables", new JsonObject().put("lang", "French").put("question", "Why?"))));
        assertThat(rendered.getJsonArray("messages").getJsonObject(0).getString("content"))
                .isEqualTo("Answer in French.");

        Response missing = skein(
                "render", new JsonObject().put("name", name).put("variables", new JsonObject().put("lang", "French")));
        assertThat(error(missing)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(new JsonObject(missing.asString()).getString("message")).contains("'question'");

        // MLflow's load_prompt reads what the API wrote
        JsonObject stored = ok(api().queryParam("name", name)
                        .queryParam("version", "1")
                        .get("/api/2.0/mlflow/model-versions/get"))
                .getJsonObject("model_version");
        assertThat(stored.getString("description")).isEqualTo("first");
        assertThat(stored.getJsonArray("tags").stream()
                        .map(o -> ((JsonObject) o).getString("key"))
                        .toList())
                .contains("mlflow.prompt.is_prompt", "mlflow.prompt.text", "_mlflow_prompt_type");
    }
}
