package dev.skein.llmgateway.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.EndpointType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Gemini and Cohere translations' edge cases no local server run needs: events and answers taken one by one. */
class ProviderTranslationTest {

    static Endpoint endpoint(OpenAiSettings.ApiType type, EndpointType endpointType) {
        return new Endpoint(
                "e",
                endpointType,
                "gemini-1.5-flash",
                type.wire(),
                null,
                new OpenAiSettings("k", type, "http://127.0.0.1:9", null, null, null),
                List.of(),
                null,
                Endpoint.Retry.NONE,
                List.of());
    }

    static final Endpoint GEMINI = endpoint(OpenAiSettings.ApiType.GEMINI, EndpointType.CHAT);
    static final Endpoint COHERE = endpoint(OpenAiSettings.ApiType.COHERE, EndpointType.CHAT);

    @Test
    void aGeminiEventWithOnlyTheUsageIsAUsageChunkAndABlockedOrFailedStreamAnError() {
        GeminiTranslation.Stream stream = new GeminiTranslation.Stream(GEMINI);
        JsonObject usage = stream.next(new JsonObject(
                "{\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"thoughtsTokenCount\":4,"
                        + "\"totalTokenCount\":9}}"));
        assertThat(usage.getJsonArray("choices")).isEmpty();
        assertThat(usage.getJsonObject("usage").encode())
                .isEqualTo("{\"prompt_tokens\":3,\"completion_tokens\":6,\"total_tokens\":9}");
        assertThat(stream.next(new JsonObject("{\"promptFeedback\":{\"blockReason\":\"OTHER\"}}"))
                        .getJsonObject("error")
                        .getString("message"))
                .isEqualTo("Gemini blocked the prompt (blockReason OTHER)");
        JsonObject error = new JsonObject("{\"error\":{\"code\":500,\"message\":\"Internal error\"}}");
        assertThat(stream.next(error)).isEqualTo(error);
        assertThat(stream.next(new JsonObject("{\"candidates\":[]}"))).isNull();
    }

    @Test
    void geminiSafetyStopsAreContentFilterAndAnUnreadableAnswerIs502NotRetried() {
        JsonObject answer = GeminiTranslation.answer(
                GEMINI,
                new JsonObject("{\"candidates\":[{\"finishReason\":\"SAFETY\",\"index\":0}],"
                        + "\"usageMetadata\":{\"promptTokenCount\":3,\"totalTokenCount\":3}}"));
        JsonObject choice = answer.getJsonArray("choices").getJsonObject(0);
        assertThat(choice.getString("finish_reason")).isEqualTo("content_filter");
        assertThat(choice.getJsonObject("message").getString("content")).isEmpty();
        assertThatThrownBy(() -> GeminiTranslation.answer(
                        GEMINI, new JsonObject("{\"candidates\":[{\"content\":{\"parts\":[42]}}]}")))
                .isInstanceOfSatisfying(UpstreamException.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.mayTryAgain()).isFalse();
                });
    }

    @Test
    void googlesRetryDelayIsWholeSecondsAndItsKeyRefusalIsRecognised() {
        JsonObject error = new JsonObject("{\"error\":{\"details\":[{\"@type\":"
                + "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"2.5s\"}]}}");
        assertThat(GeminiTranslation.retryDelay(error)).isEqualTo("3");
        assertThat(GeminiTranslation.retryDelay(new JsonObject("{\"error\":{\"message\":\"x\"}}")))
                .isNull();
        Buffer refused = Buffer.buffer("{\"error\":{\"code\":400,\"details\":[{\"reason\":\"API_KEY_INVALID\"}]}}");
        assertThat(GeminiTranslation.keyRefused(refused, "application/json; charset=UTF-8"))
                .isTrue();
        assertThat(GeminiTranslation.keyRefused(Buffer.buffer("{\"error\":{\"code\":400}}"), "application/json"))
                .isFalse();
        assertThat(GeminiTranslation.keyRefused(Buffer.buffer("<html>"), "text/html"))
                .isFalse();
    }

    @Test
    void aCohereStreamEndingInErrorIsAnErrorAndItsOtherEventsAreSkipped() {
        CohereTranslation.Stream stream = new CohereTranslation.Stream(COHERE);
        assertThat(stream.jsonLines()).isTrue();
        assertThat(stream.next(new JsonObject("{\"event_type\":\"search-results\",\"documents\":[]}")))
                .isNull();
        assertThat(stream.next(new JsonObject("{\"event_type\":\"stream-end\",\"finish_reason\":\"ERROR\"}"))
                        .getJsonObject("error")
                        .getString("message"))
                .isEqualTo("Cohere ended the stream with ERROR");
        assertThatThrownBy(() -> stream.next(new JsonObject("{\"event_type\":\"text-generation\",\"text\":7}")))
                .isInstanceOf(UpstreamException.class);
    }

    @Test
    void coheresLegacyTokenCountIsPreferredAsMlflowReadsIt() {
        JsonObject answer = CohereTranslation.answer(
                COHERE,
                new JsonObject("{\"response_id\":\"r\",\"text\":\"t\",\"token_count\":{\"prompt_tokens\":5,"
                        + "\"response_tokens\":2,\"total_tokens\":7},\"meta\":{\"billed_units\":{\"input_tokens\":1,"
                        + "\"output_tokens\":1}}}"));
        assertThat(answer.getJsonObject("usage").encode())
                .isEqualTo("{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}");
    }

    @Test
    void coheresPlanAndTwoStreamedCallsBecomeContentAndTwoToolCallsWithTheirWholeArguments() {
        CohereTranslation.Stream stream = new CohereTranslation.Stream(COHERE);
        stream.next(new JsonObject("{\"event_type\":\"stream-start\",\"generation_id\":\"g\"}"));
        JsonObject plan = stream.next(new JsonObject(
                "{\"event_type\":\"tool-calls-chunk\",\"tool_call_delta\":{\"text\":\"I will look.\"}}"));
        assertThat(delta(plan).getString("content")).isEqualTo("I will look.");
        JsonObject first = stream.next(new JsonObject(
                "{\"event_type\":\"tool-calls-chunk\",\"tool_call_delta\":{\"index\":0,\"name\":\"a\"}}"));
        assertThat(stream.next(new JsonObject("{\"event_type\":\"tool-calls-chunk\","
                        + "\"tool_call_delta\":{\"index\":0,\"parameters\":\"{ \\\"x\\\": 1 }\"}}")))
                .as("pieces are held for the whole call")
                .isNull();
        JsonObject second = stream.next(new JsonObject(
                "{\"event_type\":\"tool-calls-chunk\",\"tool_call_delta\":{\"index\":1,\"name\":\"b\"}}"));
        JsonObject firstCall = delta(first).getJsonArray("tool_calls").getJsonObject(0);
        JsonObject secondCall = delta(second).getJsonArray("tool_calls").getJsonObject(0);
        assertThat(firstCall.getInteger("index")).isZero();
        assertThat(secondCall.getInteger("index")).isOne();
        assertThat(firstCall.getString("id")).isNotEqualTo(secondCall.getString("id"));
        JsonObject whole = stream.next(new JsonObject("{\"event_type\":\"tool-calls-generation\",\"text\":"
                + "\"I will look.\",\"tool_calls\":[{\"name\":\"a\",\"parameters\":{\"x\":1}},"
                + "{\"name\":\"b\",\"parameters\":{}}]}"));
        assertThat(delta(whole).containsKey("content"))
                .as("the plan was streamed already")
                .isFalse();
        assertThat(delta(whole).getJsonArray("tool_calls").encode())
                .isEqualTo("[{\"index\":0,\"function\":{\"arguments\":\"{\\\"x\\\":1}\"}},"
                        + "{\"index\":1,\"function\":{\"arguments\":\"{}\"}}]");
        JsonObject end = stream.next(
                new JsonObject(
                        "{\"event_type\":\"stream-end\",\"finish_reason\":\"COMPLETE\","
                                + "\"response\":{\"text\":\"I will look.\",\"tool_calls\":[{\"name\":\"a\",\"parameters\":{\"x\":1}}]}}"));
        JsonObject last = end.getJsonArray("choices").getJsonObject(0);
        assertThat(last.getString("finish_reason")).isEqualTo("tool_calls");
        assertThat(last.getJsonObject("delta").containsKey("tool_calls"))
                .as("no call sent twice")
                .isFalse();
    }

    @Test
    void aCohereStreamWhoseCallsOnlyTheEndCarriesStillEndsWithThoseCalls() {
        CohereTranslation.Stream stream = new CohereTranslation.Stream(COHERE);
        stream.next(new JsonObject("{\"event_type\":\"stream-start\",\"generation_id\":\"g\"}"));
        JsonObject end = stream.next(new JsonObject("{\"event_type\":\"stream-end\",\"finish_reason\":\"COMPLETE\","
                + "\"response\":{\"text\":\"\",\"tool_calls\":[{\"name\":\"a\",\"parameters\":{\"x\":\"y\"}}]}}"));
        JsonObject choice = end.getJsonArray("choices").getJsonObject(0);
        JsonObject call =
                choice.getJsonObject("delta").getJsonArray("tool_calls").getJsonObject(0);
        assertThat(call.getString("id")).startsWith("call_");
        assertThat(call.getJsonObject("function").encode())
                .isEqualTo("{\"name\":\"a\",\"arguments\":\"{\\\"x\\\":\\\"y\\\"}\"}");
        assertThat(choice.getString("finish_reason")).isEqualTo("tool_calls");
    }

    @Test
    void coheresSchemaTypesFollowItsTableAndWhatItCannotSayIsRefused() {
        JsonObject answer = CohereTranslation.answer(
                COHERE,
                new JsonObject("{\"response_id\":\"r\",\"text\":\"\",\"finish_reason\":\"COMPLETE\","
                        + "\"tool_calls\":[{\"name\":\"a\"}]}"));
        JsonObject message = answer.getJsonArray("choices").getJsonObject(0).getJsonObject("message");
        assertThat(message.getJsonArray("tool_calls")
                        .getJsonObject(0)
                        .getJsonObject("function")
                        .getString("arguments"))
                .as("a call without parameters has empty arguments")
                .isEqualTo("{}");
        for (String schema : List.of(
                "{\"type\":\"object\",\"properties\":{\"p\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}}}",
                "{\"type\":\"object\",\"properties\":{\"p\":{\"type\":[\"string\",\"null\"]}}}",
                "{\"type\":\"object\",\"properties\":{\"p\":{\"description\":\"anything\"}}}",
                "{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
                        + "\"properties\":{\"q\":{\"type\":\"string\"}}}}}}",
                "{\"type\":\"object\",\"$defs\":{},\"properties\":{}}",
                "{\"type\":\"array\"}")) {
            JsonObject request = new JsonObject("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"tools\":"
                    + "[{\"type\":\"function\",\"function\":{\"name\":\"t\",\"parameters\":" + schema + "}}]}");
            assertThatThrownBy(() -> CohereTranslation.request(COHERE, request))
                    .as(schema)
                    .isInstanceOf(RefusedRequest.class)
                    .hasMessageStartingWith("Tool 't': parameters");
        }
        JsonObject sent = CohereTranslation.request(
                COHERE,
                new JsonObject("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"tools\":"
                        + "[{\"type\":\"function\",\"function\":{\"name\":\"t\"}}]}"));
        assertThat(sent.getJsonArray("tools").encode()).isEqualTo("[{\"name\":\"t\",\"description\":\"\"}]");
    }

    private static JsonObject delta(JsonObject chunk) {
        return chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
    }
}
