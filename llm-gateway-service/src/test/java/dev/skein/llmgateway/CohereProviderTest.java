package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static dev.skein.llmgateway.LlmGatewayApiTest.events;
import static dev.skein.llmgateway.ProviderMocks.COHERE_KEY;
import static dev.skein.llmgateway.ProviderTests.assertNoKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cohere provider against {@link ProviderMocks}' local server speaking Cohere's v1 API: requests as MLflow's
 * Cohere provider translates them (and its refusals), answers and newline-delimited JSON streams back in MLflow's
 * and OpenAI's shapes, Cohere's errors as a client sees them.
 */
@QuarkusTest
class CohereProviderTest {

    @Test
    void aChatIsSentAsMessageHistoryAndPreambleAndAnsweredInMlflowsShapeWithItsUsageRecorded() throws Exception {
        String body = api().header("skein-actor", "cohere-chatter")
                .body("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                        + "{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello.\"},"
                        + "{\"role\":\"user\",\"content\":\"How are you?\"}],\"temperature\":0.4,\"top_p\":0.5}")
                .post("/endpoints/cohere/invocations")
                .then()
                .spec(ProviderTests.chatAnswer("Hello from Cohere.", 9, 4))
                .body("id", equalTo("resp-77"))
                .body("model", equalTo("cohere-normal"))
                .extract()
                .asString();
        assertNoKey(body, COHERE_KEY);
        JsonObject seen = ProviderMocks.LAST.get("cohere/cohere-normal");
        assertThat(seen.getString("path")).isEqualTo("/cohere/v1/chat");
        assertThat(seen.getJsonObject("headers").getString("authorization")).isEqualTo("Bearer " + COHERE_KEY);
        JsonObject sent = seen.getJsonObject("body");
        assertThat(sent.getString("model")).isEqualTo("cohere-normal");
        assertThat(sent.getString("message")).isEqualTo("How are you?");
        assertThat(sent.getString("preamble")).isEqualTo("Be brief.");
        assertThat(sent.getJsonArray("chat_history").encode())
                .isEqualTo("[{\"role\":\"USER\",\"message\":\"Hi\"},{\"role\":\"CHATBOT\",\"message\":\"Hello.\"}]");
        assertThat(sent.getDouble("temperature")).isEqualTo(1.0); // MLflow's 0-2 on Cohere's 0-5
        assertThat(sent.getDouble("p")).isEqualTo(0.5);
        assertThat(sent.fieldNames()).doesNotContain("messages", "n", "top_p");
        JsonObject usage = ProviderTests.usage("cohere", "cohere-chatter", 1);
        assertThat(usage.getLong("input_tokens")).isEqualTo(9);
        assertThat(usage.getLong("output_tokens")).isEqualTo(4);
    }

    @Test
    void mlflowsCohereRefusalsAndToolsAreAnswered422WithoutCallingCohere() {
        ProviderMocks.LAST.remove("cohere/cohere-normal");
        api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"n\":2}")
                .post("/endpoints/cohere/invocations")
                .then()
                .statusCode(422)
                .body("detail", equalTo("Parameter n must be 1 for Cohere chat, got 2."));
        api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stop\":[\"END\"]}")
                .post("/endpoints/cohere/invocations")
                .then()
                .statusCode(422)
                .body("detail", equalTo("Parameter stop is not supported for Cohere chat."));
        api().body(
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Yes?\"}]}")
                .post("/endpoints/cohere/invocations")
                .then()
                .statusCode(422)
                .body("detail", equalTo("Last message must be from user, got assistant."));
        api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}],\"tools\":[{\"type\":\"function\","
                        + "\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]}")
                .post("/endpoints/cohere/invocations")
                .then()
                .statusCode(422)
                .body("detail", containsString("The cohere provider does not translate tool calls"));
        api().body("{\"model\":\"cohere\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}],"
                        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.message", containsString("send the request without 'tools'"));
        assertThat(ProviderMocks.LAST.get("cohere/cohere-normal")).isNull();
    }

    @Test
    void aCompletionGoesToGenerateAndEmbeddingsToEmbed() {
        api().body("{\"prompt\":\"Say hi\",\"stop\":[\"END\"],\"max_tokens\":5}")
                .post("/endpoints/cohere-completions/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("text_completion"))
                .body("choices[0].text", equalTo("Hello from Cohere."))
                .body("choices[0].finish_reason", equalTo("length"))
                .body("usage.total_tokens", equalTo(13));
        JsonObject seen = ProviderMocks.LAST.get("cohere/cohere-normal");
        assertThat(seen.getString("path")).isEqualTo("/cohere/v1/generate");
        JsonObject sent = seen.getJsonObject("body");
        assertThat(sent.getString("prompt")).isEqualTo("Say hi");
        assertThat(sent.getJsonArray("stop_sequences").encode()).isEqualTo("[\"END\"]");
        assertThat(sent.getInteger("num_generations")).isEqualTo(1);
        assertThat(sent.getInteger("max_tokens")).isEqualTo(5);
        assertThat(sent.fieldNames()).doesNotContain("stop", "n");

        api().body("{\"model\":\"cohere-embeddings\",\"input\":[\"a\",\"b\"]}")
                .post("/v1/embeddings")
                .then()
                .statusCode(200)
                .body("data.size()", equalTo(2))
                .body("data[1].embedding[0]", equalTo(1.5f))
                .body("usage.prompt_tokens", equalTo(2));
        JsonObject embed = ProviderMocks.LAST.get("cohere/cohere-normal");
        assertThat(embed.getString("path")).isEqualTo("/cohere/v1/embed");
        assertThat(embed.getJsonObject("body").getJsonArray("texts").encode()).isEqualTo("[\"a\",\"b\"]");
    }

    @Test
    void aStreamOfJsonLinesArrivesAsOpenAisChunksWithDoneAndItsUsage() throws Exception {
        ProviderTests.assertMlflowStream("cohere", "", "Hello", " from Cohere.", null);
        assertThat(ProviderMocks.LAST
                        .get("cohere/cohere-normal")
                        .getJsonObject("body")
                        .getBoolean("stream"))
                .isTrue();

        JsonObject usage =
                ProviderTests.streamWithUsage("cohere", "cohere-streamer").getJsonObject("usage");
        assertThat(usage.getInteger("prompt_tokens")).isEqualTo(9);
        assertThat(usage.getInteger("completion_tokens")).isEqualTo(4);
        assertThat(ProviderMocks.LAST
                        .get("cohere/cohere-normal")
                        .getJsonObject("body")
                        .containsKey("stream_options"))
                .isFalse();
        assertThat(ProviderTests.usage("cohere", "cohere-streamer", 1).getLong("output_tokens"))
                .isEqualTo(4);
    }

    @Test
    void aStreamedCompletionOnOpenAisRouteIsOpenAisCompletionChunks() {
        String body = api().body("{\"model\":\"cohere-completions\",\"prompt\":\"Say hi\",\"stream\":true}")
                .post("/v1/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        List<String> events = events(body);
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        List<JsonObject> chunks = events.subList(0, events.size() - 1).stream()
                .map(JsonObject::new)
                .toList();
        assertThat(chunks).allSatisfy(c -> assertThat(c.getString("object")).isEqualTo("text_completion"));
        assertThat(chunks)
                .extracting(c -> c.getJsonArray("choices").getJsonObject(0).getString("text"))
                .isEqualTo(Arrays.asList("Hello", " from Cohere.", ""));
        assertThat(chunks.get(2).getJsonArray("choices").getJsonObject(0).getString("finish_reason"))
                .isEqualTo("stop");
        assertThat(ProviderMocks.LAST.get("cohere/cohere-normal").getString("path"))
                .isEqualTo("/cohere/v1/generate");
    }

    @Test
    void a429KeepsItsRetryAfterAndIsRetriedAndA500KeepsItsStatus() {
        ProviderTests.invoke("cohere-ratelimited")
                .statusCode(429)
                .header("Retry-After", "6")
                .body("detail", equalTo("You are using a Trial key, which is limited to 10 API calls / minute."));
        ProviderTests.assertA429IsRetried("cohere", "cohere-flaky");
        ProviderTests.chat("cohere-broken")
                .statusCode(500)
                .body("error.message", equalTo("internal server error, this has been reported to our developers"));
    }

    @Test
    void aMalformedAnswerIs502AndAMalformedStreamEndsWithTheErrorEvent() {
        ProviderTests.assertMalformedIs502AndEndsTheStreamWithTheErrorEvent("cohere-malformed");
    }

    @Test
    void aProviderSilentBeforeItsFirstByteIs504() {
        ProviderTests.assertSilenceIs504("cohere-slow");
    }

    @Test
    void aStreamCutMidwayEndsWithTheErrorEventAndNoDone() {
        ProviderTests.assertCutStreamEndsWithTheErrorEvent("cohere-cut", "", "Hello");
    }

    @Test
    void theKeyACohereErrorRepeatsNeverReachesTheClient() {
        String mlflow = ProviderTests.invoke("cohere-echokey")
                .statusCode(400)
                .body("detail", equalTo("invalid request for key ***"))
                .extract()
                .asString();
        assertNoKey(mlflow, COHERE_KEY);
        String openAi =
                ProviderTests.chat("cohere-echokey").statusCode(400).extract().asString();
        assertNoKey(openAi, COHERE_KEY);
    }
}
