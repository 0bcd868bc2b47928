package dev.skein.llmgateway.http;

import dev.skein.llmgateway.governance.Call;
import dev.skein.llmgateway.provider.OpenAiProvider;
import dev.skein.llmgateway.provider.SilenceWatch;
import dev.skein.llmgateway.provider.StreamDialect;
import dev.skein.llmgateway.provider.UpstreamException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * A provider's server-sent events relayed to the client, chunk by chunk, in MLflow's format ({@code data: <json>}
 * and a blank line, as {@code mlflow/gateway/utils.py to_sse_chunk}); OpenAI's routes end with
 * {@code data: [DONE]}. Lines are reassembled across network reads (MLflow's {@code handle_incomplete_chunks}).
 * The client's pace holds the provider back (the upstream is paused while the client's queue is full), the client
 * leaving cancels the provider's call, and a failure once the stream has begun (connection cut, a silence longer
 * than the upstream timeout — not counting the time the client's pace held the provider back —, an event larger
 * than the limit, a chunk that cannot be read, an error the provider sends) ends the stream with one
 * {@code data: {"error": {...}}} event — never a hang, never a {@code [DONE]} after it.
 */
final class SseRelay {

    private static final Logger LOG = Logger.getLogger(SseRelay.class);

    private final HttpServerResponse out;
    private final HttpClientResponse in;
    private final SilenceWatch silence;
    private final Function<JsonObject, JsonObject> translate;
    private final ApiStyle style;
    private final OpenAiProvider provider;
    private final int maxEventBytes;
    private boolean finished;
    private final long keepAliveMs;
    private long lastWriteNanos;
    private boolean upstreamEnded;
    private Vertx vertx;
    private long keepAlive = -1;
    private long doneWait = -1;
    private final Call call;
    private final boolean hideUsage;
    private final StreamDialect dialect;

    private SseRelay(
            HttpServerResponse out,
            OpenAiProvider.Opened upstream,
            Function<JsonObject, JsonObject> translate,
            ApiStyle style,
            OpenAiProvider provider,
            int maxEventBytes,
            long keepAliveMs,
            Call call,
            boolean hideUsage,
            StreamDialect dialect) {
        this.out = out;
        this.call = call;
        this.hideUsage = hideUsage;
        this.dialect = dialect;
        this.in = upstream.response();
        this.silence = upstream.silence();
        this.translate = translate;
        this.style = style;
        this.provider = provider;
        this.maxEventBytes = maxEventBytes;
        this.keepAliveMs = keepAliveMs;
    }

    /**
     * Relays {@code upstream} to {@code out}; an event (one line) longer than {@code maxEventBytes} ends it, a
     * comment keeps the connection alive after {@code keepAliveMs} without an event. The stream's usage goes to
     * {@code call}; with {@code hideUsage} (the gateway asked for it, the client did not) the provider's usage-only
     * chunk is not relayed.
     */
    static void relay(
            HttpServerResponse out,
            OpenAiProvider.Opened upstream,
            Function<JsonObject, JsonObject> translate,
            ApiStyle style,
            OpenAiProvider provider,
            int maxEventBytes,
            long keepAliveMs,
            Call call,
            boolean hideUsage,
            StreamDialect dialect) {
        new SseRelay(out, upstream, translate, style, provider, maxEventBytes, keepAliveMs, call, hideUsage, dialect)
                .start();
    }

    private void start() {
        out.setStatusCode(200)
                .setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        RecordParser lines = RecordParser.newDelimited("\n").maxRecordSize(maxEventBytes);
        lines.handler(this::line);
        lines.exceptionHandler(t -> fail("The provider sent an event larger than " + maxEventBytes + " bytes"));
        out.closeHandler(v -> cancel());
        out.exceptionHandler(t -> cancel());
        silence.onSilence(() -> fail(provider.silent().getMessage()));
        in.handler(buffer -> {
            silence.touch();
            if (finished) {
                return;
            }
            if (dialect instanceof StreamDialect.Framed frames) {
                // binary frames (Bedrock's event stream) decoded to events, not lines
                try {
                    frames.feed(buffer, maxEventBytes, this::event);
                } catch (UpstreamException e) {
                    fail(e.getMessage());
                }
            } else {
                lines.handle(buffer);
            }
        });
        in.exceptionHandler(t -> fail("The provider's stream ended early: the connection was lost"));
        in.endHandler(v -> {
            if (dialect instanceof StreamDialect.Framed frames && !frames.complete()) {
                fail("The provider's stream ended before its last event");
            } else {
                finish();
            }
        });
        in.end().onComplete(v -> {
            upstreamEnded = true;
            if (doneWait >= 0) {
                vertx.cancelTimer(doneWait); // the usual case: the answer ends right after its [DONE]
                doneWait = -1;
            }
        });
        out.writeHead();
        lastWriteNanos = System.nanoTime();
        vertx = Vertx.currentContext().owner();
        // a comment after keepAliveMs without an event: a provider thinking before its first token must not look
        // like a dead connection to the proxies in between (gateway-service's idle timeout is 90 s, many
        // ingresses' 60 s); SSE clients skip comments
        keepAlive = vertx.setPeriodic(keepAliveMs, id -> {
            if (finished) {
                vertx.cancelTimer(id);
            } else if (!out.writeQueueFull() && System.nanoTime() - lastWriteNanos >= keepAliveMs * 1_000_000) {
                out.write(": keep-alive\n\n");
                lastWriteNanos = System.nanoTime();
            }
        });
        in.resume();
    }

    private void line(Buffer raw) {
        if (finished) {
            return;
        }
        String line = raw.toString(StandardCharsets.UTF_8).strip();
        boolean jsonLine = dialect != null && dialect.jsonLines() && line.startsWith("{");
        if (line.isEmpty() || !(line.startsWith("data:") || jsonLine)) {
            return; // blank separators, comments (": keep-alive"), event:, id:, retry:
        }
        String data = jsonLine ? line : line.substring("data:".length()).strip();
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
        event(chunk);
    }

    /** One event of the provider's: translated by the stream's dialect, if any, then relayed. */
    private void event(JsonObject chunk) {
        if (finished) {
            return;
        }
        if (dialect != null) {
            // a provider's own events as OpenAI's chunks (Anthropic's message_stop is the end)
            try {
                chunk = dialect.next(chunk);
            } catch (RuntimeException e) {
                fail("The provider sent an event that cannot be read");
                return;
            }
            if (chunk == null) {
                return;
            }
            if (chunk == StreamDialect.END) {
                finish();
                return;
            }
        }
        if (chunk.getValue("error") != null) {
            Object error = chunk.getValue("error");
            String message = error instanceof JsonObject e && e.getValue("message") instanceof String m
                    ? m
                    : "The provider sent an error";
            fail(provider.scrub(message));
            return;
        }
        if (chunk.getValue("usage") instanceof JsonObject usage) {
            call.usage(usage);
            if (hideUsage) {
                if (chunk.getValue("choices") instanceof JsonArray choices && choices.isEmpty()) {
                    return; // the usage-only chunk the client did not ask for
                }
                chunk.remove("usage");
            }
        }
        call.answered(TextChars.answer(chunk));
        JsonObject translated;
        try {
            translated = translate.apply(chunk);
        } catch (UpstreamException e) {
            fail(e.getMessage());
            return;
        }
        out.write(Buffer.buffer("data: ").appendBuffer(translated.toBuffer()).appendString("\n\n"));
        call.firstByte();
        lastWriteNanos = System.nanoTime();
        if (out.writeQueueFull()) {
            in.pause();
            silence.pause(this::stalled); // the client's pace, not the provider's silence
            out.drainHandler(v -> {
                silence.resume();
                in.resume();
            });
        }
    }

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        silence.stop();
        stopKeepAlive();
        if (style == ApiStyle.OPENAI) {
            out.write("data: [DONE]\n\n");
        }
        out.end();
        call.end(200, null);
        if (!upstreamEnded) {
            // [DONE] came before the provider's answer ended: it gets the silence limit to end it, else its
            // connection is let go rather than held out of the pool for ever
            doneWait = vertx.setTimer(silence.limitMs(), id -> {
                doneWait = -1;
                letGo();
            });
        }
    }

    /** The keep-alive timer goes with the stream (else it would hold the finished stream until its next tick). */
    private void stopKeepAlive() {
        if (keepAlive >= 0) {
            vertx.cancelTimer(keepAlive);
            keepAlive = -1;
        }
    }

    /** Stops the provider's call — never one whose answer has ended (its connection is back in the pool). */
    private void letGo() {
        if (!upstreamEnded) {
            in.request().reset();
        }
    }

    private void fail(String message) {
        if (finished) {
            return;
        }
        finished = true;
        silence.stop();
        stopKeepAlive();
        LOG.warnf(
                "endpoint %s: stream ended with an error: %s",
                provider.endpoint().name(), message);
        JsonObject error = new JsonObject()
                .put("error", ApiError.openAiError(message, "upstream_error", null, "stream_interrupted"));
        out.end(Buffer.buffer("data: ").appendBuffer(error.toBuffer()).appendString("\n\n"));
        call.end(200, "stream_interrupted");
        letGo();
    }

    /** The client stopped reading for longer than the limit: both connections are let go. */
    private void stalled() {
        if (!finished) {
            LOG.warnf(
                    "endpoint %s: the client read nothing for too long; its stream is closed",
                    provider.endpoint().name());
            finished = true;
            stopKeepAlive();
            letGo();
            out.reset();
            call.end(499, "client_stalled");
        }
    }

    /** The client left: stop the provider's call too. */
    private void cancel() {
        if (!finished) {
            finished = true;
            silence.stop();
            stopKeepAlive();
            letGo();
            call.end(499, "client_closed");
        }
    }
}
