package dev.skein.llmgateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The other providers {@link OpenAiMockResource}'s server speaks, each under a path of its own and in its own
 * documented wire format: Mistral's ({@code /mistral/v1/...}, OpenAI's format), Gemini's ({@code
 * /gemini/v1beta/models/{model}:generateContent}, {@code :streamGenerateContent?alt=sse}, {@code
 * :batchEmbedContents}), Cohere's v1 ({@code /cohere/v1/chat}, {@code /generate}, {@code /embed}; streams of
 * newline-delimited JSON). The model decides the behaviour,
 * by its suffix: {@code -normal} answers (JSON, or the provider's stream), {@code -tools} a tool call, {@code
 * -ratelimited} 429 with Retry-After, {@code -broken} a 5xx, {@code -malformed} a body (or stream event) that is
 * not JSON, {@code -slow} never answers, {@code -cut} closes the connection mid-stream, {@code -echokey} a 400
 * repeating the key it got, {@code -flaky} 429 with {@code Retry-After: 0} on every other call; Gemini's also
 * {@code -badkey} (Google's 400 API_KEY_INVALID) and {@code -blocked} (a prompt blocked for safety).
 */
final class ProviderMocks {

    static final String MISTRAL_KEY = "mistral-test-key-1123581321";
    static final String GEMINI_KEY = "AIzaSy-gemini-test-key-4669201609";
    static final String COHERE_KEY = "cohere-test-key-5772156649";

    /** The last request per provider and model ({@code mistral/mistral-normal}): path, query, headers, body. */
    static final Map<String, JsonObject> LAST = new ConcurrentHashMap<>();

    /** Calls of each {@code -flaky} model so far. */
    static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();

    private ProviderMocks() {}

    /** The endpoints of these providers, for the gateway YAML. */
    static String yaml(String base) {
        StringBuilder y = new StringBuilder();
        endpoints(
                y,
                "mistral",
                MISTRAL_KEY,
                base + "/mistral/v1",
                "tools ratelimited broken malformed slow cut echokey flaky payment");
        endpoints(
                y,
                "gemini",
                GEMINI_KEY,
                base + "/gemini/v1beta",
                "tools ratelimited broken malformed slow cut echokey badkey blocked flaky");
        endpoints(
                y,
                "cohere",
                COHERE_KEY,
                base + "/cohere/v1",
                "tools ratelimited broken malformed slow cut echokey flaky");
        return y.toString();
    }

    /**
     * {@code provider}'s endpoints: chat, completions and embeddings on its {@code -normal} model, then a chat
     * endpoint per behaviour (space-separated), named as its model ({@code mistral-slow}), in that order.
     */
    private static void endpoints(StringBuilder y, String provider, String key, String base, String behaviours) {
        String normal = provider + "-normal";
        endpoint(y, provider, "llm/v1/chat", normal, provider, key, base);
        endpoint(y, provider + "-completions", "llm/v1/completions", normal, provider, key, base);
        endpoint(y, provider + "-embeddings", "llm/v1/embeddings", normal, provider, key, base);
        for (String behaviour : behaviours.split(" ")) {
            String model = provider + "-" + behaviour;
            endpoint(y, model, "llm/v1/chat", model, provider, key, base);
        }
    }

    private static void endpoint(
            StringBuilder y, String name, String type, String model, String provider, String key, String base) {
        y.append("  - name: ")
                .append(name)
                .append("\n    endpoint_type: ")
                .append(type)
                .append("\n    model:\n      provider: ")
                .append(provider)
                .append("\n      name: ")
                .append(model)
                .append("\n      config:\n        ")
                .append(provider)
                .append("_api_key: ")
                .append(key)
                .append("\n        ")
                .append(provider)
                .append("_api_base: ")
                .append(base)
                .append('\n');
        if (model.endsWith("-flaky")) {
            y.append("    retries: {max_attempts: 2, initial_backoff: 0.01, max_backoff: 1}\n");
        }
    }

    /** Answers {@code req} when its path is one of these providers'; false otherwise. */
    static boolean handle(HttpServerRequest req, JsonObject seen) {
        String path = req.path();
        if (path.startsWith("/mistral/")) {
            mistral(req, seen);
            return true;
        }
        if (path.startsWith("/gemini/")) {
            gemini(req, seen);
            return true;
        }
        if (path.startsWith("/cohere/")) {
            cohere(req, seen);
            return true;
        }
        return false;
    }

    /** The behaviour a model's name asks for: its suffix. */
    private static String behaviour(String model) {
        return model.substring(model.lastIndexOf('-') + 1);
    }

    /** The model an OpenAI-style body names, once {@code seen} is recorded as the last request to it. */
    private static String recordModel(String provider, JsonObject seen) {
        String model = seen.getJsonObject("body").getString("model", "none");
        LAST.put(provider + "/" + model, seen);
        return model;
    }

    /** The key a {@code Bearer} authorization header carries. */
    private static String bearer(JsonObject seen) {
        return seen.getJsonObject("headers").getString("authorization", "").replace("Bearer ", "");
    }

    /** Whether a {@code -flaky} model fails this call (every other one, starting with the first). */
    private static boolean flakyFails(String key) {
        return CALLS.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() % 2 == 1;
    }

    // --- Mistral: OpenAI's wire format (docs.mistral.ai/api)

    private static void mistral(HttpServerRequest req, JsonObject seen) {
        JsonObject body = seen.getJsonObject("body");
        String model = recordModel("mistral", seen);
        boolean stream = body.getBoolean("stream", false);
        String key = bearer(seen);
        if (req.path().endsWith("/embeddings")) {
            JsonArray data = new JsonArray();
            Object input = body.getValue("input");
            int n = input instanceof JsonArray a ? a.size() : 1;
            for (int i = 0; i < n; i++) {
                data.add(new JsonObject()
                        .put("object", "embedding")
                        .put("embedding", new JsonArray().add(-0.0165).add(0.0712 + i))
                        .put("index", i));
            }
            json(
                    req,
                    200,
                    new JsonObject()
                            .put("id", "8d6a8e8ee0fa460c9360526480f636ee")
                            .put("object", "list")
                            .put("data", data)
                            .put("model", "mistral-embed")
                            .put(
                                    "usage",
                                    new JsonObject().put("prompt_tokens", 6).put("total_tokens", 6)));
            return;
        }
        switch (behaviour(model)) {
            case "normal" -> {
                if (stream) {
                    sse(
                            req,
                            new JsonArray()
                                    .add(mistralChunk(
                                            new JsonObject()
                                                    .put("role", "assistant")
                                                    .put("content", ""),
                                            null))
                                    .add(mistralChunk(new JsonObject().put("content", "Bon"), null))
                                    .add(mistralChunk(new JsonObject().put("content", "jour!"), null))
                                    .add(mistralChunk(new JsonObject().put("content", ""), "stop")
                                            .put(
                                                    "usage",
                                                    new JsonObject()
                                                            .put("prompt_tokens", 8)
                                                            .put("total_tokens", 12)
                                                            .put("completion_tokens", 4))),
                            "data: [DONE]\n\n");
                } else {
                    json(req, 200, mistralAnswer(new JsonObject().put("content", "Bonjour!"), "stop"));
                }
            }
            case "tools" -> {
                JsonArray calls = new JsonArray()
                        .add(new JsonObject()
                                .put("id", "D681PevKs")
                                .put(
                                        "function",
                                        new JsonObject()
                                                .put("name", "get_weather")
                                                .put("arguments", "{\"city\": \"Paris\"}")));
                json(
                        req,
                        200,
                        mistralAnswer(new JsonObject().put("content", "").put("tool_calls", calls), "tool_calls"));
            }
            case "ratelimited" -> {
                req.response().putHeader("Retry-After", "4");
                json(req, 429, new JsonObject().put("message", "Requests rate limit exceeded"));
            }
            case "broken" ->
                json(
                        req,
                        503,
                        new JsonObject()
                                .put("object", "error")
                                .put("message", "Service unavailable, please retry later")
                                .put("type", "service_unavailable"));
            case "malformed" -> malformed(req, stream);
            case "slow" -> {
                // never answers: the gateway's silence limit must end the call
            }
            case "cut" ->
                cut(
                        req,
                        "data: "
                                + mistralChunk(
                                                new JsonObject()
                                                        .put("role", "assistant")
                                                        .put("content", "Bon"),
                                                null)
                                        .encode()
                                + "\n\n");
            case "echokey" -> json(req, 400, new JsonObject().put("message", "Key " + key + " may not use this model"));
            case "flaky" -> {
                if (flakyFails("mistral")) {
                    req.response().putHeader("Retry-After", "0");
                    json(req, 429, new JsonObject().put("message", "Requests rate limit exceeded"));
                } else {
                    json(req, 200, mistralAnswer(new JsonObject().put("content", "At last"), "stop"));
                }
            }
            case "payment" ->
                json(req, 402, new JsonObject().put("message", "Payment required: your trial credits are used up"));
            default -> json(req, 404, new JsonObject().put("message", "Invalid model: " + model));
        }
    }

    private static JsonObject mistralAnswer(JsonObject message, String finish) {
        JsonObject m = new JsonObject().put("role", "assistant").put("tool_calls", null);
        message.forEach(e -> m.put(e.getKey(), e.getValue()));
        return new JsonObject()
                .put("id", "cmpl-e5cc70bb28c444948073e77776eb30ef")
                .put("object", "chat.completion")
                .put("created", 1702256327)
                .put("model", "mistral-small-latest")
                .put(
                        "choices",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("index", 0)
                                        .put("message", m)
                                        .put("finish_reason", finish)))
                .put(
                        "usage",
                        new JsonObject()
                                .put("prompt_tokens", 16)
                                .put("completion_tokens", 34)
                                .put("total_tokens", 50));
    }

    private static JsonObject mistralChunk(JsonObject delta, String finish) {
        return new JsonObject()
                .put("id", "cmpl-e5cc70bb28c444948073e77776eb30ef")
                .put("object", "chat.completion.chunk")
                .put("created", 1702256327)
                .put("model", "mistral-small-latest")
                .put(
                        "choices",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("index", 0)
                                        .put("delta", delta)
                                        .put("finish_reason", finish)));
    }

    // --- Gemini: ai.google.dev/api (generateContent, streamGenerateContent, batchEmbedContents)

    private static void gemini(HttpServerRequest req, JsonObject seen) {
        String call = req.path().substring(req.path().indexOf("/models/") + "/models/".length());
        String model = call.substring(0, call.indexOf(':'));
        String method = call.substring(call.indexOf(':') + 1);
        LAST.put("gemini/" + model, seen);
        JsonObject body = seen.getJsonObject("body");
        boolean stream = method.equals("streamGenerateContent");
        String key = seen.getJsonObject("headers").getString("x-goog-api-key", "");
        if (method.equals("batchEmbedContents")) {
            JsonArray embeddings = new JsonArray();
            for (int i = 0; i < body.getJsonArray("requests").size(); i++) {
                embeddings.add(new JsonObject()
                        .put("values", new JsonArray().add(0.013 + i).add(-0.008)));
            }
            json(req, 200, new JsonObject().put("embeddings", embeddings));
            return;
        }
        JsonObject config = body.getJsonObject("generationConfig", new JsonObject());
        switch (behaviour(model)) {
            case "normal" -> {
                String finish = config.getInteger("maxOutputTokens", 100) < 5 ? "MAX_TOKENS" : "STOP";
                if (stream) {
                    JsonObject partial =
                            new JsonObject().put("promptTokenCount", 7).put("totalTokenCount", 7);
                    sse(
                            req,
                            new JsonArray()
                                    .add(geminiAnswer(textPart("Hello"), null, partial))
                                    .add(geminiAnswer(textPart(" from"), null, partial))
                                    .add(geminiAnswer(textPart(" Gemini."), finish, GEMINI_USAGE)),
                            "",
                            "\r\n\r\n");
                } else {
                    JsonObject answer = geminiAnswer(textPart("Hello from Gemini."), finish, GEMINI_USAGE);
                    for (int i = 1; i < config.getInteger("candidateCount", 1); i++) {
                        answer.getJsonArray("candidates")
                                .add(candidate(textPart("Hi from Gemini, too."), finish)
                                        .put("index", i));
                    }
                    json(req, 200, answer);
                }
            }
            case "tools" -> {
                JsonArray contents = body.getJsonArray("contents");
                JsonObject lastPart = contents.getJsonObject(contents.size() - 1)
                        .getJsonArray("parts")
                        .getJsonObject(0);
                JsonObject part = lastPart.containsKey("functionResponse")
                        ? textPart("It is sunny in Paris.")
                        : new JsonObject()
                                .put(
                                        "functionCall",
                                        new JsonObject()
                                                .put("name", "get_weather")
                                                .put("args", new JsonObject().put("city", "Paris")));
                JsonObject answer = geminiAnswer(part, "STOP", GEMINI_USAGE);
                if (stream) {
                    sse(req, new JsonArray().add(answer), "", "\r\n\r\n");
                } else {
                    json(req, 200, answer);
                }
            }
            case "ratelimited" ->
                json(
                        req,
                        429,
                        geminiError(
                                429,
                                "Resource has been exhausted (e.g. check quota).",
                                "RESOURCE_EXHAUSTED",
                                retryInfo("17s")));
            case "broken" ->
                json(
                        req,
                        503,
                        geminiError(503, "The model is overloaded. Please try again later.", "UNAVAILABLE", null));
            case "malformed" -> malformed(req, stream);
            case "slow" -> {
                // never answers
            }
            case "cut" ->
                cut(req, "data: " + geminiAnswer(textPart("Hello"), null, null).encode() + "\r\n\r\n");
            case "echokey" ->
                json(req, 400, geminiError(400, "Key " + key + " cannot call " + model, "INVALID_ARGUMENT", null));
            case "badkey" -> {
                JsonObject info = new JsonObject()
                        .put("@type", "type.googleapis.com/google.rpc.ErrorInfo")
                        .put("reason", "API_KEY_INVALID")
                        .put("domain", "googleapis.com");
                json(
                        req,
                        400,
                        geminiError(
                                400,
                                "API key not valid. Please pass a valid API key.",
                                "INVALID_ARGUMENT",
                                new JsonArray().add(info)));
            }
            case "blocked" ->
                json(
                        req,
                        200,
                        new JsonObject()
                                .put("promptFeedback", new JsonObject().put("blockReason", "SAFETY"))
                                .put(
                                        "usageMetadata",
                                        new JsonObject()
                                                .put("promptTokenCount", 7)
                                                .put("totalTokenCount", 7)));
            case "flaky" -> {
                if (flakyFails("gemini")) {
                    json(
                            req,
                            429,
                            geminiError(
                                    429,
                                    "Resource has been exhausted (e.g. check quota).",
                                    "RESOURCE_EXHAUSTED",
                                    retryInfo("0s")));
                } else {
                    json(req, 200, geminiAnswer(textPart("At last"), "STOP", GEMINI_USAGE));
                }
            }
            default -> json(req, 404, geminiError(404, "models/" + model + " is not found", "NOT_FOUND", null));
        }
    }

    static final JsonObject GEMINI_USAGE = new JsonObject()
            .put("promptTokenCount", 7)
            .put("candidatesTokenCount", 5)
            .put("totalTokenCount", 12);

    private static JsonObject textPart(String text) {
        return new JsonObject().put("text", text);
    }

    private static JsonObject candidate(JsonObject part, String finish) {
        JsonObject candidate = new JsonObject()
                .put(
                        "content",
                        new JsonObject().put("parts", new JsonArray().add(part)).put("role", "model"))
                .put("index", 0);
        if (finish != null) {
            candidate.put("finishReason", finish);
        }
        return candidate;
    }

    private static JsonObject geminiAnswer(JsonObject part, String finish, JsonObject usage) {
        JsonObject answer = new JsonObject()
                .put("candidates", new JsonArray().add(candidate(part, finish)))
                .put("modelVersion", "gemini-1.5-flash-002")
                .put("responseId", "Zp3kZ5aLJ9a7xN8PwJ2Z0Ac");
        if (usage != null) {
            answer.put("usageMetadata", usage.copy());
        }
        return answer;
    }

    private static JsonArray retryInfo(String delay) {
        return new JsonArray()
                .add(new JsonObject()
                        .put("@type", "type.googleapis.com/google.rpc.RetryInfo")
                        .put("retryDelay", delay));
    }

    private static JsonObject geminiError(int code, String message, String status, JsonArray details) {
        JsonObject error =
                new JsonObject().put("code", code).put("message", message).put("status", status);
        if (details != null) {
            error.put("details", details);
        }
        return new JsonObject().put("error", error);
    }

    // --- Cohere: docs.cohere.com/v1/reference (chat, generate, embed)

    private static void cohere(HttpServerRequest req, JsonObject seen) {
        JsonObject body = seen.getJsonObject("body");
        String model = recordModel("cohere", seen);
        boolean stream = body.getBoolean("stream", false);
        String key = bearer(seen);
        String method = req.path().substring(req.path().lastIndexOf('/') + 1);
        JsonObject billed = new JsonObject()
                .put("billed_units", new JsonObject().put("input_tokens", 9).put("output_tokens", 4));
        if (method.equals("embed")) {
            JsonArray embeddings = new JsonArray();
            for (int i = 0; i < body.getJsonArray("texts").size(); i++) {
                embeddings.add(new JsonArray().add(0.5 + i).add(-0.25));
            }
            json(
                    req,
                    200,
                    new JsonObject()
                            .put("id", "bc57846a-3e56-4327-8acc-588ca1a37b8a")
                            .put("texts", body.getJsonArray("texts"))
                            .put("embeddings", embeddings)
                            .put(
                                    "meta",
                                    new JsonObject().put("billed_units", new JsonObject().put("input_tokens", 2))));
            return;
        }
        boolean generate = method.equals("generate");
        switch (behaviour(model)) {
            case "normal" -> {
                if (stream) {
                    JsonArray events = new JsonArray();
                    if (!generate) {
                        events.add(new JsonObject()
                                .put("is_finished", false)
                                .put("event_type", "stream-start")
                                .put("generation_id", "gen-77"));
                    }
                    events.add(cohereText("Hello"))
                            .add(new JsonObject()
                                    .put("is_finished", false)
                                    .put("event_type", "citation-generation")
                                    .put("citations", new JsonArray()))
                            .add(cohereText(" from Cohere."));
                    JsonObject response = generate
                            ? new JsonObject()
                                    .put("id", "gen-resp-1")
                                    .put(
                                            "generations",
                                            new JsonArray()
                                                    .add(new JsonObject()
                                                            .put("id", "g1")
                                                            .put("index", 0)
                                                            .put("text", "Hello from Cohere.")
                                                            .put("finish_reason", "COMPLETE")))
                                    .put("meta", billed)
                            : new JsonObject()
                                    .put("response_id", "resp-77")
                                    .put("text", "Hello from Cohere.")
                                    .put("generation_id", "gen-77")
                                    .put("meta", billed);
                    events.add(new JsonObject()
                            .put("is_finished", true)
                            .put("event_type", "stream-end")
                            .put("response", response)
                            .put("finish_reason", "COMPLETE"));
                    jsonLines(req, events, true);
                } else if (generate) {
                    json(
                            req,
                            200,
                            new JsonObject()
                                    .put("id", "gen-resp-1")
                                    .put(
                                            "generations",
                                            new JsonArray()
                                                    .add(new JsonObject()
                                                            .put("id", "g1")
                                                            .put("text", "Hello from Cohere.")
                                                            .put("finish_reason", "MAX_TOKENS")))
                                    .put("prompt", body.getString("prompt"))
                                    .put("meta", billed));
                } else {
                    json(
                            req,
                            200,
                            new JsonObject()
                                    .put("response_id", "resp-77")
                                    .put("text", "Hello from Cohere.")
                                    .put("generation_id", "gen-77")
                                    .put("finish_reason", "COMPLETE")
                                    .put("meta", billed));
                }
            }
            case "tools" -> cohereTools(req, body, stream, billed);
            case "ratelimited" -> {
                req.response().putHeader("Retry-After", "6");
                json(
                        req,
                        429,
                        new JsonObject()
                                .put(
                                        "message",
                                        "You are using a Trial key, which is limited to 10 API calls / minute."));
            }
            case "broken" ->
                json(
                        req,
                        500,
                        new JsonObject()
                                .put("message", "internal server error, this has been reported to our developers"));
            case "malformed" -> {
                if (stream) {
                    req.response()
                            .putHeader("Content-Type", "application/stream+json")
                            .end("{\"event_type\": broken\n");
                } else {
                    malformed(req, false);
                }
            }
            case "slow" -> {
                // never answers
            }
            case "cut" -> {
                req.response().setChunked(true).putHeader("Content-Type", "application/stream+json");
                req.response()
                        .write(new JsonObject()
                                        .put("is_finished", false)
                                        .put("event_type", "stream-start")
                                        .put("generation_id", "gen-77")
                                        .encode()
                                + "\n" + cohereText("Hello").encode() + "\n")
                        .onComplete(v -> req.connection().close());
            }
            case "echokey" -> json(req, 400, new JsonObject().put("message", "invalid request for key " + key));
            case "flaky" -> {
                if (flakyFails("cohere")) {
                    req.response().putHeader("Retry-After", "0");
                    json(req, 429, new JsonObject().put("message", "too many requests"));
                } else {
                    json(
                            req,
                            200,
                            new JsonObject()
                                    .put("response_id", "r")
                                    .put("text", "At last")
                                    .put("meta", billed));
                }
            }
            default -> json(req, 404, new JsonObject().put("message", "model '" + model + "' not found"));
        }
    }

    /**
     * Cohere's v1 tool use (docs.cohere.com/v1: tool use, multi-step tool use): a request whose {@code tools}, {@code
     * chat_history} or {@code tool_results} Cohere would not take is answered 400 with Cohere's {@code {"message"}};
     * with {@code tool_results} the model answers in text; with {@code tools} it calls {@code get_weather} for Paris
     * ({@code text} empty, as Cohere documents; streamed as {@code tool-calls-chunk} events whose parameters are the
     * model's own spacing of the JSON, then {@code tool-calls-generation} and {@code stream-end}); with neither it
     * says no tools were offered.
     */
    private static void cohereTools(HttpServerRequest req, JsonObject body, boolean stream, JsonObject billed) {
        String wrong = cohereToolsProblem(body);
        if (wrong != null) {
            json(req, 400, new JsonObject().put("message", wrong));
            return;
        }
        JsonArray calls = null;
        String text;
        if (body.containsKey("tool_results")) {
            text = "It is sunny in Paris.";
        } else if (body.containsKey("tools")) {
            text = "";
            calls = new JsonArray()
                    .add(new JsonObject()
                            .put("name", "get_weather")
                            .put("parameters", new JsonObject().put("city", "Paris")));
        } else {
            text = "No tools were offered.";
        }
        JsonObject response = new JsonObject()
                .put("response_id", "resp-tools")
                .put("text", text)
                .put("generation_id", "gen-tools")
                .put("finish_reason", "COMPLETE")
                .put("meta", billed);
        if (calls != null) {
            response.put("tool_calls", calls);
        }
        if (!stream) {
            json(req, 200, response);
            return;
        }
        JsonArray events = new JsonArray()
                .add(new JsonObject()
                        .put("is_finished", false)
                        .put("event_type", "stream-start")
                        .put("generation_id", "gen-tools"));
        if (calls != null) {
            events.add(toolCallsChunk(new JsonObject().put("index", 0).put("name", "get_weather")))
                    .add(toolCallsChunk(new JsonObject().put("index", 0).put("parameters", "{\n    \"city\": ")))
                    .add(toolCallsChunk(new JsonObject().put("index", 0).put("parameters", "\"Paris\"\n}")))
                    .add(new JsonObject()
                            .put("is_finished", false)
                            .put("event_type", "tool-calls-generation")
                            .put("text", "")
                            .put("tool_calls", calls));
        } else {
            events.add(cohereText(text));
        }
        events.add(new JsonObject()
                .put("is_finished", true)
                .put("event_type", "stream-end")
                .put("response", response)
                .put("finish_reason", "COMPLETE"));
        jsonLines(req, events, true);
    }

    private static JsonObject toolCallsChunk(JsonObject delta) {
        return new JsonObject()
                .put("is_finished", false)
                .put("event_type", "tool-calls-chunk")
                .put("tool_call_delta", delta);
    }

    /** What Cohere's v1 chat would refuse in a request's tools, history and tool results, or null. */
    private static String cohereToolsProblem(JsonObject body) {
        if (!(body.getValue("message") instanceof String)) {
            return "invalid request: message must be a string";
        }
        Object tools = body.getValue("tools");
        if (tools != null) {
            if (!(tools instanceof JsonArray list)) {
                return "invalid request: tools must be a list";
            }
            for (Object t : list) {
                if (!(t instanceof JsonObject tool)
                        || !(tool.getValue("name") instanceof String)
                        || !(tool.getValue("description") instanceof String)
                        || !Set.of("name", "description", "parameter_definitions")
                                .containsAll(tool.fieldNames())) {
                    return "invalid request: a tool is {name, description, parameter_definitions}";
                }
                if (tool.getValue("parameter_definitions") instanceof JsonObject definitions) {
                    for (String parameter : definitions.fieldNames()) {
                        if (!(definitions.getValue(parameter) instanceof JsonObject d)
                                || !(d.getValue("type") instanceof String)
                                || !(d.getValue("required") == null || d.getValue("required") instanceof Boolean)
                                || !(d.getValue("description") == null || d.getValue("description") instanceof String)
                                || !Set.of("type", "required", "description").containsAll(d.fieldNames())) {
                            return "invalid request: parameter_definitions." + parameter
                                    + " is {description, type, required}";
                        }
                    }
                } else if (tool.containsKey("parameter_definitions")) {
                    return "invalid request: parameter_definitions must be an object";
                }
            }
        }
        if (body.getValue("chat_history") instanceof JsonArray history) {
            for (Object h : history) {
                JsonObject turn = (JsonObject) h;
                String role = turn.getString("role", "");
                if (role.equals("TOOL")) {
                    String wrong = toolResultsProblem(turn.getValue("tool_results"), tools);
                    if (wrong != null) {
                        return wrong;
                    }
                } else if (!Set.of("USER", "CHATBOT", "SYSTEM").contains(role)
                        || !(turn.getValue("message") instanceof String)) {
                    return "invalid request: chat_history entries are {role, message} (or TOOL with tool_results)";
                } else if (turn.containsKey("tool_calls") && callsProblem(turn.getValue("tool_calls")) != null) {
                    return callsProblem(turn.getValue("tool_calls"));
                }
            }
        }
        if (body.containsKey("tool_results")) {
            return toolResultsProblem(body.getValue("tool_results"), tools);
        }
        return null;
    }

    private static String toolResultsProblem(Object results, Object tools) {
        if (tools == null) {
            return "invalid request: when using tool_results, tools must be passed as well";
        }
        if (!(results instanceof JsonArray list)) {
            return "invalid request: tool_results must be a list";
        }
        for (Object r : list) {
            if (!(r instanceof JsonObject result)
                    || callsProblem(new JsonArray().add(result.getValue("call"))) != null
                    || !(result.getValue("outputs") instanceof JsonArray outputs)
                    || !outputs.stream().allMatch(JsonObject.class::isInstance)) {
                return "invalid request: a tool result is {call: {name, parameters}, outputs: [objects]}";
            }
        }
        return null;
    }

    private static String callsProblem(Object calls) {
        if (!(calls instanceof JsonArray list)) {
            return "invalid request: tool_calls must be a list";
        }
        for (Object c : list) {
            if (!(c instanceof JsonObject call)
                    || !(call.getValue("name") instanceof String)
                    || !(call.getValue("parameters") instanceof JsonObject)) {
                return "invalid request: a tool call is {name, parameters}";
            }
        }
        return null;
    }

    private static JsonObject cohereText(String text) {
        return new JsonObject()
                .put("is_finished", false)
                .put("event_type", "text-generation")
                .put("text", text);
    }

    /** Cohere's v1 stream: one JSON event a line ({@code application/stream+json}), some lines split across writes. */
    private static void jsonLines(HttpServerRequest req, JsonArray events, boolean end) {
        var response = req.response().setChunked(true).putHeader("Content-Type", "application/stream+json");
        for (Object e : events) {
            String line = ((JsonObject) e).encode() + "\n";
            int half = line.length() / 2;
            response.write(line.substring(0, half));
            response.write(line.substring(half));
        }
        if (end) {
            response.end();
        }
    }

    // --- shared wire behaviours

    /** Server-sent events, one {@code data:} line each, then {@code end}. */
    private static void sse(HttpServerRequest req, JsonArray events, String end) {
        sse(req, events, end, "\n\n");
    }

    /** Server-sent events ended by {@code separator} (Google's end each with CRLF CRLF). */
    private static void sse(HttpServerRequest req, JsonArray events, String end, String separator) {
        var response = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
        for (Object e : events) {
            response.write("data: " + ((JsonObject) e).encode() + separator);
        }
        response.end(end);
    }

    private static void malformed(HttpServerRequest req, boolean stream) {
        if (stream) {
            req.response().putHeader("Content-Type", "text/event-stream").end("data: {\"id\": \"x\", broken\n\n");
        } else {
            req.response().putHeader("Content-Type", "application/json").end("{\"id\": \"x\", broken");
        }
    }

    /** A stream begun ({@code first} written), then the connection closed: no end of the response. */
    private static void cut(HttpServerRequest req, String first) {
        req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
        req.response().write(first).onComplete(v -> req.connection().close());
    }

    private static void json(HttpServerRequest req, int status, JsonObject body) {
        req.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(Buffer.buffer(body.encode()));
    }
}
