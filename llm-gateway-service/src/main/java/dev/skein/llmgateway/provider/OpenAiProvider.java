package dev.skein.llmgateway.provider;

import dev.skein.llmgateway.Endpoint;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * MLflow's {@code openai} provider over the Vert.x HttpClient: OpenAI itself, Azure OpenAI
 * ({@code openai_api_type} azure/azuread) and every OpenAI-compatible server (Ollama, vLLM, …: another
 * {@code openai_api_base}). It sends the request and hands back either the JSON answer or, for a stream, the
 * open response; translation is {@link OpenAiTranslation}'s.
 */
public class OpenAiProvider {

    private static final Logger LOG = Logger.getLogger(OpenAiProvider.class);

    /** The most of a provider's error answer read: its message is all that is kept. */
    static final int MAX_ERROR_BYTES = 64 * 1024;

    private final Vertx vertx;
    private final HttpClient client;
    private final Endpoint endpoint;
    private final OpenAiSettings settings;
    private final Limits limits;
    private final AnswerBudget budget;

    /**
     * How long and how much a call may take.
     *
     * @param silenceMs the longest silence from the provider, before its answer and between two reads
     * @param clientStallMs the longest a streaming client may leave its stream unread
     * @param callMs the longest non-streamed call, first byte to last
     * @param connectionWaitMs the longest wait for a connection from the pool (and for a new one to be made)
     * @param maxResponseBytes the largest non-streamed answer read
     * @param maxConnections the pool's size, for the busy message
     */
    public record Limits(
            long silenceMs,
            long clientStallMs,
            long callMs,
            long connectionWaitMs,
            int maxResponseBytes,
            int maxConnections) {}

    /** A provider's answer begun: its response paused, its request (to cancel), the watch on its silence. */
    public record Opened(HttpClientRequest request, HttpClientResponse response, SilenceWatch silence) {}

    public OpenAiProvider(Vertx vertx, HttpClient client, Endpoint endpoint, Limits limits, AnswerBudget budget) {
        this.vertx = vertx;
        this.budget = budget;
        this.client = client;
        this.endpoint = endpoint;
        this.settings = endpoint.settings();
        this.limits = limits;
    }

    /**
     * The provider's URL for {@code path} ({@code chat/completions}, {@code embeddings}), as MLflow builds it; Gemini
     * and Cohere have their own paths (and Gemini one for streams).
     */
    String url(String path, boolean stream) {
        String base = trimSlash(settings.apiBase());
        switch (settings.apiType()) {
            case MISTRAL -> {
                return base + "/" + path;
            }
            case GEMINI -> {
                return base + "/" + GeminiTranslation.path(endpoint, stream);
            }
            case COHERE -> {
                return base + "/" + CohereTranslation.path(endpoint.type());
            }
            case BEDROCK -> {
                return base + BedrockTranslation.path(endpoint.modelName(), path.equals("embeddings"), stream);
            }
            case MLFLOW_SERVING -> {
                return base + "/invocations"; // every endpoint type alike
            }
            default -> {}
        }
        if (settings.anthropic()) {
            return base + "/messages"; // chat and completions alike (Anthropic has one API for both)
        }
        if (settings.apiType() == OpenAiSettings.ApiType.OPENAI) {
            String url = base + "/" + path;
            return settings.apiVersion() == null ? url : url + "?api-version=" + encode(settings.apiVersion());
        }
        return base + "/openai/deployments/" + encode(settings.deploymentName()) + "/" + path + "?api-version="
                + encode(settings.apiVersion());
    }

    /** MLflow's {@code _add_model_to_payload_if_necessary}: Azure names the model by its deployment. */
    JsonObject withModel(JsonObject payload) {
        if (settings.apiType() == OpenAiSettings.ApiType.AZURE
                || settings.apiType() == OpenAiSettings.ApiType.AZUREAD
                || settings.apiType() == OpenAiSettings.ApiType.GEMINI // the model is in the URL
                || settings.apiType() == OpenAiSettings.ApiType.BEDROCK // in the URL
                || settings.apiType() == OpenAiSettings.ApiType.MLFLOW_SERVING) {
            return payload;
        }
        JsonObject out = new JsonObject();
        if (endpoint.modelName() != null) {
            out.put("model", endpoint.modelName());
        }
        payload.forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /**
     * A non-streamed call: the provider's JSON answer, or an {@link UpstreamException}. {@code sent} gets the
     * request as it goes out (to cancel it when the client leaves). The answer is read up to
     * {@code maxResponseBytes} (more cancels the call), within the silence limit and the whole call's limit.
     */
    public Future<JsonObject> call(String path, JsonObject payload, Consumer<HttpClientRequest> sent) {
        Promise<JsonObject> done = Promise.promise();
        long[] callTimer = {-1};
        long[] reserved = {0}; // the answer's bytes in the budget, held until it has been translated
        send(path, payload, false, request -> {
                    sent.accept(request);
                    callTimer[0] = vertx.setTimer(limits.callMs(), id -> {
                        if (done.tryFail(new UpstreamException(
                                        504,
                                        "The provider did not finish its answer within " + seconds(limits.callMs()),
                                        "upstream_timeout")
                                .answered())) {
                            LOG.warnf(
                                    "endpoint %s: the provider did not finish within %d ms",
                                    endpoint.name(), limits.callMs());
                            request.reset();
                        }
                    });
                })
                .compose(opened -> readBody(opened, limits.maxResponseBytes(), reserved)
                        .eventually(() -> {
                            opened.silence().stop();
                            return Future.succeededFuture();
                        })
                        .recover(failure -> Future.failedFuture(
                                failure instanceof TooLarge
                                        ? new UpstreamException(
                                                502,
                                                "The provider's answer is larger than " + limits.maxResponseBytes()
                                                        + " bytes",
                                                "upstream_answer_too_large")
                                        : failure))
                        .map(body -> parseAnswer(opened.response(), body))
                        // after a 2xx: whatever fails now, the provider served the call
                        .recover(failure -> this.<JsonObject>translateFailure(failure)
                                .recover(translated -> Future.failedFuture(
                                        translated instanceof UpstreamException u ? u.answered() : translated))))
                .recover(this::translateFailure)
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        done.tryComplete(ar.result());
                    } else {
                        done.tryFail(ar.cause());
                    }
                });
        return done.future().onComplete(ar -> {
            if (callTimer[0] >= 0) {
                vertx.cancelTimer(callTimer[0]);
            }
            budget.release(reserved[0]);
            reserved[0] = 0;
        });
    }

    /**
     * Non-streamed calls, one after the other (Bedrock's Titan embeds one text per call): their answers in order, or
     * the first failure (the calls after it not made).
     */
    public Future<java.util.List<JsonObject>> callEach(
            String path, java.util.List<JsonObject> payloads, Consumer<HttpClientRequest> sent) {
        Future<java.util.List<JsonObject>> all = Future.succeededFuture(new java.util.ArrayList<>());
        for (JsonObject payload : payloads) {
            all = all.compose(answers -> call(path, payload, sent).map(answer -> {
                answers.add(answer);
                return answers;
            }));
        }
        return all;
    }

    /**
     * A streamed call: the provider's response once it answered 2xx, paused, its body not yet read (the caller
     * reads the server-sent events, resumes it, and takes over its {@link SilenceWatch}); a provider's error is
     * read and failed as with {@link #call}.
     */
    public Future<Opened> open(String path, JsonObject payload, Consumer<HttpClientRequest> sent) {
        return send(path, payload, true, sent).recover(this::translateFailure);
    }

    private Future<Opened> send(String path, JsonObject payload, boolean stream, Consumer<HttpClientRequest> sent) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(url(path, stream))
                .setConnectTimeout(limits.connectionWaitMs());
        MultiMap headers = options.getHeaders() == null ? MultiMap.caseInsensitiveMultiMap() : options.getHeaders();
        headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        headers.set(
                HttpHeaderNames.ACCEPT,
                !stream
                        ? "application/json"
                        : settings.apiType() == OpenAiSettings.ApiType.BEDROCK
                                ? BedrockTranslation.EVENT_STREAM
                                : "text/event-stream");
        switch (settings.apiType()) {
            case OPENAI -> {
                headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + settings.apiKey());
                if (settings.organization() != null) {
                    headers.set("OpenAI-Organization", settings.organization());
                }
            }
            case AZUREAD -> headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + settings.apiKey());
            case AZURE -> headers.set("api-key", settings.apiKey());
            case ANTHROPIC -> {
                headers.set("x-api-key", settings.apiKey());
                headers.set("anthropic-version", settings.apiVersion());
            }
            case MISTRAL, COHERE -> headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + settings.apiKey());
            case GEMINI -> headers.set("x-goog-api-key", settings.apiKey());
            case BEDROCK, MLFLOW_SERVING -> {} // Bedrock's signature covers the body: below
        }
        options.setHeaders(headers);
        Buffer body = withModel(payload).toBuffer();
        if (settings.apiType() == OpenAiSettings.ApiType.BEDROCK) {
            BedrockSigner.sign(settings.aws(), url(path, stream), headers, body);
        }
        return client.request(options)
                .recover(failure -> Future.failedFuture(new NoConnection(failure)))
                .compose(request -> {
                    sent.accept(request);
                    return sendOn(request, body, stream);
                });
    }

    private Future<Opened> sendOn(HttpClientRequest request, Buffer body, boolean stream) {
        Promise<Opened> answered = Promise.promise();
        SilenceWatch silence = new SilenceWatch(vertx, limits.silenceMs(), limits.clientStallMs());
        silence.onSilence(() -> {
            if (answered.tryFail(silent())) {
                request.reset();
            }
        });
        answered.future().onFailure(f -> silence.stop());
        request.response().onComplete(ar -> {
            silence.touch();
            if (ar.failed()) {
                answered.tryFail(ar.cause());
                return;
            }
            HttpClientResponse response = ar.result();
            Opened opened = new Opened(request, response, silence);
            if (response.statusCode() / 100 == 2) {
                if (stream) {
                    response.pause(); // until the relay has its handlers in place (SseRelay resumes it)
                }
                answered.tryComplete(opened);
                return;
            }
            readBody(opened, MAX_ERROR_BYTES, null).onComplete(b -> {
                silence.stop();
                if (b.succeeded()) {
                    answered.tryFail(errorOf(response, b.result()));
                } else if (b.cause() instanceof TooLarge) {
                    answered.tryFail(errorOf(response, null));
                } else {
                    answered.tryFail(b.cause());
                }
            });
        });
        request.end(body).onFailure(answered::tryFail);
        return answered.future();
    }

    /**
     * The answer's body, at most {@code limit} bytes (more: {@link TooLarge}, the call reset), within the silence
     * limit (else {@link #silent()}, the call reset); unless {@code reserved} is null, its bytes reserved in the
     * {@link AnswerBudget} as they arrive and counted in {@code reserved[0]}, for the caller to release (else 503,
     * the call reset).
     */
    private Future<Buffer> readBody(Opened opened, int limit, long[] reserved) {
        HttpClientResponse response = opened.response();
        Promise<Buffer> read = Promise.promise();
        opened.silence().onSilence(() -> {
            if (read.tryFail(silent())) {
                opened.request().reset();
            }
        });
        String length = response.getHeader(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null && declaredLength(length) > limit) {
            opened.request().reset();
            return Future.failedFuture(new TooLarge());
        }
        Buffer body = Buffer.buffer();
        response.handler(chunk -> {
            opened.silence().touch();
            if (read.future().isComplete()) {
                return;
            }
            if ((long) body.length() + chunk.length() > limit) {
                read.tryFail(new TooLarge());
                opened.request().reset();
            } else if (reserved != null && !budget.reserve(chunk.length())) {
                LOG.warnf(
                        "endpoint %s: answers in flight hold %d of %d bytes; this one is refused",
                        endpoint.name(), budget.used(), budget.limit());
                read.tryFail(new UpstreamException(
                        503,
                        "llm-gateway-service holds too many large answers at once; try again",
                        "1",
                        null,
                        "answer_budget_exhausted"));
                opened.request().reset();
            } else {
                if (reserved != null) {
                    reserved[0] += chunk.length();
                }
                body.appendBuffer(chunk);
            }
        });
        response.exceptionHandler(read::tryFail);
        response.endHandler(v -> read.tryComplete(body));
        response.resume();
        return read.future();
    }

    private static long declaredLength(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1; // the HTTP codec refuses it anyway
        }
    }

    /** An answer larger than the limit read. */
    private static final class TooLarge extends RuntimeException {
        TooLarge() {
            super(null, null, false, false);
        }
    }

    /** No connection to the provider: the pool's wait or a new connection failed. */
    private static final class NoConnection extends RuntimeException {
        NoConnection(Throwable cause) {
            super(null, cause, false, false);
        }
    }

    /** The failure of a provider that stayed silent longer than the limit. */
    public UpstreamException silent() {
        LOG.warnf("endpoint %s: the provider sent nothing for %d ms", endpoint.name(), limits.silenceMs());
        return new UpstreamException(
                504, "The provider sent nothing for longer than " + seconds(limits.silenceMs()), "upstream_timeout");
    }

    /** MLflow's {@code send_request}: JSON or text/plain answers, anything else a 502. */
    private JsonObject parseAnswer(HttpClientResponse response, Buffer body) {
        String type = response.getHeader(HttpHeaderNames.CONTENT_TYPE);
        if (type == null || !type.contains("application/json")) {
            throw new UpstreamException(
                    502,
                    "The returned data type from the route service is not supported. Received content type: "
                            + scrub(String.valueOf(type)));
        }
        try {
            return new JsonObject(body);
        } catch (DecodeException | ClassCastException e) {
            throw new UpstreamException(502, "The provider's answer is not valid JSON");
        }
    }

    /**
     * A provider's answer other than 2xx. Its 4xx/5xx keep their status with the provider's message
     * ({@code error.message}) and Retry-After; but the provider refusing the gateway's own key (401, 403, 407) or
     * redirecting it (3xx, never followed) is the gateway's fault, not the client's: 502 {@code
     * upstream_auth_failed} / {@code upstream_redirect}, the provider's message kept out. {@code body} is null when
     * it was larger than {@link #MAX_ERROR_BYTES}.
     */
    UpstreamException errorOf(HttpClientResponse response, Buffer body) {
        int status = response.statusCode();
        // Google refuses a wrong key with a 400 (API_KEY_INVALID): the gateway's key, not the client's request
        boolean keyRefused = status == 400
                && settings.apiType() == OpenAiSettings.ApiType.GEMINI
                && GeminiTranslation.keyRefused(body, response.getHeader(HttpHeaderNames.CONTENT_TYPE));
        if (keyRefused || status == 401 || status == 403 || status == 407) {
            LOG.errorf(
                    "endpoint %s: the provider refused the gateway's credentials (HTTP %d): check its key",
                    endpoint.name(), status);
            return new UpstreamException(
                    502,
                    "The provider refused llm-gateway-service's credentials for endpoint '" + endpoint.name()
                            + "' (HTTP " + status + "); an operator must check the endpoint's key",
                    "upstream_auth_failed");
        }
        if (status == 402) {
            // the operator's account with the provider must pay (Mistral, Cohere): nothing the client can fix
            LOG.errorf("endpoint %s: the provider wants payment (HTTP 402): check the account", endpoint.name());
            return new UpstreamException(
                    502,
                    "The provider refused the call for endpoint '" + endpoint.name() + "': its account with the"
                            + " provider needs payment (HTTP 402); an operator must check it",
                    "upstream_payment_required");
        }
        if (status / 100 == 3) {
            LOG.errorf("endpoint %s: the provider answered a redirect (HTTP %d)", endpoint.name(), status);
            return new UpstreamException(
                    502,
                    "The provider answered with a redirect (HTTP " + status + "), which llm-gateway-service does not"
                            + " follow; an operator must check the endpoint's base URL",
                    "upstream_redirect");
        }
        String retryAfter = response.getHeader(HttpHeaderNames.RETRY_AFTER);
        String type = response.getHeader(HttpHeaderNames.CONTENT_TYPE);
        String message = null;
        JsonObject providerError = null;
        if (body == null) {
            message = null; // too large to read: the status line's reason stands
        } else if (type != null && type.contains("application/json")) {
            try {
                JsonObject json = new JsonObject(body);
                Object error = json.getValue("error");
                if (error instanceof JsonObject e) {
                    providerError = scrub(e);
                    message = e.getValue("message") instanceof String m ? m : null;
                } else if (error instanceof String text) {
                    message = text;
                }
                if (message == null && json.getValue("message") instanceof String text) {
                    message = text; // Mistral's, Cohere's, Bedrock's and MLflow model servers' errors: {"message": …}
                }
                if (retryAfter == null && settings.apiType() == OpenAiSettings.ApiType.GEMINI) {
                    retryAfter = GeminiTranslation.retryDelay(json); // Google says it in the error, not a header
                }
                if (message == null) {
                    message = json.encode();
                }
            } catch (DecodeException | ClassCastException e) {
                message = null;
            }
        } else if (type != null && type.contains("text/plain")) {
            message = body.toString(StandardCharsets.UTF_8);
        } else {
            // MLflow checks the type before the status: an HTML error page is a 502, whatever its status
            LOG.warnf("endpoint %s: the provider answered %d with %s", endpoint.name(), status, type);
            return new UpstreamException(
                    502,
                    "The returned data type from the route service is not supported. Received content type: "
                            + shorten(scrub(String.valueOf(type))),
                    retryAfter,
                    null,
                    null);
        }
        if (message == null) {
            message = response.statusMessage();
        }
        LOG.warnf("endpoint %s: the provider answered %d", endpoint.name(), status);
        if (status / 100 == 5
                && (settings.apiType() == OpenAiSettings.ApiType.BEDROCK
                        || settings.apiType() == OpenAiSettings.ApiType.MLFLOW_SERVING)) {
            // the provider failing is a bad gateway to the client, never an error of its own (retried all the same)
            return new UpstreamException(
                    502,
                    shorten(scrub("The provider failed (HTTP " + status + "): " + message)),
                    retryAfter,
                    providerError,
                    null);
        }
        return new UpstreamException(status, shorten(scrub(message)), retryAfter, providerError, null);
    }

    private <T> Future<T> translateFailure(Throwable failure) {
        if (failure instanceof UpstreamException u) {
            return Future.failedFuture(u);
        }
        if (failure instanceof NoConnection no) {
            Throwable cause = no.getCause();
            if (cause instanceof ConnectionPoolTooBusyException || cause instanceof TimeoutException) {
                LOG.warnf(
                        "endpoint %s: no connection to the provider became free (%s)",
                        endpoint.name(), cause.getMessage());
                return Future.failedFuture(new UpstreamException(
                        503,
                        "llm-gateway-service has no free connection to the provider of endpoint '" + endpoint.name()
                                + "' (all " + limits.maxConnections() + " are in use); try again later",
                        "1",
                        null,
                        "upstream_busy"));
            }
            failure = cause;
        }
        if (failure instanceof ConnectTimeoutException) {
            LOG.warnf("endpoint %s: no connection to the provider in time", endpoint.name());
            return Future.failedFuture(
                    new UpstreamException(504, "The provider could not be connected to in time", "upstream_timeout"));
        }
        LOG.warnf(
                "endpoint %s: the provider could not be reached: %s",
                endpoint.name(), failure.getClass().getSimpleName());
        return Future.failedFuture(new UpstreamException(502, "The provider could not be reached"));
    }

    /**
     * The key never leaves this service, even when a provider repeats it in an error. Scrubbed before anything is
     * cut short (a cut could leave part of the key that no longer matches).
     */
    public String scrub(String text) {
        String key = settings.apiKey();
        String scrubbed = text == null || key.isEmpty() ? text : text.replace(key, "***");
        String token = settings.aws() == null ? null : settings.aws().sessionToken();
        return scrubbed == null || token == null ? scrubbed : scrubbed.replace(token, "***");
    }

    /** Every string in the provider's error object scrubbed, its structure kept (never a text replace on JSON). */
    private JsonObject scrub(JsonObject error) {
        JsonObject out = new JsonObject();
        error.forEach(e -> out.put(e.getKey(), scrubValue(e.getValue())));
        return out;
    }

    private Object scrubValue(Object value) {
        if (value instanceof String text) {
            return shorten(scrub(text));
        }
        if (value instanceof JsonObject object) {
            return scrub(object);
        }
        if (value instanceof JsonArray array) {
            JsonArray out = new JsonArray();
            array.forEach(v -> out.add(scrubValue(v)));
            return out;
        }
        return value;
    }

    private static String shorten(String message) {
        return message.length() > 2000 ? message.substring(0, 2000) + "…" : message;
    }

    private static String seconds(long ms) {
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    private static String trimSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
