package dev.skein.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A local LLM provider speaking OpenAI's wire format ({@code POST /v1/chat/completions}, {@code /v1/embeddings};
 * JSON and server-sent events), which the suite's llm-gateway-service endpoints call. What it does depends on the
 * last message's content: {@code step} streams one chunk and waits for {@link #release} before the rest (so a test
 * can see the first chunk reach it while the provider still holds the others), {@code hold} streams one chunk and
 * then only comments until its client goes away ({@link #holdClosed}), {@code busy} is refused with 429 and
 * {@code Retry-After: 7}; anything else is answered at once ({@code You said: …}, or streamed as {@code first} and
 * {@code  answer}, with OpenAI's usage-only chunk when {@code stream_options.include_usage} asks for it). It
 * remembers the last request's headers and body.
 *
 * <p>Unstreamed answers also depend on the model asked for: {@code gpt-e2e} answers {@code You said: …}; another
 * {@code gpt-e2e-X} answers {@code [X] You said: …} (so several endpoints answer differently); {@code judge-e2e}
 * grades as an LLM judge would, with {@code {"score": N, "justification": "…"}} where N is 1 + the number of
 * {@code e} letters of the prompt modulo 5 (deterministic, and different from row to row); {@code
 * judge-malformed-e2e} answers prose without a score. Usage: 5 prompt tokens, 3 completion tokens.
 */
final class OpenAiProvider implements AutoCloseable {

    final CountDownLatch release = new CountDownLatch(1);
    final CompletableFuture<Void> holdClosed = new CompletableFuture<>();
    final Map<String, Object> last = new ConcurrentHashMap<>();
    /** What each chat model was asked (its last message), in arrival order: "model: content". */
    final List<String> asked = new CopyOnWriteArrayList<>();

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    private OpenAiProvider(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server.createContext("/v1/chat/completions", this::chat);
        server.createContext("/v1/embeddings", this::embeddings);
        server.setExecutor(threads);
        server.start();
    }

    static OpenAiProvider start(int port) {
        try {
            return new OpenAiProvider(port);
        } catch (IOException e) {
            throw new IllegalStateException("the local LLM provider cannot listen on " + port, e);
        }
    }

    private JsonObject remember(HttpExchange exchange) throws IOException {
        JsonObject body = new JsonObject(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        last.put("authorization", String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
        last.put("body", body);
        return body;
    }

    private void chat(HttpExchange exchange) throws IOException {
        try (exchange) {
            JsonObject body = remember(exchange);
            JsonArray messages = body.getJsonArray("messages");
            String said = messages.getJsonObject(messages.size() - 1).getString("content");
            asked.add(body.getString("model") + ": " + said);
            if (said.equals("busy")) {
                // refused as OpenAI refuses a rate limit (the web UI's try-it shows it)
                exchange.getResponseHeaders().set("Retry-After", "7");
                send(
                        exchange,
                        429,
                        new JsonObject()
                                .put(
                                        "error",
                                        new JsonObject()
                                                .put("message", "The e2e provider is busy")
                                                .put("type", "requests")
                                                .putNull("param")
                                                .put("code", "rate_limit_exceeded")));
                return;
            }
            if (!body.getBoolean("stream", false)) {
                JsonObject answer = new JsonObject()
                        .put("id", "chatcmpl-e2e")
                        .put("object", "chat.completion")
                        .put("created", 1700000000)
                        .put("model", body.getString("model"))
                        .put(
                                "choices",
                                new JsonArray()
                                        .add(new JsonObject()
                                                .put("index", 0)
                                                .put(
                                                        "message",
                                                        new JsonObject()
                                                                .put("role", "assistant")
                                                                .put(
                                                                        "content",
                                                                        unstreamed(body.getString("model"), said)))
                                                .put("finish_reason", "stop")))
                        .put(
                                "usage",
                                new JsonObject()
                                        .put("prompt_tokens", 5)
                                        .put("completion_tokens", 3)
                                        .put("total_tokens", 8));
                send(exchange, answer);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            event(out, chunk(body, "first", null));
            switch (said) {
                case "step" -> {
                    if (!release.await(60, TimeUnit.SECONDS)) {
                        return; // the test failed already; end the stream without its end
                    }
                    event(out, chunk(body, " second", null));
                }
                case "hold" -> {
                    try {
                        for (int i = 0; i < 600; i++) { // a bound of two minutes, not an assertion
                            Thread.sleep(200);
                            out.write(": still here\n\n".getBytes(StandardCharsets.UTF_8));
                            out.flush();
                        }
                    } catch (IOException gone) {
                        holdClosed.complete(null);
                    }
                    return;
                }
                default -> event(out, chunk(body, " answer", null));
            }
            event(out, chunk(body, null, "stop"));
            JsonObject options = body.getJsonObject("stream_options");
            if (options != null && options.getBoolean("include_usage", false)) {
                // OpenAI's usage-only chunk, sent when asked for
                event(
                        out,
                        chunk(body, null, null)
                                .put("choices", new JsonArray())
                                .put(
                                        "usage",
                                        new JsonObject()
                                                .put("prompt_tokens", 5)
                                                .put("completion_tokens", 2)
                                                .put("total_tokens", 7)));
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void embeddings(HttpExchange exchange) throws IOException {
        try (exchange) {
            JsonObject body = remember(exchange);
            send(
                    exchange,
                    new JsonObject()
                            .put("object", "list")
                            .put(
                                    "data",
                                    new JsonArray()
                                            .add(new JsonObject()
                                                    .put("object", "embedding")
                                                    .put("index", 0)
                                                    .put(
                                                            "embedding",
                                                            new JsonArray()
                                                                    .add(0.5)
                                                                    .add(-0.25))))
                            .put("model", body.getString("model"))
                            .put(
                                    "usage",
                                    new JsonObject().put("prompt_tokens", 2).put("total_tokens", 2)));
        }
    }

    /** The unstreamed answer of a model to what was said (see the class comment). */
    static String unstreamed(String model, String said) {
        if ("judge-e2e".equals(model)) {
            return new JsonObject()
                    .put("score", 1 + judgeLetters(said) % 5)
                    .put("justification", "Judged by the e2e judge.")
                    .encode();
        }
        if ("judge-malformed-e2e".equals(model)) {
            return "I would rather not grade this answer.";
        }
        if (model != null && model.startsWith("gpt-e2e-")) {
            return "[" + model.substring("gpt-e2e-".length()) + "] You said: " + said;
        }
        return "You said: " + said;
    }

    /** The e2e judge's count: the letters {@code e} in what it was asked. */
    static long judgeLetters(String said) {
        return said.chars().filter(c -> c == 'e').count();
    }

    private static JsonObject chunk(JsonObject request, String content, String finish) {
        JsonObject delta = new JsonObject();
        if (content != null) {
            delta.put("content", content);
        }
        return new JsonObject()
                .put("id", "chatcmpl-e2e")
                .put("object", "chat.completion.chunk")
                .put("created", 1700000000)
                .put("model", request.getString("model"))
                .put(
                        "choices",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("index", 0)
                                        .put("delta", delta)
                                        .put("finish_reason", finish)));
    }

    private static void event(OutputStream out, JsonObject chunk) throws IOException {
        out.write(("data: " + chunk.encode() + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void send(HttpExchange exchange, JsonObject json) throws IOException {
        send(exchange, 200, json);
    }

    private static void send(HttpExchange exchange, int status, JsonObject json) throws IOException {
        byte[] bytes = json.encode().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
