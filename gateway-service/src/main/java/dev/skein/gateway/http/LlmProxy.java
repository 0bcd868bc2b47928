package dev.skein.gateway.http;

import dev.skein.common.trust.InternalCredential;
import dev.skein.proto.common.v1.ErrorCode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * llm-gateway-service's routes on the public port: MLflow's Deployments API ({@code /endpoints/{name}/invocations},
 * {@code /gateway/{name}/invocations}, {@code /api/2.0/endpoints/…}) and OpenAI's ({@code /v1/chat/completions},
 * {@code /v1/completions}, {@code /v1/embeddings}). The caller is authenticated here like every other; its body is
 * read within the gateway's body limits, sent on with the internal credential in place of the client's own
 * {@code Authorization} (and no cookie), the caller's name as {@code skein-actor}; the answer — a stream of
 * server-sent events included — is relayed as it arrives, at the client's pace, and the client leaving cancels
 * the call.
 */
final class LlmProxy {

    private static final Logger LOG = Logger.getLogger(LlmProxy.class);

    /** OpenAI's routes llm-gateway-service serves ({@code /v1/traces} is OTLP's, not these). */
    private static final Set<String> OPENAI_PATHS = Set.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings");

    /** The answer's headers a client needs; anything else llm-gateway-service sends stays here. */
    private static final List<CharSequence> ANSWER_HEADERS = List.of(
            HttpHeaders.CONTENT_TYPE,
            HttpHeaders.CONTENT_LENGTH,
            HttpHeaders.RETRY_AFTER,
            HttpHeaders.CACHE_CONTROL,
            "X-Accel-Buffering");

    /**
     * The longest wait for llm-gateway-service's answer to begin: beyond its own longest non-streamed call (600 s
     * by default), so that its own limits answer first. Once the answer has begun it is relayed for as long as it
     * lasts: llm-gateway-service bounds the provider's silence itself.
     */
    static final long ANSWER_WAIT_MS = 660_000;

    /** The longest wait for a connection to llm-gateway-service when all are in use (then 503). */
    static final long CONNECTION_WAIT_MS = 10_000;

    private final HttpClient client;
    private final String host;
    private final int port;
    private final String credential;
    private final RequestBodies bodies;
    private final long maxBodyBytes;

    LlmProxy(
            Vertx vertx,
            String host,
            int port,
            int maxConnections,
            InternalCredential credential,
            RequestBodies bodies,
            long maxBodyBytes) {
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setMaxPoolSize(maxConnections)
                .setMaxWaitQueueSize(maxConnections)
                .setKeepAlive(true)
                .setConnectTimeout(10_000));
        this.host = host;
        this.port = port;
        this.credential = credential.header();
        this.bodies = bodies;
        this.maxBodyBytes = maxBodyBytes;
    }

    /**
     * llm-gateway-service's usage summary: every caller's for an administrator (the gateway says so with
     * {@code skein-usage-scope: all}), each user's own otherwise — whatever the query asks, and by every path
     * that reaches it, MLflow's UI proxy included.
     */
    static final String USAGE_PATH = "/api/2.0/skein/llm/usage";

    private static final String EVERYONE = LlmProxy.class.getName() + ".everyone";

    /** MLflow 3.x's gateway configuration API (secrets, model definitions, endpoints), and as its UI calls it. */
    static boolean configApi(String path) {
        return path.startsWith("/api/3.0/mlflow/gateway/") || path.startsWith("/ajax-api/3.0/mlflow/gateway/");
    }
    /** llm-gateway-service's description of an endpoint's configuration (never a secret), for the web UI. */
    static final String DETAIL_PATH = "/api/2.0/skein/llm/endpoints/get";

    /** Whether {@code path} is one of llm-gateway-service's. */
    static boolean serves(String path) {
        return OPENAI_PATHS.contains(path)
                || configApi(path)
                || path.equals("/gateway/mlflow/v1/chat/completions")
                || path.equals(USAGE_PATH)
                || path.equals(DETAIL_PATH)
                || path.equals("/api/2.0/endpoints")
                || path.startsWith("/api/2.0/endpoints/")
                || path.startsWith("/endpoints/")
                || (path.startsWith("/gateway/") && path.endsWith("/invocations"));
    }

    /** A path with nothing a router would resolve differently: no dot segments, empty segments or encoded separators. */
    static boolean plain(String path) {
        String lower = path.toLowerCase(java.util.Locale.ROOT);
        return !(path.contains("//")
                || path.contains("/./")
                || path.contains("/../")
                || path.endsWith("/.")
                || path.endsWith("/..")
                || path.contains("\\")
                || lower.contains("%2e")
                || lower.contains("%2f")
                || lower.contains("%5c"));
    }

    /**
     * Relays the request if it is llm-gateway-service's; false if it is not. Without {@code everyone} (a signed-in
     * user who is not an administrator) the usage summary is the caller's own.
     */
    boolean handle(RoutingContext ctx, String actor, boolean everyone) {
        HttpServerRequest request = ctx.request();
        if (!serves(request.path())) {
            return false;
        }
        if (everyone) {
            ctx.put(EVERYONE, Boolean.TRUE);
        } else if (configApi(request.path())
                && (request.method() != HttpMethod.GET || request.path().contains("/gateway/secrets/"))) {
            // provider keys and what every endpoint serves: changed by administrators only
            bodies.discard(
                    ctx,
                    () -> Errors.error(
                            ctx,
                            403,
                            ErrorCode.PERMISSION_DENIED,
                            "The LLM gateway's secrets, and changes to its model definitions and endpoints, are"
                                    + " for administrators"));
            return true;
        }
        if (!plain(request.path())) {
            // llm-gateway-service's router would resolve it to another route than the one authorised here
            bodies.discard(
                    ctx,
                    () -> Errors.error(ctx, 404, ErrorCode.ENDPOINT_NOT_FOUND, "No API endpoint at " + request.path()));
            return true;
        }
        String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
        if (request.method() == HttpMethod.POST || request.method() == HttpMethod.DELETE) {
            // the body's bytes stay reserved in the gateway's body budget until it has been sent on
            bodies.readHeld(
                    ctx,
                    maxBodyBytes,
                    (body, lease) -> forward(
                            ctx,
                            actor,
                            request.method(),
                            request.uri(),
                            contentType,
                            Buffer.buffer(body),
                            lease,
                            LlmProxy::relay));
        } else {
            forward(ctx, actor, request.method(), request.uri(), contentType, null, () -> {}, LlmProxy::relay);
        }
        return true;
    }

    /**
     * MLflow's {@code /ajax-api/2.0/mlflow/gateway-proxy}, through which its web UI reaches the deployments server:
     * {@code gatewayPath} (one of llm-gateway-service's paths, relative, a query allowed) called with the request's
     * method and {@code jsonData} as its JSON body. A 200 is relayed as it is; any other answer becomes MLflow's
     * {@code Deployments proxy request failed with error code N. Error message: …} — with llm-gateway-service's
     * status kept where MLflow (whose exception cannot carry an HTTP status) would answer 500: a refusal stays a
     * 4xx, a failure of the LLM gateway or its provider a 502.
     */
    void uiProxy(RoutingContext ctx, String actor, String gatewayPath, Object jsonData) {
        String relative = gatewayPath.startsWith("/") ? gatewayPath.substring(1) : gatewayPath;
        int query = relative.indexOf('?');
        String path = "/" + (query < 0 ? relative : relative.substring(0, query));
        if (!serves(path)
                || configApi(path) // MLflow 2.x's proxy reaches the deployments server, not its configuration
                || !plain(path)
                || !path.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            Errors.error(
                    ctx,
                    404,
                    ErrorCode.RESOURCE_DOES_NOT_EXIST,
                    "Deployments proxy request failed with error code 404. Error message: no deployments endpoint at"
                            + " '" + gatewayPath + "'");
            return;
        }
        String uri = "/" + relative;
        if (!uri.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            Errors.error(ctx, 400, ErrorCode.INVALID_PARAMETER_VALUE, "Invalid gateway_path '" + gatewayPath + "'");
            return;
        }
        boolean post = ctx.request().method() == HttpMethod.POST;
        Buffer body = post && jsonData != null ? Json.encodeToBuffer(jsonData) : null;
        forward(
                ctx,
                actor,
                post ? HttpMethod.POST : HttpMethod.GET,
                uri,
                body == null ? null : "application/json",
                body,
                () -> {},
                (c, answer, out, call) -> {
                    if (answer.statusCode() == 200 || answer.statusCode() == 401) {
                        relay(c, answer, out, call);
                    } else {
                        proxyFailed(c, answer);
                    }
                });
    }

    /** llm-gateway-service's refusal as MLflow's proxy words it, its status kept (a 5xx as 502). */
    private static void proxyFailed(RoutingContext ctx, HttpClientResponse answer) {
        int status = answer.statusCode();
        answer.body().onComplete(read -> {
            String text = read.succeeded() ? read.result().toString(StandardCharsets.UTF_8) : "";
            if (text.length() > 2000) {
                text = text.substring(0, 2000) + "…";
            }
            ErrorCode code =
                    switch (status) {
                        case 404 -> ErrorCode.RESOURCE_DOES_NOT_EXIST;
                        case 429 -> ErrorCode.REQUEST_LIMIT_EXCEEDED;
                        default ->
                            status >= 500 ? ErrorCode.TEMPORARILY_UNAVAILABLE : ErrorCode.INVALID_PARAMETER_VALUE;
                    };
            String retryAfter = answer.getHeader(HttpHeaders.RETRY_AFTER);
            if (retryAfter != null) {
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, retryAfter);
            }
            Errors.error(
                    ctx,
                    status >= 500 || status < 400 ? 502 : status,
                    code,
                    "Deployments proxy request failed with error code " + status + ". Error message: " + text);
        });
    }

    /** What is done with llm-gateway-service's answer once it has begun. */
    @FunctionalInterface
    private interface Answered {
        void accept(RoutingContext ctx, HttpClientResponse answer, HttpServerResponse out, Call call);
    }

    /** One call relayed: the upstream request once there is one, and whether its answer has ended. */
    private static final class Call {
        HttpClientRequest upstream;
        boolean answerEnded;
        boolean clientGone;

        /**
         * The client left: stop llm-gateway-service's call, and with it the provider's — but never a call whose
         * answer has ended (its connection is back in the pool, perhaps carrying another call).
         */
        void clientLeft() {
            clientGone = true;
            if (upstream != null && !answerEnded) {
                upstream.reset();
            }
        }
    }

    private void forward(
            RoutingContext ctx,
            String actor,
            HttpMethod method,
            String uri,
            String contentType,
            Buffer body,
            AutoCloseable lease,
            Answered answered) {
        HttpServerRequest request = ctx.request();
        RequestOptions options = new RequestOptions()
                .setHost(host)
                .setPort(port)
                .setMethod(method)
                .setURI(uri)
                .setConnectTimeout(CONNECTION_WAIT_MS)
                .setIdleTimeout(ANSWER_WAIT_MS)
                .putHeader(HttpHeaders.AUTHORIZATION, credential)
                .putHeader("skein-actor", URLEncoder.encode(actor, StandardCharsets.UTF_8));
        if (Boolean.TRUE.equals(ctx.get(EVERYONE))) {
            options.putHeader("skein-usage-scope", "all");
        }
        if (contentType != null) {
            options.putHeader(HttpHeaders.CONTENT_TYPE, contentType);
        }
        String accept = request.getHeader(HttpHeaders.ACCEPT);
        if (accept != null) {
            options.putHeader(HttpHeaders.ACCEPT, accept);
        }
        HttpServerResponse out = ctx.response();
        Call call = new Call();
        // no idle timeout while the answer is awaited (a model may think for minutes); back once it has ended
        io.vertx.core.http.HttpConnection connection = request.connection();
        IdleHold.hold(connection);
        // watched from the start: a client gone before there is a connection is not called for
        ctx.addEndHandler(ended -> {
            IdleHold.release(connection);
            if (ended.failed()) {
                call.clientLeft();
            }
        });
        client.request(options)
                .compose(upstream -> {
                    call.upstream = upstream;
                    if (call.clientGone || out.closed()) {
                        upstream.reset();
                        return io.vertx.core.Future.failedFuture("the client left");
                    }
                    return body == null ? upstream.send() : upstream.send(body);
                })
                .onComplete(sent -> close(lease))
                .onSuccess(answer -> {
                    answer.end().onSuccess(v -> call.answerEnded = true);
                    answered.accept(ctx, answer, out, call);
                })
                .onFailure(failure -> unavailable(ctx, failure));
    }

    private static void close(AutoCloseable lease) {
        try {
            lease.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void relay(RoutingContext ctx, HttpClientResponse answer, HttpServerResponse out, Call call) {
        if (out.closed()) {
            call.clientLeft();
            return;
        }
        if (answer.statusCode() == 401) {
            // llm-gateway-service refused this gateway's internal credential: the client's own was fine
            LOG.errorf(
                    "llm-gateway-service refused the internal credential (%s %s): check SKEIN_INTERNAL_TOKEN on both",
                    ctx.request().method(), ctx.request().path());
            answer.body()
                    .onComplete(drained -> failure(
                            ctx,
                            502,
                            ErrorCode.INTERNAL_ERROR,
                            "The gateway could not authenticate to the LLM gateway (llm-gateway-service); an operator must"
                                    + " check the internal credential",
                            "llm_gateway_misconfigured"));
            return;
        }
        out.setStatusCode(answer.statusCode());
        for (CharSequence name : ANSWER_HEADERS) {
            String value = answer.getHeader(name);
            if (value != null) {
                out.putHeader(name, value);
            }
        }
        if (answer.getHeader(HttpHeaders.CONTENT_LENGTH) == null) {
            out.setChunked(true);
        }
        // each piece as it comes (a stream's events are not held back), paused while the client is behind; an
        // answer cut short is cut short for the client too (a clean end would pass for a complete answer)
        answer.pipe().endOnFailure(false).to(out).onFailure(f -> {
            call.clientLeft();
            if (!out.ended()) {
                out.reset();
            }
        });
    }

    /** llm-gateway-service cannot be reached: 503 in the route's own error shape. */
    private static void unavailable(RoutingContext ctx, Throwable failure) {
        LOG.warnf(
                "%s %s: llm-gateway-service cannot be reached: %s",
                ctx.request().method(), ctx.request().path(), failure.toString());
        if (ctx.response().closed()) {
            return; // the client left first
        }
        if (ctx.response().headWritten()) {
            ctx.response().reset();
            return;
        }
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
        failure(
                ctx,
                503,
                ErrorCode.TEMPORARILY_UNAVAILABLE,
                "The LLM gateway (llm-gateway-service) cannot be reached right now; try again",
                "llm_gateway_unavailable");
    }

    /** An error of the gateway's own, in the route's shape: OpenAI's on {@code /v1}, MLflow's elsewhere. */
    private static void failure(RoutingContext ctx, int status, ErrorCode code, String message, String openAiCode) {
        if (OPENAI_PATHS.contains(ctx.request().path())) {
            ctx.response()
                    .setStatusCode(status)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(new JsonObject()
                            .put(
                                    "error",
                                    new JsonObject()
                                            .put("message", message)
                                            .put("type", "upstream_error")
                                            .putNull("param")
                                            .put("code", openAiCode))
                            .toBuffer());
        } else {
            Errors.error(ctx, status, code, message);
        }
    }
}
