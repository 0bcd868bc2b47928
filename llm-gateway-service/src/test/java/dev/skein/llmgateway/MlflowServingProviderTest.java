package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * The mlflow-model-serving provider against {@link MlflowServingMock}'s local model servers: the scoring request as
 * MLflow's provider builds it ({@code inputs}, {@code params}), {@code predictions} answered in MLflow's and
 * OpenAI's shapes, MLflow's refusals (several chat messages, a stream) and the servers' failures.
 */
@QuarkusTest
class MlflowServingProviderTest {

    @Test
    void aChatSendsItsMessageTextAsInputsAndTheRestAsParams() {
        api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":20}")
                .post("/endpoints/serving-chat/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("chat.completion"))
                .body("model", equalTo("my-text-model"))
                .body("choices[0].message.role", equalTo("assistant"))
                .body("choices[0].message.content", equalTo("You said: Hi"))
                .body("choices[0].finish_reason", nullValue())
                .body("usage.total_tokens", nullValue());
        JsonObject seen = OpenAiMockResource.LAST.get("serving-text");
        assertThat(seen.getString("path")).isEqualTo("/serving/text/invocations");
        assertThat(seen.getJsonObject("headers").getString("authorization")).isNull();
        // MLflow's defaults (temperature 0.0, n 1) go on as params, as MLflow sends them
        assertThat(seen.getJsonObject("body"))
                .isEqualTo(new JsonObject(
                        "{\"inputs\":[\"Hi\"],\"params\":{\"max_tokens\":20,\"temperature\":0.0,\"n\":1}}"));
    }

    @Test
    void aCompletionSendsItsPromptAndOpenAisRouteAnswersInOpenAisShape() {
        api().body("{\"prompt\":\"Tell me\",\"temperature\":0.5}")
                .post("/gateway/serving-completions/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("text_completion"))
                .body("choices[0].text", equalTo("You said: Tell me"));
        assertThat(OpenAiMockResource.LAST.get("serving-text").getJsonObject("body"))
                .isEqualTo(new JsonObject("{\"inputs\":[\"Tell me\"],\"params\":{\"temperature\":0.5,\"n\":1}}"));
        api().body("{\"model\":\"serving-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Yo\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("You said: Yo"));
        assertThat(OpenAiMockResource.LAST.get("serving-text").getJsonObject("body"))
                .isEqualTo(new JsonObject("{\"inputs\":[\"Yo\"]}")); // no MLflow defaults on /v1
    }

    @Test
    void embeddingsSendTheInputsAndAnswerOneVectorEach() {
        api().body("{\"input\":[\"one\",\"three\"]}")
                .post("/endpoints/serving-embeddings/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("list"))
                .body("data.index", contains(0, 1))
                .body("data[0].embedding", contains(3, 0.25f))
                .body("data[1].embedding", contains(5, 0.25f))
                .body("model", equalTo("my-embed-model"));
        assertThat(OpenAiMockResource.LAST.get("serving-embed").getJsonObject("body"))
                .isEqualTo(new JsonObject("{\"inputs\":[\"one\",\"three\"]}"));
    }

    @Test
    void predictionsAsADictWithChoicesAreOneChoiceEach() {
        ProviderTests.invoke("serving-dict")
                .statusCode(200)
                .body("choices.message.content", contains("first", "second"))
                .body("choices.index", contains(0, 1));
    }

    @Test
    void mlflowsRefusalsAreAnsweredWithItsMessages() {
        api().body("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":\"user\",\"content\":"
                        + "\"Hi\"}]}")
                .post("/endpoints/serving-chat/invocations")
                .then()
                .statusCode(422)
                .body(
                        "detail",
                        equalTo("MLflow chat models are only capable of processing a single query at a time. The"
                                + " request submitted consists of 2 queries."));
        ProviderTests.invokeStreaming("serving-chat")
                .statusCode(501)
                .body(
                        "detail",
                        equalTo("The chat streaming route is not implemented for MLflow Model Serving models."));
        api().body("{\"model\":\"serving-completions\",\"prompt\":\"Hi\",\"stream\":true}")
                .post("/v1/completions")
                .then()
                .statusCode(501)
                .body(
                        "error.message",
                        equalTo("The completions streaming route is not implemented for MLflow Model Serving models."));
    }

    @Test
    void aThrottleKeepsItsStatusAndAFailureOrAnUnreadableAnswerIs502() {
        ProviderTests.invoke("serving-throttled")
                .statusCode(429)
                .header("Retry-After", equalTo("4"))
                .body("detail", equalTo("Too many requests: the model is busy"));
        ProviderTests.assertMlflowError(
                "serving-broken",
                502,
                "The provider failed (HTTP 500): Encountered an unexpected error: ZeroDivisionError");
        ProviderTests.assertMlflowError(
                "serving-missing", 502, "The response is missing the required key: predictions.");
        ProviderTests.assertMlflowError("serving-malformed", 502, "The provider's answer is not valid JSON");
        ProviderTests.assertMlflowError("serving-cut", 502, "The provider could not be reached");
        ProviderTests.assertMlflowError("serving-slow", 504, "The provider sent nothing for longer than 2 s");
    }
}
