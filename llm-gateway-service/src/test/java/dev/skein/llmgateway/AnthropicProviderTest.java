package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The anthropic provider against {@link OpenAiMockResource}'s local server speaking Anthropic's Messages API: the
 * request as MLflow's Anthropic provider translates it, answers and streams back in MLflow's and OpenAI's shapes,
 * its errors.
 */
@QuarkusTest
class AnthropicProviderTest {

    @Test
    void aChatIsSentAsAnthropicsMessagesAndAnsweredInMlflowsShape() {
        api().body("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                        + "{\"role\":\"system\",\"content\":\"Be kind.\"},{\"role\":\"user\",\"content\":\"Hi\"}],"
                        + "\"temperature\":0.8,\"stop\":[\"END\"]}")
                .post("/endpoints/claude/invocations")
                .then()
                .spec(ProviderTests.chatAnswer("Hi! I'm Claude.", 10, 25));
        JsonObject seen = OpenAiMockResource.LAST.get("claude-normal");
        assertThat(seen.getString("path")).isEqualTo("/v1/messages");
        JsonObject headers = seen.getJsonObject("headers");
        assertThat(headers.getString("x-api-key")).isEqualTo(OpenAiMockResource.ANTHROPIC_KEY);
        assertThat(headers.getString("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(headers.getString("authorization")).isNull();
        JsonObject sent = seen.getJsonObject("body");
        assertThat(sent.getString("model")).isEqualTo("claude-normal");
        assertThat(sent.getString("system")).isEqualTo("Be brief.\nBe kind.");
        assertThat(sent.getJsonArray("messages").encode()).isEqualTo("[{\"role\":\"user\",\"content\":\"Hi\"}]");
        assertThat(sent.getDouble("temperature")).isEqualTo(0.4); // MLflow halves it: Anthropic's range is 0-1
        assertThat(sent.getJsonArray("stop_sequences").encode()).isEqualTo("[\"END\"]");
        assertThat(sent.getInteger("max_tokens")).isEqualTo(1000);
        assertThat(sent.containsKey("n")).isFalse();
        assertThat(sent.containsKey("stop")).isFalse();
    }

    @Test
    void aCompletionIsOneUserMessageAndOpenAisRouteAnswersInOpenAisShape() {
        api().body("{\"prompt\":\"Say hi\",\"max_tokens\":50}")
                .post("/endpoints/claude-completions/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("text_completion"))
                .body("choices[0].text", equalTo("Hi! I'm Claude."));
        JsonObject sent = OpenAiMockResource.LAST.get("claude-normal").getJsonObject("body");
        assertThat(sent.getJsonArray("messages").encode()).isEqualTo("[{\"role\":\"user\",\"content\":\"Say hi\"}]");
        assertThat(sent.getInteger("max_tokens")).isEqualTo(50);
        ProviderTests.chat("claude")
                .statusCode(200)
                .body("choices[0].message.content", equalTo("Hi! I'm Claude."))
                .body("usage.total_tokens", equalTo(35));
    }

    @Test
    void aStreamIsRelayedChunkByChunkWithItsUsageOnlyWhenAsked() {
        List<String> events = ProviderTests.assertMlflowStream("claude", "", "Hello", "!", null);
        List<JsonObject> chunks = events.stream().map(JsonObject::new).toList();
        assertThat(chunks).allSatisfy(c -> assertThat(c.getString("object")).isEqualTo("chat.completion.chunk"));

        JsonObject last = ProviderTests.streamWithUsage("claude");
        assertThat(last.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(25);
        assertThat(last.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(15);
        // stream_options is OpenAI's: not sent to Anthropic
        assertThat(OpenAiMockResource.LAST
                        .get("claude-normal")
                        .getJsonObject("body")
                        .containsKey("stream_options"))
                .isFalse();
    }

    @Test
    void anthropicsErrorsKeepTheirStatusMessageAndRetryAfter() {
        ProviderTests.assertMlflowError("claude-overloaded", 529, "Overloaded");
        ProviderTests.chat("claude-ratelimited")
                .statusCode(429)
                .header("Retry-After", equalTo("3"))
                .body("error.message", equalTo("Number of request tokens has exceeded your rate limit"));
    }

    @Test
    void mlflowsAnthropicRefusalsAreAnswered422() {
        api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"n\":2}")
                .post("/endpoints/claude/invocations")
                .then()
                .statusCode(422)
                .body("detail", equalTo("'n' must be '1' for the Anthropic provider. Received value: '2'."));
        api().body("{\"model\":\"claude\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                        + "\"temperature\":0.5,\"top_p\":0.9}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.message", equalTo("Cannot set both 'temperature' and 'top_p' parameters."));
    }
}
