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
 * OpenAI's usage. A completion is sent as one user message (Anthropic retired its Text Completions API).
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
            } else if (role.equals("user") || role.equals("assistant")) {
                chat.add(new JsonObject().put("role", role).put("content", message.getValue("content")));
            }
        }
        out.put("messages", chat);
        if (!system.isEmpty()) {
            out.put("system", system.toString());
        }
        if (out.getValue("temperature") instanceof Number t) {
            out.put("temperature", 0.5 * t.doubleValue());
        }
        return out;
    }

    private static String finish(Object stopReason) {
        return stopReason == null ? null : "max_tokens".equals(stopReason) ? "length" : "stop";
    }

    /** Anthropic's message as OpenAI's {@code chat.completion}: one choice per text block. */
    public static JsonObject chatResponse(JsonObject resp) {
        JsonArray choices = new JsonArray();
        Object content = resp.getValue("content");
        if (!(content instanceof JsonArray blocks)) {
            throw new UpstreamException(502, "The provider's answer cannot be read: content missing");
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
                case "content_block_delta" -> {
                    JsonObject delta = event.getJsonObject("delta", new JsonObject());
                    return delta.getValue("text") instanceof String text
                            ? chunk(new JsonObject().put("content", text), null)
                            : null; // tool input deltas: not translated (as MLflow 2.17)
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
                    return null; // ping, content_block_start, content_block_stop
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
