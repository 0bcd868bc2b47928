package dev.skein.llmgateway.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Anthropic's tool use in both directions, as Anthropic's Messages API documents its blocks and stream events. */
class AnthropicToolsTest {

    private static final JsonObject WEATHER = new JsonObject()
            .put("type", "function")
            .put(
                    "function",
                    new JsonObject()
                            .put("name", "get_weather")
                            .put("description", "The weather in a city")
                            .put(
                                    "parameters",
                                    new JsonObject()
                                            .put("type", "object")
                                            .put(
                                                    "properties",
                                                    new JsonObject()
                                                            .put("city", new JsonObject().put("type", "string")))));

    @Test
    void toolsToolChoiceCallsAndResultsBecomeAnthropicsBlocks() {
        JsonObject request = new JsonObject()
                .put("tools", new JsonArray().add(WEATHER))
                .put("tool_choice", "required")
                .put("parallel_tool_calls", false)
                .put(
                        "messages",
                        new JsonArray()
                                .add(new JsonObject().put("role", "user").put("content", "Weather in Paris?"))
                                .add(new JsonObject()
                                        .put("role", "assistant")
                                        .put("content", "Let me look.")
                                        .put(
                                                "tool_calls",
                                                new JsonArray()
                                                        .add(new JsonObject()
                                                                .put("id", "toolu_1")
                                                                .put("type", "function")
                                                                .put(
                                                                        "function",
                                                                        new JsonObject()
                                                                                .put("name", "get_weather")
                                                                                .put(
                                                                                        "arguments",
                                                                                        "{\"city\":\"Paris\"}")))))
                                .add(new JsonObject()
                                        .put("role", "tool")
                                        .put("tool_call_id", "toolu_1")
                                        .put("content", "18°C, sunny"))
                                .add(new JsonObject().put("role", "user").put("content", "Thanks!")));
        JsonObject sent = AnthropicTranslation.chatRequest(request);
        assertThat(sent.getJsonArray("tools").encode())
                .isEqualTo("[{\"name\":\"get_weather\",\"input_schema\":{\"type\":\"object\",\"properties\":"
                        + "{\"city\":{\"type\":\"string\"}}},\"description\":\"The weather in a city\"}]");
        assertThat(sent.getJsonObject("tool_choice").encode())
                .isEqualTo("{\"type\":\"any\",\"disable_parallel_tool_use\":true}");
        assertThat(sent.containsKey("parallel_tool_calls")).isFalse();
        JsonArray messages = sent.getJsonArray("messages");
        assertThat(messages).hasSize(3); // user, assistant, one user message with the result and the next text
        assertThat(messages.getJsonObject(1).getJsonArray("content").encode())
                .isEqualTo("[{\"type\":\"text\",\"text\":\"Let me look.\"},{\"type\":\"tool_use\",\"id\":\"toolu_1\","
                        + "\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}}]");
        assertThat(messages.getJsonObject(2).getString("role")).isEqualTo("user");
        assertThat(messages.getJsonObject(2).getJsonArray("content").encode())
                .isEqualTo("[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"18°C, sunny\"},"
                        + "{\"type\":\"text\",\"text\":\"Thanks!\"}]");

        JsonObject named = AnthropicTranslation.chatRequest(new JsonObject()
                .put(
                        "messages",
                        new JsonArray().add(new JsonObject().put("role", "user").put("content", "x")))
                .put("tools", new JsonArray().add(WEATHER))
                .put(
                        "tool_choice",
                        new JsonObject().put("type", "function").put("function", WEATHER.getJsonObject("function"))));
        assertThat(named.getJsonObject("tool_choice").encode())
                .isEqualTo("{\"type\":\"tool\",\"name\":\"get_weather\"}");
    }

    @Test
    void whatAnthropicCannotTakeIsRefusedWithAReason() {
        JsonArray hi = new JsonArray().add(new JsonObject().put("role", "user").put("content", "x"));
        assertThatThrownBy(() -> AnthropicTranslation.chatRequest(new JsonObject()
                        .put("messages", hi)
                        .put("tools", new JsonArray().add(new JsonObject().put("type", "code_interpreter")))))
                .isInstanceOf(RefusedRequest.class)
                .hasMessageContaining("type 'function'");
        assertThatThrownBy(() -> AnthropicTranslation.chatRequest(new JsonObject()
                        .put(
                                "messages",
                                new JsonArray()
                                        .add(new JsonObject()
                                                .put("role", "assistant")
                                                .put(
                                                        "tool_calls",
                                                        new JsonArray()
                                                                .add(new JsonObject()
                                                                        .put(
                                                                                "function",
                                                                                new JsonObject()
                                                                                        .put("name", "f")
                                                                                        .put(
                                                                                                "arguments",
                                                                                                "not json"))))))))
                .isInstanceOf(RefusedRequest.class)
                .hasMessageContaining("arguments must be a JSON object");
        assertThatThrownBy(() -> AnthropicTranslation.chatRequest(
                        new JsonObject().put("messages", hi).put("tool_choice", "sometimes")))
                .isInstanceOf(RefusedRequest.class);
    }

    @Test
    void toolUseBlocksComeBackAsOneChoiceWithToolCalls() {
        JsonObject answer = AnthropicTranslation.chatResponse(new JsonObject()
                .put("id", "msg_1")
                .put("model", "claude")
                .put("stop_reason", "tool_use")
                .put(
                        "content",
                        new JsonArray()
                                .add(new JsonObject().put("type", "text").put("text", "Checking."))
                                .add(new JsonObject()
                                        .put("type", "tool_use")
                                        .put("id", "toolu_9")
                                        .put("name", "get_weather")
                                        .put("input", new JsonObject().put("city", "Oslo"))))
                .put("usage", new JsonObject().put("input_tokens", 20).put("output_tokens", 7)));
        JsonArray choices = answer.getJsonArray("choices");
        assertThat(choices).hasSize(1);
        JsonObject choice = choices.getJsonObject(0);
        assertThat(choice.getString("finish_reason")).isEqualTo("tool_calls");
        JsonObject message = choice.getJsonObject("message");
        assertThat(message.getString("content")).isEqualTo("Checking.");
        JsonObject call = message.getJsonArray("tool_calls").getJsonObject(0);
        assertThat(call.getString("id")).isEqualTo("toolu_9");
        assertThat(call.getString("type")).isEqualTo("function");
        assertThat(call.getJsonObject("function").getString("name")).isEqualTo("get_weather");
        assertThat(new JsonObject(call.getJsonObject("function").getString("arguments")).getString("city"))
                .isEqualTo("Oslo");
        assertThat(answer.getJsonObject("usage").getLong("total_tokens")).isEqualTo(27);
    }

    @Test
    void aStreamedToolUseBecomesOpenAisToolCallDeltas() {
        AnthropicTranslation.Stream stream = new AnthropicTranslation.Stream();
        List<JsonObject> chunks = new ArrayList<>();
        for (String event : List.of(
                "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"model\":\"claude\",\"usage\":{\"input_tokens\":12}}}",
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Sure.\"}}",
                "{\"type\":\"content_block_stop\",\"index\":0}",
                "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_5\",\"name\":\"get_weather\",\"input\":{}}}",
                "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \"}}",
                "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Rome\\\"}\"}}",
                "{\"type\":\"content_block_stop\",\"index\":1}",
                "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}",
                "{\"type\":\"message_stop\"}")) {
            JsonObject chunk = stream.next(new JsonObject(event));
            if (chunk != null) {
                chunks.add(chunk);
            }
        }
        assertThat(chunks.get(chunks.size() - 1)).isSameAs(StreamDialect.END);
        List<JsonObject> deltas = chunks.subList(0, chunks.size() - 1).stream()
                .map(c -> c.getJsonArray("choices").getJsonObject(0).getJsonObject("delta"))
                .toList();
        assertThat(deltas.get(1).getString("content")).isEqualTo("Sure.");
        JsonObject first = deltas.get(2).getJsonArray("tool_calls").getJsonObject(0);
        assertThat(first.getInteger("index")).isZero();
        assertThat(first.getString("id")).isEqualTo("toolu_5");
        assertThat(first.getJsonObject("function").getString("name")).isEqualTo("get_weather");
        StringBuilder arguments = new StringBuilder();
        for (JsonObject d : deltas.subList(3, 5)) {
            JsonObject call = d.getJsonArray("tool_calls").getJsonObject(0);
            assertThat(call.getInteger("index")).isZero();
            arguments.append(call.getJsonObject("function").getString("arguments"));
        }
        assertThat(new JsonObject(arguments.toString()).getString("city")).isEqualTo("Rome");
        JsonObject last = chunks.get(chunks.size() - 2);
        assertThat(last.getJsonArray("choices").getJsonObject(0).getString("finish_reason"))
                .isEqualTo("tool_calls");
        assertThat(last.getJsonObject("usage").getLong("total_tokens")).isEqualTo(21);
    }
}
