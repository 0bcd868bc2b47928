package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static dev.skein.llmgateway.LlmGatewayApiTest.events;
import static dev.skein.llmgateway.ProviderMocks.GEMINI_KEY;
import static dev.skein.llmgateway.ProviderTests.assertNoKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The gemini provider against {@link ProviderMocks}' local server speaking Google's Gemini API: OpenAI-shaped
 * requests translated to {@code generateContent}, answers and {@code alt=sse} streams back in MLflow's and OpenAI's
 * shapes, function calls both ways, Google's errors as a client sees them.
 */
@QuarkusTest
class GeminiProviderTest {

    static final String TOOLS = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":"
            + "\"The weather of a city\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
            + "\"string\"}},\"required\":[\"city\"]}}}]";

    @Test
    void aChatIsTranslatedToGenerateContentAndAnsweredInMlflowsShapeWithItsUsageRecorded() throws Exception {
        String body = api().header("skein-actor", "gemini-chatter")
                .body("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                        + "{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello.\"},"
                        + "{\"role\":\"user\",\"content\":\"How are you?\"}],"
                        + "\"temperature\":0.7,\"max_tokens\":100,\"top_p\":0.9,\"stop\":[\"END\"]}")
                .post("/endpoints/gemini/invocations")
                .then()
                .spec(ProviderTests.chatAnswer("Hello from Gemini.", 7, 5))
                .body("id", equalTo("Zp3kZ5aLJ9a7xN8PwJ2Z0Ac"))
                .body("model", equalTo("gemini-1.5-flash-002"))
                .extract()
                .asString();
        assertNoKey(body, GEMINI_KEY);
        JsonObject seen = ProviderMocks.LAST.get("gemini/gemini-normal");
        assertThat(seen.getString("path")).isEqualTo("/gemini/v1beta/models/gemini-normal:generateContent");
        assertThat(seen.getJsonObject("headers").getString("x-goog-api-key")).isEqualTo(GEMINI_KEY);
        assertThat(seen.getJsonObject("headers").getString("authorization")).isNull();
        JsonObject sent = seen.getJsonObject("body");
        assertThat(sent.fieldNames()).containsExactlyInAnyOrder("contents", "systemInstruction", "generationConfig");
        assertThat(sent.getJsonObject("systemInstruction").encode())
                .isEqualTo("{\"parts\":[{\"text\":\"Be brief.\"}]}");
        assertThat(sent.getJsonArray("contents").encode())
                .isEqualTo("[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]},"
                        + "{\"role\":\"model\",\"parts\":[{\"text\":\"Hello.\"}]},"
                        + "{\"role\":\"user\",\"parts\":[{\"text\":\"How are you?\"}]}]");
        JsonObject config = sent.getJsonObject("generationConfig");
        assertThat(config.getDouble("temperature")).isEqualTo(0.7); // Gemini's range is MLflow's: not scaled
        assertThat(config.getInteger("maxOutputTokens")).isEqualTo(100);
        assertThat(config.getDouble("topP")).isEqualTo(0.9);
        assertThat(config.getJsonArray("stopSequences").encode()).isEqualTo("[\"END\"]");
        assertThat(config.getInteger("candidateCount")).isEqualTo(1); // MLflow's default n
        JsonObject usage = ProviderTests.usage("gemini", "gemini-chatter", 1);
        assertThat(usage.getLong("input_tokens")).isEqualTo(7);
        assertThat(usage.getLong("output_tokens")).isEqualTo(5);
    }

    @Test
    void nBecomesCandidatesAndMaxTokensStopsAsLength() {
        api().body("{\"model\":\"gemini\",\"n\":2,\"max_tokens\":2,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("choices.size()", equalTo(2))
                .body("choices[1].index", equalTo(1))
                .body("choices[1].message.content", equalTo("Hi from Gemini, too."))
                .body("choices[0].finish_reason", equalTo("length"));
    }

    @Test
    void aCompletionIsOneUserTurnAndEmbeddingsGoToBatchEmbedContents() {
        api().body("{\"prompt\":\"Say hi\"}")
                .post("/endpoints/gemini-completions/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("text_completion"))
                .body("choices[0].text", equalTo("Hello from Gemini."))
                .body("usage.total_tokens", equalTo(12));
        assertThat(ProviderMocks.LAST
                        .get("gemini/gemini-normal")
                        .getJsonObject("body")
                        .getJsonArray("contents")
                        .encode())
                .isEqualTo("[{\"role\":\"user\",\"parts\":[{\"text\":\"Say hi\"}]}]");

        api().body("{\"model\":\"gemini-embeddings\",\"input\":[\"a\",\"b\"]}")
                .post("/v1/embeddings")
                .then()
                .statusCode(200)
                .body("object", equalTo("list"))
                .body("data.size()", equalTo(2))
                .body("data[1].index", equalTo(1))
                .body("data[1].embedding[0]", equalTo(1.013f))
                .body("model", equalTo("gemini-normal"));
        JsonObject seen = ProviderMocks.LAST.get("gemini/gemini-normal");
        assertThat(seen.getString("path")).isEqualTo("/gemini/v1beta/models/gemini-normal:batchEmbedContents");
        assertThat(seen.getJsonObject("body")
                        .getJsonArray("requests")
                        .getJsonObject(1)
                        .encode())
                .isEqualTo("{\"model\":\"models/gemini-normal\",\"content\":{\"parts\":[{\"text\":\"b\"}]}}");
        // Gemini embeds text: token ids are refused, not sent
        api().body("{\"input\":[[1,2,3]]}")
                .post("/endpoints/gemini-embeddings/invocations")
                .then()
                .statusCode(422)
                .body("detail", containsString("'input' must be a string or a list of strings"));
    }

    @Test
    void aStreamArrivesAsOpenAisChunksWithDoneAndItsUsage() throws Exception {
        List<String> events = ProviderTests.assertMlflowStream("gemini", "Hello", " from", " Gemini.");
        JsonObject first = new JsonObject(events.get(0));
        assertThat(first.getString("object")).isEqualTo("chat.completion.chunk");
        assertThat(first.getJsonArray("choices")
                        .getJsonObject(0)
                        .getJsonObject("delta")
                        .getString("role"))
                .isEqualTo("assistant");
        JsonObject seen = ProviderMocks.LAST.get("gemini/gemini-normal");
        assertThat(seen.getString("path")).isEqualTo("/gemini/v1beta/models/gemini-normal:streamGenerateContent");
        assertThat(seen.getString("query")).isEqualTo("alt=sse");
        assertThat(seen.getJsonObject("body").containsKey("stream")).isFalse();

        JsonObject usage =
                ProviderTests.streamWithUsage("gemini", "gemini-streamer").getJsonObject("usage");
        assertThat(usage.getInteger("prompt_tokens")).isEqualTo(7);
        assertThat(usage.getInteger("completion_tokens")).isEqualTo(5);
        JsonObject recorded = ProviderTests.usage("gemini", "gemini-streamer", 1);
        assertThat(recorded.getLong("output_tokens")).isEqualTo(5);
    }

    @Test
    void toolsBecomeFunctionDeclarationsAndAFunctionCallComesBackAsAToolCall() {
        api().body("{\"model\":\"gemini-tools\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],"
                        + "\"tools\":" + TOOLS + ",\"tool_choice\":\"required\"}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("choices[0].finish_reason", equalTo("tool_calls"))
                .body("choices[0].message.content", equalTo(null))
                .body("choices[0].message.tool_calls[0].id", startsWith("call_"))
                .body("choices[0].message.tool_calls[0].type", equalTo("function"))
                .body("choices[0].message.tool_calls[0].function.name", equalTo("get_weather"))
                .body("choices[0].message.tool_calls[0].function.arguments", equalTo("{\"city\":\"Paris\"}"));
        JsonObject sent = ProviderMocks.LAST.get("gemini/gemini-tools").getJsonObject("body");
        JsonObject declaration = sent.getJsonArray("tools")
                .getJsonObject(0)
                .getJsonArray("functionDeclarations")
                .getJsonObject(0);
        JsonObject function = new JsonArray(TOOLS).getJsonObject(0).getJsonObject("function");
        assertThat(declaration).isEqualTo(function);
        assertThat(sent.getJsonObject("toolConfig").encode())
                .isEqualTo("{\"functionCallingConfig\":{\"mode\":\"ANY\"}}");
    }

    @Test
    void aToolsAnswerGoesBackAsAFunctionResponseNamedByItsCall() {
        api().body(
                        "{\"model\":\"gemini-tools\",\"tools\":" + TOOLS + ",\"messages\":["
                                + "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":"
                                + "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
                                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"{\\\"sky\\\":\\\"sunny\\\"}\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("It is sunny in Paris."))
                .body("choices[0].finish_reason", equalTo("stop"));
        JsonArray contents = ProviderMocks.LAST
                .get("gemini/gemini-tools")
                .getJsonObject("body")
                .getJsonArray("contents");
        assertThat(contents.getJsonObject(1).encode())
                .isEqualTo("{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"get_weather\","
                        + "\"args\":{\"city\":\"Paris\"}}}]}");
        assertThat(contents.getJsonObject(2).encode())
                .isEqualTo("{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"get_weather\","
                        + "\"response\":{\"sky\":\"sunny\"}}}]}");
    }

    @Test
    void aStreamedFunctionCallIsAToolCallDeltaAndOtherToolsAreRefused() {
        String stream = api().body("{\"model\":\"gemini-tools\",\"stream\":true,\"tools\":" + TOOLS
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        List<String> events = events(stream);
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        JsonObject choice =
                new JsonObject(events.get(0)).getJsonArray("choices").getJsonObject(0);
        JsonObject call =
                choice.getJsonObject("delta").getJsonArray("tool_calls").getJsonObject(0);
        assertThat(call.getInteger("index")).isZero();
        assertThat(call.getJsonObject("function").getString("name")).isEqualTo("get_weather");
        assertThat(call.getJsonObject("function").getString("arguments")).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(choice.getString("finish_reason")).isEqualTo("tool_calls");

        api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                        + "\"tools\":[{\"type\":\"code_interpreter\"}]}")
                .post("/endpoints/gemini-tools/invocations")
                .then()
                .statusCode(422)
                .body("detail", equalTo("The gemini provider takes tools of type 'function' (with a name) only"));
    }

    @Test
    void a429SaysWhenToComeBackFromGooglesRetryInfoAndIsRetried() {
        ProviderTests.assertRateLimited("gemini-ratelimited", "17", "Resource has been exhausted (e.g. check quota).")
                .body("error.status", equalTo("RESOURCE_EXHAUSTED"));
        ProviderTests.assertA429IsRetried("gemini", "gemini-flaky");
    }

    @Test
    void aServerErrorKeepsItsStatusAndABlockedPromptIs400() {
        ProviderTests.assertMlflowError("gemini-broken", 503, "The model is overloaded. Please try again later.");
        ProviderTests.chat("gemini-blocked")
                .statusCode(400)
                .body("error.message", equalTo("Gemini blocked the prompt (blockReason SAFETY)"))
                .body("error.code", equalTo("content_filter"));
    }

    @Test
    void aMalformedAnswerIs502AndAMalformedStreamEndsWithTheErrorEvent() {
        ProviderTests.assertMalformedIs502AndEndsTheStreamWithTheErrorEvent("gemini-malformed");
    }

    @Test
    void aProviderSilentBeforeItsFirstByteIs504() {
        ProviderTests.assertSilenceIs504("gemini-slow");
    }

    @Test
    void aStreamCutMidwayEndsWithTheErrorEventAndNoDone() {
        ProviderTests.assertCutStreamEndsWithTheErrorEvent("gemini-cut", "Hello");
    }

    @Test
    void googlesRefusalOfTheKeyIs502AndAKeyAnErrorRepeatsNeverReachesTheClient() {
        String refused = ProviderTests.chat("gemini-badkey")
                .statusCode(502)
                .body("error.code", equalTo("upstream_auth_failed"))
                .body("error.message", containsString("for endpoint 'gemini-badkey' (HTTP 400)"))
                .extract()
                .asString();
        assertThat(refused).doesNotContain("API key not valid");
        String mlflow = ProviderTests.invoke("gemini-echokey")
                .statusCode(400)
                .body("detail", equalTo("Key *** cannot call gemini-echokey"))
                .extract()
                .asString();
        assertNoKey(mlflow, GEMINI_KEY);
        String openAi = ProviderTests.chat("gemini-echokey")
                .statusCode(400)
                .body("error.message", equalTo("Key *** cannot call gemini-echokey"))
                .extract()
                .asString();
        assertNoKey(openAi, GEMINI_KEY);
    }
}
