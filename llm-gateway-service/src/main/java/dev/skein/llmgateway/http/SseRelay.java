package dev.skein.llmgateway.http;

import dev.skein.llmgateway.provider.OpenAiProvider;
import dev.skein.llmgateway.provider.UpstreamException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * A provider's server-sent events relayed to the client, chunk by chunk, in MLflow's format ({@code data: <json>}
 * and a blank line, as {@code mlflow/gateway/utils.py to_sse_chunk}); OpenAI's routes end with
 * {@code data: [DONE]}. Lines are reassembled across network reads (MLflow's {@code handle_incomplete_chunks}).
 * The client's pace holds the provider back (the upstream is paused while the client's queue is full), the client
 * leaving cancels the provider's call, and a failure once the stream has begun (connection cut, a stall longer
 * than the upstream timeout, a chunk that cannot be read, an error the provider sends) ends the stream with one
 * {@code data: {"error": {...}}} event — never a hang, never a {@code [DONE]} after it.
 */
final class SseRelay {

    private static final Logger LOG = Logger.getLogger(SseRelay.class);

    /** The longest line (one event's data) read from a provider. */
    static final int MAX_LINE_BYTES = 8 * 1024 * 1024;

    private final HttpServerResponse out;
    private final HttpClientResponse in;
    private final Function<JsonObject, JsonObject> translate;
    private final ApiStyle style;
    private final OpenAiProvider provider;
    private boolean finished;

    private SseRelay(
            HttpServerResponse out,
            HttpClientResponse in,
            Function<JsonObject, JsonObject> translate,
            ApiStyle style,
            OpenAiProvider provider) {
        this.out = out;
        this.in = in;
        this.translate = translate;
        this.style = style;
        this.provider = provider;
    }

    static void relay(
            HttpServerResponse out,
            HttpClientResponse in,
            Function<JsonObject, JsonObject> translate,
            ApiStyle style,
            OpenAiProvider provider) {
        new SseRelay(out, in, translate, style, provider).start();
    }

    private void start() {
        out.setStatusCode(200)
                .setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        RecordParser lines = RecordParser.newDelimited("\n").maxRecordSize(MAX_LINE_BYTES);
        lines.handler(this::line);
        lines.exceptionHandler(t -> fail("The provider sent an event larger than " + MAX_LINE_BYTES + " bytes"));
        out.closeHandler(v -> cancel());
        out.exceptionHandler(t -> cancel());
        in.handler(buffer -> {
            if (!finished) {
                lines.handle(buffer);
            }
        });
        in.exceptionHandler(t -> fail(
                t instanceof TimeoutException
                        ? "The provider sent nothing for longer than the upstream timeout"
                        : "The provider's stream ended early: the connection was lost"));
        in.endHandler(v -> finish());
        out.writeHead();
        in.resume();
    }

    private void line(Buffer raw) {
        if (finished) {
            return;
        }
        String line = raw.toString(StandardCharsets.UTF_8).strip();
        if (line.isEmpty() || !line.startsWith("data:")) {
            return; // blank separators, comments (": keep-alive"), event:, id:, retry:
        }
        String data = line.substring("data:".length()).strip();
        if (data.equals("[DONE]")) {
            finish();
            return;
        }
        JsonObject chunk;
        try {
            chunk = new JsonObject(data);
        } catch (DecodeException | ClassCastException e) {
            fail("The provider sent an event that is not valid JSON");
            return;
        }
        if (chunk.getValue("error") != null) {
            Object error = chunk.getValue("error");
            String message = error instanceof JsonObject e && e.getValue("message") instanceof String m
                    ? m
                    : "The provider sent an error";
            fail(provider.scrub(message));
            return;
        }
        JsonObject translated;
        try {
            translated = translate.apply(chunk);
        } catch (UpstreamException e) {
            fail(e.getMessage());
            return;
        }
        out.write(Buffer.buffer("data: ").appendBuffer(translated.toBuffer()).appendString("\n\n"));
        if (out.writeQueueFull()) {
            in.pause();
            out.drainHandler(v -> in.resume());
        }
    }

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (style == ApiStyle.OPENAI) {
            out.write("data: [DONE]\n\n");
        }
        out.end();
    }

    private void fail(String message) {
        if (finished) {
            return;
        }
        finished = true;
        LOG.warnf(
                "endpoint %s: stream ended with an error: %s",
                provider.endpoint().name(), message);
        JsonObject error = new JsonObject()
                .put("error", ApiError.openAiError(message, "upstream_error", null, "stream_interrupted"));
        out.end(Buffer.buffer("data: ").appendBuffer(error.toBuffer()).appendString("\n\n"));
        in.request().reset();
    }

    /** The client left: stop the provider's call too. */
    private void cancel() {
        if (!finished) {
            finished = true;
            in.request().reset();
        }
    }
}
