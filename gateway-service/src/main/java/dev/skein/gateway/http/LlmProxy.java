package dev.skein.gateway.http;

import dev.skein.common.trust.InternalCredential;
import dev.skein.gateway.auth.Permission;
import dev.skein.gateway.route.RouteTable;
import dev.skein.proto.common.v1.ErrorCode;
import io.smallrye.mutiny.Uni;
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
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
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
        String p = normalized(path); // as llm-gateway-service's router will read it: %61pi is api
        return p.startsWith("/api/3.0/mlflow/gateway/") || p.startsWith("/ajax-api/3.0/mlflow/gateway/");
    }
    /** llm-gateway-service's description of an endpoint's configuration (never a secret), for the web UI. */
    static final String DETAIL_PATH = "/api/2.0/skein/llm/endpoints/get";

    /** Whether {@code path} is one of llm-gateway-service's. */
    static boolean serves(String raw) {
        String path = normalized(raw);
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

    /**
     * The path as llm-gateway-service's router matches it: percent-encoded unreserved characters decoded
     * ({@code %73ecrets} is {@code secrets}), so a check on it sees the route that will serve the request. Dot
     * segments are left as they are ({@link #plain} refuses them; {@code %2e} is decoded to a dot here).
     */
    static String normalized(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        StringBuilder out = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length()) {
                int value = hex(path.charAt(i + 1)) * 16 + hex(path.charAt(i + 2));
                if (value >= 0 && unreserved((char) value)) {
                    out.append((char) value);
                    i += 2;
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    private static int hex(char c) {
        int d = Character.digit(c, 16);
        return d < 0 ? -1000 : d;
    }

    /** RFC 3986's unreserved characters: what a router decodes in a path without changing its meaning. */
    private static boolean unreserved(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '-'
                || c == '.'
                || c == '_'
                || c == '~';
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
     * The caller's own permissions on LLM endpoints, by name (MLflow 3's {@code gateway_endpoint_permissions}, else
     * the default permission); null where nothing is checked (an administrator, or authentication off).
     */
    @FunctionalInterface
    interface EndpointGrants {
        Uni<Map<String, Permission>> of(List<String> endpoints);
    }

    /** What a call needs of the caller's permission on an LLM endpoint, and on which. */
    enum Needs {
        /** nothing of an endpoint (usage, model definitions, …) */
        NOTHING,
        /** USE of the endpoint the path names */
        USE_NAMED,
        /** USE of the endpoint the JSON body's {@code model} names (OpenAI's routes) */
        USE_MODEL,
        /** READ of the endpoint the path or the query ({@code name}) names */
        READ_NAMED,
        /** READ of each endpoint listed: the others are left out of the answer's {@code endpoints} */
        READ_LISTED,
        /** READ of the endpoint the answer's {@code endpoint} is (MLflow 3's {@code endpoints/get}, by id) */
        READ_ANSWERED
    }

    /** A call's need and, for a named one, the endpoint's name. */
    record Need(Needs needs, String endpoint) {}

    /** What a call to {@code path} (raw, query apart) needs, {@code query} its query string or null. */
    static Need need(String raw, HttpMethod method, String query) {
        // as llm-gateway-service's router reads it: /v1/chat/c%6fmpletions is USE's, and an exact route ignores a
        // final slash (endpoints/list/ is endpoints/list)
        String normal = normalized(raw);
        String path = normal.length() > 1 && normal.endsWith("/") && !normal.equals("/api/2.0/endpoints/")
                ? normal.substring(0, normal.length() - 1)
                : normal;
        if (OPENAI_PATHS.contains(path) || path.equals("/gateway/mlflow/v1/chat/completions")) {
            return new Need(Needs.USE_MODEL, null);
        }
        if (path.startsWith("/endpoints/") || path.startsWith("/gateway/")) {
            // /endpoints/{name}/invocations, /gateway/{name}/invocations, /gateway/{name}/mlflow/invocations
            String[] segments = path.split("/", 4);
            return new Need(Needs.USE_NAMED, segments.length > 2 ? RouteTable.decode(segments[2]) : "");
        }
        if (path.equals("/api/2.0/endpoints") || path.equals("/api/2.0/endpoints/")) {
            return new Need(Needs.READ_LISTED, null);
        }
        if (path.startsWith("/api/2.0/endpoints/")) {
            // its first segment names the endpoint, whatever follows (a final slash)
            String rest = path.substring("/api/2.0/endpoints/".length());
            return new Need(Needs.READ_NAMED, RouteTable.decode(rest.split("/", 2)[0]));
        }
        if (path.equals(DETAIL_PATH)) {
            String name = queryParam(query, "name");
            return name == null ? new Need(Needs.NOTHING, null) : new Need(Needs.READ_NAMED, name);
        }
        if (configApi(path) && method == HttpMethod.GET) {
            if (path.endsWith("/mlflow/gateway/endpoints/list")) {
                return new Need(Needs.READ_LISTED, null);
            }
            if (path.endsWith("/mlflow/gateway/endpoints/get")) {
                return new Need(Needs.READ_ANSWERED, null);
            }
        }
        return new Need(Needs.NOTHING, null);
    }

    /**
     * A query parameter's value as llm-gateway-service's Vert.x will read it (the same decoder: names matched
     * regardless of case, {@code ;} a separator too); null if absent. Several values, or a query that cannot be
     * decoded, are refused: the check must judge the one value the service will use.
     */
    static String queryParam(String query, String name) {
        if (query == null) {
            return null;
        }
        java.util.List<String> values = new java.util.ArrayList<>();
        try {
            // as Vert.x's HttpServerRequest.params(): Netty's decoder, ';' a separator, names without case
            new io.netty.handler.codec.http.QueryStringDecoder("/?" + query, StandardCharsets.UTF_8, true, 1024, false)
                    .parameters()
                    .forEach((key, given) -> {
                        if (key.equalsIgnoreCase(name)) {
                            values.addAll(given);
                        }
                    });
        } catch (IllegalArgumentException e) {
            throw new dev.skein.common.error.ApiException(
                    ErrorCode.INVALID_PARAMETER_VALUE, "The query string cannot be decoded: " + e.getMessage());
        }
        if (values.size() > 1) {
            throw new dev.skein.common.error.ApiException(
                    ErrorCode.INVALID_PARAMETER_VALUE, "'" + name + "' is given more than once");
        }
        return values.isEmpty() ? null : values.get(0);
    }

    /** The endpoint an OpenAI-style body's {@code model} names; null if the body names none. */
    static String model(Object body) {
        Object json = body;
        if (body instanceof byte[] bytes) {
            try {
                json = Json.decodeValue(Buffer.buffer(bytes));
            } catch (RuntimeException e) {
                return null;
            }
        }
        if (json instanceof Map<?, ?> map) {
            json = new JsonObject(castMap(map));
        }
        return json instanceof JsonObject object && object.getValue("model") instanceof String model ? model : null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

    /**
     * Relays the request if it is llm-gateway-service's; false if it is not. Without {@code everyone} (a signed-in
     * user who is not an administrator) the usage summary is the caller's own; with {@code grants}, an endpoint is
     * invoked only with USE of it and read only with READ.
     */
    boolean handle(RoutingContext ctx, String actor, boolean everyone, EndpointGrants grants) {
        HttpServerRequest request = ctx.request();
        if (!serves(request.path())) {
            return false;
        }
        if (everyone) {
            ctx.put(EVERYONE, Boolean.TRUE);
        } else if (configApi(request.path())
                && (request.method() != HttpMethod.GET
                        || normalized(request.path()).contains("/gateway/secrets/"))) {
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
        Need need;
        try {
            need = grants == null
                    ? new Need(Needs.NOTHING, null)
                    : need(request.path(), request.method(), request.query());
        } catch (dev.skein.common.error.ApiException refused) {
            bodies.discard(ctx, () -> Errors.error(ctx, 400, refused.code(), refused.getMessage()));
            return true;
        }
        Answered answered = answering(need, grants, LlmProxy::relay);
        if (request.method() == HttpMethod.POST || request.method() == HttpMethod.DELETE) {
            // the body's bytes stay reserved in the gateway's body budget until it has been sent on
            bodies.readHeld(ctx, maxBodyBytes, (body, lease) -> {
                Runnable send = () -> forward(
                        ctx, actor, request.method(), request.uri(), contentType, Buffer.buffer(body), lease, answered);
                if (need.needs() == Needs.USE_MODEL) {
                    String model = model(body);
                    if (model == null) {
                        close(lease);
                        failure(
                                ctx,
                                400,
                                ErrorCode.INVALID_PARAMETER_VALUE,
                                "The request body must be a JSON object naming the endpoint in 'model'",
                                "invalid_request_error",
                                null);
                        return;
                    }
                    allowed(ctx, grants, model, true, send, () -> close(lease));
                } else if (need.needs() == Needs.USE_NAMED || need.needs() == Needs.READ_NAMED) {
                    allowed(ctx, grants, need.endpoint(), need.needs() == Needs.USE_NAMED, send, () -> close(lease));
                } else {
                    send.run();
                }
            });
        } else {
            Runnable send =
                    () -> forward(ctx, actor, request.method(), request.uri(), contentType, null, () -> {}, answered);
            if (need.needs() == Needs.USE_NAMED || need.needs() == Needs.READ_NAMED) {
                // nothing of the body is needed (a GET has none): refused before it is read
                allowed(ctx, grants, need.endpoint(), need.needs() == Needs.USE_NAMED, send, null);
            } else {
                send.run();
            }
        }
        return true;
    }

    /**
     * Runs {@code then} if the caller may use ({@code use}) or read the endpoint; otherwise answers 403 in the route's
     * shape, after {@code refused} (giving a held body back) — or, with none, once the unread body is discarded.
     */
    private void allowed(
            RoutingContext ctx, EndpointGrants grants, String endpoint, boolean use, Runnable then, Runnable refused) {
        grants.of(List.of(endpoint))
                .subscribe()
                .with(
                        permissions -> {
                            Permission p = permissions.getOrDefault(endpoint, Permission.NO_PERMISSIONS);
                            if (use ? p.canUse() : p.canRead()) {
                                then.run();
                                return;
                            }
                            Runnable deny = () -> failure(
                                    ctx,
                                    403,
                                    ErrorCode.PERMISSION_DENIED,
                                    "Permission denied: "
                                            + (use
                                                    ? "invoking LLM endpoint '" + endpoint
                                                            + "' needs the USE permission"
                                                    : "reading LLM endpoint '" + endpoint
                                                            + "' needs the READ permission"),
                                    "permission_error",
                                    "permission_denied");
                            if (refused != null) {
                                refused.run();
                                deny.run();
                            } else {
                                bodies.discard(ctx, deny);
                            }
                        },
                        failure -> {
                            if (refused != null) {
                                refused.run();
                            }
                            Errors.fail(
                                    ctx,
                                    ctx.request().method() + " " + ctx.request().path(),
                                    failure);
                        });
    }

    /**
     * What is done with the answer: as it is, unless the call lists endpoints (those the caller may not read are left
     * out) or reads one by id (refused unless the caller may read the endpoint it turns out to be).
     */
    private static Answered answering(Need need, EndpointGrants grants, Answered then) {
        if (need.needs() != Needs.READ_LISTED && need.needs() != Needs.READ_ANSWERED) {
            return then;
        }
        return (ctx, answer, out, call) -> {
            if (answer.statusCode() != 200) {
                then.accept(ctx, answer, out, call);
                return;
            }
            // a page of endpoints' descriptions (at most a few thousand, no secret): read whole, then judged
            answer.body().onComplete(read -> {
                JsonObject page;
                try {
                    page = read.succeeded() ? read.result().toJsonObject() : null;
                } catch (RuntimeException e) {
                    page = null;
                }
                if (page == null) {
                    unavailable(ctx, read.failed() ? read.cause() : new IllegalStateException("not JSON"));
                    return;
                }
                JsonObject answered = page;
                List<String> names = new java.util.ArrayList<>();
                JsonArray listed = need.needs() == Needs.READ_LISTED ? page.getJsonArray("endpoints") : null;
                JsonObject one = need.needs() == Needs.READ_ANSWERED ? page.getJsonObject("endpoint") : null;
                if (listed != null) {
                    listed.forEach(e -> names.add(e instanceof JsonObject o ? o.getString("name", "") : ""));
                } else if (one != null) {
                    names.add(one.getString("name", ""));
                }
                grants.of(names.stream().distinct().toList())
                        .subscribe()
                        .with(
                                permissions -> {
                                    if (one != null
                                            && !permissions
                                                    .getOrDefault(names.get(0), Permission.NO_PERMISSIONS)
                                                    .canRead()) {
                                        failure(
                                                ctx,
                                                403,
                                                ErrorCode.PERMISSION_DENIED,
                                                // the name is not told to one who may not read it
                                                "Permission denied: reading this LLM endpoint needs the READ"
                                                        + " permission",
                                                "permission_error",
                                                "permission_denied");
                                        return;
                                    }
                                    if (listed != null) {
                                        JsonArray kept = new JsonArray();
                                        for (int i = 0; i < listed.size(); i++) {
                                            if (permissions
                                                    .getOrDefault(names.get(i), Permission.NO_PERMISSIONS)
                                                    .canRead()) {
                                                kept.add(listed.getValue(i));
                                            }
                                        }
                                        answered.put("endpoints", kept);
                                    }
                                    if (!out.closed()) {
                                        out.setStatusCode(200)
                                                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                                .end(answered.toBuffer());
                                    }
                                },
                                failure -> Errors.fail(
                                        ctx,
                                        ctx.request().method() + " "
                                                + ctx.request().path(),
                                        failure));
            });
        };
    }

    /**
     * MLflow's {@code /ajax-api/2.0/mlflow/gateway-proxy}, through which its web UI reaches the deployments server:
     * {@code gatewayPath} (one of llm-gateway-service's paths, relative, a query allowed) called with the request's
     * method and {@code jsonData} as its JSON body. A 200 is relayed as it is; any other answer becomes MLflow's
     * {@code Deployments proxy request failed with error code N. Error message: …} — with llm-gateway-service's
     * status kept where MLflow (whose exception cannot carry an HTTP status) would answer 500: a refusal stays a
     * 4xx, a failure of the LLM gateway or its provider a 502.
     */
    void uiProxy(RoutingContext ctx, String actor, String gatewayPath, Object jsonData, EndpointGrants grants) {
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
        HttpMethod method = post ? HttpMethod.POST : HttpMethod.GET;
        Need need;
        try {
            need = grants == null
                    ? new Need(Needs.NOTHING, null)
                    : need(path, method, query < 0 ? null : relative.substring(query + 1));
        } catch (dev.skein.common.error.ApiException refused) {
            Errors.error(ctx, 400, refused.code(), refused.getMessage());
            return;
        }
        Answered answered = answering(need, grants, (c, answer, out, call) -> {
            if (answer.statusCode() == 200 || answer.statusCode() == 401) {
                relay(c, answer, out, call);
            } else {
                proxyFailed(c, answer);
            }
        });
        Runnable send = () ->
                forward(ctx, actor, method, uri, body == null ? null : "application/json", body, () -> {}, answered);
        String endpoint =
                switch (need.needs()) {
                    case USE_MODEL -> model(jsonData);
                    case USE_NAMED, READ_NAMED -> need.endpoint();
                    default -> null;
                };
        if (need.needs() == Needs.USE_MODEL && endpoint == null) {
            Errors.error(
                    ctx,
                    400,
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    "The request's json_data must be a JSON object naming the endpoint in 'model'");
        } else if (endpoint != null) {
            allowed(ctx, grants, endpoint, need.needs() != Needs.READ_NAMED, send, () -> {});
        } else {
            send.run();
        }
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
        // the body's share of the request-body budget goes back once the body has been written to llm-gateway-service,
        // not when its answer comes (a model may think for minutes: other calls' bodies must not wait for it)
        java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                close(lease);
            }
        };
        client.request(options)
                .compose(upstream -> {
                    call.upstream = upstream;
                    if (call.clientGone || out.closed()) {
                        upstream.reset();
                        return io.vertx.core.Future.failedFuture("the client left");
                    }
                    (body == null ? upstream.end() : upstream.end(body)).onComplete(written -> release.run());
                    return upstream.response();
                })
                .onComplete(answer -> release.run())
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
        failure(ctx, status, code, message, "upstream_error", openAiCode);
    }

    private static void failure(
            RoutingContext ctx, int status, ErrorCode code, String message, String openAiType, String openAiCode) {
        if (ctx.response().ended() || ctx.response().headWritten()) {
            return;
        }
        String path = normalized(ctx.request().path());
        if (OPENAI_PATHS.contains(path) || path.equals("/gateway/mlflow/v1/chat/completions")) {
            ctx.response()
                    .setStatusCode(status)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(new JsonObject()
                            .put(
                                    "error",
                                    new JsonObject()
                                            .put("message", message)
                                            .put("type", openAiType)
                                            .putNull("param")
                                            .put("code", openAiCode))
                            .toBuffer());
        } else {
            Errors.error(ctx, status, code, message);
        }
    }
}
