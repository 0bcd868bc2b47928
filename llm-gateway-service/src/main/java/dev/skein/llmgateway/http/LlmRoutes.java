package dev.skein.llmgateway.http;

import dev.skein.common.trust.InternalCredential;
import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.EndpointType;
import dev.skein.llmgateway.config.Endpoints;
import dev.skein.llmgateway.config.LlmGatewayConfig;
import dev.skein.llmgateway.config.StoredPlans;
import dev.skein.llmgateway.governance.Admission;
import dev.skein.llmgateway.governance.Call;
import dev.skein.llmgateway.governance.LimitExceeded;
import dev.skein.llmgateway.governance.Limiter;
import dev.skein.llmgateway.governance.UsageLog;
import dev.skein.llmgateway.governance.UsageSummary;
import dev.skein.llmgateway.provider.AnswerBudget;
import dev.skein.llmgateway.provider.AnthropicTranslation;
import dev.skein.llmgateway.provider.BedrockTranslation;
import dev.skein.llmgateway.provider.CohereTranslation;
import dev.skein.llmgateway.provider.GeminiTranslation;
import dev.skein.llmgateway.provider.MistralTranslation;
import dev.skein.llmgateway.provider.MlflowServingTranslation;
import dev.skein.llmgateway.provider.OpenAiProvider;
import dev.skein.llmgateway.provider.OpenAiSettings;
import dev.skein.llmgateway.provider.OpenAiTranslation;
import dev.skein.llmgateway.provider.RefusedRequest;
import dev.skein.llmgateway.provider.StreamDialect;
import dev.skein.llmgateway.provider.UpstreamException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The service's HTTP API: MLflow 2.x's Deployments server ({@code mlflow/gateway/app.py}) and OpenAI's
 * {@code /v1} routes, on one Vert.x router. Every route needs the internal credential ({@link InternalCredential});
 * bodies are bounded before they are read; every failure is answered in the route's own error shape
 * ({@link ApiError}), never a stack trace.
 */
@ApplicationScoped
public class LlmRoutes {

    private static final Logger LOG = Logger.getLogger(LlmRoutes.class);

    /** The longest a call waits for its limits to be checked (then 503 limits_unavailable). */
    private static final java.time.Duration LIMITS_DEADLINE = java.time.Duration.ofSeconds(5);

    private final Endpoints endpoints;
    private final LlmGatewayConfig config;
    private final InternalCredential access;
    private final Vertx vertx;
    private final Limiter limiter;
    private final UsageLog usage;
    private final UsageSummary summary;
    private final ConfigRoutes configApi;
    /** A provider per endpoint configuration (a reloaded endpoint gets a new one; calls keep theirs). */
    private final Map<Endpoint, OpenAiProvider> providers = new java.util.concurrent.ConcurrentHashMap<>();

    private HttpClient client;
    private OpenAiProvider.Limits limits;
    private AnswerBudget budget;

    public LlmRoutes(
            Endpoints endpoints,
            LlmGatewayConfig config,
            InternalCredential access,
            Vertx vertx,
            Limiter limiter,
            UsageLog usage,
            UsageSummary summary,
            ConfigRoutes configApi) {
        this.endpoints = endpoints;
        this.config = config;
        this.access = access;
        this.vertx = vertx;
        this.limiter = limiter;
        this.usage = usage;
        this.summary = summary;
        this.configApi = configApi;
    }

    void register(@Observes Router router) {
        config.check();
        client = vertx.createHttpClient(new HttpClientOptions()
                .setMaxPoolSize(config.maxConnections())
                .setMaxWaitQueueSize(config.maxConnections())
                .setConnectTimeout((int)
                        Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                .setKeepAlive(true)
                .setVerifyHost(true));
        limits = new OpenAiProvider.Limits(
                config.upstreamTimeout().toMillis(),
                config.clientStallTimeout().toMillis(),
                config.upstreamCallTimeout().toMillis(),
                // a new connection's own timeout ends first: what outlasts both is a wait for a busy pool
                config.connectTimeout().toMillis() + config.poolWaitTimeout().toMillis(),
                config.maxUpstreamResponseBytes(),
                config.maxConnections());
        budget = new AnswerBudget(config.maxBufferedAnswerBytes());
        Handler<RoutingContext> body = BodyHandler.create(false).setBodyLimit(config.maxRequestBytes());

        get(router, "/health", ctx -> json(ctx, 200, new JsonObject().put("status", "OK")));
        get(router, "/api/2.0/endpoints/", this::listEndpoints);
        get(router, "/api/2.0/endpoints", this::listEndpoints);
        get(router, "/api/2.0/endpoints/:name", this::getEndpoint);
        get(router, EndpointDetail.PATH, new EndpointDetail(endpoints)::answer);
        get(router, "/api/2.0/skein/llm/usage", ctx -> summary.summary(
                        ctx.request().params(),
                        // everyone's usage only when gateway-service says the caller may see it (an administrator)
                        "all".equals(ctx.request().getHeader("skein-usage-scope")) ? null : caller(ctx))
                .onSuccess(json -> json(ctx, 200, json))
                .onFailure(failure -> ctx.fail(
                        failure instanceof UsageSummary.BadParameter bad
                                ? new ApiFailure(ApiError.of(
                                        400, bad.getMessage(), "invalid_request_error", bad.parameter, null))
                                : new UpstreamException(
                                        503,
                                        "The usage summary cannot be read at the moment (llm-gateway-service's"
                                                + " database is unavailable)",
                                        "5",
                                        null,
                                        "usage_unavailable"))));
        configApi.register(router, trusted(ApiStyle.MLFLOW));
        // MLflow 3.x's invocation path of an endpoint (chat if the body has messages, embeddings if input) beside 2.x's
        for (String path : List.of(
                "/endpoints/:name/invocations", "/gateway/:name/invocations", "/gateway/:name/mlflow/invocations")) {
            router.post(path)
                    .handler(trusted(ApiStyle.MLFLOW))
                    .handler(body)
                    .handler(this::invocation)
                    .failureHandler(ctx -> failure(ctx, ApiStyle.MLFLOW));
        }
        openAi(router, body, "/v1/chat/completions", EndpointType.CHAT);
        openAi(router, body, "/gateway/mlflow/v1/chat/completions", EndpointType.CHAT);
        openAi(router, body, "/v1/completions", EndpointType.COMPLETIONS);
        openAi(router, body, "/v1/embeddings", EndpointType.EMBEDDINGS);
    }

    private void get(Router router, String path, Handler<RoutingContext> handler) {
        router.get(path)
                .handler(trusted(ApiStyle.MLFLOW))
                .handler(handler)
                .failureHandler(ctx -> failure(ctx, ApiStyle.MLFLOW));
    }

    private void openAi(Router router, Handler<RoutingContext> body, String path, EndpointType type) {
        router.post(path)
                .handler(trusted(ApiStyle.OPENAI))
                .handler(body)
                .handler(ctx -> openAiCall(ctx, type))
                .failureHandler(ctx -> failure(ctx, ApiStyle.OPENAI));
    }

    /**
     * The credential check, ahead of the body handler (a {@link SecurityPolicyHandler} runs before it): a caller
     * without the credential is refused before its body is read.
     */
    private SecurityPolicyHandler trusted(ApiStyle style) {
        return ctx -> {
            if (access.accepts(ctx.request().getHeader("Authorization"))) {
                ctx.next();
            } else {
                // the body is never read: the connection is closed after the answer rather than drained
                ctx.response().putHeader("Connection", "close");
                ctx.response().endHandler(v -> ctx.request().connection().close());
                send(
                        ctx,
                        style,
                        ApiError.of(
                                401,
                                "llm-gateway-service is reached through gateway-service only (the internal"
                                        + " credential is missing or wrong)",
                                "authentication_error",
                                null,
                                "unauthenticated"));
            }
        };
    }

    /** MLflow's {@code list_endpoints}: pages of {@code list-page-size}, {@code page_token} = base64 of {"index": n}. */
    private void listEndpoints(RoutingContext ctx) {
        String token = ctx.request().getParam("page_token");
        int start = token == null ? 0 : decodePageToken(token);
        List<Endpoint> all = new ArrayList<>(endpoints.all());
        all.addAll(endpoints.storedShown());
        long end = (long) start + config.listPageSize();
        JsonArray page = new JsonArray();
        for (int i = start; i < Math.min(end, all.size()); i++) {
            page.add(describe(all.get(i)));
        }
        JsonObject result = new JsonObject().put("endpoints", page);
        if (end < all.size()) {
            result.put("next_page_token", encodePageToken((int) end));
        }
        json(ctx, 200, result);
    }

    static String encodePageToken(int index) {
        // Python's json.dumps({"index": n}), as MLflow's SearchRoutesToken.encode
        return Base64.getEncoder().encodeToString(("{\"index\": " + index + "}").getBytes(StandardCharsets.UTF_8));
    }

    static int decodePageToken(String token) {
        long index;
        try {
            Object value = new JsonObject(Buffer.buffer(Base64.getDecoder().decode(token.strip()))).getValue("index");
            index = value instanceof Number n
                    ? n.longValue()
                    : Long.parseLong(String.valueOf(value).strip());
        } catch (RuntimeException e) {
            throw new ApiFailure(ApiError.of(
                    400,
                    "Invalid SearchRoutes token: " + token
                            + ". The index is not defined as a value that can be represented as a positive integer.",
                    "invalid_request_error",
                    "page_token",
                    null));
        }
        if (index < 0 || index > Integer.MAX_VALUE) {
            throw new ApiFailure(ApiError.of(
                    400,
                    "Invalid SearchRoutes token: " + token + ". The index cannot be negative.",
                    "invalid_request_error",
                    "page_token",
                    null));
        }
        return (int) index;
    }

    private void getEndpoint(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        Endpoint endpoint = endpoints
                .get(name)
                .or(() -> endpoints.stored(name).map(StoredPlans.Served::shown))
                .orElseThrow(() -> new ApiFailure(ApiError.of(
                        404,
                        "The endpoint '" + name
                                + "' is not present or active on the server. Please verify the endpoint name.",
                        "invalid_request_error",
                        null,
                        "endpoint_not_found")));
        json(ctx, 200, describe(endpoint));
    }

    /** MLflow's {@code Endpoint}: never the provider's config (its key). */
    static JsonObject describe(Endpoint e) {
        JsonObject limit = e.limit() == null
                ? null
                : new JsonObject()
                        .put("calls", e.limit().calls())
                        .put("key", e.limit().key())
                        .put("renewal_period", e.limit().renewalPeriod());
        return new JsonObject()
                .put("name", e.name())
                .put("endpoint_type", e.type().wire())
                .put("model", new JsonObject().put("name", e.modelName()).put("provider", e.provider()))
                .put("endpoint_url", e.endpointUrl())
                .put("limit", limit);
    }

    /** {@code POST /endpoints/{name}/invocations}: the endpoint's own type decides the schema. */
    private void invocation(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        Endpoint endpoint = endpoints.resolve(name).orElse(null);
        StoredPlans.Served stored =
                endpoint != null ? null : endpoints.stored(name).orElse(null);
        if (endpoint == null && stored == null) {
            throw new ApiFailure(ApiError.of(404, "Not Found", "invalid_request_error", null, null));
        }
        JsonObject body = jsonBody(ctx);
        if (body.getValue("model") != null) {
            throw new ApiFailure(ApiError.of(
                    422,
                    "The parameter 'model' is not permitted to be passed. The route being queried already defines a"
                            + " model instance.",
                    "invalid_request_error",
                    "model",
                    null));
        }
        body.remove("model");
        if (stored != null) {
            // a configuration API endpoint serves what the body asks: messages, prompt or input
            EndpointType type = body.containsKey("messages")
                    ? EndpointType.CHAT
                    : body.containsKey("input")
                            ? EndpointType.EMBEDDINGS
                            : body.containsKey("prompt") ? EndpointType.COMPLETIONS : null;
            if (type == null) {
                throw new ApiFailure(ApiError.validation(
                        null,
                        "the request needs messages (chat), prompt (completions) or input (embeddings)",
                        "value_error.missing"));
            }
            StoredPlans.Plan plan = plan(stored, type, ApiStyle.MLFLOW);
            call(ctx, ApiStyle.MLFLOW, plan.pick(), RequestChecks.check(type, body, true), plan.fallbacks());
            return;
        }
        call(ctx, ApiStyle.MLFLOW, endpoint, RequestChecks.check(endpoint.type(), body, true), fallbacks(endpoint));
    }

    /** The plan of a configuration API endpoint for a request type; 400 when none of its models serves it. */
    private static StoredPlans.Plan plan(StoredPlans.Served stored, EndpointType type, ApiStyle style) {
        StoredPlans.Plan plan = stored.plans().get(type);
        if (plan == null) {
            throw new ApiFailure(ApiError.of(
                    400,
                    "Endpoint '" + stored.name() + "' has no model that serves " + type.wire()
                            + (stored.problems().isEmpty() ? "" : " (" + String.join("; ", stored.problems()) + ")"),
                    "invalid_request_error",
                    style == ApiStyle.OPENAI ? "model" : null,
                    null));
        }
        return plan;
    }

    /** A file endpoint's fallbacks, by name; one a reload removed meanwhile is skipped. */
    private List<Endpoint> fallbacks(Endpoint endpoint) {
        List<Endpoint> out = new ArrayList<>();
        endpoint.fallbacks().forEach(name -> endpoints.get(name).ifPresent(out::add));
        return out;
    }

    /** {@code POST /v1/...}: {@code model} names the endpoint, which must be of the route's type. */
    private void openAiCall(RoutingContext ctx, EndpointType type) {
        JsonObject body = jsonBody(ctx);
        if (!(body.getValue("model") instanceof String name)) {
            throw new ApiFailure(
                    ApiError.of(400, "you must provide a model parameter", "invalid_request_error", "model", null));
        }
        Endpoint endpoint = endpoints.resolve(name).orElse(null);
        StoredPlans.Served stored =
                endpoint != null ? null : endpoints.stored(name).orElse(null);
        if (endpoint == null && stored == null) {
            throw new ApiFailure(ApiError.of(
                    404,
                    "The model '" + name + "' does not exist: no endpoint of that name is configured",
                    "invalid_request_error",
                    "model",
                    "model_not_found"));
        }
        if (stored != null) {
            StoredPlans.Plan plan = plan(stored, type, ApiStyle.OPENAI);
            body.remove("model");
            call(ctx, ApiStyle.OPENAI, plan.pick(), RequestChecks.check(type, body, false), plan.fallbacks());
            return;
        }
        if (endpoint.type() != type) {
            String what =
                    switch (type) {
                        case CHAT -> "a chat";
                        case COMPLETIONS -> "a completions";
                        case EMBEDDINGS -> "an embeddings";
                    };
            throw new ApiFailure(ApiError.of(
                    400,
                    "Endpoint '" + name + "' is not " + what + " endpoint.",
                    "invalid_request_error",
                    "model",
                    null));
        }
        body.remove("model"); // MLflow: the endpoint's model is sent, never the client's
        call(ctx, ApiStyle.OPENAI, endpoint, RequestChecks.check(type, body, false), fallbacks(endpoint));
    }

    private JsonObject jsonBody(RoutingContext ctx) {
        Buffer buffer = ctx.body().buffer();
        if (buffer == null || buffer.length() == 0) {
            throw new ApiFailure(ApiError.validation(null, "field required", "value_error.missing"));
        }
        Object value;
        try {
            value = Json.decodeValue(buffer);
        } catch (DecodeException e) {
            throw new ApiFailure(ApiError.validation(null, "JSON decode error", "value_error.jsondecode"));
        }
        if (!(value instanceof JsonObject object)) {
            throw new ApiFailure(ApiError.validation(null, "value is not a valid dict", "type_error.dict"));
        }
        return object;
    }

    /** The caller gateway-service authenticated ({@code skein-actor}, URL-encoded); "anonymous" without one. */
    static String caller(RoutingContext ctx) {
        String actor = ctx.request().getHeader("skein-actor");
        if (actor == null || actor.isBlank()) {
            return "anonymous";
        }
        String name;
        try {
            // exactly as authenticated: "alice" and "alice " are two users, with limits and usage of their own
            name = URLDecoder.decode(actor, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            name = actor;
        }
        // a name PostgreSQL stores as given: no NUL, bounded
        name = name.replace("\u0000", "");
        name = name.length() > 256 ? name.substring(0, 256) : name;
        return name.isBlank() ? "anonymous" : name;
    }

    /** A call: counted by its endpoint's limits (refused when one is full), then sent; its usage is recorded. */
    private void call(
            RoutingContext ctx, ApiStyle style, Endpoint endpoint, JsonObject payload, List<Endpoint> fallbacks) {
        boolean stream = Boolean.TRUE.equals(payload.getValue("stream")) && endpoint.type() != EndpointType.EMBEDDINGS;
        String caller = caller(ctx);
        Call record = usage.start(endpoint, caller, style.name(), stream);
        record.prompt(TextChars.prompt(payload));
        for (String bound : List.of("max_tokens", "max_completion_tokens")) {
            if (payload.getValue(bound) instanceof Number n && n.longValue() > 0) {
                record.outputBound(n.longValue());
            }
        }
        ctx.put(Call.class.getName(), record);
        if (endpoint.rules().isEmpty()) {
            forward(ctx, style, endpoint, fallbacks, payload, stream, record);
            return;
        }
        admit(endpoint, caller)
                .onSuccess(admission -> {
                    record.admitted(admission);
                    if (ctx.response().closed()) {
                        record.end(499, "client_closed");
                        return;
                    }
                    try {
                        forward(ctx, style, endpoint, fallbacks, payload, stream, record);
                    } catch (RuntimeException e) {
                        ctx.fail(e);
                    }
                })
                .onFailure(ctx::fail);
    }

    /**
     * Counts a call by {@code endpoint}'s rules: its admission, a {@link LimitExceeded} when a rule is full, or a 503
     * when the rules cannot be checked within {@link #LIMITS_DEADLINE}.
     */
    private Future<Admission> admit(Endpoint endpoint, String caller) {
        return Future.fromCompletionStage(
                        limiter.admit(endpoint, caller, LIMITS_DEADLINE)
                                .ifNoItem()
                                .after(LIMITS_DEADLINE)
                                .fail()
                                .subscribeAsCompletionStage(),
                        vertx.getOrCreateContext())
                .recover(failure -> {
                    if (failure instanceof LimitExceeded) {
                        return Future.failedFuture(failure);
                    }
                    LOG.warnf("endpoint %s: its limits cannot be checked: %s", endpoint.name(), failure.toString());
                    return Future.failedFuture(new UpstreamException(
                            503,
                            "The endpoint's limits cannot be checked at the moment (llm-gateway-service's database"
                                    + " is unavailable); try again later",
                            "5",
                            null,
                            "limits_unavailable"));
                });
    }

    /**
     * Sends the call to its endpoint — tried again per the endpoint's {@code retries}, then to its {@code fallbacks}
     * in order, each with its own retries — and answers with the first that succeeds. A stream falls back only
     * before its first byte: once the provider answered it, a failure ends it with an error event.
     */
    private void forward(
            RoutingContext ctx,
            ApiStyle style,
            Endpoint endpoint,
            List<Endpoint> fallbacks,
            JsonObject payload,
            boolean stream,
            Call record) {
        InFlight inFlight = new InFlight();
        // one close handler for every attempt: it cancels only the attempt in flight (never a finished one, whose
        // connection is back in the pool serving another call) or the backoff waiting
        ctx.response().closeHandler(v -> {
            if (!ctx.response().ended()) {
                inFlight.cancel(vertx);
                record.end(499, "client_closed");
            }
        });
        List<Endpoint> chain = new ArrayList<>();
        chain.add(endpoint);
        chain.addAll(fallbacks);
        attempt(ctx, chain, 0, 1, payload, stream, record, inFlight)
                .onSuccess(result -> {
                    if (result instanceof Streamed s) {
                        SseRelay.relay(
                                ctx.response(),
                                s.upstream(),
                                chunks(endpoint.type(), style),
                                style,
                                s.provider(),
                                config.maxStreamEventBytes(),
                                config.streamKeepAlive().toMillis(),
                                record,
                                s.hideUsage(),
                                s.dialect());
                    } else {
                        record.firstByte();
                        // the answer stays in the budget until the client has taken it (a slow reader holds it)
                        Buffer answer = ((JsonObject) result).toBuffer();
                        budget.hold(answer.length());
                        if (ctx.response().ended()) {
                            budget.release(answer.length());
                        } else {
                            ctx.response()
                                    .setStatusCode(200)
                                    .putHeader("Content-Type", "application/json")
                                    .end(answer)
                                    .onComplete(written -> budget.release(answer.length()));
                        }
                        record.end(200, null);
                    }
                })
                .onFailure(ctx::fail);
    }

    /** The provider of an endpoint's configuration; those of endpoints a reload removed or changed are let go. */
    private OpenAiProvider provider(Endpoint endpoint) {
        OpenAiProvider known = providers.get(endpoint);
        if (known != null) {
            return known;
        }
        providers.keySet().removeIf(e -> !endpoints.serving(e));
        return providers.computeIfAbsent(endpoint, e -> new OpenAiProvider(vertx, client, e, limits, budget));
    }

    /** A call's attempt in flight (its request) or backoff waiting (its timer); at most one at a time. */
    private static final class InFlight {
        HttpClientRequest request;
        long timer = -1;

        void cancel(Vertx vertx) {
            if (request != null) {
                request.reset();
                request = null;
            }
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }
    }

    /** A stream a provider began to answer, with what relaying it needs. */
    private record Streamed(
            OpenAiProvider provider, OpenAiProvider.Opened upstream, boolean hideUsage, StreamDialect dialect) {}

    /** Whether a provider's failure may pass on another try: throttled, failed or silent, not misconfigured. */
    static boolean retryable(UpstreamException u) {
        boolean transient_ =
                switch (u.status()) {
                    case 429, 500, 502, 503, 504, 529 -> true; // 529: Anthropic overloaded
                    default -> false;
                };
        return transient_ && u.mayTryAgain() && (u.code() == null || !NOT_RETRIED.contains(u.code()));
    }

    /** Failures no other try would change: the provider refuses the key, redirects, answers too much; our budget. */
    private static final java.util.Set<String> NOT_RETRIED = java.util.Set.of(
            "upstream_auth_failed", "upstream_redirect", "upstream_answer_too_large", "answer_budget_exhausted");

    /** Attempt {@code n} at {@code chain[index]}: its answer (JSON, or a {@link Streamed}), or the last failure. */
    private Future<Object> attempt(
            RoutingContext ctx,
            List<Endpoint> chain,
            int index,
            int n,
            JsonObject payload,
            boolean stream,
            Call record,
            InFlight inFlight) {
        Endpoint target = chain.get(index);
        record.attempt(target);
        Consumer<HttpClientRequest> sent = request -> {
            if (ctx.response().closed()) {
                request.reset();
            } else {
                inFlight.request = request;
            }
        };
        Future<Object> tried;
        try {
            tried = stream
                    ? open(target, payload, sent).map(Object.class::cast)
                    : callOnce(target, payload, record, sent).map(Object.class::cast);
        } catch (RefusedRequest refused) {
            return Future.failedFuture(new ApiFailure(new ApiError(
                    422,
                    400,
                    refused.getMessage(),
                    ApiError.openAiError(refused.getMessage(), "invalid_request_error", null, null),
                    null)));
        }
        tried = tried.onComplete(done -> inFlight.request = null); // answered or failed: nothing left to cancel
        return tried.recover(failure -> {
            if (!(failure instanceof UpstreamException u) || ctx.response().closed()) {
                return Future.failedFuture(failure);
            }
            long wait = retryable(u) && n < target.retry().maxAttempts()
                    ? target.retry().backoffMs(n + 1, u.retryAfter())
                    : -1;
            if (wait >= 0) {
                LOG.debugf("endpoint %s: attempt %d failed (%s), again in %d ms", target.name(), n, u.status(), wait);
                Promise<Object> again = Promise.promise();
                inFlight.timer = vertx.setTimer(Math.max(1, wait), id -> {
                    inFlight.timer = -1;
                    try {
                        if (ctx.response().closed()) {
                            again.fail(failure);
                        } else {
                            attempt(ctx, chain, index, n + 1, payload, stream, record, inFlight)
                                    .onComplete(again);
                        }
                    } catch (RuntimeException e) {
                        again.tryFail(e); // never a call left without an answer
                    }
                });
                return again.future();
            }
            if (index + 1 < chain.size() && (retryable(u) || "upstream_auth_failed".equals(u.code()))) {
                LOG.infof(
                        "endpoint %s failed (%s %s): falling back to %s",
                        target.name(),
                        u.status(),
                        u.getMessage(),
                        chain.get(index + 1).name());
                return fallBack(ctx, chain, index + 1, u, payload, stream, record, inFlight);
            }
            return Future.failedFuture(failure);
        });
    }

    /**
     * Turns to the fallback {@code chain[index]}, counted by its own rules first (its limits and budgets hold
     * whoever calls it): a fallback whose rule is full is passed over for the next; with none left, {@code failed}
     * (the last failure) is the answer.
     */
    private Future<Object> fallBack(
            RoutingContext ctx,
            List<Endpoint> chain,
            int index,
            UpstreamException failed,
            JsonObject payload,
            boolean stream,
            Call record,
            InFlight inFlight) {
        Endpoint next = chain.get(index);
        if (next.rules().isEmpty()) {
            return attempt(ctx, chain, index, 1, payload, stream, record, inFlight);
        }
        return admit(next, record.caller())
                .compose(
                        admission -> {
                            record.admitted(admission);
                            return ctx.response().closed()
                                    ? Future.failedFuture(failed)
                                    : attempt(ctx, chain, index, 1, payload, stream, record, inFlight);
                        },
                        refused -> {
                            if (!(refused instanceof LimitExceeded full)) {
                                return Future.failedFuture(refused);
                            }
                            LOG.infof("fallback %s passed over: %s", next.name(), full.getMessage());
                            return index + 1 < chain.size()
                                    ? fallBack(ctx, chain, index + 1, failed, payload, stream, record, inFlight)
                                    : Future.failedFuture(failed);
                        });
    }

    private static String path(Endpoint endpoint) {
        return endpoint.type() == EndpointType.EMBEDDINGS ? "embeddings" : "chat/completions";
    }

    private static JsonObject request(Endpoint endpoint, JsonObject payload) {
        switch (endpoint.settings().apiType()) {
            case MISTRAL -> {
                return MistralTranslation.request(endpoint.type(), payload);
            }
            case GEMINI -> {
                return GeminiTranslation.request(endpoint, payload);
            }
            case COHERE -> {
                return CohereTranslation.request(endpoint, payload);
            }
            case MLFLOW_SERVING -> {
                return MlflowServingTranslation.request(endpoint.type(), payload);
            }
            case BEDROCK -> {
                if (endpoint.type() == EndpointType.EMBEDDINGS) {
                    return payload; // one call per input: callOnce
                }
                return BedrockTranslation.chatRequest(
                        endpoint.type() == EndpointType.COMPLETIONS
                                ? OpenAiTranslation.completionsRequest(payload)
                                : payload);
            }
            default -> {} // below
        }
        JsonObject chat =
                endpoint.type() == EndpointType.COMPLETIONS ? OpenAiTranslation.completionsRequest(payload) : payload;
        return endpoint.settings().anthropic() ? AnthropicTranslation.chatRequest(chat) : chat;
    }

    private Future<JsonObject> callOnce(
            Endpoint endpoint, JsonObject payload, Call record, Consumer<HttpClientRequest> sent) {
        Function<JsonObject, JsonObject> answer =
                switch (endpoint.type()) {
                    case CHAT -> OpenAiTranslation::chatResponse;
                    case COMPLETIONS -> OpenAiTranslation::completionsResponse;
                    case EMBEDDINGS -> OpenAiTranslation::embeddingsResponse;
                };
        if (endpoint.settings().apiType() == OpenAiSettings.ApiType.BEDROCK
                && endpoint.type() == EndpointType.EMBEDDINGS) {
            return provider(endpoint)
                    .callEach(path(endpoint), BedrockTranslation.embeddingsRequests(payload), sent)
                    .map(answers -> {
                        JsonObject openAi = BedrockTranslation.embeddingsResponse(answers, endpoint.modelName());
                        record.usage(openAi.getValue("usage"));
                        return answer.apply(openAi);
                    });
        }
        return provider(endpoint)
                .call(path(endpoint), request(endpoint, payload), sent)
                .map(json -> {
                    JsonObject openAi = openAiAnswer(endpoint, json);
                    record.usage(openAi.getValue("usage"));
                    return answer.apply(openAi);
                });
    }

    /** A provider's answer in OpenAI's shape ({@code chat.completion}, or the embeddings' list). */
    private static JsonObject openAiAnswer(Endpoint endpoint, JsonObject json) {
        return switch (endpoint.settings().apiType()) {
            case ANTHROPIC -> AnthropicTranslation.chatResponse(json);
            case GEMINI -> GeminiTranslation.answer(endpoint, json);
            case COHERE -> CohereTranslation.answer(endpoint, json);
            case BEDROCK -> BedrockTranslation.chatResponse(json, endpoint.modelName());
            case MLFLOW_SERVING ->
                endpoint.type() == EndpointType.EMBEDDINGS
                        ? MlflowServingTranslation.embeddingsResponse(json, endpoint.modelName())
                        : MlflowServingTranslation.textResponse(json, endpoint.modelName());
            default -> json;
        };
    }

    /** How a provider's stream becomes OpenAI's chunks: null when it streams them already. */
    private static StreamDialect dialect(Endpoint endpoint) {
        return switch (endpoint.settings().apiType()) {
            case ANTHROPIC -> new AnthropicTranslation.Stream();
            case GEMINI -> new GeminiTranslation.Stream(endpoint);
            case COHERE -> new CohereTranslation.Stream(endpoint);
            case BEDROCK -> new BedrockTranslation.Stream(endpoint.modelName());
            default -> null;
        };
    }

    private Future<Streamed> open(Endpoint endpoint, JsonObject payload, Consumer<HttpClientRequest> sent) {
        if (endpoint.settings().apiType() == OpenAiSettings.ApiType.MLFLOW_SERVING) {
            return Future.failedFuture(MlflowServingTranslation.streamRefused(endpoint.type()));
        }
        OpenAiProvider provider = provider(endpoint);
        JsonObject request = request(endpoint, payload);
        // OpenAI reports a stream's tokens only when asked (stream_options.include_usage): the gateway asks, to
        // count them, and keeps the extra chunk from a client that did not ask
        JsonObject options = payload.getValue("stream_options") instanceof JsonObject o ? o : new JsonObject();
        boolean asked = Boolean.TRUE.equals(options.getValue("include_usage"));
        if (!asked && endpoint.settings().apiType() == OpenAiSettings.ApiType.OPENAI) {
            request = request.copy().put("stream_options", options.copy().put("include_usage", true));
        }
        // the others report every stream's usage (Azure none): kept from a client that did not ask, like OpenAI's
        boolean hide = !asked
                && endpoint.settings().apiType() != OpenAiSettings.ApiType.AZURE
                && endpoint.settings().apiType() != OpenAiSettings.ApiType.AZUREAD;
        StreamDialect dialect = dialect(endpoint);
        boolean bedrock = endpoint.settings().apiType() == OpenAiSettings.ApiType.BEDROCK;
        return provider.open(path(endpoint), request, sent).compose(upstream -> {
            String type = upstream.response().getHeader("Content-Type");
            boolean jsonLines = dialect != null && dialect.jsonLines() && type != null && type.contains("json");
            boolean readable = type != null
                    && (bedrock
                            ? type.contains(BedrockTranslation.EVENT_STREAM)
                            : type.contains("text/event-stream") || jsonLines);
            if (!readable) {
                upstream.silence().stop();
                upstream.request().reset();
                return Future.failedFuture(
                        new UpstreamException(502, "The provider did not answer with a stream of server-sent events"));
            }
            return Future.succeededFuture(new Streamed(provider, upstream, hide, dialect));
        });
    }

    private static Function<JsonObject, JsonObject> chunks(EndpointType type, ApiStyle style) {
        if (type == EndpointType.CHAT) {
            return OpenAiTranslation::chatChunk;
        }
        return style == ApiStyle.OPENAI
                ? OpenAiTranslation::openAiCompletionsChunk
                : OpenAiTranslation::completionsChunk;
    }

    private void failure(RoutingContext ctx, ApiStyle style) {
        Throwable failure = ctx.failure();
        ApiError error;
        if (failure instanceof ApiFailure f) {
            error = f.error;
        } else if (failure instanceof LimitExceeded limit) {
            String message = (limit.budget() ? "Budget exceeded: " : "Rate limit exceeded: ") + limit.getMessage();
            JsonObject openAi = ApiError.openAiError(
                    message,
                    limit.budget() ? "insufficient_quota" : "requests",
                    null,
                    limit.budget() ? "insufficient_quota" : "rate_limit_exceeded");
            // MLflow's gateway answers its limit through slowapi: {"error": "Rate limit exceeded: ..."}
            error = new ApiError(429, 429, message, openAi, Long.toString(limit.retryAfterSeconds()));
            end(ctx, 429, limit.budget() ? "budget_exceeded" : "rate_limited");
            ctx.response().putHeader("Retry-After", error.retryAfter());
            json(ctx, 429, style == ApiStyle.MLFLOW ? new JsonObject().put("error", message) : error.body(style));
            return;
        } else if (failure instanceof UsageLog.UsageBacklog backlog) {
            error = new ApiError(
                    503,
                    503,
                    backlog.getMessage(),
                    ApiError.openAiError(backlog.getMessage(), "server_error", null, "usage_backlog"),
                    "5");
        } else if (failure instanceof UpstreamException u) {
            JsonObject openAi = u.providerError() != null
                    ? u.providerError()
                    : ApiError.openAiError(u.getMessage(), "upstream_error", null, u.code());
            error = new ApiError(u.status(), u.status(), u.getMessage(), openAi, u.retryAfter());
        } else if (ctx.statusCode() == 413) {
            error = ApiError.of(
                    413,
                    "Request body of more than " + config.maxRequestBytes() + " bytes",
                    "invalid_request_error",
                    null,
                    "request_too_large");
        } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
            error = ApiError.of(ctx.statusCode(), "Bad request", "invalid_request_error", null, null);
        } else {
            LOG.errorf(
                    failure,
                    "%s %s failed",
                    ctx.request().method(),
                    ctx.request().path());
            error = ApiError.of(500, "Internal error of llm-gateway-service", "server_error", null, null);
        }
        end(ctx, error.status(style), errorCode(failure, error));
        send(ctx, style, error);
    }

    /** Ends the call's usage record, if the request got as far as a call. */
    private static void end(RoutingContext ctx, int status, String code) {
        Call record = ctx.get(Call.class.getName());
        if (record != null) {
            if (ctx.response().closed()) {
                record.end(499, "client_closed"); // the failure is what the client's leaving caused
            } else {
                record.end(status, code);
            }
        }
    }

    /** One of the gateway's own codes, never a provider's (a bounded set: it is a metric label). */
    private static String errorCode(Throwable failure, ApiError error) {
        if (failure instanceof UpstreamException u) {
            return u.code() != null ? u.code() : "provider_" + u.status();
        }
        if (failure instanceof ApiFailure && error.openAiError().getValue("code") instanceof String code) {
            return code;
        }
        return "http_" + error.status();
    }

    private static void send(RoutingContext ctx, ApiStyle style, ApiError error) {
        HttpServerResponse response = ctx.response();
        if (response.headWritten()) {
            if (!response.ended()) {
                response.end();
            }
            return;
        }
        if (error.retryAfter() != null) {
            response.putHeader("Retry-After", error.retryAfter());
        }
        json(ctx, error.status(style), error.body(style));
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(body.toBuffer());
    }
}
