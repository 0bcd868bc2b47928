package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static dev.skein.llmgateway.ProviderMocks.MISTRAL_KEY;
import static dev.skein.llmgateway.ProviderTests.assertNoKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * The mistral provider against {@link ProviderMocks}' local server speaking Mistral's API (OpenAI's wire format):
 * requests as MLflow's Mistral provider sends them, answers and streams in MLflow's and OpenAI's shapes, its
 * failures as a client sees them.
 */
@QuarkusTest
class MistralProviderTest {

    @Test
    void aChatIsSentWithMistralsKeyAndTheTemperatureHalvedAndItsUsageRecorded() throws Exception {
        String body = api().header("skein-actor", "mistral-chatter")
                .body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":1.0}")
                .post("/endpoints/mistral/invocations")
                .then()
                .spec(ProviderTests.chatAnswer("Bonjour!", 16, 34))
                .body("model", equalTo("mistral-small-latest"))
                .extract()
                .asString();
        assertNoKey(body, MISTRAL_KEY);
        JsonObject seen = ProviderMocks.LAST.get("mistral/mistral-normal");
        assertThat(seen.getString("path")).isEqualTo("/mistral/v1/chat/completions");
        assertThat(seen.getJsonObject("headers").getString("authorization")).isEqualTo("Bearer " + MISTRAL_KEY);
        JsonObject sent = seen.getJsonObject("body");
        assertThat(sent.getString("model")).isEqualTo("mistral-normal");
        assertThat(sent.getDouble("temperature")).isEqualTo(0.5); // MLflow's 0-2 on Mistral's 0-1
        JsonObject usage = ProviderTests.usage("mistral", "mistral-chatter", 1);
        assertThat(usage.getLong("input_tokens")).isEqualTo(16);
        assertThat(usage.getLong("output_tokens")).isEqualTo(34);
    }

    @Test
    void aCompletionIsOneUserMessageWithoutStopOrNAsMlflowSendsIt() {
        api().body("{\"prompt\":\"Say hi\",\"stop\":[\"END\"],\"n\":1,\"temperature\":0.4,\"max_tokens\":20}")
                .post("/endpoints/mistral-completions/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("text_completion"))
                .body("choices[0].text", equalTo("Bonjour!"))
                .body("usage.total_tokens", equalTo(50));
        JsonObject sent = ProviderMocks.LAST.get("mistral/mistral-normal").getJsonObject("body");
        assertThat(sent.getJsonArray("messages").encode()).isEqualTo("[{\"role\":\"user\",\"content\":\"Say hi\"}]");
        assertThat(sent.containsKey("prompt")).isFalse();
        assertThat(sent.containsKey("stop")).isFalse();
        assertThat(sent.containsKey("n")).isFalse();
        assertThat(sent.getDouble("temperature")).isEqualTo(0.2);
        assertThat(sent.getInteger("max_tokens")).isEqualTo(20);
    }

    @Test
    void embeddingsAreAnsweredInOpenAisShape() {
        api().body("{\"model\":\"mistral-embeddings\",\"input\":[\"a\",\"b\"]}")
                .post("/v1/embeddings")
                .then()
                .statusCode(200)
                .body("object", equalTo("list"))
                .body("data.size()", equalTo(2))
                .body("data[1].index", equalTo(1))
                .body("data[1].embedding[1]", equalTo(1.0712f))
                .body("usage.prompt_tokens", equalTo(6));
        assertThat(ProviderMocks.LAST.get("mistral/mistral-normal").getString("path"))
                .isEqualTo("/mistral/v1/embeddings");
    }

    @Test
    void aStreamArrivesChunkByChunkWithItsUsageOnlyWhenAskedAndEndsWithDoneOnOpenAisRoute() throws Exception {
        ProviderTests.assertMlflowStream("mistral", "", "Bon", "jour!", "");

        JsonObject usage =
                ProviderTests.streamWithUsage("mistral", "mistral-streamer").getJsonObject("usage");
        assertThat(usage.getInteger("prompt_tokens")).isEqualTo(8);
        assertThat(usage.getInteger("completion_tokens")).isEqualTo(4);
        // OpenAI's stream_options is not Mistral's: not sent (Mistral reports the usage of every stream)
        assertThat(ProviderMocks.LAST
                        .get("mistral/mistral-normal")
                        .getJsonObject("body")
                        .containsKey("stream_options"))
                .isFalse();
        JsonObject recorded = ProviderTests.usage("mistral", "mistral-streamer", 1);
        assertThat(recorded.getLong("output_tokens")).isEqualTo(4);
    }

    @Test
    void toolsAreSentAsOpenAisAndTheToolCallComesBack() {
        String tools = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]";
        api().body("{\"model\":\"mistral-tools\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],"
                        + "\"tools\":" + tools + ",\"tool_choice\":\"auto\"}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("choices[0].finish_reason", equalTo("tool_calls"))
                .body("choices[0].message.tool_calls[0].id", equalTo("D681PevKs"))
                .body("choices[0].message.tool_calls[0].type", equalTo("function"))
                .body("choices[0].message.tool_calls[0].function.name", equalTo("get_weather"))
                .body("choices[0].message.tool_calls[0].function.arguments", equalTo("{\"city\": \"Paris\"}"));
        JsonObject sent = ProviderMocks.LAST.get("mistral/mistral-tools").getJsonObject("body");
        assertThat(sent.getJsonArray("tools").encode()).isEqualTo(new io.vertx.core.json.JsonArray(tools).encode());
        assertThat(sent.getString("tool_choice")).isEqualTo("auto");
    }

    @Test
    void a429KeepsItsRetryAfterAndMessageAndIsRetriedWhenTheEndpointSaysSo() {
        // the operator's account must pay: the gateway's problem, never the client's 402
        api().body(ProviderTests.HI)
                .post("/endpoints/mistral-payment/invocations")
                .then()
                .statusCode(502)
                .body("detail", org.hamcrest.Matchers.containsString("needs payment"));
        ProviderTests.assertRateLimited("mistral-ratelimited", "4", "Requests rate limit exceeded")
                .body("error.message", equalTo("Requests rate limit exceeded"));
        ProviderTests.assertA429IsRetried("mistral", "mistral-flaky");
    }

    @Test
    void aServerErrorKeepsItsStatusAndMessage() {
        ProviderTests.assertMlflowError("mistral-broken", 503, "Service unavailable, please retry later");
    }

    @Test
    void aMalformedAnswerIs502AndAMalformedStreamEndsWithTheErrorEvent() {
        ProviderTests.assertMalformedIs502AndEndsTheStreamWithTheErrorEvent("mistral-malformed");
    }

    @Test
    void aProviderSilentBeforeItsFirstByteIs504() {
        ProviderTests.assertSilenceIs504("mistral-slow");
    }

    @Test
    void aStreamCutMidwayEndsWithTheErrorEventAndNoDone() {
        ProviderTests.assertCutStreamEndsWithTheErrorEvent("mistral-cut", "Bon");
    }

    @Test
    void theKeyAMistralErrorRepeatsNeverReachesTheClient() {
        String mlflow = ProviderTests.invoke("mistral-echokey")
                .statusCode(400)
                .body("detail", equalTo("Key *** may not use this model"))
                .extract()
                .asString();
        assertNoKey(mlflow, MISTRAL_KEY);
        String openAi =
                ProviderTests.chat("mistral-echokey").statusCode(400).extract().asString();
        assertNoKey(openAi, MISTRAL_KEY);
        assertNoKey(api().get("/api/2.0/endpoints/mistral").asString(), MISTRAL_KEY);
    }
}
