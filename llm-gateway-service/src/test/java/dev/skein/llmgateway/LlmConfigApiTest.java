package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * MLflow 3.x's gateway configuration API: secrets stored sealed and never returned, model definitions checked
 * when they are made, endpoints served by name at once (the primary by weight, fallbacks in order), MLflow's
 * delete rules and errors.
 */
@QuarkusTest
class LlmConfigApiTest {

    static final String BASE = "/api/3.0/mlflow/gateway/";
    static final String STORED_KEY = "sk-stored-0123456789-abcdefghij";
    static final String ROTATED_KEY = "sk-rotated-9876543210-zyxwvuts";

    private final List<String> endpoints = new ArrayList<>();
    private final List<String> definitions = new ArrayList<>();
    private final List<String> secrets = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        endpoints.forEach(id ->
                api().body(new JsonObject().put("endpoint_id", id).encode()).delete(BASE + "endpoints/delete"));
        definitions.forEach(
                id -> api().body(new JsonObject().put("model_definition_id", id).encode())
                        .delete(BASE + "model-definitions/delete"));
        secrets.forEach(
                id -> api().body(new JsonObject().put("secret_id", id).encode()).delete(BASE + "secrets/delete"));
    }

    private String secret(String name, String key) {
        Response r = api().body(new JsonObject()
                        .put("secret_name", name)
                        .put("secret_value", new JsonObject().put("api_key", key))
                        .put("provider", "openai")
                        .put("auth_config", new JsonObject().put("api_base", OpenAiMockResource.BASE + "/v1"))
                        .encode())
                .post(BASE + "secrets/create");
        r.then().statusCode(200);
        String id = r.jsonPath().getString("secret.secret_id");
        secrets.add(id);
        return id;
    }

    private String definition(String name, String secretId, String model) {
        Response r = api().body(new JsonObject()
                        .put("name", name)
                        .put("secret_id", secretId)
                        .put("provider", "openai")
                        .put("model_name", model)
                        .encode())
                .post(BASE + "model-definitions/create");
        r.then().statusCode(200);
        String id = r.jsonPath().getString("model_definition.model_definition_id");
        definitions.add(0, id); // deleted before their secrets, after the endpoints
        return id;
    }

    private String endpoint(String name, JsonArray configs) {
        Response r = api().body(new JsonObject()
                        .put("name", name)
                        .put("model_configs", configs)
                        .put(
                                "fallback_config",
                                new JsonObject().put("strategy", "SEQUENTIAL").put("max_attempts", 2))
                        .encode())
                .post(BASE + "endpoints/create");
        r.then().statusCode(200);
        String id = r.jsonPath().getString("endpoint.endpoint_id");
        endpoints.add(id);
        return id;
    }

    private static JsonObject model(String definitionId, String linkage, double weight, Integer order) {
        JsonObject m = new JsonObject()
                .put("model_definition_id", definitionId)
                .put("linkage_type", linkage)
                .put("weight", weight);
        return order == null ? m : m.put("fallback_order", order);
    }

    private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    @Test
    void aSecretIsStoredSealedAndNeverReturned() throws Exception {
        String id = secret("cfg-openai", STORED_KEY);
        for (Response r : List.of(
                api().get(BASE + "secrets/get?secret_id=" + id),
                api().get(BASE + "secrets/get?secret_name=cfg-openai"),
                api().get(BASE + "secrets/list?provider=openai"),
                api().get("/ajax-api/3.0/mlflow/gateway/secrets/list"))) {
            r.then().statusCode(200);
            assertThat(r.asString()).doesNotContain(STORED_KEY).contains("cfg-openai");
        }
        api().get(BASE + "secrets/get?secret_id=" + id)
                .then()
                .body("secret.secret_name", equalTo("cfg-openai"))
                .body("secret.provider", equalTo("openai"))
                .body("secret.masked_values.api_key", equalTo("...ghij"))
                .body("secret.auth_config.api_base", equalTo(OpenAiMockResource.BASE + "/v1"));
        // in the database: neither the key nor any long part of it, in any column
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s =
                        c.prepareStatement("SELECT kek_id, wrapped_dek, ciphertext, masked_values, auth_config FROM"
                                + " llmgateway.gateway_secrets WHERE secret_id = ?")) {
            s.setString(1, id);
            ResultSet rs = s.executeQuery();
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("kek_id")).hasSize(16);
            String ciphertext = new String(rs.getBytes("ciphertext"), StandardCharsets.ISO_8859_1);
            assertThat(ciphertext).doesNotContain("0123456789");
            assertThat(rs.getBytes("wrapped_dek")).hasSize(12 + 32 + 16);
            assertThat(rs.getString("masked_values") + rs.getString("auth_config"))
                    .doesNotContain("0123456789");
        }
        // a name is unique; bad input is refused MLflow's way
        api().body("{\"secret_name\":\"cfg-openai\",\"secret_value\":{\"api_key\":\"x\"}}")
                .post(BASE + "secrets/create")
                .then()
                .statusCode(400)
                .body("error_code", equalTo("RESOURCE_ALREADY_EXISTS"));
        api().body("{\"secret_value\":{\"api_key\":\"x\"}}")
                .post(BASE + "secrets/create")
                .then()
                .statusCode(400)
                .body("error_code", equalTo("INVALID_PARAMETER_VALUE"));
        api().body("{\"secret_name\":\"n\",\"secret_value\":{\"api_key\":7}}")
                .post(BASE + "secrets/create")
                .then()
                .statusCode(400)
                .body("error_code", equalTo("INVALID_PARAMETER_VALUE"));
        api().body("{not json").post(BASE + "secrets/create").then().statusCode(400);
        api().get(BASE + "secrets/get?secret_id=nope")
                .then()
                .statusCode(404)
                .body("error_code", equalTo("RESOURCE_DOES_NOT_EXIST"));
        api().get(BASE + "secrets/get").then().statusCode(400).body("error_code", equalTo("INVALID_PARAMETER_VALUE"));
        api().urlEncodingEnabled(false)
                .get(BASE + "secrets/get?secret_id=a%00b")
                .then()
                .statusCode(400)
                .body("error_code", equalTo("INVALID_PARAMETER_VALUE"));
        // a credential among the settings shown to every reader is refused: it belongs in secret_value
        api().body("{\"secret_name\":\"cfg-leaky\",\"secret_value\":{\"api_key\":\"x\"},"
                        + "\"auth_config\":{\"openai_api_key\":\"sk-in-the-clear\"}}")
                .post(BASE + "secrets/create")
                .then()
                .statusCode(400)
                .body("error_code", equalTo("INVALID_PARAMETER_VALUE"))
                .body("message", org.hamcrest.Matchers.containsString("secret_value"));
        api().get(BASE + "secrets/list").then().body("secrets.secret_name", not(hasItem("cfg-leaky")));
    }

    @Test
    void anEndpointServesAtOnceWithTheStoredKeyAndARotatedKeyReplacesIt() {
        String secret = secret("cfg-rotate", STORED_KEY);
        String normal = definition("cfg-normal", secret, "gpt-normal");
        endpoint("cfg-chat", new JsonArray().add(model(normal, "PRIMARY", 1, null)));

        for (String path : List.of("/gateway/cfg-chat/mlflow/invocations", "/endpoints/cfg-chat/invocations")) {
            api().body(CHAT).post(path).then().statusCode(200).body("choices[0].message.content", equalTo("Hello!"));
            assertThat(OpenAiMockResource.LAST
                            .get("gpt-normal")
                            .getJsonObject("headers")
                            .getString("authorization"))
                    .isEqualTo("Bearer " + STORED_KEY);
        }
        for (String path : List.of("/v1/chat/completions", "/gateway/mlflow/v1/chat/completions")) {
            api().body("{\"model\":\"cfg-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                    .post(path)
                    .then()
                    .statusCode(200)
                    .body("choices[0].message.content", equalTo("Hello!"));
        }
        // a body that is none of chat, completions or embeddings
        api().body("{\"foo\":1}")
                .post("/gateway/cfg-chat/mlflow/invocations")
                .then()
                .statusCode(422);
        // MLflow 2.x's listing and get show it, never its key
        api().get("/api/2.0/endpoints/cfg-chat")
                .then()
                .statusCode(200)
                .body("model.provider", equalTo("openai"))
                .body("model.name", equalTo("gpt-normal"));

        api().body(new JsonObject()
                        .put("secret_id", secret)
                        .put("secret_value", new JsonObject().put("api_key", ROTATED_KEY))
                        .encode())
                .post(BASE + "secrets/update")
                .then()
                .statusCode(200)
                .body("secret.masked_values.api_key", equalTo("...vuts"));
        api().body(CHAT).post("/gateway/cfg-chat/mlflow/invocations").then().statusCode(200);
        assertThat(OpenAiMockResource.LAST
                        .get("gpt-normal")
                        .getJsonObject("headers")
                        .getString("authorization"))
                .isEqualTo("Bearer " + ROTATED_KEY);
    }

    @Test
    void aFailingPrimaryFallsBackInOrderAndDeleteRulesAreMlflows() {
        String secret = secret("cfg-fallback", STORED_KEY);
        String broken = definition("cfg-broken", secret, "gpt-broken");
        String normal = definition("cfg-normal2", secret, "gpt-normal");
        String endpoint = endpoint(
                "cfg-fallback",
                new JsonArray().add(model(broken, "PRIMARY", 1, null)).add(model(normal, "FALLBACK", 1, 0)));
        api().get(BASE + "endpoints/get?endpoint_id=" + endpoint)
                .then()
                .statusCode(200)
                .body("endpoint.name", equalTo("cfg-fallback"))
                .body("endpoint.model_mappings.linkage_type", hasItem("FALLBACK"))
                .body("endpoint.model_mappings[0].model_definition.secret_name", equalTo("cfg-fallback"))
                .body("endpoint.fallback_config.max_attempts", equalTo(2));
        api().body(CHAT)
                .post("/gateway/cfg-fallback/mlflow/invocations")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("Hello!"));
        // the web UI's view of it: the models per type, never the key
        Response detail = api().get("/api/2.0/skein/llm/endpoints/get?name=cfg-fallback");
        detail.then()
                .statusCode(200)
                .body("endpoint.source", equalTo("configuration_api"))
                .body("endpoint.models.'llm/v1/chat'.primaries[0].name", equalTo("gpt-broken"))
                .body("endpoint.models.'llm/v1/chat'.primaries[0].traffic_percentage", equalTo(100.0f))
                .body("endpoint.models.'llm/v1/chat'.fallbacks[0].name", equalTo("gpt-normal"));
        assertThat(detail.asString()).doesNotContain(STORED_KEY);

        // its only PRIMARY model cannot be detached: the endpoint would serve nothing
        api().body(new JsonObject()
                        .put("endpoint_id", endpoint)
                        .put("model_definition_id", broken)
                        .encode())
                .post(BASE + "endpoints/models/detach")
                .then()
                .statusCode(400)
                .body("error_code", equalTo("INVALID_PARAMETER_VALUE"));
        api().get(BASE + "endpoints/get?endpoint_id=" + endpoint)
                .then()
                .body("endpoint.model_mappings.model_definition_id", hasItem(broken));
        // a definition in use cannot be deleted; the endpoint's delete takes its mappings; then it can
        api().body(new JsonObject().put("model_definition_id", broken).encode())
                .delete(BASE + "model-definitions/delete")
                .then()
                .statusCode(400)
                .body("message", org.hamcrest.Matchers.containsString("cfg-fallback"));
        api().get(BASE + "model-definitions/get?model_definition_id=" + broken)
                .then()
                .body("model_definition.endpoint_count", equalTo(1));
        api().body(new JsonObject().put("endpoint_id", endpoint).encode())
                .delete(BASE + "endpoints/delete")
                .then()
                .statusCode(200);
        endpoints.remove(endpoint);
        api().body(CHAT).post("/gateway/cfg-fallback/mlflow/invocations").then().statusCode(404);
        api().body(new JsonObject().put("model_definition_id", broken).encode())
                .delete(BASE + "model-definitions/delete")
                .then()
                .statusCode(200);
        definitions.remove(broken);
        // a secret deleted leaves its definitions without one
        api().body(new JsonObject().put("secret_id", secret).encode())
                .delete(BASE + "secrets/delete")
                .then()
                .statusCode(200);
        secrets.remove(secret);
        api().get(BASE + "model-definitions/get?model_definition_id=" + normal)
                .then()
                .statusCode(200)
                .body("model_definition", not(org.hamcrest.Matchers.hasKey("secret_id")));
    }

    @Test
    void definitionsAndEndpointsThatCannotServeAreRefusedWhenMade() {
        String secret = secret("cfg-refusals", STORED_KEY);
        api().body(new JsonObject()
                        .put("name", "cfg-unknown-provider")
                        .put("secret_id", secret)
                        .put("provider", "nope")
                        .put("model_name", "m")
                        .encode())
                .post(BASE + "model-definitions/create")
                .then()
                .statusCode(400)
                .body("error_code", equalTo("INVALID_PARAMETER_VALUE"))
                .body("message", org.hamcrest.Matchers.containsString("nope"));
        api().body("{\"name\":\"cfg-nosecret\",\"secret_id\":\"missing\",\"provider\":\"openai\",\"model_name\":\"m\"}")
                .post(BASE + "model-definitions/create")
                .then()
                .statusCode(404)
                .body("error_code", equalTo("RESOURCE_DOES_NOT_EXIST"));
        String normal = definition("cfg-normal3", secret, "gpt-normal");
        // a name the endpoints file serves, a name that cannot be in a URL, no primary model, an unknown model
        api().body(new JsonObject()
                        .put("name", "chat")
                        .put("model_configs", new JsonArray().add(model(normal, "PRIMARY", 1, null)))
                        .encode())
                .post(BASE + "endpoints/create")
                .then()
                .statusCode(400)
                .body("error_code", equalTo("RESOURCE_ALREADY_EXISTS"));
        api().body(new JsonObject()
                        .put("name", "a b")
                        .put("model_configs", new JsonArray().add(model(normal, "PRIMARY", 1, null)))
                        .encode())
                .post(BASE + "endpoints/create")
                .then()
                .statusCode(400)
                .body("error_code", equalTo("INVALID_PARAMETER_VALUE"));
        api().body(new JsonObject()
                        .put("name", "cfg-onlyfallback")
                        .put("model_configs", new JsonArray().add(model(normal, "FALLBACK", 1, 0)))
                        .encode())
                .post(BASE + "endpoints/create")
                .then()
                .statusCode(400);
        api().body(new JsonObject()
                        .put("name", "cfg-ghost")
                        .put("model_configs", new JsonArray().add(model("ghost", "PRIMARY", 1, null)))
                        .encode())
                .post(BASE + "endpoints/create")
                .then()
                .statusCode(404);
        // nothing was left half made
        api().get(BASE + "endpoints/list")
                .then()
                .statusCode(200)
                .body("endpoints.name", not(hasItem("cfg-ghost")))
                .body("endpoints.name", not(hasItem("cfg-onlyfallback")));
    }
}
