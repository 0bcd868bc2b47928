package dev.skein.llmgateway.provider;

import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.EndpointType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Google's Gemini API ({@code generativelanguage.googleapis.com/v1beta}) ↔ the OpenAI shapes the rest of the gateway
 * speaks. Chat and completions go to {@code models/{model}:generateContent} (streams to {@code
 * :streamGenerateContent?alt=sse}), embeddings to {@code :batchEmbedContents}. Requests: system messages become
 * {@code systemInstruction}, assistant messages role {@code model}, {@code temperature}, {@code top_p}, {@code
 * max_tokens}, {@code stop}, {@code n} the {@code generationConfig}; OpenAI's function tools become {@code
 * functionDeclarations}, an assistant's {@code tool_calls} {@code functionCall} parts and a {@code tool} message a
 * {@code functionResponse} (named by the call it answers). Temperature is sent as it is: Gemini's range is MLflow's,
 * 0–2. Other OpenAI fields have no counterpart and are not sent; tools other than functions, and content other than
 * text, are refused. Answers: candidates become choices, {@code functionCall} parts {@code tool_calls}, {@code
 * STOP} {@code stop}, {@code MAX_TOKENS} {@code length}, the safety stops {@code content_filter}, {@code
 * usageMetadata} the usage (thinking tokens counted as output, as Google bills them). Embeddings report no usage.
 */
public final class GeminiTranslation {

    private GeminiTranslation() {}

    /** The path under the API's base: the model's method. */
    public static String path(Endpoint endpoint, boolean stream) {
        String name = endpoint.modelName();
        // "models/x" or "tunedModels/x" as given; a bare name is a model's
        String model = name.contains("/") ? name : "models/" + URLEncoder.encode(name, StandardCharsets.UTF_8);
        if (endpoint.type() == EndpointType.EMBEDDINGS) {
            return model + ":batchEmbedContents";
        }
        return model + (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
    }

    /** The request Gemini gets for an MLflow/OpenAI-shaped {@code payload} of the endpoint's type. */
    public static JsonObject request(Endpoint endpoint, JsonObject payload) {
        if (endpoint.type() == EndpointType.EMBEDDINGS) {
            return embeddingsRequest(endpoint, payload);
        }
        JsonObject chat =
                endpoint.type() == EndpointType.COMPLETIONS ? OpenAiTranslation.completionsRequest(payload) : payload;
        JsonObject out = new JsonObject();
        JsonArray contents = new JsonArray();
        JsonArray system = new JsonArray();
        Map<String, String> calls = new HashMap<>(); // an assistant's tool call id → its function's name
        Object messages = chat.getValue("messages");
        if (!(messages instanceof JsonArray list)) {
            throw new RefusedRequest("'messages' must be a list");
        }
        for (Object value : list) {
            if (!(value instanceof JsonObject message)) {
                throw new RefusedRequest("each message must be an object");
            }
            String role = String.valueOf(message.getValue("role"));
            switch (role) {
                case "system", "developer" -> system.addAll(textParts(message.getValue("content")));
                case "user" -> add(contents, "user", textParts(message.getValue("content")));
                case "assistant" -> add(contents, "model", assistantParts(message, calls));
                case "tool" -> add(contents, "user", new JsonArray().add(functionResponse(message, calls)));
                default ->
                    throw new RefusedRequest("The gemini provider does not take messages of role '" + role + "'");
            }
        }
        out.put("contents", contents);
        if (!system.isEmpty()) {
            out.put("systemInstruction", new JsonObject().put("parts", system));
        }
        JsonObject config = generationConfig(chat);
        if (!config.isEmpty()) {
            out.put("generationConfig", config);
        }
        if (chat.getValue("tools") != null) {
            out.put("tools", new JsonArray().add(new JsonObject().put("functionDeclarations", declarations(chat))));
        }
        if (chat.getValue("tool_choice") != null) {
            out.put(
                    "toolConfig",
                    new JsonObject().put("functionCallingConfig", toolChoice(chat.getValue("tool_choice"))));
        }
        return out;
    }

    /** Consecutive turns of one role become one content (Gemini alternates user and model turns). */
    private static void add(JsonArray contents, String role, JsonArray parts) {
        if (parts.isEmpty()) {
            return;
        }
        JsonObject last = contents.isEmpty() ? null : contents.getJsonObject(contents.size() - 1);
        if (last != null && role.equals(last.getString("role"))) {
            last.getJsonArray("parts").addAll(parts);
        } else {
            contents.add(new JsonObject().put("role", role).put("parts", parts));
        }
    }

    /** A message's content as text parts: a string, or OpenAI's list of {@code {type: text, text}}. */
    private static JsonArray textParts(Object content) {
        JsonArray parts = new JsonArray();
        if (content == null) {
            return parts;
        }
        if (content instanceof String text) {
            return parts.add(new JsonObject().put("text", text));
        }
        if (content instanceof JsonArray list) {
            for (Object p : list) {
                if (p instanceof JsonObject part
                        && "text".equals(part.getValue("type"))
                        && part.getValue("text") instanceof String text) {
                    parts.add(new JsonObject().put("text", text));
                } else {
                    throw new RefusedRequest("The gemini provider takes text content only");
                }
            }
            return parts;
        }
        throw new RefusedRequest("A message's content must be a string");
    }

    private static JsonArray assistantParts(JsonObject message, Map<String, String> calls) {
        Object content = message.getValue("content");
        JsonArray parts = content instanceof String s && s.isEmpty() ? new JsonArray() : textParts(content);
        if (message.getValue("tool_calls") instanceof JsonArray toolCalls) {
            for (Object v : toolCalls) {
                JsonObject function =
                        v instanceof JsonObject call && call.getValue("function") instanceof JsonObject f ? f : null;
                if (function == null || !(function.getValue("name") instanceof String name)) {
                    throw new RefusedRequest("tool_calls[].function.name is required");
                }
                if (((JsonObject) v).getValue("id") instanceof String id) {
                    calls.put(id, name);
                }
                parts.add(new JsonObject()
                        .put(
                                "functionCall",
                                new JsonObject()
                                        .put("name", name)
                                        .put("args", OpenAiTranslation.toolArguments(function))));
            }
        }
        return parts;
    }

    /** A {@code tool} message: Gemini names the function answered, OpenAI the call: found in an earlier message. */
    private static JsonObject functionResponse(JsonObject message, Map<String, String> calls) {
        Object id = message.getValue("tool_call_id");
        String name = id instanceof String s ? calls.get(s) : null;
        if (name == null && message.getValue("name") instanceof String n) {
            name = n;
        }
        if (name == null) {
            throw new RefusedRequest("A tool message's tool_call_id must name a tool call of an earlier assistant"
                    + " message (Gemini answers a function by its name)");
        }
        Object content = message.getValue("content");
        JsonObject response;
        try {
            response = content instanceof String s ? new JsonObject(s) : null;
        } catch (DecodeException | ClassCastException e) {
            response = null;
        }
        if (response == null) {
            // Gemini's response is an object: a plain text answer is wrapped
            response = new JsonObject().put("content", content instanceof JsonArray ? textOf(content) : content);
        }
        return new JsonObject()
                .put("functionResponse", new JsonObject().put("name", name).put("response", response));
    }

    private static String textOf(Object content) {
        StringBuilder text = new StringBuilder();
        for (Object part : textParts(content)) {
            text.append(((JsonObject) part).getString("text"));
        }
        return text.toString();
    }

    private static JsonObject generationConfig(JsonObject chat) {
        JsonObject config = new JsonObject();
        copy(chat, "temperature", config, "temperature");
        copy(chat, "top_p", config, "topP");
        copy(chat, "top_k", config, "topK");
        copy(chat, "max_tokens", config, "maxOutputTokens");
        copy(chat, "max_completion_tokens", config, "maxOutputTokens");
        copy(chat, "n", config, "candidateCount");
        copy(chat, "presence_penalty", config, "presencePenalty");
        copy(chat, "frequency_penalty", config, "frequencyPenalty");
        copy(chat, "seed", config, "seed");
        Object stop = chat.getValue("stop");
        if (stop instanceof String s) {
            config.put("stopSequences", new JsonArray().add(s));
        } else if (stop instanceof JsonArray list) {
            config.put("stopSequences", list.copy());
        }
        if (chat.getValue("response_format") instanceof JsonObject format) {
            switch (String.valueOf(format.getValue("type"))) {
                case "text" -> {}
                case "json_object" -> config.put("responseMimeType", "application/json");
                default ->
                    throw new RefusedRequest("The gemini provider takes response_format 'text' or 'json_object', not '"
                            + format.getValue("type") + "'");
            }
        }
        return config;
    }

    private static void copy(JsonObject from, String field, JsonObject to, String as) {
        if (from.getValue(field) != null) {
            to.put(as, from.getValue(field));
        }
    }

    private static JsonArray declarations(JsonObject chat) {
        if (!(chat.getValue("tools") instanceof JsonArray tools)) {
            throw new RefusedRequest("'tools' must be a list");
        }
        JsonArray declarations = new JsonArray();
        for (Object t : tools) {
            if (!(t instanceof JsonObject tool)
                    || !"function".equals(tool.getValue("type"))
                    || !(tool.getValue("function") instanceof JsonObject function)
                    || !(function.getValue("name") instanceof String name)) {
                throw new RefusedRequest("The gemini provider takes tools of type 'function' (with a name) only");
            }
            JsonObject declaration = new JsonObject().put("name", name);
            copy(function, "description", declaration, "description");
            copy(function, "parameters", declaration, "parameters");
            declarations.add(declaration);
        }
        return declarations;
    }

    private static JsonObject toolChoice(Object choice) {
        if (choice instanceof JsonObject named
                && named.getValue("function") instanceof JsonObject function
                && function.getValue("name") instanceof String name) {
            return new JsonObject().put("mode", "ANY").put("allowedFunctionNames", new JsonArray().add(name));
        }
        return switch (String.valueOf(choice)) {
            case "auto" -> new JsonObject().put("mode", "AUTO");
            case "none" -> new JsonObject().put("mode", "NONE");
            case "required" -> new JsonObject().put("mode", "ANY");
            default -> throw new RefusedRequest("tool_choice must be 'auto', 'none', 'required' or a named function");
        };
    }

    private static JsonObject embeddingsRequest(Endpoint endpoint, JsonObject payload) {
        Object input = payload.getValue("input");
        JsonArray texts = input instanceof String s ? new JsonArray().add(s) : null;
        if (input instanceof JsonArray list && list.stream().allMatch(String.class::isInstance)) {
            texts = list;
        }
        if (texts == null) {
            throw new RefusedRequest("The gemini provider embeds text: 'input' must be a string or a list of strings");
        }
        String model = path(endpoint, false).replace(":batchEmbedContents", "");
        JsonArray requests = new JsonArray();
        for (Object text : texts) {
            JsonObject request = new JsonObject()
                    .put("model", model)
                    .put(
                            "content",
                            new JsonObject().put("parts", new JsonArray().add(new JsonObject().put("text", text))));
            copy(payload, "dimensions", request, "outputDimensionality");
            requests.add(request);
        }
        return new JsonObject().put("requests", requests);
    }

    /** Gemini's answer in OpenAI's shape: a {@code chat.completion}, or the embeddings' list. */
    public static JsonObject answer(Endpoint endpoint, JsonObject resp) {
        try {
            return endpoint.type() == EndpointType.EMBEDDINGS ? embeddings(endpoint, resp) : chat(endpoint, resp);
        } catch (UpstreamException e) {
            throw e.answered();
        } catch (RuntimeException e) {
            throw unreadable("an unexpected shape");
        }
    }

    private static JsonObject chat(Endpoint endpoint, JsonObject resp) {
        if (!(resp.getValue("candidates") instanceof JsonArray candidates)) {
            throw blockedOr(resp, unreadable("candidates"));
        }
        JsonArray choices = new JsonArray();
        for (int i = 0; i < candidates.size(); i++) {
            JsonObject candidate = candidates.getJsonObject(i);
            JsonObject content = candidate.getValue("content") instanceof JsonObject c ? c : new JsonObject();
            JsonArray parts = content.getValue("parts") instanceof JsonArray p ? p : new JsonArray();
            StringBuilder text = new StringBuilder();
            JsonArray toolCalls = new JsonArray();
            for (Object p : parts) {
                JsonObject part = (JsonObject) p;
                if (part.getValue("text") instanceof String t && !Boolean.TRUE.equals(part.getValue("thought"))) {
                    text.append(t);
                } else if (part.getValue("functionCall") instanceof JsonObject call) {
                    toolCalls.add(toolCall(call, null));
                }
            }
            JsonObject message = new JsonObject()
                    .put("role", "assistant")
                    .put("content", toolCalls.isEmpty() || !text.isEmpty() ? text.toString() : null);
            if (!toolCalls.isEmpty()) {
                message.put("tool_calls", toolCalls);
            }
            choices.add(new JsonObject()
                    .put("index", candidate.getValue("index") instanceof Number n ? n : i)
                    .put("message", message)
                    .put("finish_reason", finish(candidate.getValue("finishReason"), !toolCalls.isEmpty())));
        }
        return new JsonObject()
                .put("id", resp.getValue("responseId") instanceof String id ? id : "chatcmpl-" + UUID.randomUUID())
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", model(endpoint, resp))
                .put("choices", choices)
                .put("usage", usage(resp.getValue("usageMetadata")));
    }

    /** A prompt Gemini blocked (no candidates, {@code promptFeedback.blockReason}): the client's to change. */
    private static UpstreamException blockedOr(JsonObject resp, UpstreamException otherwise) {
        if (resp.getValue("promptFeedback") instanceof JsonObject feedback
                && feedback.getValue("blockReason") instanceof String reason) {
            return new UpstreamException(
                            400, "Gemini blocked the prompt (blockReason " + reason + ")", "content_filter")
                    .answered();
        }
        return otherwise;
    }

    private static JsonObject toolCall(JsonObject call, Integer index) {
        JsonObject out = new JsonObject();
        if (index != null) {
            out.put("index", index);
        }
        Object args = call.getValue("args");
        return out.put(
                        "id",
                        call.getValue("id") instanceof String id
                                ? id
                                : "call_" + UUID.randomUUID().toString().replace("-", ""))
                .put("type", "function")
                .put(
                        "function",
                        new JsonObject()
                                .put("name", String.valueOf(call.getValue("name")))
                                .put("arguments", args instanceof JsonObject a ? a.encode() : "{}"));
    }

    private static String finish(Object reason, boolean toolCalls) {
        if (reason == null) {
            return null;
        }
        return switch (String.valueOf(reason)) {
            case "STOP" -> toolCalls ? "tool_calls" : "stop";
            case "MAX_TOKENS" -> "length";
            case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY" -> "content_filter";
            default -> toolCalls ? "tool_calls" : "stop";
        };
    }

    private static String model(Endpoint endpoint, JsonObject resp) {
        return resp.getValue("modelVersion") instanceof String version ? version : endpoint.modelName();
    }

    /** {@code usageMetadata} as OpenAI's usage: thinking tokens are output tokens (Google bills them so). */
    private static JsonObject usage(Object value) {
        if (!(value instanceof JsonObject u) || !(u.getValue("promptTokenCount") instanceof Number prompt)) {
            return null;
        }
        long in = prompt.longValue();
        long out = (u.getValue("candidatesTokenCount") instanceof Number c ? c.longValue() : 0)
                + (u.getValue("thoughtsTokenCount") instanceof Number t ? t.longValue() : 0);
        long total = u.getValue("totalTokenCount") instanceof Number t ? t.longValue() : in + out;
        return new JsonObject()
                .put("prompt_tokens", in)
                .put("completion_tokens", out)
                .put("total_tokens", total);
    }

    private static JsonObject embeddings(Endpoint endpoint, JsonObject resp) {
        if (!(resp.getValue("embeddings") instanceof JsonArray embeddings)) {
            throw unreadable("embeddings");
        }
        JsonArray data = new JsonArray();
        for (int i = 0; i < embeddings.size(); i++) {
            Object values = embeddings.getJsonObject(i).getValue("values");
            if (!(values instanceof JsonArray)) {
                throw unreadable("embeddings[].values");
            }
            data.add(new JsonObject()
                    .put("object", "embedding")
                    .put("embedding", values)
                    .put("index", i));
        }
        // batchEmbedContents reports no tokens
        return new JsonObject()
                .put("object", "list")
                .put("data", data)
                .put("model", endpoint.modelName())
                .putNull("usage");
    }

    /** Whether Google's 400 says the API key is not valid (the gateway's key, not the client's request). */
    public static boolean keyRefused(Buffer body, String contentType) {
        if (body == null || contentType == null || !contentType.contains("json")) {
            return false;
        }
        try {
            JsonObject error = new JsonObject(body).getJsonObject("error");
            if (error != null && error.getValue("details") instanceof JsonArray details) {
                for (Object d : details) {
                    if (d instanceof JsonObject detail && "API_KEY_INVALID".equals(detail.getValue("reason"))) {
                        return true;
                    }
                }
            }
        } catch (RuntimeException e) {
            // not Google's error shape
        }
        return false;
    }

    /**
     * Google's {@code RetryInfo.retryDelay} ({@code "37s"}) as a {@code Retry-After} in whole seconds: its 429s say
     * when to come back in the error's details rather than in a header. Null when it does not say.
     */
    public static String retryDelay(JsonObject json) {
        if (!(json.getValue("error") instanceof JsonObject error)
                || !(error.getValue("details") instanceof JsonArray details)) {
            return null;
        }
        for (Object d : details) {
            if (d instanceof JsonObject detail
                    && String.valueOf(detail.getValue("@type")).endsWith("google.rpc.RetryInfo")
                    && detail.getValue("retryDelay") instanceof String delay
                    && delay.matches("\\d{1,9}(\\.\\d{1,9})?s")) {
                return new BigDecimal(delay.substring(0, delay.length() - 1))
                        .setScale(0, RoundingMode.CEILING)
                        .toPlainString();
            }
        }
        return null;
    }

    private static UpstreamException unreadable(String what) {
        return new UpstreamException(502, "The provider's answer could not be read (" + what + ")").answered();
    }

    /**
     * One Gemini stream ({@code alt=sse}: each event a whole {@code GenerateContentResponse} holding the next
     * part of each candidate), as OpenAI's chunks: the first with the role, each event's text and function calls
     * as a delta, the finish reason when a candidate has one, the usage (from {@code usageMetadata}) on the chunk
     * that finishes, or on a chunk of its own when an event holds only the usage. The stream ends with the response
     * (Gemini sends no end event); an {@code error} is passed on, a prompt blocked mid-way ends it as an error.
     */
    public static final class Stream implements StreamDialect {
        private final Endpoint endpoint;
        private final String id = "chatcmpl-" + UUID.randomUUID();
        private final long created = System.currentTimeMillis() / 1000;
        private final Map<Integer, Integer> toolCalls = new HashMap<>(); // candidate → function calls so far
        private boolean started;

        public Stream(Endpoint endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public JsonObject next(JsonObject event) {
            if (event.getValue("error") != null) {
                return event;
            }
            if (!(event.getValue("candidates") instanceof JsonArray candidates) || candidates.isEmpty()) {
                UpstreamException blocked = blockedOr(event, null);
                if (blocked != null) {
                    return new JsonObject().put("error", new JsonObject().put("message", blocked.getMessage()));
                }
                // an event with the usage only: a chunk without choices, as OpenAI's usage chunk
                JsonObject usage = usage(event.getValue("usageMetadata"));
                return usage == null
                        ? null
                        : new JsonObject()
                                .put("id", id)
                                .put("object", "chat.completion.chunk")
                                .put("created", created)
                                .put("model", model(endpoint, event))
                                .put("choices", new JsonArray())
                                .put("usage", usage);
            }
            JsonArray choices = new JsonArray();
            boolean finished = false;
            for (int i = 0; i < candidates.size(); i++) {
                JsonObject candidate = candidates.getJsonObject(i);
                int index = candidate.getValue("index") instanceof Number n ? n.intValue() : i;
                JsonObject delta = new JsonObject();
                if (!started) {
                    delta.put("role", "assistant");
                }
                JsonObject content = candidate.getValue("content") instanceof JsonObject c ? c : new JsonObject();
                JsonArray parts = content.getValue("parts") instanceof JsonArray p ? p : new JsonArray();
                StringBuilder text = new StringBuilder();
                JsonArray calls = new JsonArray();
                for (Object p : parts) {
                    JsonObject part = (JsonObject) p;
                    if (part.getValue("text") instanceof String t && !Boolean.TRUE.equals(part.getValue("thought"))) {
                        text.append(t);
                    } else if (part.getValue("functionCall") instanceof JsonObject call) {
                        int n = toolCalls.merge(index, 1, Integer::sum) - 1;
                        calls.add(toolCall(call, n));
                    }
                }
                delta.put("content", calls.isEmpty() || !text.isEmpty() ? text.toString() : null);
                if (!calls.isEmpty()) {
                    delta.put("tool_calls", calls);
                }
                String finish = finish(candidate.getValue("finishReason"), toolCalls.containsKey(index));
                finished |= finish != null;
                choices.add(
                        new JsonObject().put("index", index).put("delta", delta).put("finish_reason", finish));
            }
            started = true;
            JsonObject chunk = new JsonObject()
                    .put("id", id)
                    .put("object", "chat.completion.chunk")
                    .put("created", created)
                    .put("model", model(endpoint, event))
                    .put("choices", choices);
            JsonObject usage = usage(event.getValue("usageMetadata"));
            if (finished && usage != null) {
                chunk.put("usage", usage);
            }
            return chunk;
        }
    }
}
