package dev.skein.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * llm-gateway-service as evaluation-service calls it, on a local port, in its wire format: {@code GET
 * /api/2.0/endpoints/{name}} (MLflow's Endpoint, 404 for an unknown one) and {@code POST /gateway/{name}/invocations}
 * (MLflow's chat or completions answer with usage, or the gateway's error JSON). Each endpoint's answers are
 * deterministic functions of the request body and how many calls it had. Every call is recorded (headers and body).
 */
public final class LlmGatewayFake implements AutoCloseable {

    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String TOKEN = "Bearer test-internal-credential-0123456789";

    /** An answer: status, Retry-After (null: none), and the body. */
    public record Reply(int status, String retryAfter, String body) {}

    /** A recorded call. */
    public record Call(String endpoint, String actor, String authorization, JsonNode body) {}

    private final HttpServer server;
    private final Map<String, String> types = new ConcurrentHashMap<>();
    private final Map<String, BiFunction<JsonNode, Integer, Reply>> behaviours = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    public final List<Call> calls = new CopyOnWriteArrayList<>();

    public LlmGatewayFake(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** An endpoint of {@code type} answering with {@code behaviour(body, nth call of this body's text)}. */
    public LlmGatewayFake endpoint(String name, String type, BiFunction<JsonNode, Integer, Reply> behaviour) {
        types.put(name, type);
        behaviours.put(name, behaviour);
        return this;
    }

    /** The text a call sent: a chat's last message's content, or a completion's prompt. */
    public static String text(JsonNode body) {
        JsonNode messages = body.path("messages");
        return messages.isArray()
                ? messages.get(messages.size() - 1).path("content").asText()
                : body.path("prompt").asText();
    }

    /** MLflow's chat answer with usage. */
    public static Reply chat(String content, int promptTokens, int completionTokens) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", "chatcmpl-1")
                .put("object", "chat.completion")
                .put("created", 1)
                .put("model", "fake");
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", content);
        o.putObject("usage")
                .put("prompt_tokens", promptTokens)
                .put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
        return new Reply(200, null, o.toString());
    }

    /** MLflow's completions answer, without usage (a provider that gives none). */
    public static Reply completion(String text) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", "cmpl-1").put("object", "text_completion").put("created", 1).put("model", "fake");
        o.putArray("choices").addObject().put("index", 0).put("text", text).put("finish_reason", "stop");
        return new Reply(200, null, o.toString());
    }

    public static Reply error(int status, String message, String retryAfter) {
        ObjectNode o = JSON.createObjectNode();
        o.put("error_code", status == 429 ? "REQUEST_LIMIT_EXCEEDED" : "TEMPORARILY_UNAVAILABLE")
                .put("message", message);
        return new Reply(status, retryAfter, o.toString());
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getRawPath();
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (!TOKEN.equals(auth)) {
                send(ex, new Reply(401, null, "{\"error_code\":\"UNAUTHENTICATED\",\"message\":\"no credential\"}"));
                return;
            }
            if (ex.getRequestMethod().equals("GET") && path.startsWith("/api/2.0/endpoints/")) {
                String name = URLDecoder.decode(path.substring("/api/2.0/endpoints/".length()), StandardCharsets.UTF_8);
                String type = types.get(name);
                if (type == null) {
                    send(
                            ex,
                            new Reply(
                                    404,
                                    null,
                                    "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"The endpoint '" + name
                                            + "' is not present or active on the server.\"}"));
                    return;
                }
                ObjectNode o = JSON.createObjectNode().put("name", name).put("endpoint_type", type);
                o.putObject("model").put("name", "fake").put("provider", "openai");
                send(ex, new Reply(200, null, o.toString()));
                return;
            }
            if (ex.getRequestMethod().equals("POST") && path.startsWith("/gateway/") && path.endsWith("/invocations")) {
                String name = URLDecoder.decode(
                        path.substring("/gateway/".length(), path.length() - "/invocations".length()),
                        StandardCharsets.UTF_8);
                JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
                calls.add(new Call(name, ex.getRequestHeaders().getFirst("skein-actor"), auth, body));
                var behaviour = behaviours.get(name);
                if (behaviour == null) {
                    send(
                            ex,
                            new Reply(
                                    404,
                                    null,
                                    "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"Not Found\"}"));
                    return;
                }
                int nth = counts.computeIfAbsent(name + "\u0000" + text(body), k -> new AtomicInteger())
                        .incrementAndGet();
                send(ex, behaviour.apply(body, nth));
                return;
            }
            send(ex, new Reply(404, null, "{}"));
        } catch (RuntimeException e) {
            send(ex, new Reply(500, null, "{\"message\":\"" + e + "\"}"));
        } finally {
            ex.close();
        }
    }

    private static void send(HttpExchange ex, Reply reply) throws IOException {
        byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (reply.retryAfter() != null) {
            ex.getResponseHeaders().set("Retry-After", reply.retryAfter());
        }
        ex.sendResponseHeaders(reply.status(), bytes.length);
        ex.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
