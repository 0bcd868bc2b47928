package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static dev.skein.llmgateway.LlmGatewayApiTest.events;
import static dev.skein.llmgateway.ProviderMocks.COHERE_KEY;
import static dev.skein.llmgateway.ProviderTests.assertNoKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The cohere provider against {@link ProviderMocks}' local server speaking Cohere's v1 API: requests as MLflow's
 * Cohere provider translates them (and its refusals), answers and newline-delimited JSON streams back in MLflow's
 * and OpenAI's shapes, tool calls both ways (streamed too), Cohere's errors as a client sees them.
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
    void mlflowsCohereRefusalsAreAnswered422WithoutCallingCohere() {
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
        assertThat(ProviderMocks.LAST.get("cohere/cohere-normal")).isNull();
    }

    /** A weather tool whose schema uses what Cohere's v1 types can say, and what only a description can. */
    static final String TOOLS = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":"
            + "\"The weather of a city\",\"parameters\":{\"type\":\"object\",\"properties\":{"
            + "\"city\":{\"type\":\"string\",\"description\":\"The city\"},"
            + "\"days\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"maxItems\":7},"
            + "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"],\"default\":\"celsius\"},"
            + "\"detailed\":{\"type\":\"boolean\"},\"threshold\":{\"type\":\"number\"},"
            + "\"weights\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"number\"}},"
            + "\"grid\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}},"
            + "\"required\":[\"city\"],\"additionalProperties\":false}}}]";

    static final String WEATHER_CALL = "{\"id\":\"call_paris\",\"type\":\"function\",\"function\":"
            + "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}";

    @Test
    void toolsBecomeParameterDefinitionsAndCoheresCallComesBackAsAnOpenAiToolCall() throws Exception {
        String first = api().header("skein-actor", "cohere-tool-user")
                .body("{\"model\":\"cohere-tools\",\"tools\":" + TOOLS + ",\"tool_choice\":\"auto\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("choices[0].finish_reason", equalTo("tool_calls"))
                .body("choices[0].message.role", equalTo("assistant"))
                .body("choices[0].message.content", equalTo(null))
                .body("choices[0].message.tool_calls.size()", equalTo(1))
                .body("choices[0].message.tool_calls[0].id", startsWith("call_"))
                .body("choices[0].message.tool_calls[0].type", equalTo("function"))
                .body("choices[0].message.tool_calls[0].function.name", equalTo("get_weather"))
                .body("choices[0].message.tool_calls[0].function.arguments", equalTo("{\"city\":\"Paris\"}"))
                .body("usage.total_tokens", equalTo(13))
                .extract()
                .path("choices[0].message.tool_calls[0].id");
        JsonObject sent = ProviderMocks.LAST.get("cohere/cohere-tools").getJsonObject("body");
        assertThat(sent.getString("message")).isEqualTo("Weather in Paris?");
        assertThat(sent.getJsonArray("tools"))
                .isEqualTo(new JsonArray("[{\"name\":\"get_weather\",\"description\":\"The weather of a city\","
                        + "\"parameter_definitions\":{"
                        + "\"city\":{\"description\":\"The city\",\"type\":\"str\",\"required\":true},"
                        + "\"days\":{\"description\":\"maxItems: 7.\",\"type\":\"List[int]\",\"required\":false},"
                        + "\"unit\":{\"description\":\"Possible enum values: celsius, fahrenheit. Default: celsius.\","
                        + "\"type\":\"str\",\"required\":false},"
                        + "\"detailed\":{\"type\":\"bool\",\"required\":false},"
                        + "\"threshold\":{\"type\":\"float\",\"required\":false},"
                        + "\"weights\":{\"type\":\"Dict[str, float]\",\"required\":false},"
                        + "\"grid\":{\"type\":\"List[List[str]]\",\"required\":false}}}]"));
        assertThat(sent.fieldNames()).doesNotContain("tool_choice", "messages", "tool_results", "force_single_step");
        assertThat(ProviderTests.usage("cohere-tools", "cohere-tool-user", 1).getLong("output_tokens"))
                .isEqualTo(4);

        // Cohere gives no ids: each call gets one of its own
        String second = api().body("{\"model\":\"cohere-tools\",\"tools\":" + TOOLS
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .path("choices[0].message.tool_calls[0].id");
        assertThat(second).startsWith("call_").isNotEqualTo(first);
    }

    @Test
    void aToolCallOnMlflowsRouteIsAnMlflowChatAnswerWithItsToolCalls() {
        api().body("{\"tools\":" + TOOLS + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}")
                .post("/endpoints/cohere-tools/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("chat.completion"))
                .body("model", equalTo("cohere-tools"))
                .body("choices[0].finish_reason", equalTo("tool_calls"))
                .body("choices[0].message.tool_calls[0].id", startsWith("call_"))
                .body("choices[0].message.tool_calls[0].function.name", equalTo("get_weather"))
                .body("choices[0].message.tool_calls[0].function.arguments", equalTo("{\"city\":\"Paris\"}"));
        JsonObject sent = ProviderMocks.LAST.get("cohere/cohere-tools").getJsonObject("body");
        assertThat(sent.getJsonArray("tools").getJsonObject(0).getString("name"))
                .isEqualTo("get_weather");
        assertThat(sent.getDouble("temperature")).isEqualTo(0.0); // MLflow's default, sent on
    }

    @Test
    void toolResultsAreSentAsCoheresToolResultsPairedWithTheCallsOfTheHistory() {
        String lyonCall = WEATHER_CALL.replace("call_paris", "call_lyon").replace("Paris", "Lyon");
        api().body("{\"model\":\"cohere-tools\",\"tools\":" + TOOLS + ",\"messages\":["
                        + "{\"role\":\"system\",\"content\":\"Be brief.\"},"
                        + "{\"role\":\"user\",\"content\":\"Weather in Paris and Lyon?\"},"
                        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + WEATHER_CALL + "," + lyonCall
                        + "]},"
                        + "{\"role\":\"tool\",\"tool_call_id\":\"call_paris\",\"content\":\"{\\\"sky\\\":\\\"sunny\\\"}\"},"
                        + "{\"role\":\"tool\",\"tool_call_id\":\"call_lyon\",\"content\":\"rainy\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("It is sunny in Paris."))
                .body("choices[0].finish_reason", equalTo("stop"));
        JsonObject sent = ProviderMocks.LAST.get("cohere/cohere-tools").getJsonObject("body");
        assertThat(sent.getString("message")).isEmpty();
        assertThat(sent.getString("preamble")).isEqualTo("Be brief.");
        assertThat(sent.getJsonArray("chat_history"))
                .isEqualTo(new JsonArray("[{\"role\":\"USER\",\"message\":\"Weather in Paris and Lyon?\"},"
                        + "{\"role\":\"CHATBOT\",\"message\":\"\",\"tool_calls\":["
                        + "{\"name\":\"get_weather\",\"parameters\":{\"city\":\"Paris\"}},"
                        + "{\"name\":\"get_weather\",\"parameters\":{\"city\":\"Lyon\"}}]}]"));
        assertThat(sent.getJsonArray("tool_results"))
                .isEqualTo(new JsonArray("[{\"call\":{\"name\":\"get_weather\",\"parameters\":{\"city\":\"Paris\"}},"
                        + "\"outputs\":[{\"sky\":\"sunny\"}]},"
                        + "{\"call\":{\"name\":\"get_weather\",\"parameters\":{\"city\":\"Lyon\"}},"
                        + "\"outputs\":[{\"result\":\"rainy\"}]}]"));
        assertThat(sent.getJsonArray("tools")).hasSize(1);

        // a second step: the first step's results are a TOOL turn of the history, the latest the tool_results
        String lyonAgain = WEATHER_CALL.replace("call_paris", "call_2");
        api().body(
                        "{\"model\":\"cohere-tools\",\"tools\":" + TOOLS + ",\"messages\":["
                                + "{\"role\":\"user\",\"content\":\"Weather in Paris, twice?\"},"
                                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + WEATHER_CALL + "]},"
                                + "{\"role\":\"tool\",\"tool_call_id\":\"call_paris\",\"content\":\"[{\\\"sky\\\":\\\"sunny\\\"},"
                                + "{\\\"wind\\\":\\\"none\\\"}]\"},"
                                + "{\"role\":\"assistant\",\"content\":\"Checking again.\",\"tool_calls\":[" + lyonAgain
                                + "]},"
                                + "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"{\\\"sky\\\":\\\"cloudy\\\"}\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("It is sunny in Paris."));
        JsonObject step = ProviderMocks.LAST.get("cohere/cohere-tools").getJsonObject("body");
        JsonArray history = step.getJsonArray("chat_history");
        assertThat(history.getJsonObject(2))
                .isEqualTo(
                        new JsonObject(
                                "{\"role\":\"TOOL\",\"tool_results\":[{\"call\":{\"name\":\"get_weather\","
                                        + "\"parameters\":{\"city\":\"Paris\"}},\"outputs\":[{\"sky\":\"sunny\"},{\"wind\":\"none\"}]}]}"));
        assertThat(history.getJsonObject(3).getString("message")).isEqualTo("Checking again.");
        assertThat(history).hasSize(4);
        assertThat(step.getJsonArray("tool_results").getJsonObject(0).getJsonArray("outputs"))
                .isEqualTo(new JsonArray("[{\"sky\":\"cloudy\"}]"));
    }

    @Test
    void aStreamedToolCallReassemblesIntoTheCallTheAnswerGives() {
        String body = api().body("{\"model\":\"cohere-tools\",\"stream\":true,\"tools\":" + TOOLS
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        List<String> events = events(body);
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        Map<Integer, JsonObject> calls = new TreeMap<>();
        for (String e : events.subList(0, events.size() - 1)) {
            JsonObject delta =
                    new JsonObject(e).getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
            if (delta.getValue("tool_calls") instanceof JsonArray deltas) {
                for (Object d : deltas) {
                    JsonObject piece = (JsonObject) d;
                    JsonObject call = calls.computeIfAbsent(
                            piece.getInteger("index"), i -> new JsonObject().put("arguments", ""));
                    if (piece.containsKey("id")) {
                        assertThat(call.containsKey("id")).as("one id per call").isFalse();
                        call.put("id", piece.getString("id"))
                                .put("type", piece.getString("type"))
                                .put("name", piece.getJsonObject("function").getString("name"));
                    }
                    call.put(
                            "arguments",
                            call.getString("arguments")
                                    + piece.getJsonObject("function").getString("arguments"));
                }
            }
        }
        assertThat(calls).containsOnlyKeys(0);
        JsonObject call = calls.get(0);
        assertThat(call.getString("id")).startsWith("call_");
        assertThat(call.getString("type")).isEqualTo("function");
        assertThat(call.getString("name")).isEqualTo("get_weather");
        assertThat(call.getString("arguments")).isEqualTo("{\"city\":\"Paris\"}"); // as the answer's, to the byte
        assertThat(ProviderTests.last(events)
                        .getJsonArray("choices")
                        .getJsonObject(0)
                        .getString("finish_reason"))
                .isEqualTo("tool_calls");
        assertThat(ProviderMocks.LAST
                        .get("cohere/cohere-tools")
                        .getJsonObject("body")
                        .getBoolean("stream"))
                .isTrue();
    }

    @Test
    void aSchemaOrToolChoiceCohereCannotTakeIsRefusedWithItsReasonAndNothingIsSent() {
        ProviderMocks.LAST.remove("cohere/cohere-tools");
        String nested = TOOLS.replace(
                "\"detailed\":{\"type\":\"boolean\"}",
                "\"detailed\":{\"type\":\"object\",\"properties\":{\"hourly\":{\"type\":\"boolean\"}}}");
        api().body("{\"model\":\"cohere-tools\",\"tools\":" + nested
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body(
                        "error.message",
                        equalTo("Tool 'get_weather': parameters.properties.detailed is an object with properties:"
                                + " Cohere's v1 parameter types cannot describe nested objects; the cohere provider"
                                + " refuses what it cannot send faithfully"));
        String ref = TOOLS.replace("\"detailed\":{\"type\":\"boolean\"}", "\"detailed\":{\"$ref\":\"#/$defs/Detail\"}");
        api().body("{\"tools\":" + ref + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]}")
                .post("/endpoints/cohere-tools/invocations")
                .then()
                .statusCode(422)
                .body("detail", containsString("parameters.properties.detailed uses '$ref'"));
        api().body("{\"model\":\"cohere-tools\",\"tools\":" + TOOLS + ",\"tool_choice\":\"required\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.message", containsString("its v1 chat cannot be made to call a tool"));
        api().body("{\"model\":\"cohere-tools\",\"tools\":" + TOOLS + ",\"messages\":["
                        + "{\"role\":\"user\",\"content\":\"Weather?\"},"
                        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + WEATHER_CALL + "]},"
                        + "{\"role\":\"tool\",\"tool_call_id\":\"call_unknown\",\"content\":\"sunny\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.message", startsWith("A tool message's tool_call_id must name a tool call"));
        assertThat(ProviderMocks.LAST.get("cohere/cohere-tools")).isNull();

        // none: the tools are not offered at all
        api().body("{\"model\":\"cohere-tools\",\"tools\":" + TOOLS + ",\"tool_choice\":\"none\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("No tools were offered."))
                .body("choices[0].finish_reason", equalTo("stop"));
        assertThat(ProviderMocks.LAST
                        .get("cohere/cohere-tools")
                        .getJsonObject("body")
                        .fieldNames())
                .doesNotContain("tools", "tool_choice");
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
