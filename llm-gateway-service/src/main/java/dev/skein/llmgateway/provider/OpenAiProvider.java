package dev.skein.llmgateway.provider;

import dev.skein.llmgateway.Endpoint;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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

    private final HttpClient client;
    private final Endpoint endpoint;
    private final OpenAiSettings settings;
    private final long timeoutMs;
    private final long connectTimeoutMs;
    private final int maxResponseBytes;

    public OpenAiProvider(
            HttpClient client, Endpoint endpoint, Duration timeout, Duration connectTimeout, int maxResponseBytes) {
        this.client = client;
        this.endpoint = endpoint;
        this.settings = endpoint.settings();
        this.timeoutMs = Math.max(1, timeout.toMillis());
        this.connectTimeoutMs = Math.max(1, connectTimeout.toMillis());
        this.maxResponseBytes = maxResponseBytes;
    }

    /** The provider's URL for {@code path} ({@code chat/completions}, {@code embeddings}), as MLflow builds it. */
    String url(String path) {
        String base = trimSlash(settings.apiBase());
        if (settings.apiType() == OpenAiSettings.ApiType.OPENAI) {
            String url = base + "/" + path;
            return settings.apiVersion() == null ? url : url + "?api-version=" + encode(settings.apiVersion());
        }
        return base + "/openai/deployments/" + encode(settings.deploymentName()) + "/" + path + "?api-version="
                + encode(settings.apiVersion());
    }

    /** MLflow's {@code _add_model_to_payload_if_necessary}: Azure names the model by its deployment. */
    JsonObject withModel(JsonObject payload) {
        if (settings.apiType() != OpenAiSettings.ApiType.OPENAI) {
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
     * request as it goes out (to cancel it when the client leaves).
     */
    public Future<JsonObject> call(String path, JsonObject payload, Consumer<HttpClientRequest> sent) {
        return send(path, payload, false, sent)
                .compose(response -> response.body().compose(body -> {
                    if (body.length() > maxResponseBytes) {
                        return Future.failedFuture(new UpstreamException(502, "The provider's answer is too large"));
                    }
                    return Future.succeededFuture(parseAnswer(response, body));
                }))
                .recover(this::translateFailure);
    }

    /**
     * A streamed call: the provider's response once it answered 2xx, paused, its body not yet read (the caller
     * reads the server-sent events and resumes it); a provider's error is read and failed as with {@link #call}.
     */
    public Future<HttpClientResponse> open(String path, JsonObject payload, Consumer<HttpClientRequest> sent) {
        return send(path, payload, true, sent).recover(this::translateFailure);
    }

    private Future<HttpClientResponse> send(
            String path, JsonObject payload, boolean stream, Consumer<HttpClientRequest> sent) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(url(path))
                .setConnectTimeout(connectTimeoutMs)
                .setIdleTimeout(timeoutMs);
        MultiMap headers = options.getHeaders() == null ? MultiMap.caseInsensitiveMultiMap() : options.getHeaders();
        headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        headers.set(HttpHeaderNames.ACCEPT, stream ? "text/event-stream" : "application/json");
        switch (settings.apiType()) {
            case OPENAI -> {
                headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + settings.apiKey());
                if (settings.organization() != null) {
                    headers.set("OpenAI-Organization", settings.organization());
                }
            }
            case AZUREAD -> headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + settings.apiKey());
            case AZURE -> headers.set("api-key", settings.apiKey());
        }
        options.setHeaders(headers);
        Buffer body = withModel(payload).toBuffer();
        return client.request(options).compose(request -> {
            sent.accept(request);
            return sendOn(request, body, stream);
        });
    }

    private Future<HttpClientResponse> sendOn(HttpClientRequest request, Buffer body, boolean stream) {
        Promise<HttpClientResponse> answered = Promise.promise();
        request.response().onComplete(ar -> {
            if (ar.failed()) {
                answered.tryFail(ar.cause());
                return;
            }
            HttpClientResponse response = ar.result();
            if (response.statusCode() / 100 == 2) {
                if (stream) {
                    response.pause(); // until the relay has its handlers in place (SseRelay resumes it)
                }
                answered.tryComplete(response);
                return;
            }
            response.body().onComplete(b -> {
                if (b.failed()) {
                    answered.tryFail(b.cause());
                } else {
                    answered.tryFail(errorOf(response, b.result()));
                }
            });
        });
        request.end(body).onFailure(answered::tryFail);
        return answered.future();
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

    /** A provider's 4xx/5xx: its status, its message ({@code error.message}), Retry-After kept. */
    UpstreamException errorOf(HttpClientResponse response, Buffer body) {
        int status = response.statusCode();
        String retryAfter = response.getHeader(HttpHeaderNames.RETRY_AFTER);
        String type = response.getHeader(HttpHeaderNames.CONTENT_TYPE);
        String message = null;
        JsonObject providerError = null;
        if (type != null && type.contains("application/json")) {
            try {
                JsonObject json = new JsonObject(body);
                Object error = json.getValue("error");
                if (error instanceof JsonObject e) {
                    providerError = scrub(e);
                    message = e.getValue("message") instanceof String m ? m : null;
                } else if (error instanceof String s) {
                    message = s;
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
                            + scrub(String.valueOf(type)),
                    retryAfter,
                    null);
        }
        if (message == null) {
            message = response.statusMessage();
        }
        if (message.length() > 2000) {
            message = message.substring(0, 2000) + "…";
        }
        LOG.warnf("endpoint %s: the provider answered %d", endpoint.name(), status);
        return new UpstreamException(status, scrub(message), retryAfter, providerError);
    }

    private <T> Future<T> translateFailure(Throwable failure) {
        if (failure instanceof UpstreamException u) {
            return Future.failedFuture(u);
        }
        if (failure instanceof TimeoutException || failure instanceof io.netty.handler.timeout.TimeoutException) {
            LOG.warnf("endpoint %s: the provider did not answer within %d ms", endpoint.name(), timeoutMs);
            return Future.failedFuture(new UpstreamException(
                    504,
                    "The provider did not answer within "
                            + Duration.ofMillis(timeoutMs).toSeconds() + " s"));
        }
        LOG.warnf(
                "endpoint %s: the provider could not be reached: %s",
                endpoint.name(), failure.getClass().getSimpleName());
        return Future.failedFuture(new UpstreamException(502, "The provider could not be reached"));
    }

    /** The key never leaves this service, even when a provider repeats it in an error. */
    public String scrub(String text) {
        return text == null ? null : text.replace(settings.apiKey(), "***");
    }

    private JsonObject scrub(JsonObject error) {
        return new JsonObject(scrub(error.encode()));
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
