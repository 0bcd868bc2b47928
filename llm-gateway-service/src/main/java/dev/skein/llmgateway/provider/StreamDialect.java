package dev.skein.llmgateway.provider;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;

/**
 * A provider's own stream, read event by event and turned into OpenAI's chunks (which the relay then writes in
 * MLflow's or OpenAI's shape). One instance per stream: a dialect may keep what earlier events said (an id, the
 * model, the input tokens, the tool calls begun).
 */
public interface StreamDialect {

    /** The end of the stream, as OpenAI's {@code [DONE]}. */
    JsonObject END = new JsonObject();

    /**
     * The OpenAI chunk for an event ({@code {id, object, created, model, choices[{index, delta, finish_reason}],
     * usage?}}), {@link #END}, an {@code {"error": {...}}} that ends the stream with the error event, or null for an
     * event with nothing for the client. Throws on an event it cannot read (the stream ends with the error event).
     */
    JsonObject next(JsonObject event);

    /**
     * Whether the provider streams newline-delimited JSON (one event a line, Cohere's v1 API) rather than
     * server-sent events.
     */
    default boolean jsonLines() {
        return false;
    }

    /**
     * OpenAI's first delta of a streamed tool call: its index among the answer's tool calls, its id and function
     * name, and no arguments yet.
     */
    static JsonObject toolCallBegins(int index, Object id, Object name) {
        JsonObject function = new JsonObject().put("name", name).put("arguments", "");
        return toolCalls(new JsonObject()
                .put("index", index)
                .put("id", id)
                .put("type", "function")
                .put("function", function));
    }

    /** OpenAI's delta that adds {@code arguments} (a piece of the JSON text) to the tool call at {@code index}. */
    static JsonObject toolCallArguments(int index, String arguments) {
        return toolCalls(
                new JsonObject().put("index", index).put("function", new JsonObject().put("arguments", arguments)));
    }

    private static JsonObject toolCalls(JsonObject call) {
        return new JsonObject().put("tool_calls", new JsonArray().add(call));
    }

    /** A dialect whose provider frames its events in binary (Bedrock's event stream), not as text lines. */
    interface Framed extends StreamDialect {

        /**
         * Decodes bytes as they arrive: each whole frame's event to {@code events}, in order. An {@link
         * UpstreamException} for a frame that cannot be read or a frame larger than {@code maxBytes}.
         */
        void feed(Buffer bytes, int maxBytes, Consumer<JsonObject> events);

        /** Whether the provider's stream reached its last event (else the end of its answer cut it short). */
        boolean complete();
    }
}
