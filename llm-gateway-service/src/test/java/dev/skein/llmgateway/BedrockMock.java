package dev.skein.llmgateway;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.eventstream.HeaderValue;
import software.amazon.awssdk.eventstream.Message;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;

/**
 * {@link OpenAiMockResource}'s Amazon Bedrock: the runtime's Converse ({@code /model/{id}/converse}), ConverseStream
 * ({@code /converse-stream}, answered in AWS's binary event-stream frames, encoded by the SDK's {@link Message})
 * and InvokeModel for Titan's embeddings ({@code /invoke}), as AWS documents them. Every request's SigV4 signature
 * is checked as AWS would (its shape — credential scope with the region and service {@code bedrock}, signed
 * headers — and the signature itself, recomputed with the SDK's signer): a wrong one is AWS's 403
 * InvalidSignatureException. Chosen by model ID: the normal model answers (JSON or a stream split mid-frame),
 * {@code bedrock-tools} calls a tool, {@code bedrock-throttled} 429 with Retry-After, {@code bedrock-flaky} a
 * 429 then an answer, {@code bedrock-broken} 500, {@code bedrock-malformed} a body that is not JSON (a stream frame
 * with a wrong CRC), {@code bedrock-slow} nothing, {@code bedrock-cut} a stream cut after two frames, {@code
 * bedrock-streamerror} a stream with AWS's exception frame, {@code bedrock-echo} a 400 repeating the secret key.
 */
final class BedrockMock {

    static final String ACCESS_KEY_ID = "AKIASKEINTEST0EXAMPL";
    static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSkeinTESTKEY";
    static final String SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE-skein-session-token";
    static final String REGION = "eu-west-3";
    static final String MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
    static final String TITAN = "amazon.titan-embed-text-v2:0";

    /** Calls of {@code bedrock-flaky} so far. */
    static final AtomicInteger FLAKY = new AtomicInteger();

    private static final Pattern AUTHORIZATION = Pattern.compile("AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/"
            + "([^/]+)/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})");

    private BedrockMock() {}

    static void yaml(StringBuilder y, String base) {
        endpoint(y, base, "bedrock", "llm/v1/chat", MODEL, "bedrock", "");
        endpoint(y, base, "bedrock-completions", "llm/v1/completions", MODEL, "amazon-bedrock", "");
        endpoint(y, base, "bedrock-session", "llm/v1/chat", MODEL, "bedrock", SESSION_TOKEN);
        endpoint(y, base, "bedrock-embeddings", "llm/v1/embeddings", TITAN, "bedrock", "");
        for (String model : List.of(
                "bedrock-tools",
                "bedrock-throttled",
                "bedrock-broken",
                "bedrock-malformed",
                "bedrock-slow",
                "bedrock-cut",
                "bedrock-streamerror")) {
            endpoint(y, base, model, "llm/v1/chat", model, "bedrock", "");
        }
        endpoint(y, base, "bedrock-echo", "llm/v1/chat", "bedrock-echo", "bedrock", SESSION_TOKEN);
        // a secret key AWS does not know: the signature cannot match (AWS's 403 InvalidSignatureException)
        StringBuilder wrong = new StringBuilder();
        endpoint(wrong, base, "bedrock-wrongkey", "llm/v1/chat", MODEL, "bedrock", "");
        y.append(wrong.toString().replace(SECRET_KEY, "wrong" + SECRET_KEY.substring(5)));
        endpoint(y, base, "bedrock-flaky", "llm/v1/chat", "bedrock-flaky", "bedrock", "");
        y.append("    retries: {max_attempts: 2, initial_backoff: 0.01, max_backoff: 5}\n");
    }

    private static void endpoint(
            StringBuilder y, String base, String name, String type, String model, String provider, String token) {
        y.append("  - name: ").append(name).append("\n    endpoint_type: ").append(type);
        y.append("\n    model:\n      provider: ").append(provider);
        y.append("\n      name: \"").append(model).append("\"\n      config:\n        aws_config:\n");
        y.append("          aws_region: ").append(REGION).append('\n');
        y.append("          aws_access_key_id: ").append(ACCESS_KEY_ID).append('\n');
        y.append("          aws_secret_access_key: ").append(SECRET_KEY).append('\n');
        if (!token.isEmpty()) {
            y.append("          aws_session_token: ").append(token).append('\n');
        }
        y.append("        bedrock_api_base: ").append(base).append('\n');
    }

    static void handle(Vertx vertx, HttpServerRequest req, Buffer raw, JsonObject seen) {
        String[] parts = req.path().split("/"); // "", "model", the URL-encoded model ID, the operation
        String model = URLDecoder.decode(parts[2], StandardCharsets.UTF_8);
        String operation = parts.length > 3 ? parts[3] : "";
        OpenAiMockResource.LAST.put(model, seen.put("operation", operation));
        String problem = verify(req, raw, req.getHeader("X-Amz-Security-Token") != null);
        if (problem != null) {
            error(req, 403, "InvalidSignatureException", problem);
            return;
        }
        boolean stream = operation.equals("converse-stream");
        switch (model) {
            case TITAN -> {
                String text = seen.getJsonObject("body").getString("inputText", "");
                json(
                        req,
                        new JsonObject()
                                .put(
                                        "embedding",
                                        new JsonArray()
                                                .add(text.length())
                                                .add(0.5)
                                                .add(-0.25))
                                .put("inputTextTokenCount", text.split(" ").length));
            }
            case "bedrock-tools" -> {
                if (stream) {
                    stream(req, toolFrames(), true);
                } else {
                    json(
                            req,
                            answer(
                                    new JsonArray()
                                            .add(new JsonObject().put("text", "Let me check."))
                                            .add(new JsonObject()
                                                    .put(
                                                            "toolUse",
                                                            new JsonObject()
                                                                    .put("toolUseId", "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q")
                                                                    .put("name", "get_weather")
                                                                    .put(
                                                                            "input",
                                                                            new JsonObject().put("city", "Paris")))),
                                    "tool_use"));
                }
            }
            case "bedrock-throttled" -> {
                req.response().putHeader("Retry-After", "3");
                error(req, 429, "ThrottlingException", "Too many requests, please wait before trying again.");
            }
            case "bedrock-flaky" -> {
                if (FLAKY.incrementAndGet() % 2 == 1) {
                    req.response().putHeader("Retry-After", "1");
                    error(req, 429, "ThrottlingException", "Too many requests, please wait before trying again.");
                } else {
                    json(req, answer(new JsonArray().add(new JsonObject().put("text", "At last.")), "end_turn"));
                }
            }
            case "bedrock-broken" ->
                error(req, 500, "InternalServerException", "The server encountered an internal error.");
            case "bedrock-malformed" -> {
                if (stream) {
                    Buffer frame = frame("messageStart", new JsonObject().put("role", "assistant"));
                    frame.setByte(frame.length() - 1, (byte) (frame.getByte(frame.length() - 1) ^ 0x5a));
                    streamHead(req).end(frame);
                } else {
                    req.response()
                            .putHeader("Content-Type", "application/json")
                            .end("{\"output\": {\"message\": broken");
                }
            }
            case "bedrock-slow" -> {
                // never answers: the gateway's silence limit must end the call
            }
            case "bedrock-cut" -> {
                var response = streamHead(req);
                response.write(frame("messageStart", new JsonObject().put("role", "assistant")));
                response.write(frame("contentBlockDelta", textDelta("Hello")))
                        .onComplete(
                                v -> vertx.setTimer(50, t -> req.connection().close()));
            }
            case "bedrock-streamerror" -> {
                Map<String, HeaderValue> headers = new LinkedHashMap<>();
                headers.put(":exception-type", HeaderValue.fromString("modelStreamErrorException"));
                headers.put(":content-type", HeaderValue.fromString("application/json"));
                headers.put(":message-type", HeaderValue.fromString("exception"));
                var response = streamHead(req);
                response.write(frame("messageStart", new JsonObject().put("role", "assistant")));
                response.end(encode(new Message(
                        headers,
                        new JsonObject()
                                .put("message", "The model stopped: the stream was interrupted")
                                .encode()
                                .getBytes(StandardCharsets.UTF_8))));
            }
            case "bedrock-echo" ->
                error(
                        req,
                        400,
                        "ValidationException",
                        "Malformed input request for key " + SECRET_KEY + " and token " + SESSION_TOKEN);
            default -> {
                if (stream) {
                    stream(req, normalFrames(), true);
                } else {
                    json(
                            req,
                            answer(
                                    new JsonArray().add(new JsonObject().put("text", "Hello from Bedrock.")),
                                    "end_turn"));
                }
            }
        }
    }

    /**
     * AWS's check of a SigV4 request: the Authorization header's shape, its credential scope (the key, the
     * x-amz-date's day, the region, service {@code bedrock}), the headers it signs, and the signature recomputed
     * with the SDK's signer from what arrived (its method, raw path, signed headers and body). Null if all hold.
     */
    static String verify(HttpServerRequest req, Buffer raw, boolean session) {
        String authorization = req.getHeader("Authorization");
        Matcher m = AUTHORIZATION.matcher(authorization == null ? "" : authorization);
        if (!m.matches()) {
            return "Authorization header requires SigV4's Credential, SignedHeaders and Signature";
        }
        String date = req.getHeader("X-Amz-Date");
        if (!ACCESS_KEY_ID.equals(m.group(1))) {
            return "The security token included in the request is invalid.";
        }
        if (date == null || !date.startsWith(m.group(2))) {
            return "The credential's date does not match X-Amz-Date";
        }
        if (!REGION.equals(m.group(3)) || !"bedrock".equals(m.group(4))) {
            return "Credential should be scoped to a valid region and service bedrock, not " + m.group(3) + "/"
                    + m.group(4);
        }
        List<String> signed = List.of(m.group(5).split(";"));
        if (!signed.containsAll(List.of("content-type", "host", "x-amz-date"))) {
            return "SignedHeaders must include content-type, host and x-amz-date: " + m.group(5);
        }
        if (session
                && (!signed.contains("x-amz-security-token")
                        || !SESSION_TOKEN.equals(req.getHeader("X-Amz-Security-Token")))) {
            return "The security token included in the request is invalid.";
        }
        SdkHttpRequest.Builder request = SdkHttpRequest.builder()
                .method(SdkHttpMethod.POST)
                .uri(URI.create("http://" + req.getHeader("Host") + req.path()));
        for (String header : signed) {
            if (!header.equals("host")) {
                request.putHeader(header, req.getHeader(header));
            }
        }
        AwsCredentialsIdentity identity = session
                ? AwsSessionCredentialsIdentity.create(ACCESS_KEY_ID, SECRET_KEY, SESSION_TOKEN)
                : AwsCredentialsIdentity.create(ACCESS_KEY_ID, SECRET_KEY);
        Clock at = Clock.fixed(
                LocalDateTime.parse(date, DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"))
                        .toInstant(ZoneOffset.UTC),
                ZoneOffset.UTC);
        String expected = AwsV4HttpSigner.create()
                .sign(r -> r.identity(identity)
                        .request(request.build())
                        .payload(ContentStreamProvider.fromByteArray(raw.getBytes()))
                        .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "bedrock")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, REGION)
                        .putProperty(HttpSigner.SIGNING_CLOCK, at))
                .request()
                .firstMatchingHeader("Authorization")
                .orElse("");
        return expected.equals(authorization)
                ? null
                : "The request signature we calculated does not match the signature you provided.";
    }

    static JsonObject answer(JsonArray content, String stopReason) {
        return new JsonObject()
                .put(
                        "output",
                        new JsonObject()
                                .put(
                                        "message",
                                        new JsonObject()
                                                .put("role", "assistant")
                                                .put("content", content)))
                .put("stopReason", stopReason)
                .put(
                        "usage",
                        new JsonObject()
                                .put("inputTokens", 12)
                                .put("outputTokens", 7)
                                .put("totalTokens", 19))
                .put("metrics", new JsonObject().put("latencyMs", 321));
    }

    private static JsonObject textDelta(String text) {
        return new JsonObject()
                .put("contentBlockIndex", 0)
                .put("delta", new JsonObject().put("text", text))
                .put("p", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"); // AWS's padding
    }

    private static List<Buffer> normalFrames() {
        return List.of(
                frame("messageStart", new JsonObject().put("role", "assistant")),
                frame("contentBlockDelta", textDelta("Hello")),
                frame("contentBlockDelta", textDelta(" from Bedrock.")),
                frame("contentBlockStop", new JsonObject().put("contentBlockIndex", 0)),
                frame("messageStop", new JsonObject().put("stopReason", "end_turn")),
                frame(
                        "metadata",
                        new JsonObject()
                                .put(
                                        "usage",
                                        new JsonObject()
                                                .put("inputTokens", 14)
                                                .put("outputTokens", 5)
                                                .put("totalTokens", 19))
                                .put("metrics", new JsonObject().put("latencyMs", 120))));
    }

    private static List<Buffer> toolFrames() {
        return List.of(
                frame("messageStart", new JsonObject().put("role", "assistant")),
                frame("contentBlockDelta", textDelta("Let me check.")),
                frame("contentBlockStop", new JsonObject().put("contentBlockIndex", 0)),
                frame(
                        "contentBlockStart",
                        new JsonObject()
                                .put("contentBlockIndex", 1)
                                .put(
                                        "start",
                                        new JsonObject()
                                                .put(
                                                        "toolUse",
                                                        new JsonObject()
                                                                .put("toolUseId", "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q")
                                                                .put("name", "get_weather")))),
                frame(
                        "contentBlockDelta",
                        new JsonObject()
                                .put("contentBlockIndex", 1)
                                .put(
                                        "delta",
                                        new JsonObject().put("toolUse", new JsonObject().put("input", "{\"city\":")))),
                frame(
                        "contentBlockDelta",
                        new JsonObject()
                                .put("contentBlockIndex", 1)
                                .put(
                                        "delta",
                                        new JsonObject().put("toolUse", new JsonObject().put("input", "\"Paris\"}")))),
                frame("contentBlockStop", new JsonObject().put("contentBlockIndex", 1)),
                frame("messageStop", new JsonObject().put("stopReason", "tool_use")),
                frame(
                        "metadata",
                        new JsonObject()
                                .put(
                                        "usage",
                                        new JsonObject()
                                                .put("inputTokens", 30)
                                                .put("outputTokens", 20)
                                                .put("totalTokens", 50))));
    }

    /** The frames, each written in two parts cut mid-frame (the gateway must reassemble them), then the end. */
    private static void stream(HttpServerRequest req, List<Buffer> frames, boolean end) {
        var response = streamHead(req);
        for (Buffer frame : frames) {
            int half = frame.length() / 2;
            response.write(frame.getBuffer(0, half));
            response.write(frame.getBuffer(half, frame.length()));
        }
        if (end) {
            response.end();
        }
    }

    private static io.vertx.core.http.HttpServerResponse streamHead(HttpServerRequest req) {
        return req.response()
                .setChunked(true)
                .putHeader("Content-Type", "application/vnd.amazon.eventstream")
                .putHeader("x-amzn-RequestId", "5d2c4a3e-0000-4000-8000-00000000beef");
    }

    /** One event frame, as AWS encodes it: {@code :event-type}, {@code :content-type}, {@code :message-type}. */
    static Buffer frame(String eventType, JsonObject payload) {
        Map<String, HeaderValue> headers = new LinkedHashMap<>();
        headers.put(":event-type", HeaderValue.fromString(eventType));
        headers.put(":content-type", HeaderValue.fromString("application/json"));
        headers.put(":message-type", HeaderValue.fromString("event"));
        return encode(new Message(headers, payload.encode().getBytes(StandardCharsets.UTF_8)));
    }

    private static Buffer encode(Message message) {
        ByteBuffer bytes = message.toByteBuffer();
        byte[] out = new byte[bytes.remaining()];
        bytes.get(out);
        return Buffer.buffer(out);
    }

    private static void error(HttpServerRequest req, int status, String type, String message) {
        req.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader("x-amzn-ErrorType", type)
                .end(new JsonObject().put("message", message).encode());
    }

    private static void json(HttpServerRequest req, JsonObject body) {
        req.response().putHeader("Content-Type", "application/json").end(body.encode());
    }
}
