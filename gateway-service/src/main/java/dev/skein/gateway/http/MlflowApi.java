package dev.skein.gateway.http;

import com.google.protobuf.Message;
import dev.skein.common.actor.Actors;
import dev.skein.common.error.ApiException;
import dev.skein.common.trust.InternalCredential;
import dev.skein.gateway.auth.AuthConfig;
import dev.skein.gateway.auth.AuthFailures;
import dev.skein.gateway.auth.AuthStore;
import dev.skein.gateway.auth.Authenticator;
import dev.skein.gateway.auth.Authorizer;
import dev.skein.gateway.auth.Caller;
import dev.skein.gateway.auth.Guard;
import dev.skein.gateway.auth.OidcLogin;
import dev.skein.gateway.auth.SearchFilter;
import dev.skein.gateway.auth.SessionStore;
import dev.skein.gateway.auth.TokenStore;
import dev.skein.gateway.auth.UserLimits;
import dev.skein.gateway.client.Upstreams;
import dev.skein.gateway.config.GatewayConfig;
import dev.skein.gateway.graphql.MlflowGraphql;
import dev.skein.gateway.route.Route;
import dev.skein.gateway.route.RouteTable;
import dev.skein.gateway.transcode.ProtoJsonReader;
import dev.skein.gateway.transcode.ProtoJsonWriter;
import dev.skein.gateway.transcode.QueryReader;
import dev.skein.proto.common.v1.ErrorCode;
import io.grpc.MethodDescriptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * MLflow's REST API on the gateway's port: each request is matched in the {@link RouteTable},
 * transcoded from JSON (or query parameters) to the RPC's request message, sent to the owning
 * service, and its answer or error written back in MLflow's wire format.
 */
@ApplicationScoped
public class MlflowApi {

    private static final Logger LOG = Logger.getLogger(MlflowApi.class);
    private static final String JSON = "application/json";
    private static final String ADMIN_PATH = "/api/2.0/skein/admin/";
    private static final String CALLER = "skein.caller";
    /** The header the web UI sends with every call: cookie-authenticated changes need it (CSRF). */
    static final String UI_HEADER = "X-Skein-Requested-With";

    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");
    private static final String STATE_COOKIE = "skein_oidc_state";
    /** A caller not known within this long (the gateway's database stalled) is answered 503. */
    private static final java.time.Duration AUTH_DEADLINE = java.time.Duration.ofSeconds(10);
    /** MLflow's auth API takes a few short fields. */
    private static final long AUTH_BODY_LIMIT = 64 * 1024;

    private final RouteTable routes;
    private final Upstreams upstreams;
    private final GatewayConfig config;
    private final ArtifactProxy artifacts;
    private final TraceArtifact traceArtifact;
    private final OtlpTraces otlp;
    private final LoggedModelArtifactFiles loggedModelFiles;
    private final byte[] adminToken;
    private final RequestBodies bodies;
    private final GraphqlEndpoint graphql;
    private final AuthConfig auth;
    private final AuthStore users;
    private final Authenticator authenticator;
    private final Authorizer authorizer;
    private final Guard guard;
    private final AuthEndpoints authEndpoints;
    private final UserLimits limits;
    private final UserLimits signIns;
    private final SessionStore sessions;
    private final OidcLogin oidcLogin;
    private final LlmProxy llm;

    public MlflowApi(
            Upstreams upstreams,
            GatewayConfig config,
            AuthConfig auth,
            Pool pool,
            MeterRegistry registry,
            io.vertx.core.Vertx vertx,
            InternalCredential credential,
            @ConfigProperty(name = "skein.upstreams.llmgateway.host") String llmHost,
            @ConfigProperty(name = "skein.upstreams.llmgateway.port") int llmPort) {
        this.upstreams = upstreams;
        this.config = config;
        this.auth = auth;
        this.routes = RouteTable.of(upstreams.services(), config.maxBodySize().asLongValue());
        List<String> undeclared = routes.all().stream()
                .filter(r -> r.access() == null || !r.access().hasResource())
                .map(r -> r.httpMethod() + " " + r.path())
                .toList();
        if (!undeclared.isEmpty()) {
            // nothing is reachable by omission: each endpoint's contract says who may call it
            throw new IllegalStateException("Routes without an access option in their contract: " + undeclared);
        }
        this.users = new AuthStore(pool);
        TokenStore tokens = new TokenStore(pool);
        this.sessions = new SessionStore(pool);
        this.authenticator = new Authenticator(auth, users, tokens, sessions, config.adminToken());
        this.signIns = new UserLimits(UserLimits.of(10, 10));
        this.oidcLogin = new OidcLogin(authenticator.oidc(), pool);
        if (!authenticator.oidc().browserProviders().isEmpty()
                && auth.publicUrl().isEmpty()) {
            // a redirect address taken from the request's Host could be any host an attacker names
            throw new IllegalStateException("skein.auth.public-url must be set when an identity provider offers"
                    + " browser sign-in (skein.auth.oidc.<name>.authorization-endpoint)");
        }
        this.authorizer = new Authorizer(auth, users, upstreams, routes);
        this.guard = new Guard(
                auth.enabled(), authorizer, new SearchFilter(users, authorizer, auth.maxSearchRefills()), users);
        this.limits = new UserLimits(auth.rateLimit());
        this.authEndpoints = new AuthEndpoints(users, tokens, sessions, authenticator, authorizer, auth);
        // artifact-service's rapid-reset guard counts these (its README sizes the limit from them)
        Counter cancelled = Counter.builder("skein.gateway.artifact.calls.cancelled")
                .description(
                        "Artifact transfers the gateway cancelled: the HTTP client went away or sent too much (one HTTP/2"
                                + " stream reset each on the connection to artifact-service)")
                .register(registry);
        DownloadWriter downloads = new DownloadWriter(upstreams, cancelled);
        this.artifacts =
                new ArtifactProxy(upstreams, config.maxDiscardedBodySize().asLongValue(), downloads, cancelled);
        this.traceArtifact = new TraceArtifact(upstreams, routes, downloads);
        this.loggedModelFiles = new LoggedModelArtifactFiles(artifacts);
        this.adminToken = config.adminToken()
                .filter(t -> !t.isBlank())
                .map(t -> t.getBytes(StandardCharsets.UTF_8))
                .orElse(null);
        if (config.requestBodyBudget().asLongValue() < config.maxBodySize().asLongValue()) {
            throw new IllegalStateException("skein.gateway.request-body-budget ("
                    + config.requestBodyBudget().asLongValue() + " bytes) is smaller than skein.gateway.max-body-size ("
                    + config.maxBodySize().asLongValue()
                    + " bytes): a request of the largest size allowed could never be served");
        }
        if (config.requestBodyBudget().asLongValue()
                < config.otlp().maxBodySize().asLongValue()) {
            throw new IllegalStateException("skein.gateway.request-body-budget ("
                    + config.requestBodyBudget().asLongValue()
                    + " bytes) is smaller than skein.gateway.otlp.max-body-size ("
                    + config.otlp().maxBodySize().asLongValue() + " bytes)");
        }
        this.bodies = new RequestBodies(
                new BodyBudget(config.requestBodyBudget().asLongValue()),
                config.maxDiscardedBodySize().asLongValue(),
                config.bodyIdleTimeout(),
                config.bodyTimeout());
        this.otlp =
                new OtlpTraces(upstreams, bodies, config.otlp().maxBodySize().asLongValue());
        this.llm = new LlmProxy(
                vertx,
                llmHost,
                llmPort,
                config.llmMaxConnections(),
                credential,
                bodies,
                config.maxBodySize().asLongValue());
        this.graphql = new GraphqlEndpoint(new MlflowGraphql(
                routes, upstreams, config.graphql().maxUpstreamCalls(), GraphqlEndpoint::errorMessage));
    }

    /**
     * Says how callers are authenticated, and creates the first administrator from configuration when
     * no user of that name exists yet.
     */
    void start(@Observes StartupEvent event, io.vertx.core.Vertx vertx) {
        if (!auth.enabled()) {
            LOG.warn("Authentication is OFF (skein.auth.enabled=false): anyone who reaches this gateway acts as one"
                    + " user who may read and change everything");
            return;
        }
        if (auth.adminUsername().isPresent() != auth.adminPassword().isPresent()) {
            throw new IllegalStateException(
                    "skein.auth.admin-username and skein.auth.admin-password are set together or not at all");
        }
        if (auth.adminUsername().isPresent()) {
            String name = auth.adminUsername().get();
            boolean created = authenticator
                    .hash(auth.adminPassword().get())
                    .flatMap(hash -> users.createUserIfMissing(name, hash, true))
                    .await()
                    .atMost(java.time.Duration.ofMinutes(2));
            LOG.infof(
                    created ? "Created the administrator %s from configuration" : "The administrator %s exists already",
                    name);
        }
        // ended sessions are forgotten a day later, by whichever replica gets there first
        vertx.setPeriodic(3_600_000L, id -> sessions.forgetEnded()
                .subscribe()
                .with(n -> LOG.debugf("Forgot %d ended sessions", n), f -> LOG.debugf("Sessions not tidied: %s", f)));
        // sign-ins started at an identity provider and never finished, every minute
        vertx.setPeriodic(60_000L, id -> oidcLogin
                .forgetAbandoned()
                .subscribe()
                .with(n -> {}, f -> LOG.debugf("Abandoned sign-ins not tidied: %s", f)));
        LOG.infof(
                "Authentication is on: Basic users and their access tokens%s%s; default permission %s",
                auth.oidc().isEmpty() ? "" : ", JWTs of " + auth.oidc().keySet(),
                config.adminToken().filter(t -> !t.isBlank()).isPresent() ? ", the operator's admin token" : "",
                authorizer.defaultPermission());
    }

    void stop(@Observes ShutdownEvent event) {
        authenticator.close();
    }

    void register(@Observes Router router) {
        router.get("/health").handler(ctx -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain")
                .end("OK"));
        router.get("/version").handler(ctx -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain")
                .end(config.mlflowVersion()));
        // Matched on the raw path, not the one the router normalises: a path that tries to climb out
        // of the API with ../ is answered (and refused) here, never routed somewhere else.
        router.route().handler(ctx -> {
            String path = ctx.request().path();
            if (path.startsWith("/api/")
                    || path.startsWith("/ajax-api/")
                    || ArtifactProxy.servesTopLevel(path)
                    || path.equals("/graphql")
                    || path.equals(OtlpTraces.PATH)
                    || LlmProxy.serves(path)) {
                handle(ctx);
            } else {
                ctx.next();
            }
        });
        LOG.infof("Serving %d MLflow API routes and the artifact proxy", routes.size());
    }

    private void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (request.method() == HttpMethod.OPTIONS && options(ctx)) {
            return;
        }
        if (auth.enabled() && publicAuth(ctx)) {
            return;
        }
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        Cookie cookie = request.getCookie(SessionStore.COOKIE);
        boolean bySession = (authorization == null || authorization.isBlank()) && cookie != null;
        // the request stays paused (its body unread) until its caller is known
        authenticator
                .authenticate(authorization, cookie == null ? null : cookie.getValue())
                .ifNoItem()
                .after(AUTH_DEADLINE)
                .failWith(() -> new ApiException(
                        ErrorCode.TEMPORARILY_UNAVAILABLE, "Users and permissions cannot be read right now; try again"))
                .subscribe()
                .with(
                        caller -> {
                            ctx.put(CALLER, caller);
                            if (bySession
                                    && auth.enabled()
                                    && !SAFE_METHODS.contains(request.method().name())
                                    && request.getHeader(UI_HEADER) == null) {
                                // a browser's cookie rides along on requests other sites make it send
                                bodies.discard(
                                        ctx,
                                        () -> Errors.error(
                                                ctx,
                                                403,
                                                ErrorCode.PERMISSION_DENIED,
                                                "A change made with a session cookie needs the header " + UI_HEADER));
                                return;
                            }
                            long wait = caller.userId() == 0 ? 0 : limits.acquire(caller.username());
                            if (wait > 0) {
                                bodies.discard(ctx, () -> {
                                    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(wait));
                                    Errors.error(
                                            ctx,
                                            429,
                                            ErrorCode.REQUEST_LIMIT_EXCEEDED,
                                            "Too many requests from " + caller.username() + "; retry in " + wait
                                                    + " s");
                                });
                                return;
                            }
                            serve(ctx, caller);
                        },
                        failure -> refuse(ctx, failure));
    }

    /** A request refused before it is served: 401 with MLflow's Basic challenge, or 503. */
    private void refuse(RoutingContext ctx, Throwable failure) {
        Throwable why = AuthFailures.translate(failure);
        bodies.discard(ctx, () -> {
            if (why instanceof ApiException api
                    && api.code() == ErrorCode.UNAUTHENTICATED
                    && ctx.request().getHeader(UI_HEADER) == null) {
                // the web UI signs in with its own form, not the browser's Basic dialog
                ctx.response().putHeader("WWW-Authenticate", Authenticator.CHALLENGE);
            } else if (why instanceof ApiException api && api.code() == ErrorCode.TEMPORARILY_UNAVAILABLE) {
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
            }
            Errors.fail(ctx, ctx.request().method() + " " + ctx.request().path(), why);
        });
    }

    private void serve(RoutingContext ctx, Caller caller) {
        HttpServerRequest request = ctx.request();
        String authEndpoint = authEndpoints.endpointAt(request.path());
        if (authEndpoint != null) {
            authApi(ctx, caller, authEndpoint);
            return;
        }
        RawAccess.Target raw = auth.enabled() && !caller.unlimited() ? RawAccess.of(request) : null;
        if (raw != null) {
            authorizer
                    .check(caller, raw.resource(), raw.level(), raw.values())
                    .subscribe()
                    .with(ok -> serveChecked(ctx, caller), failure -> refuse(ctx, failure));
            return;
        }
        serveChecked(ctx, caller);
    }

    /** The caller's permissions on LLM endpoints; null where nothing is checked (authentication off, an administrator). */
    private LlmProxy.EndpointGrants endpointGrants(Caller caller) {
        if (!auth.enabled() || caller.unlimited()) {
            return null;
        }
        return endpoints -> authorizer.permissions(caller, AuthStore.Kind.GATEWAY_ENDPOINT, endpoints);
    }

    private void serveChecked(RoutingContext ctx, Caller caller) {
        HttpServerRequest request = ctx.request();
        if (artifacts.handle(ctx, actor(ctx))
                || traceArtifact.handle(ctx, actor(ctx))
                || loggedModelFiles.handle(ctx, actor(ctx))
                || otlp.handle(ctx, actor(ctx))
                || llm.handle(
                        ctx,
                        actor(ctx),
                        // an administrator's credential limited to reading or to some resources is not everyone's
                        !auth.enabled()
                                || (caller.admin()
                                        && (caller.token() == null
                                                || !caller.token().limited())),
                        endpointGrants(caller))) {
            return;
        }
        if (request.path().equals("/graphql")) {
            graphql(ctx, caller);
            return;
        }
        if (request.path().equals(GatewayProxy.PATH) && request.method().name().matches("GET|HEAD|POST")) {
            if (!request.method().name().equals("POST")) {
                GatewayProxy.answer(ctx, queryParams(request), llm, actor(ctx), endpointGrants(caller));
            } else {
                bodies.read(
                        ctx,
                        config.maxBodySize().asLongValue(),
                        body -> GatewayProxy.answer(ctx, body, llm, actor(ctx), endpointGrants(caller)));
            }
            return;
        }
        boolean adminPath = request.path().startsWith(ADMIN_PATH)
                || request.path().startsWith("/ajax-api" + ADMIN_PATH.substring(4));
        if (adminPath && refuseUnlessAdmin(ctx, caller)) {
            return;
        }
        RouteTable.Match match = routes.match(request.path());
        Map<String, Route> at = match.routes();
        // Flask serves HEAD wherever it serves GET: the GET answer without its body
        Route route = at.get(
                request.method() == HttpMethod.HEAD ? "GET" : request.method().name());
        if (route == null) {
            // none of these answers needs the body: it is not read beyond max-discarded-body-size
            Set<String> allowed = methodsAt(request.path());
            if (!allowed.isEmpty()) {
                answerUnread(ctx, () -> notAllowed(ctx, request.path(), allowed));
                return;
            }
            String merged = mergeSlashes(request.path());
            Set<String> allowedMerged = merged.equals(request.path()) ? Set.of() : methodsAt(merged);
            if (allowedMerged.contains(request.method().name())) {
                // werkzeug's merge_slashes: a path that matches once its double slashes are merged
                // is redirected there, method and body kept (the client sends the body again)
                String query = request.query();
                answerUnread(ctx, () -> ctx.response()
                        .setStatusCode(308)
                        .putHeader(HttpHeaders.LOCATION, query == null ? merged : merged + "?" + query)
                        .end());
                return;
            }
            if (!allowedMerged.isEmpty()) {
                answerUnread(ctx, () -> notAllowed(ctx, request.path(), allowedMerged));
                return;
            }
            answerUnread(
                    ctx,
                    () -> Errors.error(ctx, 404, ErrorCode.ENDPOINT_NOT_FOUND, "No API endpoint at " + request.path()));
            return;
        }
        if (route.requiresAdmin() && !adminPath && refuseUnlessAdmin(ctx, caller)) {
            return;
        }
        if (!route.hasBody()) {
            Map<String, List<String>> params = queryParams(request);
            match.pathParams().forEach((name, value) -> params.put(name, List.of(value)));
            respond(ctx, route, () -> QueryReader.read(params, route.requestPrototype()));
            return;
        }
        if (refusedAsNotJson(ctx)) {
            return;
        }
        bodies.read(
                ctx,
                route.maxBodyBytes(),
                body -> respond(
                        ctx,
                        route,
                        () -> withPathParams(
                                ProtoJsonReader.read(body, route.requestPrototype()), match.pathParams())));
    }

    /**
     * The methods served at a path, as Flask lists them: by the route table, the raw-byte endpoints
     * and the UI's own, with HEAD wherever GET is served (trace artifacts and logged-model files
     * excepted: they answer GET only) and OPTIONS wherever anything is.
     */
    private Set<String> methodsAt(String path) {
        Set<String> methods = new TreeSet<>(routes.match(path).routes().keySet());
        methods.addAll(ArtifactProxy.methodsAt(path));
        String authEndpoint = authEndpoints.endpointAt(path);
        if (authEndpoint != null) {
            methods.add(authEndpoints.methodOf(authEndpoint));
        }
        if (path.equals(TraceArtifact.PATH) || LoggedModelArtifactFiles.servesPath(path)) {
            methods.add("GET");
        }
        if (methods.contains("GET")) {
            methods.add("HEAD");
        }
        if (path.equals(GatewayProxy.PATH) || path.equals("/graphql")) {
            methods.addAll(List.of("GET", "HEAD", "POST"));
        }
        if (!methods.isEmpty()) {
            methods.add("OPTIONS");
        }
        return methods;
    }

    /**
     * werkzeug's merge_slashes, exactly: {@code re.sub("/{2,}?", "/", path)}, whose lazy quantifier
     * takes two slashes at a time, so {@code //} becomes {@code /} but {@code ///} becomes {@code //}
     * (and then matches nothing: 404). werkzeug keeps it so (pallets/werkzeug#3121, closed; the
     * greedy {@code /{2,}} was proposed and not taken).
     */
    static String mergeSlashes(String path) {
        return path.replace("//", "/");
    }

    /**
     * Flask's automatic OPTIONS answer at a served path: 200, no body, the methods in {@code Allow}.
     * False at a path nothing is served at (answered as any other method would be there).
     */
    private boolean options(RoutingContext ctx) {
        Set<String> allowed = methodsAt(ctx.request().path());
        if (allowed.isEmpty()) {
            return false;
        }
        answerUnread(ctx, () -> ctx.response()
                .putHeader(HttpHeaders.ALLOW, String.join(", ", allowed))
                .putHeader(HttpHeaders.CONTENT_LENGTH, "0")
                .end());
        return true;
    }

    /**
     * Answers without the request body: one still arriving is not read beyond max-discarded-body-size
     * (an HTTP/1.x connection is announced closed, and closed once that much is dropped or the
     * linger time passed; an HTTP/2 stream is reset), never held.
     */
    private void answerUnread(RoutingContext ctx, Runnable answer) {
        boolean bodyArriving = !ctx.request().isEnded();
        if (bodyArriving) {
            Errors.announceClose(ctx);
        }
        answer.run();
        if (bodyArriving) {
            Errors.stopReading(ctx, config.maxDiscardedBodySize().asLongValue());
        }
    }

    /** Flask's 405 for a path served with other methods, in MLflow's error body, with {@code Allow}. */
    private static void notAllowed(RoutingContext ctx, String path, Set<String> allowed) {
        ctx.response().putHeader(HttpHeaders.ALLOW, String.join(", ", allowed));
        Errors.error(
                ctx,
                405,
                ErrorCode.ENDPOINT_NOT_FOUND,
                "Method " + ctx.request().method() + " is not allowed at " + path + "; use " + allowed);
    }

    /** A POST or PUT whose body is not JSON: MLflow refuses it before reading it; so do we. */
    private boolean refusedAsNotJson(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
        if ((request.method().name().equals("POST") || request.method().name().equals("PUT"))
                && (contentType == null || !contentType.split(";")[0].trim().equalsIgnoreCase(JSON))) {
            bodies.discard(
                    ctx,
                    () -> Errors.error(
                            ctx,
                            400,
                            ErrorCode.INVALID_PARAMETER_VALUE,
                            contentType == null
                                    ? "Bad Request. Content-Type header is missing."
                                    : "Bad Request. Content-Type must be one of ['application/json']."));
            return true;
        }
        return false;
    }

    /**
     * MLflow's GraphQL endpoint: GET with query parameters, or POST with a JSON body. Each service call
     * a query makes is checked as the REST endpoint of that call is.
     */
    private void graphql(RoutingContext ctx, Caller caller) {
        String method = ctx.request().method().name();
        MlflowGraphql.CallGuard callGuard = (route, request, send) -> guard.call(
                        caller, route, request, allowed -> Uni.createFrom().completionStage(() -> send.apply(allowed)))
                .onFailure()
                .transform(AuthFailures::translate)
                .subscribeAsCompletionStage();
        if (method.equals("GET") || method.equals("HEAD")) {
            graphql.answer(ctx, actor(ctx), callGuard);
            return;
        }
        if (!method.equals("POST")) {
            answerUnread(ctx, () -> notAllowed(ctx, "/graphql", methodsAt("/graphql")));
            return;
        }
        if (refusedAsNotJson(ctx)) {
            return;
        }
        bodies.read(
                ctx,
                config.graphql().maxBodySize().asLongValue(),
                body -> graphql.answer(ctx, body, actor(ctx), callGuard));
    }

    /**
     * Operator endpoints ({@value #ADMIN_PATH}) and every RPC the contracts mark {@code requires_admin}
     * (webhook management, the run purge) need an administrator: with authentication on, an admin user
     * or the admin token; with it off, {@code Authorization: Bearer <admin token>}, and with no token
     * configured they are off. A refused request gets MLflow's 401 / 403 error once its body
     * (never held) has been read and dropped. Returns whether it was refused.
     */
    private boolean refuseUnlessAdmin(RoutingContext ctx, Caller caller) {
        Runnable refusal;
        if (auth.enabled()) {
            if (caller.admin()) {
                return false;
            }
            refusal = () ->
                    Errors.error(ctx, 403, ErrorCode.PERMISSION_DENIED, "Only administrators may call this endpoint");
        } else if (adminToken == null) {
            refusal = () -> Errors.error(
                    ctx,
                    403,
                    ErrorCode.PERMISSION_DENIED,
                    "Admin endpoints are disabled: no admin token is configured (skein.gateway.admin-token)");
        } else {
            String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
            byte[] given = header != null && header.startsWith("Bearer ")
                    ? header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8)
                    : new byte[0];
            if (MessageDigest.isEqual(adminToken, given)) {
                return false;
            }
            refusal = () -> {
                ctx.response().putHeader("WWW-Authenticate", "Bearer");
                Errors.error(
                        ctx, 401, ErrorCode.UNAUTHENTICATED, "This endpoint needs the admin token as a Bearer token");
            };
        }
        bodies.discard(ctx, refusal);
        return true;
    }

    /** Path parameters ({@code /webhooks/{webhook_id}}) set their fields, over what the body said. */
    private static Message withPathParams(Message message, Map<String, String> pathParams) {
        if (pathParams.isEmpty()) {
            return message;
        }
        Map<String, List<String>> params = new HashMap<>();
        pathParams.forEach((name, value) -> params.put(name, List.of(value)));
        return message.toBuilder()
                .mergeFrom(QueryReader.read(params, message.getDefaultInstanceForType()))
                .build();
    }

    /** Who is acting: the authenticated user ({@code unknown} with authentication off). */
    private static String actor(RoutingContext ctx) {
        Caller caller = ctx.get(CALLER);
        return caller == null ? Actors.UNKNOWN : caller.username();
    }

    private static Map<String, List<String>> queryParams(HttpServerRequest request) {
        Map<String, List<String>> params = new HashMap<>();
        for (String name : request.params().names()) {
            params.put(name, new ArrayList<>(request.params().getAll(name)));
        }
        return params;
    }

    private void respond(RoutingContext ctx, Route route, Supplier<Message> transcode) {
        Message message;
        try {
            message = transcode.get();
        } catch (ApiException e) {
            Errors.error(ctx, e);
            return;
        }
        Caller caller = ctx.get(CALLER);
        String what = route.httpMethod() + " " + route.path();
        if (route.streaming()) {
            guard.before(caller, route, message)
                    .subscribe()
                    .with(
                            decision -> {
                                if (decision.empty()) {
                                    answer(ctx, Guard.empty(route));
                                } else {
                                    stream(ctx, route, decision.request());
                                }
                            },
                            failure -> Errors.fail(ctx, what, AuthFailures.translate(failure)));
            return;
        }
        if (ctx.response().closed()) {
            return; // its client went away already (a pipelined request behind a closed connection)
        }
        String actor = actor(ctx);
        Cancellable call = guard.call(caller, route, message, allowed -> upstreams.call(route, allowed, actor))
                .onFailure()
                .transform(AuthFailures::translate)
                .subscribe()
                .with(response -> answer(ctx, response), failure -> Errors.fail(ctx, what, failure));
        // a client that goes away before its answer cancels the service call made for it (a call
        // refused at once, by a permission check, is answered already)
        if (!ctx.response().ended()) {
            ctx.response().closeHandler(v -> {
                if (!ctx.response().ended()) {
                    call.cancel();
                }
            });
        }
    }

    private static void answer(RoutingContext ctx, Message response) {
        if (!ctx.response().ended()) {
            Buffer json = Buffer.buffer(ProtoJsonWriter.write(response));
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON);
            if (ctx.request().method() == HttpMethod.HEAD) {
                // the GET answer's headers, its length included, without its body
                ctx.response()
                        .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(json.length()))
                        .end();
            } else {
                ctx.response().end(json);
            }
        }
    }

    /** MLflow's auth API: GET fields from the query string, the others from a JSON body. */
    private void authApi(RoutingContext ctx, Caller caller, String endpoint) {
        if (!auth.enabled() && endpoint.equals(AuthEndpoints.WHO_AM_I)) {
            answerUnread(ctx, () -> ctx.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                    .end(AuthEndpoints.whoAmI(caller, false).encode()));
            return;
        }
        if (!auth.enabled()) {
            answerUnread(
                    ctx,
                    () -> Errors.error(
                            ctx,
                            404,
                            ErrorCode.ENDPOINT_NOT_FOUND,
                            "Authentication is off on this gateway: there are no users or permissions to manage"));
            return;
        }
        String method = ctx.request().method() == HttpMethod.HEAD
                ? "GET"
                : ctx.request().method().name();
        if (!method.equals(authEndpoints.methodOf(endpoint))) {
            answerUnread(ctx, () -> notAllowed(ctx, ctx.request().path(), Set.of(authEndpoints.methodOf(endpoint))));
            return;
        }
        if (method.equals("GET")) {
            authEndpoints.answer(ctx, caller, endpoint, null);
            return;
        }
        if (endpoint.equals(AuthEndpoints.SIGN_OUT)) {
            Cookie cookie = ctx.request().getCookie(SessionStore.COOKIE);
            answerUnread(ctx, () -> (cookie == null ? Uni.createFrom().voidItem() : sessions.close(cookie.getValue()))
                    .subscribe()
                    .with(
                            v -> {
                                ctx.response().addCookie(sessionCookie(ctx, "", 0));
                                ctx.response()
                                        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                                        .end("{}");
                            },
                            failure -> Errors.fail(ctx, endpoint, AuthFailures.translate(failure))));
            return;
        }
        if (refusedAsNotJson(ctx)) {
            return;
        }
        bodies.read(ctx, AUTH_BODY_LIMIT, body -> authEndpoints.answer(ctx, caller, endpoint, body));
    }

    /**
     * The sign-in endpoints, served without credentials: the password form, the identity providers
     * offered, and the way to and back from a provider. False for any other path.
     */
    private boolean publicAuth(RoutingContext ctx) {
        String endpoint = authEndpoints.endpointAt(ctx.request().path());
        if (endpoint == null) {
            return false;
        }
        switch (endpoint) {
            case AuthEndpoints.SIGN_IN -> signIn(ctx);
            case AuthEndpoints.PROVIDERS ->
                answerUnread(ctx, () -> {
                    JsonArray offered = new JsonArray();
                    authenticator
                            .oidc()
                            .browserProviders()
                            .forEach((name, label) -> offered.add(
                                    new JsonObject().put("name", name).put("display_name", label)));
                    ctx.response()
                            .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                            .end(new JsonObject().put("providers", offered).encode());
                });
            case AuthEndpoints.OIDC_START ->
                answerUnread(ctx, () -> oidcLogin
                        .start(String.valueOf(ctx.request().getParam("provider")), callbackUri(ctx))
                        .subscribe()
                        .with(
                                start -> {
                                    ctx.response().addCookie(stateCookie(ctx, start.state(), 600));
                                    ctx.response()
                                            .setStatusCode(302)
                                            .putHeader(
                                                    HttpHeaders.LOCATION,
                                                    start.location().toString())
                                            .end();
                                },
                                failure -> Errors.fail(ctx, "sign-in", AuthFailures.translate(failure))));
            case AuthEndpoints.OIDC_CALLBACK -> answerUnread(ctx, () -> oidcCallback(ctx));
            default -> {
                return false;
            }
        }
        return true;
    }

    /**
     * The browser back from its identity provider: the state must be the one this browser started
     * with (its cookie); then a session as for a password, and on to the UI. A failure goes back to
     * the sign-in form with the reason.
     */
    private void oidcCallback(RoutingContext ctx) {
        String state = ctx.request().getParam("state");
        String code = ctx.request().getParam("code");
        Cookie bound = ctx.request().getCookie(STATE_COOKIE);
        ctx.response().addCookie(stateCookie(ctx, "", 0));
        Uni<Caller> signedIn;
        if (ctx.request().getParam("error") != null) {
            signedIn = Uni.createFrom()
                    .failure(new ApiException(
                            ErrorCode.UNAUTHENTICATED,
                            "The identity provider refused: " + ctx.request().getParam("error")));
        } else if (state == null
                || code == null
                || bound == null
                || !MessageDigest.isEqual(
                        state.getBytes(StandardCharsets.UTF_8), bound.getValue().getBytes(StandardCharsets.UTF_8))) {
            signedIn = Uni.createFrom()
                    .failure(new ApiException(
                            ErrorCode.UNAUTHENTICATED, "This sign-in was not started in this browser; start again"));
        } else {
            signedIn = oidcLogin.finish(state, code, callbackUri(ctx)).flatMap(identity -> authenticator
                    .federated(identity)
                    // the session keeps what the groups gave; the user's own flag is read on each request
                    .map(caller -> new Caller(
                            caller.username(),
                            caller.userId(),
                            authenticator.groupAdmin(identity),
                            null,
                            caller.fallback())));
        }
        signedIn.flatMap(caller -> sessions.open(caller, caller.admin(), auth.sessionTtl()))
                .subscribe()
                .with(
                        secret -> {
                            ctx.response()
                                    .addCookie(sessionCookie(
                                            ctx, secret, auth.sessionTtl().toSeconds()));
                            ctx.response()
                                    .setStatusCode(302)
                                    .putHeader(HttpHeaders.LOCATION, "/#/")
                                    .end();
                        },
                        failure -> {
                            Throwable why = AuthFailures.translate(failure);
                            String reason = why instanceof ApiException api ? api.getMessage() : "sign-in failed";
                            ctx.response()
                                    .setStatusCode(302)
                                    .putHeader(
                                            HttpHeaders.LOCATION,
                                            "/#/?sign_in_error=" + URLEncoder.encode(reason, StandardCharsets.UTF_8))
                                    .end();
                        });
    }

    /** Where the identity provider sends the browser back: Skein's public address. */
    private String callbackUri(RoutingContext ctx) {
        return auth.publicUrl().orElseThrow().replaceAll("/+$", "") + "/ajax-api/2.0/" + AuthEndpoints.OIDC_CALLBACK;
    }

    /** Binds a provider sign-in to the browser that started it (sent back on the provider's redirect). */
    private static Cookie stateCookie(RoutingContext ctx, String value, long maxAgeSeconds) {
        String proto = ctx.request().getHeader("X-Forwarded-Proto");
        return Cookie.cookie(STATE_COOKIE, value)
                .setPath("/ajax-api/2.0/skein/session/oidc")
                .setHttpOnly(true)
                .setSameSite(CookieSameSite.LAX)
                .setSecure(ctx.request().isSSL() || (proto != null && proto.equalsIgnoreCase("https")))
                .setMaxAge(maxAgeSeconds);
    }

    /**
     * Signing in to the web UI: a user name and password checked as Basic is, at most a few tries a
     * minute per user name, then a session in an HttpOnly, SameSite=Strict cookie.
     */
    private void signIn(RoutingContext ctx) {
        if (!ctx.request().method().name().equals("POST")) {
            answerUnread(ctx, () -> notAllowed(ctx, ctx.request().path(), Set.of("POST")));
            return;
        }
        if (refusedAsNotJson(ctx)) {
            return;
        }
        bodies.read(ctx, AUTH_BODY_LIMIT, body -> authEndpoints
                .signIn(body, signIns)
                .flatMap(caller ->
                        sessions.open(caller, false, auth.sessionTtl()).map(secret -> Map.entry(caller, secret)))
                .subscribe()
                .with(
                        signedIn -> {
                            ctx.response()
                                    .addCookie(sessionCookie(
                                            ctx,
                                            signedIn.getValue(),
                                            auth.sessionTtl().toSeconds()));
                            ctx.response()
                                    .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                                    .end(AuthEndpoints.whoAmI(signedIn.getKey(), true)
                                            .encode());
                        },
                        failure -> {
                            Throwable why = AuthFailures.translate(failure);
                            if (why instanceof ApiException api && api.code() == ErrorCode.REQUEST_LIMIT_EXCEEDED) {
                                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "60");
                            }
                            Errors.fail(ctx, "sign-in", why);
                        }));
    }

    /** The session cookie: HttpOnly, SameSite=Strict, Secure when the browser came over HTTPS. */
    private static Cookie sessionCookie(RoutingContext ctx, String value, long maxAgeSeconds) {
        String proto = ctx.request().getHeader("X-Forwarded-Proto");
        boolean https = ctx.request().isSSL() || (proto != null && proto.equalsIgnoreCase("https"));
        return Cookie.cookie(SessionStore.COOKIE, value)
                .setPath("/")
                .setHttpOnly(true)
                .setSameSite(CookieSameSite.STRICT)
                .setSecure(https)
                .setMaxAge(maxAgeSeconds);
    }

    /**
     * Writes a server-streaming RPC's chunks as one JSON response while they arrive. The next chunk
     * is only requested once the client has taken the previous one, so a response of any size
     * passes through with flat memory. The status is sent with the first chunk: a failure before
     * it is an ordinary MLflow error; one after it can only cut the response short.
     */
    private void stream(RoutingContext ctx, Route route, Message request) {
        Context context = ctx.vertx().getOrCreateContext();
        HttpServerResponse response = ctx.response();
        ProtoJsonWriter.Concatenation json =
                new ProtoJsonWriter.Concatenation(((Message) ((MethodDescriptor.PrototypeMarshaller<?>)
                                        route.method().getResponseMarshaller())
                                .getMessagePrototype())
                        .getDescriptorForType());
        Message[] last = {null};
        boolean head = ctx.request().method() == HttpMethod.HEAD;
        Runnable[] cancelled = {null};
        Runnable cancel = upstreams.stream(route, request, actor(ctx), new Upstreams.ChunkHandler() {
            @Override
            public void onChunk(Message chunk, Runnable next) {
                context.runOnContext(v -> {
                    if (response.closed() || response.ended()) {
                        return;
                    }
                    if (head) {
                        // the status and headers are the GET answer's once its first chunk came; its
                        // body is not read
                        response.putHeader(HttpHeaders.CONTENT_TYPE, JSON).end();
                        cancelled[0].run();
                        return;
                    }
                    if (!response.headWritten()) {
                        response.setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, JSON);
                    }
                    last[0] = chunk;
                    Backpressure.write(response, Buffer.buffer(json.chunk(chunk)), next);
                });
            }

            @Override
            public void onEnd() {
                context.runOnContext(v -> {
                    if (!response.closed() && !response.ended()) {
                        if (!response.headWritten()) {
                            response.putHeader(HttpHeaders.CONTENT_TYPE, JSON);
                        }
                        response.end(Buffer.buffer(json.end(last[0])));
                    }
                });
            }

            @Override
            public void onError(Throwable failure) {
                context.runOnContext(v -> {
                    if (response.ended()) {
                        return; // a HEAD answered, its call cancelled
                    }
                    if (response.headWritten()) {
                        LOG.warnf(
                                "Streaming %s failed midway, cutting the response: %s",
                                route.path(), failure.toString());
                        response.reset();
                    } else {
                        Errors.fail(ctx, route.httpMethod() + " " + route.path(), failure);
                    }
                });
            }
        });
        cancelled[0] = cancel;
        response.closeHandler(v -> cancel.run());
    }
}
