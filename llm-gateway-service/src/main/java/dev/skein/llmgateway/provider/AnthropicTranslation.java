package dev.skein.llmgateway.provider;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Anthropic's Messages API ({@code POST /v1/messages}) ↔ the OpenAI shapes the rest of the gateway speaks, as
 * MLflow's Anthropic provider maps them ({@code mlflow/gateway/providers/anthropic.py}): {@code stop} becomes
 * {@code stop_sequences}, {@code max_tokens} defaults to 1000 and may not pass 1,000,000, {@code n} must be 1, the
 * system messages are joined into {@code system}, temperature is halved (Anthropic's range is 0–1, MLflow's 0–2),
 * {@code temperature} and {@code top_p} together are refused; answers' text blocks become choices, {@code
 * max_tokens} stops become {@code length} (others {@code stop}), {@code input_tokens}/{@code output_tokens} become
 * OpenAI's usage. A completion is sent as one user message (Anthropic retired its Text Completions API). Beyond
 * MLflow: function tools, {@code tool_choice}, an assistant's {@code tool_calls} and {@code tool} results translated
 * to Anthropic's blocks, and its {@code tool_use} blocks back as {@code tool_calls} (streamed as their deltas).
 */
public final class AnthropicTranslation {

    /** MLflow's MLFLOW_AI_GATEWAY_ANTHROPIC_DEFAULT_MAX_TOKENS and _MAXIMUM_MAX_TOKENS. */
    static final int DEFAULT_MAX_TOKENS = 1000;

    static final int MAXIMUM_MAX_TOKENS = 1_000_000;

    private AnthropicTranslation() {}

    /** A request the provider cannot take, with MLflow's message (422). */
    public static final class Refused extends RefusedRequest {
        public Refused(String message) {
            super(message);
        }
    }

    /** An OpenAI-shaped chat request (its {@code messages}) as Anthropic's; {@code model} is added by the provider. */
    public static JsonObject chatRequest(JsonObject payload) {
        JsonObject out = payload.copy();
        if (out.containsKey("top_p") && out.containsKey("temperature")) {
            throw new Refused("Cannot set both 'temperature' and 'top_p' parameters.");
        }
        Object maxTokens = out.getValue("max_tokens", DEFAULT_MAX_TOKENS);
        if (maxTokens instanceof Number n && n.longValue() > MAXIMUM_MAX_TOKENS) {
            throw new Refused("Invalid value for max_tokens: cannot exceed " + MAXIMUM_MAX_TOKENS + ".");
        }
        out.put("max_tokens", maxTokens);
        Object n = out.remove("n");
        if (n != null && !(n instanceof Number num && num.doubleValue() == 1)) {
            throw new Refused("'n' must be '1' for the Anthropic provider. Received value: '" + n + "'.");
        }
        if (out.containsKey("stop")) {
            out.put("stop_sequences", out.remove("stop"));
        }
        out.remove("stream_options"); // OpenAI's: Anthropic reports the usage of every stream
        JsonArray messages = out.getJsonArray("messages", new JsonArray());
        StringBuilder system = new StringBuilder();
        JsonArray chat = new JsonArray();
        for (Object m : messages) {
            if (!(m instanceof JsonObject message)) {
                continue;
            }
            String role = message.getString("role", "");
            if (role.equals("system")) {
                if (!system.isEmpty()) {
                    system.append('\n');
                }
                system.append(String.valueOf(message.getValue("content")));
            } else if (role.equals("assistant") && message.getValue("tool_calls") instanceof JsonArray calls) {
                chat.add(new JsonObject().put("role", "assistant").put("content", toolUses(message, calls)));
            } else if (role.equals("tool")) {
                // Anthropic's tool results are blocks of a user message, one user message for consecutive results
                JsonObject result = new JsonObject()
                        .put("type", "tool_result")
                        .put("tool_use_id", message.getValue("tool_call_id"))
                        .put("content", String.valueOf(message.getValue("content", "")));
                blocksOfLastUser(chat).add(result);
            } else if (role.equals("user") && lastIsToolResults(chat)) {
                blocksOfLastUser(chat).add(text(message.getValue("content")));
            } else if (role.equals("user") || role.equals("assistant")) {
                chat.add(new JsonObject().put("role", role).put("content", message.getValue("content")));
            }
        }
        out.put("messages", chat);
        if (out.getValue("tools") instanceof JsonArray tools) {
            out.put("tools", tools(tools));
        } else {
            out.remove("tools");
        }
        Object choice = out.remove("tool_choice");
        if (choice != null) {
            out.put("tool_choice", toolChoice(choice));
        }
        if (Boolean.FALSE.equals(out.remove("parallel_tool_calls"))
                && out.getValue("tool_choice") instanceof JsonObject c) {
            c.put("disable_parallel_tool_use", true);
        }
        if (!system.isEmpty()) {
            out.put("system", system.toString());
        }
        if (out.getValue("temperature") instanceof Number t) {
            out.put("temperature", 0.5 * t.doubleValue());
        }
        return out;
    }

    private static String finish(Object stopReason) {
        if (stopReason == null) {
            return null;
        }
        return switch (String.valueOf(stopReason)) {
            case "max_tokens" -> "length";
            case "tool_use" -> "tool_calls";
            default -> "stop";
        };
    }

    /** OpenAI's function tools as Anthropic's ({@code name}, {@code description}, {@code input_schema}). */
    private static JsonArray tools(JsonArray tools) {
        JsonArray out = new JsonArray();
        for (Object t : tools) {
            if (!(t instanceof JsonObject tool)
                    || !"function".equals(tool.getValue("type"))
                    || !(tool.getValue("function") instanceof JsonObject function)
                    || !(function.getValue("name") instanceof String name)) {
                throw new Refused("The Anthropic provider takes tools of type 'function' with a name only.");
            }
            JsonObject anthropic = new JsonObject()
                    .put("name", name)
                    .put(
                            "input_schema",
                            function.getValue("parameters") instanceof JsonObject schema
                                    ? schema
                                    : new JsonObject().put("type", "object"));
            if (function.getValue("description") instanceof String description) {
                anthropic.put("description", description);
            }
            out.add(anthropic);
        }
        return out;
    }

    /** OpenAI's {@code tool_choice} as Anthropic's. */
    private static JsonObject toolChoice(Object choice) {
        if (choice instanceof String mode) {
            return switch (mode) {
                case "auto" -> new JsonObject().put("type", "auto");
                case "none" -> new JsonObject().put("type", "none");
                case "required" -> new JsonObject().put("type", "any");
                default -> throw new Refused("Invalid tool_choice '" + mode + "': auto, none, required or a function.");
            };
        }
        if (choice instanceof JsonObject c
                && c.getValue("function") instanceof JsonObject f
                && f.getValue("name") instanceof String name) {
            return new JsonObject().put("type", "tool").put("name", name);
        }
        throw new Refused("Invalid tool_choice: auto, none, required or {type: function, function: {name}}.");
    }

    /** An assistant's {@code tool_calls} (and its text) as Anthropic's {@code text} and {@code tool_use} blocks. */
    private static JsonArray toolUses(JsonObject message, JsonArray calls) {
        JsonArray blocks = new JsonArray();
        if (message.getValue("content") instanceof String content && !content.isEmpty()) {
            blocks.add(text(content));
        }
        for (Object c : calls) {
            if (!(c instanceof JsonObject call)
                    || !(call.getValue("function") instanceof JsonObject function)
                    || !(function.getValue("name") instanceof String name)) {
                throw new Refused("tool_calls[].function.name is required");
            }
            Object input;
            try {
                input = new JsonObject(String.valueOf(function.getValue("arguments", "{}")));
            } catch (RuntimeException e) {
                throw new Refused("tool_calls[].function.arguments must be a JSON object");
            }
            blocks.add(new JsonObject()
                    .put("type", "tool_use")
                    .put("id", call.getValue("id"))
                    .put("name", name)
                    .put("input", input));
        }
        return blocks;
    }

    private static JsonObject text(Object content) {
        return new JsonObject().put("type", "text").put("text", String.valueOf(content));
    }

    private static boolean lastIsToolResults(JsonArray chat) {
        return !chat.isEmpty()
                && chat.getValue(chat.size() - 1) instanceof JsonObject last
                && "user".equals(last.getValue("role"))
                && last.getValue("content") instanceof JsonArray blocks
                && !blocks.isEmpty()
                && blocks.getValue(0) instanceof JsonObject b
                && "tool_result".equals(b.getValue("type"));
    }

    /** The blocks of the last message if it is a user message of tool results, else of a new user message. */
    private static JsonArray blocksOfLastUser(JsonArray chat) {
        if (lastIsToolResults(chat)) {
            return chat.getJsonObject(chat.size() - 1).getJsonArray("content");
        }
        JsonArray blocks = new JsonArray();
        chat.add(new JsonObject().put("role", "user").put("content", blocks));
        return blocks;
    }

    /** Anthropic's message as OpenAI's {@code chat.completion}: one choice per text block. */
    public static JsonObject chatResponse(JsonObject resp) {
        JsonArray choices = new JsonArray();
        Object content = resp.getValue("content");
        if (!(content instanceof JsonArray blocks)) {
            throw new UpstreamException(502, "The provider's answer cannot be read: content missing");
        }
        JsonArray toolCalls = new JsonArray();
        StringBuilder texts = new StringBuilder();
        for (Object b : blocks) {
            if (b instanceof JsonObject block && "tool_use".equals(block.getValue("type"))) {
                toolCalls.add(new JsonObject()
                        .put("id", block.getValue("id"))
                        .put("type", "function")
                        .put(
                                "function",
                                new JsonObject()
                                        .put("name", block.getValue("name"))
                                        .put(
                                                "arguments",
                                                block.getValue("input") instanceof JsonObject input
                                                        ? input.encode()
                                                        : "{}")));
            } else if (b instanceof JsonObject block && block.getValue("text") instanceof String text) {
                texts.append(text);
            }
        }
        if (!toolCalls.isEmpty()) {
            // one choice: the text said around the calls, and the calls (OpenAI's shape)
            choices.add(new JsonObject()
                    .put("index", 0)
                    .put(
                            "message",
                            new JsonObject()
                                    .put("role", "assistant")
                                    .put("content", texts.isEmpty() ? null : texts.toString())
                                    .put("tool_calls", toolCalls))
                    .put("finish_reason", finish(resp.getValue("stop_reason"))));
            blocks = new JsonArray(); // the text blocks are in that choice already
        }
        for (Object b : blocks) {
            if (b instanceof JsonObject block && "text".equals(block.getValue("type"))) {
                choices.add(new JsonObject()
                        .put("index", choices.size())
                        .put(
                                "message",
                                new JsonObject().put("role", "assistant").put("content", block.getValue("text")))
                        .put("finish_reason", finish(resp.getValue("stop_reason"))));
            }
        }
        return new JsonObject()
                .put("id", resp.getValue("id"))
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", resp.getValue("model"))
                .put("choices", choices)
                .put("usage", usage(resp.getValue("usage"), null));
    }

    private static JsonObject usage(Object value, Long input) {
        if (!(value instanceof JsonObject u)) {
            return null;
        }
        long in = u.getValue("input_tokens") instanceof Number n ? n.longValue() : input == null ? 0 : input;
        long out = u.getValue("output_tokens") instanceof Number n ? n.longValue() : 0;
        return new JsonObject()
                .put("prompt_tokens", in)
                .put("completion_tokens", out)
                .put("total_tokens", in + out);
    }

    /**
     * One Anthropic stream, event by event, as OpenAI's chunks: {@code message_start} gives the id, model and
     * input tokens (and a first chunk with the role), each {@code content_block_delta}'s text a chunk, {@code
     * message_delta} the last chunk (its finish reason, and the usage), {@code message_stop} the end; {@code ping}
     * and the block starts and stops nothing. An {@code error} event is passed on as OpenAI's {@code error}.
     */
    public static final class Stream implements StreamDialect {
        /** The end of the stream, as OpenAI's {@code [DONE]}. */
        public static final JsonObject END = StreamDialect.END;

        private String id;
        private Object model;
        /** Anthropic's content block index of each tool call → its index among OpenAI's tool_calls. */
        private final java.util.Map<String, Integer> tools = new java.util.HashMap<>();

        private Long inputTokens;

        /** The OpenAI chunk for an event, {@link #END}, or null for an event with nothing for the client. */
        @Override
        public JsonObject next(JsonObject event) {
            String type = String.valueOf(event.getValue("type"));
            switch (type) {
                case "message_start" -> {
                    JsonObject message = event.getJsonObject("message", new JsonObject());
                    id = message.getString("id");
                    model = message.getValue("model");
                    JsonObject u = message.getJsonObject("usage");
                    inputTokens = u != null && u.getValue("input_tokens") instanceof Number n ? n.longValue() : null;
                    return chunk(new JsonObject().put("role", "assistant").put("content", ""), null);
                }
                case "content_block_start" -> {
                    JsonObject block = event.getJsonObject("content_block", new JsonObject());
                    if (!"tool_use".equals(block.getValue("type"))) {
                        return null;
                    }
                    // a tool call begins: OpenAI's first tool_calls delta (its id, name and no arguments yet)
                    int index = tools.size();
                    tools.put(String.valueOf(event.getValue("index")), index);
                    return chunk(
                            StreamDialect.toolCallBegins(index, block.getValue("id"), block.getValue("name")), null);
                }
                case "content_block_delta" -> {
                    JsonObject delta = event.getJsonObject("delta", new JsonObject());
                    if (delta.getValue("partial_json") instanceof String json) {
                        Integer index = tools.get(String.valueOf(event.getValue("index")));
                        return index == null ? null : chunk(StreamDialect.toolCallArguments(index, json), null);
                    }
                    return delta.getValue("text") instanceof String text
                            ? chunk(new JsonObject().put("content", text), null)
                            : null;
                }
                case "message_delta" -> {
                    JsonObject delta = event.getJsonObject("delta", new JsonObject());
                    JsonObject last = chunk(new JsonObject(), finish(delta.getValue("stop_reason")));
                    JsonObject usage = usage(event.getValue("usage"), inputTokens);
                    if (usage != null) {
                        last.put("usage", usage);
                    }
                    return last;
                }
                case "message_stop" -> {
                    return END;
                }
                case "error" -> {
                    return new JsonObject().put("error", event.getValue("error"));
                }
                default -> {
                    return null; // ping, content_block_stop
                }
            }
        }

        private JsonObject chunk(JsonObject delta, String finish) {
            return new JsonObject()
                    .put("id", id)
                    .put("object", "chat.completion.chunk")
                    .put("created", System.currentTimeMillis() / 1000)
                    .put("model", model)
                    .put(
                            "choices",
                            new JsonArray()
                                    .add(new JsonObject()
                                            .put("index", 0)
                                            .put("delta", delta)
                                            .put("finish_reason", finish)));
        }
    }
}
