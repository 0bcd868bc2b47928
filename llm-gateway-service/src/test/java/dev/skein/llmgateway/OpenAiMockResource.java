package dev.skein.llmgateway;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A local server speaking OpenAI's documented wire format (chat/completions, embeddings; JSON and server-sent
 * events), deterministic, chosen by the request's {@code model}: {@code gpt-normal}, {@code gpt-tools} (a tool
 * call), {@code gpt-ratelimited} (429 with Retry-After), {@code gpt-broken} (500), {@code gpt-badkey} (401
 * repeating the key it got, as a careless provider might), {@code gpt-malformed} (a body that is not JSON),
 * {@code gpt-html} (502 text/html), {@code gpt-slow} (never answers), {@code gpt-cut} (the connection closed
 * mid-stream), {@code gpt-hold} (two chunks, then only comments, never ending), {@code gpt-nochoices} (JSON
 * without choices), {@code gpt-trickle} (a JSON answer that never ends), {@code gpt-drip} (the same, for the
 * call's own timeout), {@code gpt-stall} (headers and a first part, then silence), {@code gpt-huge} (an answer of
 * 2 MiB), {@code gpt-redirect} (302), {@code gpt-echokey} (a 400 repeating the key in its error's fields),
 * {@code gpt-park} (a stream that never ends), {@code gpt-bigevent} (a stream event of 2 MiB), {@code
 * gpt-firehose} (16 MiB of chunks as fast as the gateway takes them). It also writes the gateway YAML the service
 * under test reads, and remembers each model's last request for the tests to look at.
 */
public class OpenAiMockResource implements QuarkusTestResourceLifecycleManager {

    public static final String ENV_KEY = "sk-test-from-env-7c1d2e"; // set by the pom's surefire configuration
    public static final String FILE_KEY = "sk-test-from-file-55aa01";
    public static final String LITERAL_KEY = "sk-very-secret-literal-9f8e7d";
    public static final String AZURE_KEY = "azure-secret-key-31415926";
    public static final String ANTHROPIC_KEY = "sk-ant-test-key-2718281828";

    /** Completed when the gateway closes the connection of a {@code gpt-hold} stream (its client left). */
    public static final CompletableFuture<Void> HOLD_CLOSED = new CompletableFuture<>();

    /** Completed when the gateway closes the connection of a {@code gpt-trickle} call (its client left). */
    public static final CompletableFuture<Void> TRICKLE_CLOSED = new CompletableFuture<>();

    /** The key of the {@code shortkey} endpoint: two characters, found inside many words. */
    public static final String SHORT_KEY = "ge";

    /** Chunks {@code gpt-firehose} streams, each with {@link #FIREHOSE_TEXT} as its content. */
    public static final int FIREHOSE_CHUNKS = 16 * 1024;

    public static final String FIREHOSE_TEXT = "x".repeat(1000);

    /** Completed when the gateway closes a {@code gpt-doneopen} stream, which never ends after its [DONE]. */
    public static final CompletableFuture<Void> DONEOPEN_CLOSED = new CompletableFuture<>();

    /** Completed when the gateway closes a {@code gpt-firehose} stream before its end (its client stalled). */
    public static final CompletableFuture<Void> FIREHOSE_CUT = new CompletableFuture<>();

    /** Calls of {@code gpt-flaky} so far. */
    public static final java.util.concurrent.atomic.AtomicInteger FLAKY =
            new java.util.concurrent.atomic.AtomicInteger();

    /** The last request per model (or "azure"): method, path, query, headers, body. */
    public static final Map<String, JsonObject> LAST = new ConcurrentHashMap<>();

    /** The server's base URL (http://127.0.0.1:port), once started. */
    public static volatile String BASE;

    private Vertx vertx;
    private Path dir;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        HttpServer server = vertx.createHttpServer().requestHandler(this::handle);
        int port;
        try {
            port = server.listen(0, "127.0.0.1")
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS)
                    .actualPort();
            BASE = "http://127.0.0.1:" + port;
            dir = Files.createTempDirectory("llm-gateway-test");
            Path keyFile = dir.resolve("openai.key");
            Files.writeString(keyFile, FILE_KEY + "\n");
            Path config = dir.resolve("gateway.yaml");
            Files.writeString(config, yaml("http://127.0.0.1:" + port, keyFile));
            return Map.of("skein.llm-gateway.config-file", config.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String yaml(String base, Path keyFile) {
        StringBuilder y = new StringBuilder("endpoints:\n");
        chat(
                y,
                "chat",
                "llm/v1/chat",
                "gpt-normal",
                "$SKEIN_TEST_OPENAI_KEY",
                base,
                "    openai_organization: org-skein\n");
        chat(y, "completions", "llm/v1/completions", "gpt-normal", keyFile.toString(), base, "");
        chat(y, "embeddings", "llm/v1/embeddings", "text-embedding-normal", LITERAL_KEY, base, "");
        chat(y, "tools", "llm/v1/chat", "gpt-tools", LITERAL_KEY, base, "");
        chat(y, "ratelimited", "llm/v1/chat", "gpt-ratelimited", LITERAL_KEY, base, "");
        chat(y, "broken", "llm/v1/chat", "gpt-broken", LITERAL_KEY, base, "");
        chat(y, "badkey", "llm/v1/chat", "gpt-badkey", LITERAL_KEY, base, "");
        chat(y, "malformed", "llm/v1/chat", "gpt-malformed", LITERAL_KEY, base, "");
        chat(y, "html", "llm/v1/chat", "gpt-html", LITERAL_KEY, base, "");
        chat(y, "slow", "llm/v1/chat", "gpt-slow", LITERAL_KEY, base, "");
        chat(y, "cut", "llm/v1/chat", "gpt-cut", LITERAL_KEY, base, "");
        chat(y, "hold", "llm/v1/chat", "gpt-hold", LITERAL_KEY, base, "");
        chat(y, "nochoices", "llm/v1/chat", "gpt-nochoices", LITERAL_KEY, base, "");
        chat(y, "trickle", "llm/v1/chat", "gpt-trickle", LITERAL_KEY, base, "");
        chat(y, "drip", "llm/v1/chat", "gpt-drip", LITERAL_KEY, base, "");
        chat(y, "stall", "llm/v1/chat", "gpt-stall", LITERAL_KEY, base, "");
        chat(y, "huge", "llm/v1/chat", "gpt-huge", LITERAL_KEY, base, "");
        chat(y, "redirect", "llm/v1/chat", "gpt-redirect", LITERAL_KEY, base, "");
        chat(y, "echokey", "llm/v1/chat", "gpt-echokey", LITERAL_KEY, base, "");
        chat(y, "shortkey", "llm/v1/chat", "gpt-echokey", SHORT_KEY, base, "");
        chat(y, "park", "llm/v1/chat", "gpt-park", LITERAL_KEY, base, "");
        chat(y, "bigevent", "llm/v1/chat", "gpt-bigevent", LITERAL_KEY, base, "");
        chat(y, "firehose", "llm/v1/chat", "gpt-firehose", LITERAL_KEY, base, "");
        chat(y, "doneopen", "llm/v1/chat", "gpt-doneopen", LITERAL_KEY, base, "");
        y.append(
                        "  - name: azure\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      name: gpt-normal\n")
                .append("      config:\n        openai_api_key: ")
                .append(AZURE_KEY)
                .append('\n')
                .append("        openai_api_type: azure\n        openai_api_base: ")
                .append(base)
                .append('\n')
                .append("        openai_deployment_name: dep1\n        openai_api_version: \"2024-02-01\"\n")
                .append("    limit:\n      calls: 10\n      renewal_period: minute\n");
        // limits and budgets (LlmGovernanceTest): windows long enough that none ends during a test run
        chat(y, "limited", "llm/v1/chat", "gpt-normal", LITERAL_KEY, base, "");
        y.append("    limit:\n      calls: 2\n      renewal_period: 1 year\n");
        chat(y, "tokenlimited", "llm/v1/chat", "gpt-normal", LITERAL_KEY, base, "");
        y.append("    limits:\n      - {per: endpoint, renewal_period: year, tokens: 10}\n");
        chat(y, "budgeted", "llm/v1/chat", "gpt-normal", LITERAL_KEY, base, "");
        y.append("    budgets:\n      - {per: caller, period: month, usd: 0.00005, on_exceed: REJECT}\n");
        chat(y, "alerted", "llm/v1/chat", "gpt-normal", LITERAL_KEY, base, "");
        y.append("    budgets:\n      - {per: endpoint, period: month, usd: 0.00005, on_exceed: ALERT}\n");
        chat(y, "metered", "llm/v1/chat", "gpt-normal", LITERAL_KEY, base, "");
        // retries and fallbacks (LlmResilienceTest)
        chat(y, "flaky", "llm/v1/chat", "gpt-flaky", LITERAL_KEY, base, "");
        y.append("    retries: {max_attempts: 3, initial_backoff: 0.05, max_backoff: 1}\n");
        chat(y, "withfallback", "llm/v1/chat", "gpt-broken", LITERAL_KEY, base, "");
        y.append("    retries: {max_attempts: 2, initial_backoff: 0.01, max_backoff: 1}\n");
        y.append("    fallbacks: [badkey, chat]\n");
        chat(y, "lastresort", "llm/v1/chat", "gpt-broken", LITERAL_KEY, base, "");
        y.append("    fallbacks: [broken]\n");
        // a fallback with a limit of its own, counted when a call turns to it
        chat(y, "guarded", "llm/v1/chat", "gpt-normal", LITERAL_KEY, base, "");
        y.append("    limit:\n      calls: 1\n      renewal_period: 1 year\n");
        chat(y, "spillover", "llm/v1/chat", "gpt-broken", LITERAL_KEY, base, "");
        y.append("    fallbacks: [guarded, chat]\n");
        chat(y, "impatient", "llm/v1/chat", "gpt-ratelimited", LITERAL_KEY, base, "");
        y.append("    retries: {max_attempts: 5, initial_backoff: 0.01, max_backoff: 1}\n");
        // Anthropic's Messages API (AnthropicProviderTest)
        for (String[] a : new String[][] {
            {"claude", "llm/v1/chat", "claude-normal"},
            {"claude-completions", "llm/v1/completions", "claude-normal"},
            {"claude-overloaded", "llm/v1/chat", "claude-overloaded"},
            {"claude-ratelimited", "llm/v1/chat", "claude-ratelimited"}
        }) {
            y.append("  - name: ")
                    .append(a[0])
                    .append("\n    endpoint_type: ")
                    .append(a[1])
                    .append("\n    model:\n      provider: anthropic\n      name: ")
                    .append(a[2])
                    .append("\n      config:\n        anthropic_api_key: ")
                    .append(ANTHROPIC_KEY)
                    .append("\n        anthropic_api_base: ")
                    .append(base)
                    .append("/v1\n");
        }
        // Amazon Bedrock and MLflow model servers (BedrockProviderTest, MlflowServingProviderTest)
        BedrockMock.yaml(y, base);
        MlflowServingMock.yaml(y, base);
        // a traffic route over two endpoints (LlmResilienceTest)
        chat(y, "blue", "llm/v1/chat", "gpt-normal", LITERAL_KEY, base, "");
        chat(y, "green", "llm/v1/chat", "gpt-normal", LITERAL_KEY, base, "");
        y.append(ProviderMocks.yaml(base));
        // USD per million tokens: a gpt-normal answer (9 in, 12 out) costs 0.000033
        y.append("prices:\n  gpt-normal: {input_per_million_tokens: 1, output_per_million_tokens: 2}\n");
        y.append("routes:\n  - name: canary\n    task_type: llm/v1/chat\n    destinations:\n"
                + "      - {name: blue, traffic_percentage: 50}\n      - {name: green, traffic_percentage: 50}\n"
                + "    routing_strategy: TRAFFIC_SPLIT\n");
        return y.toString();
    }

    private static void chat(
            StringBuilder y, String name, String type, String model, String key, String base, String extra) {
        y.append("  - name: ")
                .append(name)
                .append('\n')
                .append("    endpoint_type: ")
                .append(type)
                .append('\n')
                .append("    model:\n      provider: openai\n      name: ")
                .append(model)
                .append('\n')
                .append("      config:\n        openai_api_key: \"")
                .append(key)
                .append("\"\n")
                .append("        openai_api_base: ")
                .append(base)
                .append("/v1\n")
                .append(extra.isEmpty() ? "" : "    " + extra);
    }

    private void handle(HttpServerRequest req) {
        req.body().onSuccess(buffer -> {
            JsonObject body;
            try {
                body = new JsonObject(buffer);
            } catch (RuntimeException e) {
                req.response().setStatusCode(400).end();
                return;
            }
            JsonObject headers = new JsonObject();
            req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
            JsonObject seen = new JsonObject()
                    .put("path", req.path())
                    .put("query", req.query())
                    .put("headers", headers)
                    .put("body", body);
            if (req.path().startsWith("/model/")) {
                BedrockMock.handle(vertx, req, buffer, seen);
                return;
            }
            if (req.path().startsWith("/serving/")) {
                MlflowServingMock.handle(req, seen);
                return;
            }
            if (ProviderMocks.handle(req, seen)) {
                return; // Mistral, Gemini, Cohere (their own tests)
            }
            boolean azure = req.path().startsWith("/openai/deployments/");
            String model = azure ? "azure" : body.getString("model", "none");
            LAST.put(model, seen);
            boolean stream = body.getBoolean("stream", false);
            if (req.path().endsWith("/messages")) {
                anthropic(req, body, model, stream);
                return;
            }
            if (req.path().endsWith("/embeddings")) {
                embeddings(req, body);
                return;
            }
            switch (azure ? "gpt-normal" : model) {
                case "gpt-normal" -> {
                    if (stream) {
                        stream(req, withUsage(normalChunks(), body), true);
                    } else {
                        json(
                                req,
                                200,
                                completion(
                                        new JsonObject()
                                                .put("role", "assistant")
                                                .put("content", "Hello!"),
                                        "stop"));
                    }
                }
                case "gpt-tools" -> {
                    JsonArray calls = new JsonArray()
                            .add(new JsonObject()
                                    .put("id", "call_abc123")
                                    .put("type", "function")
                                    .put(
                                            "function",
                                            new JsonObject()
                                                    .put("name", "get_weather")
                                                    .put("arguments", "{\"city\":\"Paris\"}")));
                    if (stream) {
                        stream(req, toolChunks(), true);
                    } else {
                        json(
                                req,
                                200,
                                completion(
                                        new JsonObject()
                                                .put("role", "assistant")
                                                .putNull("content")
                                                .put("tool_calls", calls),
                                        "tool_calls"));
                    }
                }
                case "gpt-ratelimited" -> {
                    req.response().putHeader("Retry-After", "7");
                    json(req, 429, error("Rate limit reached for gpt-ratelimited", "requests", "rate_limit_exceeded"));
                }
                case "gpt-flaky" -> {
                    // of every three calls, the first two fail (503, then a cut connection) and the third is answered
                    int n = FLAKY.incrementAndGet() % 3;
                    if (n == 1) {
                        req.response().putHeader("Retry-After", "0");
                        json(req, 503, error("The engine is currently overloaded", "server_error", null));
                    } else if (n == 2) {
                        req.connection().close();
                    } else if (stream) {
                        stream(req, withUsage(normalChunks(), body), true);
                    } else {
                        json(
                                req,
                                200,
                                completion(
                                        new JsonObject()
                                                .put("role", "assistant")
                                                .put("content", "At last"),
                                        "stop"));
                    }
                }
                case "gpt-broken" ->
                    json(
                            req,
                            500,
                            error("The server had an error while processing your request.", "server_error", null));
                case "gpt-badkey" ->
                    json(
                            req,
                            401,
                            error(
                                    "Incorrect API key provided: "
                                            + headers.getString("authorization", "")
                                                    .replace("Bearer ", "") + ".",
                                    "invalid_request_error",
                                    "invalid_api_key"));
                case "gpt-malformed" -> {
                    if (stream) {
                        req.response()
                                .putHeader("Content-Type", "text/event-stream")
                                .end("data: {\"id\": \"x\", broken\n\n");
                    } else {
                        req.response()
                                .putHeader("Content-Type", "application/json")
                                .end("{\"id\": \"x\", broken");
                    }
                }
                case "gpt-html" ->
                    req.response()
                            .setStatusCode(502)
                            .putHeader("Content-Type", "text/html")
                            .end("<html>Bad gateway</html>");
                case "gpt-slow" -> {
                    // never answers: the gateway's upstream timeout must end the call
                }
                case "gpt-cut" -> {
                    if (stream) {
                        req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
                        JsonArray chunks = normalChunks();
                        req.response().write("data: " + chunks.getJsonObject(0).encode() + "\n\n");
                        req.response()
                                .write("data: " + chunks.getJsonObject(1).encode() + "\n\n")
                                .onComplete(v -> req.connection().close());
                    } else {
                        req.connection().close();
                    }
                }
                case "gpt-trickle" -> trickle(req, TRICKLE_CLOSED);
                case "gpt-drip" -> trickle(req, new CompletableFuture<>());
                case "gpt-stall" -> {
                    // headers and a first part, then nothing: the gateway's silence limit must end the call
                    req.response()
                            .setChunked(true)
                            .putHeader("Content-Type", stream ? "text/event-stream" : "application/json");
                    req.response()
                            .write(
                                    stream
                                            ? "data: "
                                                    + normalChunks()
                                                            .getJsonObject(0)
                                                            .encode() + "\n\n"
                                            : "{");
                }
                case "gpt-huge" -> {
                    JsonObject answer = completion(
                            new JsonObject().put("role", "assistant").put("content", "y".repeat(2 * 1024 * 1024)),
                            "stop");
                    req.response().setChunked(true).putHeader("Content-Type", "application/json");
                    req.response().end(answer.encode());
                }
                case "gpt-redirect" ->
                    req.response()
                            .setStatusCode(302)
                            .putHeader("Location", "https://elsewhere.example/v1/chat/completions")
                            .end();
                case "gpt-echokey" -> {
                    String key = headers.getString("authorization", "").replace("Bearer ", "");
                    JsonObject error =
                            error("Invalid request for " + key + ": message too long", "invalid_request_error", null);
                    error.getJsonObject("error").put("param", key).put("details", new JsonArray().add("seen " + key));
                    json(req, 400, error);
                }
                case "gpt-park" -> park(req, new CompletableFuture<>());
                case "gpt-doneopen" -> {
                    // a whole stream and its [DONE], then the response is never ended (a careless server)
                    req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
                    for (Object c : normalChunks()) {
                        req.response().write("data: " + ((JsonObject) c).encode() + "\n\n");
                    }
                    req.response().write("data: [DONE]\n\n");
                    req.connection().closeHandler(v -> DONEOPEN_CLOSED.complete(null));
                }
                case "gpt-bigevent" -> {
                    req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
                    req.response()
                            .end("data: "
                                    + chunk(new JsonObject().put("content", "z".repeat(2 * 1024 * 1024)), null)
                                            .encode()
                                    + "\n\ndata: [DONE]\n\n");
                }
                case "gpt-firehose" -> {
                    req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
                    req.connection().closeHandler(v -> {
                        if (!req.response().ended()) {
                            FIREHOSE_CUT.complete(null);
                        }
                    });
                    firehose(req, 0);
                }
                case "gpt-nochoices" ->
                    json(req, 200, new JsonObject().put("id", "chatcmpl-1").put("object", "chat.completion"));
                case "gpt-hold" -> park(req, HOLD_CLOSED);
                default ->
                    json(
                            req,
                            404,
                            error(
                                    "The model `" + model + "` does not exist",
                                    "invalid_request_error",
                                    "model_not_found"));
            }
        });
    }

    /**
     * A JSON answer that never ends, white space every 200 ms (so the gateway's silence limit never ends the call):
     * only the gateway cancelling its call closes this connection, which completes {@code closed}.
     */
    private void trickle(HttpServerRequest req, CompletableFuture<Void> closed) {
        req.response().setChunked(true).putHeader("Content-Type", "application/json");
        req.response().write("{");
        long timer = vertx.setPeriodic(200, t -> req.response().write(" "));
        req.connection().closeHandler(v -> {
            vertx.cancelTimer(timer);
            closed.complete(null);
        });
    }

    /**
     * Two chunks (the role, then "Hel"), then comments only (so the gateway's silence limit never ends the call): only the gateway
     * cancelling its call closes this connection, which completes {@code closed}.
     */
    private void park(HttpServerRequest req, CompletableFuture<Void> closed) {
        req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
        req.response().write("data: " + normalChunks().getJsonObject(0).encode() + "\n\n");
        req.response().write("data: " + normalChunks().getJsonObject(1).encode() + "\n\n");
        long timer = vertx.setPeriodic(200, t -> req.response().write(": still here\n\n"));
        req.connection().closeHandler(v -> {
            vertx.cancelTimer(timer);
            closed.complete(null);
        });
    }

    /** {@link #FIREHOSE_CHUNKS} chunks as fast as the gateway reads them (its pace, kept by the drain), then [DONE]. */
    private static void firehose(HttpServerRequest req, int from) {
        var response = req.response();
        String event = "data: "
                + chunk(new JsonObject().put("content", FIREHOSE_TEXT), null).encode() + "\n\n";
        int i = from;
        while (i < FIREHOSE_CHUNKS && !response.writeQueueFull()) {
            response.write(event);
            i++;
        }
        if (i == FIREHOSE_CHUNKS) {
            response.end("data: [DONE]\n\n");
        } else {
            int next = i;
            response.drainHandler(v -> firehose(req, next));
        }
    }

    private static JsonObject completion(JsonObject message, String finish) {
        return new JsonObject()
                .put("id", "chatcmpl-123")
                .put("object", "chat.completion")
                .put("created", 1700000000)
                .put("model", "gpt-4o-mini-2024-07-18")
                .put("system_fingerprint", "fp_44709d6fcb")
                .put(
                        "choices",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("index", 0)
                                        .put("message", message)
                                        .putNull("logprobs")
                                        .put("finish_reason", finish)))
                .put(
                        "usage",
                        new JsonObject()
                                .put("prompt_tokens", 9)
                                .put("completion_tokens", 12)
                                .put("total_tokens", 21));
    }

    static JsonObject chunk(JsonObject delta, String finish) {
        return new JsonObject()
                .put("id", "chatcmpl-123")
                .put("object", "chat.completion.chunk")
                .put("created", 1700000000)
                .put("model", "gpt-4o-mini-2024-07-18")
                .put(
                        "choices",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("index", 0)
                                        .put("delta", delta)
                                        .putNull("logprobs")
                                        .put("finish_reason", finish)));
    }

    private static JsonArray normalChunks() {
        return new JsonArray()
                .add(chunk(new JsonObject().put("role", "assistant").put("content", ""), null))
                .add(chunk(new JsonObject().put("content", "Hel"), null))
                .add(chunk(new JsonObject().put("content", "lo!"), null))
                .add(chunk(new JsonObject(), "stop"));
    }

    /**
     * Anthropic's Messages API, as documented: {@code claude-normal} answers (JSON, or its server-sent events:
     * message_start, content_block_start, ping, two text deltas, content_block_stop, message_delta with the
     * stop reason and output tokens, message_stop), {@code claude-overloaded} 529, {@code claude-ratelimited} 429
     * with Retry-After, each error in Anthropic's {@code {"type": "error", "error": {type, message}}}.
     */
    private static void anthropic(HttpServerRequest req, JsonObject body, String model, boolean stream) {
        switch (model) {
            case "claude-overloaded" -> json(req, 529, anthropicError("overloaded_error", "Overloaded"));
            case "claude-ratelimited" -> {
                req.response().putHeader("Retry-After", "3");
                json(
                        req,
                        429,
                        anthropicError("rate_limit_error", "Number of request tokens has exceeded your rate limit"));
            }
            default -> {
                if (!stream) {
                    json(
                            req,
                            200,
                            new JsonObject()
                                    .put("id", "msg_013Zva2CMHLNnXjNJJKqJ2EF")
                                    .put("type", "message")
                                    .put("role", "assistant")
                                    .put("model", "claude-3-5-sonnet-20241022")
                                    .put(
                                            "content",
                                            new JsonArray()
                                                    .add(new JsonObject()
                                                            .put("type", "text")
                                                            .put("text", "Hi! I'm Claude.")))
                                    .put("stop_reason", "end_turn")
                                    .putNull("stop_sequence")
                                    .put(
                                            "usage",
                                            new JsonObject()
                                                    .put("input_tokens", 10)
                                                    .put("output_tokens", 25)));
                    return;
                }
                var response = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
                String[][] events = {
                    {
                        "message_start",
                        new JsonObject()
                                .put("type", "message_start")
                                .put(
                                        "message",
                                        new JsonObject()
                                                .put("id", "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY")
                                                .put("type", "message")
                                                .put("role", "assistant")
                                                .put("content", new JsonArray())
                                                .put("model", "claude-3-5-sonnet-20241022")
                                                .putNull("stop_reason")
                                                .put(
                                                        "usage",
                                                        new JsonObject()
                                                                .put("input_tokens", 25)
                                                                .put("output_tokens", 1)))
                                .encode()
                    },
                    {
                        "content_block_start",
                        "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"
                    },
                    {"ping", "{\"type\": \"ping\"}"},
                    {
                        "content_block_delta",
                        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}"
                    },
                    {
                        "content_block_delta",
                        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"!\"}}"
                    },
                    {"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"},
                    {
                        "message_delta",
                        "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}"
                    },
                    {"message_stop", "{\"type\":\"message_stop\"}"}
                };
                for (String[] e : events) {
                    response.write("event: " + e[0] + "\ndata: " + e[1] + "\n\n");
                }
                response.end();
            }
        }
    }

    private static JsonObject anthropicError(String type, String message) {
        return new JsonObject()
                .put("type", "error")
                .put("error", new JsonObject().put("type", type).put("message", message));
    }

    /** The usage a {@code gpt-normal} stream reports when asked ({@code stream_options.include_usage}). */
    public static final JsonObject STREAM_USAGE =
            new JsonObject().put("prompt_tokens", 9).put("completion_tokens", 3).put("total_tokens", 12);

    /**
     * OpenAI's stream with {@code stream_options: {include_usage: true}}: {@code usage: null} on every chunk, then
     * one more chunk with no choices and the usage.
     */
    private static JsonArray withUsage(JsonArray chunks, JsonObject body) {
        JsonObject options = body.getValue("stream_options") instanceof JsonObject o ? o : new JsonObject();
        if (!Boolean.TRUE.equals(options.getValue("include_usage"))) {
            return chunks;
        }
        JsonArray out = new JsonArray();
        for (Object c : chunks) {
            out.add(((JsonObject) c).copy().putNull("usage"));
        }
        return out.add(
                chunk(new JsonObject(), null).put("choices", new JsonArray()).put("usage", STREAM_USAGE.copy()));
    }

    private static JsonArray toolChunks() {
        JsonObject first = new JsonObject()
                .put("index", 0)
                .put("id", "call_abc123")
                .put("type", "function")
                .put("function", new JsonObject().put("name", "get_weather").put("arguments", ""));
        JsonObject second = new JsonObject()
                .put("index", 0)
                .put("function", new JsonObject().put("arguments", "{\"city\":\"Paris\"}"));
        return new JsonArray()
                .add(chunk(
                        new JsonObject()
                                .put("role", "assistant")
                                .putNull("content")
                                .put("tool_calls", new JsonArray().add(first)),
                        null))
                .add(chunk(new JsonObject().put("tool_calls", new JsonArray().add(second)), null))
                .add(chunk(new JsonObject(), "tool_calls"));
    }

    /** OpenAI's stream: each event split across writes (a line in two reads), a comment line, then [DONE]. */
    private static void stream(HttpServerRequest req, JsonArray chunks, boolean done) {
        var response = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
        response.write(": keep-alive\n\n");
        for (Object c : chunks) {
            String event = "data: " + ((JsonObject) c).encode() + "\n\n";
            int half = event.length() / 2;
            response.write(event.substring(0, half));
            response.write(event.substring(half));
        }
        response.end(done ? "data: [DONE]\n\n" : "");
    }

    private static void embeddings(HttpServerRequest req, JsonObject body) {
        Object input = body.getValue("input");
        int n = input instanceof JsonArray a ? a.size() : 1;
        JsonArray data = new JsonArray();
        for (int i = 0; i < n; i++) {
            data.add(new JsonObject()
                    .put("object", "embedding")
                    .put("index", i)
                    .put("embedding", new JsonArray().add(0.25 + i).add(-0.5).add(0.125)));
        }
        json(
                req,
                200,
                new JsonObject()
                        .put("object", "list")
                        .put("data", data)
                        .put("model", "text-embedding-3-small")
                        .put("usage", new JsonObject().put("prompt_tokens", 8).put("total_tokens", 8)));
    }

    private static JsonObject error(String message, String type, String code) {
        return new JsonObject()
                .put(
                        "error",
                        new JsonObject()
                                .put("message", message)
                                .put("type", type)
                                .putNull("param")
                                .put("code", code));
    }

    private static void json(HttpServerRequest req, int status, JsonObject body) {
        req.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(Buffer.buffer(body.encode()));
    }

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close()
                    .toCompletionStage()
                    .toCompletableFuture()
                    .orTimeout(30, TimeUnit.SECONDS)
                    .join();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // a temporary directory left behind
            }
        }
    }
}
