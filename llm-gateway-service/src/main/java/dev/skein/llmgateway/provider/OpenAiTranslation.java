package dev.skein.llmgateway.provider;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.BiFunction;

/**
 * OpenAI's wire format ↔ MLflow's gateway schemas ({@code mlflow/gateway/schemas}), as MLflow's OpenAI provider
 * maps them: completions go to {@code chat/completions} with the prompt as one user message; answers keep
 * {@code id}, {@code object}, {@code created}, {@code model}, choices re-indexed, {@code finish_reason},
 * {@code usage}. Tool calls are passed through (in answers and, unlike MLflow 2.17, in streamed deltas); a
 * streamed chunk's {@code usage} (OpenAI's {@code stream_options}) too. Fields MLflow's response models do not
 * declare are dropped, as its {@code extra="ignore"} drops them; its optional fields are written as null.
 */
public final class OpenAiTranslation {

    private OpenAiTranslation() {}

    /** MLflow's {@code _prepare_completion_request_payload}. */
    public static JsonObject completionsRequest(JsonObject payload) {
        JsonObject out = payload.copy();
        Object prompt = out.remove("prompt");
        out.put(
                "messages",
                new JsonArray().add(new JsonObject().put("role", "user").put("content", prompt)));
        return out;
    }

    public static JsonObject chatResponse(JsonObject resp) {
        JsonArray choices = new JsonArray();
        JsonArray in = array(resp, "choices");
        for (int i = 0; i < in.size(); i++) {
            JsonObject c = object(in.getValue(i), "choices[]");
            JsonObject message = object(c.getValue("message"), "choices[].message");
            JsonObject m = new JsonObject()
                    .put("role", string(message, "role"))
                    .put("content", message.getValue("content"))
                    .put("tool_calls", toolCalls(message.getValue("tool_calls")));
            choices.add(new JsonObject()
                    .put("index", i)
                    .put("message", m)
                    .put("finish_reason", c.getValue("finish_reason")));
        }
        return new JsonObject()
                .put("id", resp.getValue("id"))
                .put("object", resp.getValue("object", "chat.completion"))
                .put("created", number(resp, "created"))
                .put("model", string(resp, "model"))
                .put("choices", choices)
                .put("usage", usage(resp.getValue("usage"), true));
    }

    public static JsonObject completionsResponse(JsonObject resp) {
        JsonArray choices = new JsonArray();
        JsonArray in = array(resp, "choices");
        for (int i = 0; i < in.size(); i++) {
            JsonObject c = object(in.getValue(i), "choices[]");
            JsonObject message = object(c.getValue("message"), "choices[].message");
            choices.add(new JsonObject()
                    .put("index", i)
                    .put("text", message.getValue("content"))
                    .put("finish_reason", c.getValue("finish_reason")));
        }
        return new JsonObject()
                .put("id", resp.getValue("id"))
                .put("object", "text_completion")
                .put("created", number(resp, "created"))
                .put("model", string(resp, "model"))
                .put("choices", choices)
                .put("usage", usage(resp.getValue("usage"), true));
    }

    public static JsonObject embeddingsResponse(JsonObject resp) {
        JsonArray data = new JsonArray();
        JsonArray in = array(resp, "data");
        for (int i = 0; i < in.size(); i++) {
            JsonObject d = object(in.getValue(i), "data[]");
            Object embedding = d.getValue("embedding");
            if (!(embedding instanceof JsonArray) && !(embedding instanceof String)) {
                throw unreadable("data[].embedding");
            }
            data.add(new JsonObject()
                    .put("object", "embedding")
                    .put("embedding", embedding)
                    .put("index", i));
        }
        return new JsonObject()
                .put("object", "list")
                .put("data", data)
                .put("model", string(resp, "model"))
                .put("usage", usage(resp.getValue("usage"), false));
    }

    /** One streamed chunk of a chat: MLflow's {@code chat.StreamResponsePayload}. */
    public static JsonObject chatChunk(JsonObject resp) {
        return chunk(resp, resp.getValue("object", "chat.completion.chunk"), (c, delta) -> deltaChoice(c, delta, true));
    }

    /** One streamed chunk of a completion: MLflow's {@code completions.StreamResponsePayload}. */
    public static JsonObject completionsChunk(JsonObject resp) {
        return chunk(resp, "text_completion_chunk", (c, delta) -> deltaChoice(c, delta, false));
    }

    /**
     * One streamed chunk of a completion on OpenAI's {@code /v1/completions}: OpenAI's own shape ({@code object:
     * "text_completion"}, {@code choices[{text, index, logprobs, finish_reason}]}), which its SDKs parse.
     */
    public static JsonObject openAiCompletionsChunk(JsonObject resp) {
        return chunk(resp, "text_completion", (c, delta) -> new JsonObject()
                .put("text", delta.getValue("content") instanceof String text ? text : "")
                .put("index", number(c, "index"))
                .putNull("logprobs")
                .put("finish_reason", c.getValue("finish_reason")));
    }

    /** A chunk of {@code objectType} whose choices {@code choice} writes from each provider choice and its delta. */
    private static JsonObject chunk(
            JsonObject resp, Object objectType, BiFunction<JsonObject, JsonObject, JsonObject> choice) {
        JsonArray choices = new JsonArray();
        for (Object value : array(resp, "choices")) {
            JsonObject c = object(value, "choices[]");
            JsonObject delta = c.getValue("delta") == null ? new JsonObject() : object(c.getValue("delta"), "delta");
            choices.add(choice.apply(c, delta));
        }
        JsonObject out = new JsonObject()
                .put("id", resp.getValue("id"))
                .put("object", objectType)
                .put("created", number(resp, "created"))
                .put("model", string(resp, "model"))
                .put("choices", choices);
        if (resp.getValue("usage") instanceof JsonObject) {
            out.put("usage", usage(resp.getValue("usage"), true));
        }
        return out;
    }

    /** MLflow's {@code StreamChoice}: {@code index}, {@code finish_reason}, {@code delta{role, content}}. */
    private static JsonObject deltaChoice(JsonObject c, JsonObject delta, boolean withRole) {
        JsonObject d = new JsonObject()
                .put("role", withRole ? delta.getValue("role") : null)
                .put("content", delta.getValue("content"));
        if (delta.getValue("tool_calls") != null) {
            d.put("tool_calls", delta.getValue("tool_calls"));
        }
        return new JsonObject()
                .put("index", number(c, "index"))
                .put("finish_reason", c.getValue("finish_reason"))
                .put("delta", d);
    }

    private static JsonArray toolCalls(Object value) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof JsonArray calls)) {
            throw unreadable("tool_calls");
        }
        JsonArray out = new JsonArray();
        for (Object v : calls) {
            JsonObject call = object(v, "tool_calls[]");
            JsonObject function = object(call.getValue("function"), "tool_calls[].function");
            out.add(new JsonObject()
                    .put("id", string(call, "id"))
                    .put("type", call.getValue("type", "function"))
                    .put(
                            "function",
                            new JsonObject()
                                    .put("name", string(function, "name"))
                                    .put("arguments", string(function, "arguments"))));
        }
        return out;
    }

    private static JsonObject usage(Object value, boolean completion) {
        JsonObject in = value instanceof JsonObject u ? u : new JsonObject();
        JsonObject out = new JsonObject().put("prompt_tokens", in.getValue("prompt_tokens"));
        if (completion) {
            out.put("completion_tokens", in.getValue("completion_tokens"));
        }
        return out.put("total_tokens", in.getValue("total_tokens"));
    }

    private static JsonArray array(JsonObject o, String field) {
        if (o.getValue(field) instanceof JsonArray a) {
            return a;
        }
        throw unreadable(field);
    }

    private static JsonObject object(Object value, String what) {
        if (value instanceof JsonObject o) {
            return o;
        }
        throw unreadable(what);
    }

    private static String string(JsonObject o, String field) {
        if (o.getValue(field) instanceof String s) {
            return s;
        }
        throw unreadable(field);
    }

    private static Number number(JsonObject o, String field) {
        if (o.getValue(field) instanceof Number n) {
            return n;
        }
        throw unreadable(field);
    }

    private static UpstreamException unreadable(String what) {
        return new UpstreamException(502, "The provider's answer could not be read (" + what + ")");
    }

    /**
     * An OpenAI tool call's {@code arguments} (the text of a JSON object) as that object; none or blank is an empty
     * one. Anything else is refused: a provider that takes the arguments as an object cannot be sent them.
     */
    static JsonObject toolArguments(JsonObject function) {
        Object arguments = function.getValue("arguments");
        if (arguments == null || (arguments instanceof String s && s.isBlank())) {
            return new JsonObject();
        }
        try {
            return new JsonObject(String.valueOf(arguments));
        } catch (DecodeException | ClassCastException e) {
            throw new RefusedRequest("tool_calls[].function.arguments must be a JSON object");
        }
    }
}
