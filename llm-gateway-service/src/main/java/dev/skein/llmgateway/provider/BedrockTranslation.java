package dev.skein.llmgateway.provider;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import software.amazon.awssdk.eventstream.HeaderValue;
import software.amazon.awssdk.eventstream.Message;
import software.amazon.awssdk.eventstream.MessageDecoder;

/**
 * Amazon Bedrock's Converse API ({@code POST /model/{modelId}/converse}, {@code /converse-stream}) and Titan's
 * embeddings ({@code POST /model/{modelId}/invoke}) ↔ the OpenAI shapes the rest of the gateway speaks. System
 * messages become {@code system}, {@code max_tokens}/{@code temperature} (halved, as MLflow does for Bedrock's
 * models: their range is 0–1, MLflow's 0–2)/{@code top_p}/{@code stop} {@code inferenceConfig}, OpenAI's
 * {@code tools} Converse's {@code toolConfig}, assistant tool calls {@code toolUse} blocks and {@code tool}
 * messages {@code toolResult} blocks (consecutive messages of one role merged: Converse wants them alternating);
 * the answer's text blocks one choice, its {@code toolUse} blocks {@code tool_calls}, {@code stopReason}
 * end_turn/stop_sequence {@code stop}, max_tokens {@code length}, tool_use {@code tool_calls},
 * guardrail_intervened/content_filtered {@code content_filter}, {@code inputTokens}/{@code outputTokens} the
 * usage. {@code n} must be 1. MLflow 2.17's own Bedrock provider calls InvokeModel with each model family's body
 * instead, for completions only.
 */
public final class BedrockTranslation {

    /** The content type of Bedrock's streams (AWS's binary event-stream framing). */
    public static final String EVENT_STREAM = "application/vnd.amazon.eventstream";

    private BedrockTranslation() {}

    /** The path of a call under the endpoint's base: Converse (streamed or not), or InvokeModel for embeddings. */
    static String path(String modelId, boolean embeddings, boolean stream) {
        String model = "/model/" + software.amazon.awssdk.utils.http.SdkHttpUtils.urlEncode(modelId);
        return embeddings ? model + "/invoke" : model + (stream ? "/converse-stream" : "/converse");
    }

    /** An OpenAI-shaped chat request (a completion already one user message) as Converse's. */
    public static JsonObject chatRequest(JsonObject payload) {
        Object n = payload.getValue("n");
        if (n != null && !(n instanceof Number num && num.doubleValue() == 1)) {
            throw refused("'n' must be '1' for the Amazon Bedrock provider. Received value: '" + n + "'.");
        }
        JsonArray system = new JsonArray();
        JsonArray messages = new JsonArray();
        for (Object value : payload.getJsonArray("messages", new JsonArray())) {
            if (!(value instanceof JsonObject message)) {
                continue;
            }
            Object content = message.getValue("content");
            String role = String.valueOf(message.getValue("role"));
            switch (role) {
                case "system", "developer" -> system.addAll(blocks(content));
                case "user" -> append(messages, "user", blocks(content));
                case "assistant" -> {
                    JsonArray blocks = content == null ? new JsonArray() : blocks(content);
                    if (message.getValue("tool_calls") instanceof JsonArray calls) {
                        for (Object c : calls) {
                            blocks.add(new JsonObject().put("toolUse", toolUse(c)));
                        }
                    }
                    append(messages, "assistant", blocks);
                }
                case "tool" ->
                    append(
                            messages,
                            "user",
                            new JsonArray()
                                    .add(new JsonObject()
                                            .put(
                                                    "toolResult",
                                                    new JsonObject()
                                                            .put("toolUseId", message.getValue("tool_call_id"))
                                                            .put("content", blocks(content)))));
                default -> throw refused("The Amazon Bedrock provider does not take messages of role '" + role + "'.");
            }
        }
        JsonObject out = new JsonObject().put("messages", messages);
        if (!system.isEmpty()) {
            out.put("system", system);
        }
        JsonObject inference = new JsonObject();
        if (payload.getValue("max_tokens") != null) {
            inference.put("maxTokens", payload.getValue("max_tokens"));
        }
        if (payload.getValue("temperature") instanceof Number t) {
            inference.put("temperature", 0.5 * t.doubleValue());
        }
        if (payload.getValue("top_p") != null) {
            inference.put("topP", payload.getValue("top_p"));
        }
        if (payload.getValue("stop") instanceof JsonArray stop) {
            inference.put("stopSequences", stop);
        } else if (payload.getValue("stop") instanceof String stop) {
            inference.put("stopSequences", new JsonArray().add(stop));
        }
        if (!inference.isEmpty()) {
            out.put("inferenceConfig", inference);
        }
        if (payload.getValue("tools") instanceof JsonArray tools && !tools.isEmpty()) {
            out.put("toolConfig", toolConfig(tools, payload.getValue("tool_choice")));
        }
        return out;
    }

    /** A message's content (a string, or OpenAI's text parts) as Converse's text blocks. */
    private static JsonArray blocks(Object content) {
        JsonArray blocks = new JsonArray();
        if (content instanceof String text) {
            // Converse refuses a blank text block (an assistant's "" beside its tool calls)
            return text.isEmpty() ? blocks : blocks.add(new JsonObject().put("text", text));
        }
        if (content instanceof JsonArray parts) {
            for (Object p : parts) {
                if (p instanceof JsonObject part && "text".equals(part.getValue("type"))) {
                    blocks.add(new JsonObject().put("text", part.getValue("text")));
                } else {
                    throw refused("The Amazon Bedrock provider takes text content only.");
                }
            }
            return blocks;
        }
        throw refused("The Amazon Bedrock provider takes text content only.");
    }

    private static void append(JsonArray messages, String role, JsonArray blocks) {
        if (!messages.isEmpty()
                && role.equals(messages.getJsonObject(messages.size() - 1).getValue("role"))) {
            messages.getJsonObject(messages.size() - 1).getJsonArray("content").addAll(blocks);
        } else {
            messages.add(new JsonObject().put("role", role).put("content", blocks));
        }
    }

    /** OpenAI's tool call (its arguments a JSON string) as Converse's {@code toolUse} (its input a JSON object). */
    private static JsonObject toolUse(Object value) {
        if (!(value instanceof JsonObject call) || !(call.getValue("function") instanceof JsonObject function)) {
            throw refused("tool_calls: {id, type, function: {name, arguments}} expected.");
        }
        JsonObject input;
        try {
            Object arguments = function.getValue("arguments");
            input = arguments == null ? new JsonObject() : new JsonObject(String.valueOf(arguments));
        } catch (DecodeException | ClassCastException e) {
            throw refused("tool_calls: the Amazon Bedrock provider needs each call's arguments as a JSON object.");
        }
        return new JsonObject()
                .put("toolUseId", call.getValue("id"))
                .put("name", function.getValue("name"))
                .put("input", input);
    }

    /** OpenAI's {@code tools} and {@code tool_choice} as Converse's {@code toolConfig}. */
    private static JsonObject toolConfig(JsonArray tools, Object choice) {
        JsonArray specs = new JsonArray();
        for (Object t : tools) {
            if (!(t instanceof JsonObject tool) || !(tool.getValue("function") instanceof JsonObject function)) {
                throw refused("tools: [{type: function, function: {name, description, parameters}}] expected.");
            }
            JsonObject spec = new JsonObject().put("name", function.getValue("name"));
            if (function.getValue("description") != null) {
                spec.put("description", function.getValue("description"));
            }
            Object parameters = function.getValue("parameters");
            spec.put(
                    "inputSchema",
                    new JsonObject()
                            .put(
                                    "json",
                                    parameters instanceof JsonObject p
                                            ? p
                                            : new JsonObject()
                                                    .put("type", "object")
                                                    .put("properties", new JsonObject())));
            specs.add(new JsonObject().put("toolSpec", spec));
        }
        JsonObject config = new JsonObject().put("tools", specs);
        if ("required".equals(choice)) {
            config.put("toolChoice", new JsonObject().put("any", new JsonObject()));
        } else if ("auto".equals(choice)) {
            config.put("toolChoice", new JsonObject().put("auto", new JsonObject()));
        } else if (choice instanceof JsonObject c && c.getValue("function") instanceof JsonObject f) {
            config.put("toolChoice", new JsonObject().put("tool", new JsonObject().put("name", f.getValue("name"))));
        } // "none" has no Converse equivalent: the model's default (auto)
        return config;
    }

    static String finish(Object stopReason) {
        if (stopReason == null) {
            return null;
        }
        return switch (String.valueOf(stopReason)) {
            case "max_tokens" -> "length";
            case "tool_use" -> "tool_calls";
            case "guardrail_intervened", "content_filtered" -> "content_filter";
            default -> "stop"; // end_turn, stop_sequence
        };
    }

    /** Converse's answer as OpenAI's {@code chat.completion}: its text one choice, its tool uses its tool calls. */
    public static JsonObject chatResponse(JsonObject resp, String model) {
        JsonObject output = object(resp.getValue("output"), "output");
        JsonObject message = object(output.getValue("message"), "output.message");
        if (!(message.getValue("content") instanceof JsonArray content)) {
            throw unreadable("output.message.content");
        }
        StringBuilder text = null;
        JsonArray calls = new JsonArray();
        for (Object b : content) {
            JsonObject block = object(b, "output.message.content[]");
            if (block.getValue("text") instanceof String t) {
                text = text == null ? new StringBuilder(t) : text.append(t);
            } else if (block.getValue("toolUse") instanceof JsonObject use) {
                calls.add(new JsonObject()
                        .put("id", use.getValue("toolUseId"))
                        .put("type", "function")
                        .put(
                                "function",
                                new JsonObject()
                                        .put("name", use.getValue("name"))
                                        .put("arguments", encode(use.getValue("input")))));
            }
        }
        JsonObject answer =
                new JsonObject().put("role", "assistant").put("content", text == null ? null : text.toString());
        if (!calls.isEmpty()) {
            answer.put("tool_calls", calls);
        }
        return new JsonObject()
                .put("id", "chatcmpl-" + UUID.randomUUID())
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", model)
                .put(
                        "choices",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("index", 0)
                                        .put("message", answer)
                                        .put("finish_reason", finish(resp.getValue("stopReason")))))
                .put("usage", usage(resp.getValue("usage")));
    }

    private static String encode(Object input) {
        return input instanceof JsonObject o ? o.encode() : input instanceof JsonArray a ? a.encode() : "{}";
    }

    private static JsonObject usage(Object value) {
        if (!(value instanceof JsonObject u)) {
            return new JsonObject();
        }
        long in = u.getValue("inputTokens") instanceof Number n ? n.longValue() : 0;
        long out = u.getValue("outputTokens") instanceof Number n ? n.longValue() : 0;
        long total = u.getValue("totalTokens") instanceof Number n ? n.longValue() : in + out;
        return new JsonObject()
                .put("prompt_tokens", in)
                .put("completion_tokens", out)
                .put("total_tokens", total);
    }

    /** Titan's embeddings body per input ({@code inputText}; {@code dimensions} passed on): one call each. */
    /** The most inputs of one embeddings request: Titan embeds one text per call. */
    static final int MAX_EMBEDDING_INPUTS = 128;

    public static List<JsonObject> embeddingsRequests(JsonObject payload) {
        Object input = payload.getValue("input");
        JsonArray inputs = input instanceof JsonArray list ? list : new JsonArray().add(input);
        if (inputs.size() > MAX_EMBEDDING_INPUTS) {
            // one signed call per input: a long list would be that many calls counted as one
            throw refused("The Amazon Bedrock provider embeds at most " + MAX_EMBEDDING_INPUTS
                    + " inputs per request (one call each); this request has " + inputs.size() + ".");
        }
        List<JsonObject> bodies = new ArrayList<>();
        for (Object text : inputs) {
            if (!(text instanceof String s)) {
                throw refused("The Amazon Bedrock provider embeds text: input must be a string or a list of strings.");
            }
            JsonObject body = new JsonObject().put("inputText", s);
            if (payload.getValue("dimensions") != null) {
                body.put("dimensions", payload.getValue("dimensions"));
            }
            bodies.add(body);
        }
        return bodies;
    }

    /** Titan's answers ({@code embedding}, {@code inputTextTokenCount}), in input order, as OpenAI's list. */
    public static JsonObject embeddingsResponse(List<JsonObject> answers, String model) {
        JsonArray data = new JsonArray();
        long tokens = 0;
        for (JsonObject answer : answers) {
            if (!(answer.getValue("embedding") instanceof JsonArray embedding)) {
                throw unreadable("embedding");
            }
            data.add(new JsonObject().put("embedding", embedding));
            tokens += answer.getValue("inputTextTokenCount") instanceof Number n ? n.longValue() : 0;
        }
        return new JsonObject()
                .put("object", "list")
                .put("data", data)
                .put("model", model)
                .put("usage", new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens));
    }

    /**
     * One {@code converse-stream} answer, frame by frame, as OpenAI's chunks. Each frame (AWS's event stream:
     * prelude with lengths and CRC, headers, JSON payload, message CRC; decoded by the SDK's {@link MessageDecoder})
     * becomes {@code {<:event-type>: payload}}, or {@code {"exception": {type, message}}} for an exception frame.
     * {@code messageStart} gives a first chunk with the role, each {@code contentBlockDelta} a chunk of text or of a
     * tool call's arguments (its {@code contentBlockStart} the call's id and name), {@code messageStop} the last
     * choice chunk (its finish reason), {@code metadata} a chunk with no choices and the usage (the stream's end).
     */
    public static final class Stream implements StreamDialect.Framed {

        private final String id = "chatcmpl-" + UUID.randomUUID();
        private final String model;
        private final List<Message> decoded = new ArrayList<>();
        private final MessageDecoder decoder = new MessageDecoder(decoded::add);
        /** A content block's index → its tool call's index among the answer's tool calls. */
        private final Map<Integer, Integer> tools = new HashMap<>();

        private long pending;
        private boolean stopped;

        public Stream(String model) {
            this.model = model;
        }

        @Override
        public void feed(Buffer bytes, int maxBytes, Consumer<JsonObject> events) {
            pending += bytes.length();
            try {
                decoder.feed(bytes.getBytes());
            } catch (RuntimeException e) {
                throw new UpstreamException(502, "The provider sent a stream frame that cannot be read");
            }
            if (decoded.isEmpty() && pending > maxBytes) {
                throw new UpstreamException(502, "The provider sent an event larger than " + maxBytes + " bytes");
            }
            List<Message> messages = List.copyOf(decoded);
            decoded.clear();
            if (!messages.isEmpty()) {
                pending = 0;
            }
            for (Message message : messages) {
                events.accept(event(message));
            }
        }

        private static JsonObject event(Message message) {
            Map<String, HeaderValue> headers = message.getHeaders();
            String type = header(headers, ":message-type", "event");
            String payload = new String(message.getPayload(), StandardCharsets.UTF_8);
            if (type.equals("event")) {
                JsonObject body;
                try {
                    body = payload.isBlank() ? new JsonObject() : new JsonObject(payload);
                } catch (DecodeException | ClassCastException e) {
                    throw new UpstreamException(502, "The provider sent an event that is not valid JSON");
                }
                return new JsonObject().put(header(headers, ":event-type", "unknown"), body);
            }
            String kind = type.equals("exception")
                    ? header(headers, ":exception-type", "exception")
                    : header(headers, ":error-code", "error");
            String text = header(headers, ":error-message", null);
            if (text == null) {
                try {
                    text = new JsonObject(payload).getString("message");
                } catch (DecodeException | ClassCastException e) {
                    text = null;
                }
            }
            return new JsonObject()
                    .put(
                            "exception",
                            new JsonObject()
                                    .put("type", kind)
                                    .put("message", text == null ? "The provider sent an error: " + kind : text));
        }

        private static String header(Map<String, HeaderValue> headers, String name, String otherwise) {
            HeaderValue value = headers.get(name);
            return value == null ? otherwise : value.getString();
        }

        @Override
        public boolean complete() {
            return stopped;
        }

        @Override
        public JsonObject next(JsonObject event) {
            if (event.getValue("messageStart") instanceof JsonObject) {
                return chunk(new JsonObject().put("role", "assistant").put("content", ""), null);
            }
            if (event.getValue("contentBlockStart") instanceof JsonObject start
                    && start.getValue("start") instanceof JsonObject what
                    && what.getValue("toolUse") instanceof JsonObject use) {
                int index = tools.size();
                tools.put(blockIndex(start), index);
                return chunk(
                        StreamDialect.toolCallBegins(index, use.getValue("toolUseId"), use.getValue("name")), null);
            }
            if (event.getValue("contentBlockDelta") instanceof JsonObject block
                    && block.getValue("delta") instanceof JsonObject delta) {
                if (delta.getValue("text") instanceof String text) {
                    return chunk(new JsonObject().put("content", text), null);
                }
                if (delta.getValue("toolUse") instanceof JsonObject use && tools.get(blockIndex(block)) != null) {
                    return chunk(
                            StreamDialect.toolCallArguments(
                                    tools.get(blockIndex(block)), String.valueOf(use.getValue("input", ""))),
                            null);
                }
                return null; // reasoning and other deltas: nothing for an OpenAI client
            }
            if (event.getValue("messageStop") instanceof JsonObject stop) {
                stopped = true;
                return chunk(new JsonObject(), finish(stop.getValue("stopReason")));
            }
            if (event.getValue("metadata") instanceof JsonObject metadata) {
                JsonObject usage = usage(metadata.getValue("usage"));
                return usage.isEmpty()
                        ? null
                        : chunk(null, null).put("choices", new JsonArray()).put("usage", usage);
            }
            if (event.getValue("exception") instanceof JsonObject exception) {
                return new JsonObject().put("error", exception);
            }
            return null; // contentBlockStop, and events added later
        }

        private static int blockIndex(JsonObject event) {
            return event.getValue("contentBlockIndex") instanceof Number n ? n.intValue() : 0;
        }

        private JsonObject chunk(JsonObject delta, String finish) {
            JsonObject out = new JsonObject()
                    .put("id", id)
                    .put("object", "chat.completion.chunk")
                    .put("created", System.currentTimeMillis() / 1000)
                    .put("model", model);
            if (delta != null) {
                out.put(
                        "choices",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("index", 0)
                                        .put("delta", delta)
                                        .put("finish_reason", finish)));
            }
            return out;
        }
    }

    private static AnthropicTranslation.Refused refused(String message) {
        return new AnthropicTranslation.Refused(message);
    }

    private static JsonObject object(Object value, String what) {
        if (value instanceof JsonObject o) {
            return o;
        }
        throw unreadable(what);
    }

    private static UpstreamException unreadable(String what) {
        return new UpstreamException(502, "The provider's answer could not be read (" + what + ")");
    }
}
