package dev.skein.llmgateway.provider;

import io.vertx.core.json.JsonObject;

/**
 * A provider's own stream, read event by event and turned into OpenAI's chunks (which the relay then writes in
 * MLflow's or OpenAI's shape). One instance per stream: a dialect may keep what earlier events said (an id, the
 * input tokens).
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
}
