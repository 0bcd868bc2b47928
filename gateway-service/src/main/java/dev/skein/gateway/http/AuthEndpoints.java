package dev.skein.gateway.http;

import dev.skein.common.actor.Actors;
import dev.skein.common.error.ApiException;
import dev.skein.gateway.auth.AuthConfig;
import dev.skein.gateway.auth.AuthFailures;
import dev.skein.gateway.auth.AuthStore;
import dev.skein.gateway.auth.Authenticator;
import dev.skein.gateway.auth.Authorizer;
import dev.skein.gateway.auth.Caller;
import dev.skein.gateway.auth.Permission;
import dev.skein.gateway.auth.SessionStore;
import dev.skein.gateway.auth.TokenStore;
import dev.skein.gateway.auth.UserLimits;
import dev.skein.proto.common.v1.ErrorCode;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * MLflow's auth REST API, unchanged, so its {@code AuthServiceClient} and scripts written for it work:
 * users ({@code users/create|get|update-password|update-admin|delete}) and permissions per experiment
 * and per registered model ({@code experiments/permissions/*}, {@code registered-models/permissions/*}), and MLflow
 * 3's per LLM gateway endpoint ({@code /api/3.0/mlflow/gateway/endpoints/permissions/*}, by endpoint name).
 * Who may call what is MLflow's: administrators everything; a user may read themselves and change
 * their own password; managing a resource's permissions needs MANAGE on it.
 */
final class AuthEndpoints {

    /** Signing in to the web UI (the one endpoint served without credentials). */
    static final String SIGN_IN = "skein/session/sign-in";

    static final String SIGN_OUT = "skein/session/sign-out";

    /** The identity providers offered on the sign-in form, and the way to and back from one. */
    static final String PROVIDERS = "skein/session/providers";

    static final String OIDC_START = "skein/session/oidc/start";

    static final String OIDC_CALLBACK = "skein/session/oidc/callback";

    /** Who the caller is, and whether the gateway authenticates at all (what the web UI asks first). */
    static final String WHO_AM_I = "skein/session";

    private static final int USERS_PAGE = 100;

    private record Endpoint(String method, Handler handler) {}

    @FunctionalInterface
    private interface Handler {
        Uni<JsonObject> handle(Caller caller, Params params);
    }

    private final AuthStore store;
    private final Authenticator authenticator;
    private final Authorizer authorizer;
    private final TokenStore tokens;
    private final SessionStore sessions;
    private final AuthConfig config;
    private final Map<String, Endpoint> endpoints;

    AuthEndpoints(
            AuthStore store,
            TokenStore tokens,
            SessionStore sessions,
            Authenticator authenticator,
            Authorizer authorizer,
            AuthConfig config) {
        this.store = store;
        this.tokens = tokens;
        this.sessions = sessions;
        this.config = config;
        this.authenticator = authenticator;
        this.authorizer = authorizer;
        this.endpoints = Map.ofEntries(
                Map.entry("mlflow/users/create", new Endpoint("POST", this::createUser)),
                Map.entry("mlflow/users/get", new Endpoint("GET", this::getUser)),
                Map.entry("mlflow/users/update-password", new Endpoint("PATCH", this::updatePassword)),
                Map.entry("mlflow/users/update-admin", new Endpoint("PATCH", this::updateAdmin)),
                Map.entry("mlflow/users/delete", new Endpoint("DELETE", this::deleteUser)),
                Map.entry(
                        "mlflow/experiments/permissions/create",
                        new Endpoint("POST", grants(AuthStore.Kind.EXPERIMENT, "create"))),
                Map.entry(
                        "mlflow/experiments/permissions/get",
                        new Endpoint("GET", grants(AuthStore.Kind.EXPERIMENT, "get"))),
                Map.entry(
                        "mlflow/experiments/permissions/update",
                        new Endpoint("PATCH", grants(AuthStore.Kind.EXPERIMENT, "update"))),
                Map.entry(
                        "mlflow/experiments/permissions/delete",
                        new Endpoint("DELETE", grants(AuthStore.Kind.EXPERIMENT, "delete"))),
                Map.entry(
                        "mlflow/registered-models/permissions/create",
                        new Endpoint("POST", grants(AuthStore.Kind.REGISTERED_MODEL, "create"))),
                Map.entry(
                        "mlflow/registered-models/permissions/get",
                        new Endpoint("GET", grants(AuthStore.Kind.REGISTERED_MODEL, "get"))),
                Map.entry(
                        "mlflow/registered-models/permissions/update",
                        new Endpoint("PATCH", grants(AuthStore.Kind.REGISTERED_MODEL, "update"))),
                Map.entry(
                        "mlflow/registered-models/permissions/delete",
                        new Endpoint("DELETE", grants(AuthStore.Kind.REGISTERED_MODEL, "delete"))),
                Map.entry(
                        GATEWAY_ENDPOINT_PERMISSIONS + "create",
                        new Endpoint("POST", grants(AuthStore.Kind.GATEWAY_ENDPOINT, "create"))),
                Map.entry(
                        GATEWAY_ENDPOINT_PERMISSIONS + "get",
                        new Endpoint("GET", grants(AuthStore.Kind.GATEWAY_ENDPOINT, "get"))),
                Map.entry(
                        GATEWAY_ENDPOINT_PERMISSIONS + "update",
                        new Endpoint("PATCH", grants(AuthStore.Kind.GATEWAY_ENDPOINT, "update"))),
                Map.entry(
                        GATEWAY_ENDPOINT_PERMISSIONS + "delete",
                        new Endpoint("DELETE", grants(AuthStore.Kind.GATEWAY_ENDPOINT, "delete"))),
                Map.entry(WHO_AM_I, new Endpoint("GET", (caller, p) -> Uni.createFrom()
                        .item(whoAmI(caller, true)))),
                Map.entry(SIGN_IN, new Endpoint("POST", AuthEndpoints::servedElsewhere)),
                Map.entry(SIGN_OUT, new Endpoint("POST", AuthEndpoints::servedElsewhere)),
                Map.entry(PROVIDERS, new Endpoint("GET", AuthEndpoints::servedElsewhere)),
                Map.entry(OIDC_START, new Endpoint("GET", AuthEndpoints::servedElsewhere)),
                Map.entry(OIDC_CALLBACK, new Endpoint("GET", AuthEndpoints::servedElsewhere)),
                Map.entry("skein/users/list", new Endpoint("GET", this::listUsers)),
                Map.entry("skein/permissions/list", new Endpoint("GET", this::listHolders)),
                Map.entry("skein/permissions/mine", new Endpoint("GET", this::mine)),
                Map.entry("skein/tokens/create", new Endpoint("POST", this::createToken)),
                Map.entry("skein/tokens/list", new Endpoint("GET", this::listTokens)),
                Map.entry("skein/tokens/revoke", new Endpoint("POST", this::revokeToken)),
                Map.entry("skein/service-accounts/create", new Endpoint("POST", this::createServiceAccount)));
    }

    /**
     * MLflow 3's permissions on LLM gateway endpoints, under {@code /api/3.0/} (and {@code /ajax-api/3.0/}), before
     * llm-gateway-service's configuration API there.
     */
    static final String GATEWAY_ENDPOINT_PERMISSIONS = "mlflow/gateway/endpoints/permissions/";

    /** The endpoint's name ("mlflow/users/create") if the path is one of these, else null. */
    String endpointAt(String path) {
        for (String prefix : List.of("/api/2.0/", "/ajax-api/2.0/", "/api/3.0/", "/ajax-api/3.0/")) {
            if (path.startsWith(prefix)) {
                String name = path.substring(prefix.length());
                // MLflow serves its gateway's permissions under 3.0 only, and everything else under 2.0
                if (endpoints.containsKey(name)
                        && name.startsWith(GATEWAY_ENDPOINT_PERMISSIONS) == prefix.endsWith("3.0/")) {
                    return name;
                }
            }
        }
        return null;
    }

    /** The method an endpoint is served with. */
    String methodOf(String endpoint) {
        return endpoints.get(endpoint).method();
    }

    /** Answers the call; {@code body} is the JSON body (null for GET, whose fields are query parameters). */
    void answer(RoutingContext ctx, Caller caller, String endpoint, byte[] body) {
        Params params;
        try {
            params = body == null ? Params.of(ctx) : Params.of(body);
        } catch (ApiException e) {
            Errors.error(ctx, e);
            return;
        }
        Uni<JsonObject> answer;
        try {
            Endpoint called = endpoints.get(endpoint);
            if (caller.viaToken() && !called.method().equals("GET")) {
                // a leaked token must not mint more tokens, change passwords or hand out permissions
                throw new ApiException(
                        ErrorCode.PERMISSION_DENIED,
                        "Users, permissions and tokens are managed by signing in with a password, not with an"
                                + " access token");
            }
            answer = called.handler().handle(caller, params);
        } catch (ApiException e) {
            answer = Uni.createFrom().failure(e);
        }
        answer.subscribe()
                .with(
                        json -> {
                            if (!ctx.response().ended()) {
                                ctx.response()
                                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                        .end(json.encode());
                            }
                        },
                        failure -> Errors.fail(ctx, endpoint, AuthFailures.translate(failure)));
    }

    // --- sessions ------------------------------------------------------------------------------

    private static Uni<JsonObject> servedElsewhere(Caller caller, Params p) {
        throw new IllegalStateException("served by MlflowApi");
    }

    /** The caller a sign-in names, at most a few tries a minute per user name. */
    Uni<Caller> signIn(byte[] body, UserLimits tries) {
        try {
            Params p = Params.of(body);
            String username = p.string("username");
            String password = p.string("password");
            if (tries.acquire(username) > 0) {
                throw new ApiException(
                        ErrorCode.REQUEST_LIMIT_EXCEEDED,
                        "Too many sign-in attempts for " + username + "; wait a minute");
            }
            return authenticator.password(username, password);
        } catch (ApiException e) {
            return Uni.createFrom().failure(e);
        }
    }

    static JsonObject whoAmI(Caller caller, boolean authentication) {
        return new JsonObject()
                .put("user", new JsonObject().put("username", caller.username()).put("is_admin", caller.admin()))
                .put("authentication", authentication);
    }

    // --- users ---------------------------------------------------------------------------------

    private Uni<JsonObject> createUser(Caller caller, Params p) {
        adminOnly(caller);
        String username = p.string("username");
        String password = p.string("password");
        validate(username, password);
        return authenticator
                .hash(password)
                .flatMap(hash -> store.createUser(username, hash, false))
                .flatMap(this::userJson)
                .map(user -> new JsonObject().put("user", user));
    }

    private Uni<JsonObject> getUser(Caller caller, Params p) {
        String username = p.string("username");
        selfOrAdmin(caller, username);
        return store.user(username).flatMap(this::userJson).map(user -> new JsonObject().put("user", user));
    }

    private Uni<JsonObject> updatePassword(Caller caller, Params p) {
        String username = p.string("username");
        String password = p.string("password");
        selfOrAdmin(caller, username);
        validate(username, password);
        return store.user(username) // a missing user is refused before the hash is paid for
                .flatMap(u -> {
                    if (AuthStore.EXTERNAL.equals(u.passwordHash())
                            || AuthStore.SERVICE_ACCOUNT.equals(u.passwordHash())) {
                        // their identity provider, or their tokens, are how they sign in
                        return Uni.createFrom()
                                .failure(ApiException.invalidParameter("User " + username
                                        + " signs in through an identity provider or with tokens, not"
                                        + " with a password"));
                    }
                    return authenticator.hash(password);
                })
                .flatMap(hash -> store.updatePassword(username, hash))
                .flatMap(v -> sessions.closeAll(username))
                .map(v -> new JsonObject());
    }

    private Uni<JsonObject> updateAdmin(Caller caller, Params p) {
        adminOnly(caller);
        String username = p.string("username");
        boolean admin = p.bool("is_admin");
        // an administrator no longer: their open web sessions end with it
        return store.updateAdmin(username, admin)
                .flatMap(v -> admin ? Uni.createFrom().voidItem() : sessions.closeAll(username))
                .map(v -> new JsonObject());
    }

    private Uni<JsonObject> deleteUser(Caller caller, Params p) {
        adminOnly(caller);
        String username = p.string("username");
        return store.deleteUser(username).map(v -> new JsonObject());
    }

    private Uni<JsonObject> userJson(AuthStore.User user) {
        return store.grants(AuthStore.Kind.EXPERIMENT, user.id()).flatMap(exps -> store.grants(
                        AuthStore.Kind.REGISTERED_MODEL, user.id())
                .map(models -> new JsonObject()
                        .put("id", user.id())
                        .put("username", user.username())
                        .put("is_admin", user.admin())
                        .put("experiment_permissions", grantsJson(AuthStore.Kind.EXPERIMENT, exps))
                        .put("registered_model_permissions", grantsJson(AuthStore.Kind.REGISTERED_MODEL, models))));
    }

    private static JsonArray grantsJson(AuthStore.Kind kind, List<AuthStore.Grant> grants) {
        JsonArray array = new JsonArray();
        grants.forEach(g -> array.add(grantJson(kind, g)));
        return array;
    }

    private static JsonObject grantJson(AuthStore.Kind kind, AuthStore.Grant g) {
        return new JsonObject()
                .put(kind.field(), g.resource())
                .put("user_id", g.userId())
                .put("permission", g.permission().name());
    }

    private static void validate(String username, String password) {
        if (username.length() > Authenticator.MAX_NAME) {
            throw ApiException.invalidParameter("Username is longer than 256 characters.");
        }
        if (username.equals(Actors.UNKNOWN) || username.equals(Authenticator.ADMIN_TOKEN_ACTOR)) {
            // names the audit trail gives to callers who are no user
            throw ApiException.invalidParameter("Username '" + username + "' is reserved.");
        }
        if (username.indexOf(':') >= 0 || username.chars().anyMatch(Character::isISOControl)) {
            // HTTP Basic cannot carry a name with a colon; control characters have no place in one
            throw ApiException.invalidParameter("Username must not contain ':' or control characters.");
        }
        if (password.length() > Authenticator.MAX_PASSWORD) {
            throw ApiException.invalidParameter("Password is longer than 1024 characters.");
        }
    }

    /** Users by name, 100 a page (administrators). */
    private Uni<JsonObject> listUsers(Caller caller, Params p) {
        adminOnly(caller);
        String after = p.has("page_token") ? p.string("page_token") : "";
        return store.users(after, USERS_PAGE + 1).map(users -> {
            JsonArray array = new JsonArray();
            users.stream()
                    .limit(USERS_PAGE)
                    .forEach(u -> array.add(new JsonObject()
                            .put("id", u.id())
                            .put("username", u.username())
                            .put("is_admin", u.admin())
                            .put("service_account", u.serviceAccount())));
            JsonObject page = new JsonObject().put("users", array);
            if (users.size() > USERS_PAGE) {
                page.put("next_page_token", users.get(USERS_PAGE - 1).username());
            }
            return page;
        });
    }

    /** Who holds permissions on one experiment ({@code experiment_id}) or model ({@code name}): MANAGE needed. */
    private Uni<JsonObject> listHolders(Caller caller, Params p) {
        AuthStore.Kind kind = p.has("experiment_id")
                ? AuthStore.Kind.EXPERIMENT
                : p.has("endpoint_id") ? AuthStore.Kind.GATEWAY_ENDPOINT : AuthStore.Kind.REGISTERED_MODEL;
        String resource = kind == AuthStore.Kind.EXPERIMENT
                ? Authorizer.canonical(p.string("experiment_id"))
                : p.string(kind.field());
        return authorizer.permission(caller, kind, resource).flatMap(mine -> {
            if (!mine.allows(dev.skein.proto.api.v1.Access.Level.MANAGE)) {
                return Uni.createFrom().failure(new ApiException(ErrorCode.PERMISSION_DENIED, "Permission denied"));
            }
            return store.holders(kind, resource).map(holders -> {
                JsonArray array = new JsonArray();
                holders.forEach(h -> array.add(new JsonObject()
                        .put("username", h.getKey())
                        .put("permission", h.getValue().name())));
                return new JsonObject().put("permissions", array);
            });
        });
    }

    /**
     * The caller's own permission on each named experiment ({@code experiment_ids}) or model
     * ({@code names}), so the web UI offers only what they may do.
     */
    private Uni<JsonObject> mine(Caller caller, Params p) {
        AuthStore.Kind kind = p.has("experiment_ids")
                ? AuthStore.Kind.EXPERIMENT
                : p.has("endpoint_names") ? AuthStore.Kind.GATEWAY_ENDPOINT : AuthStore.Kind.REGISTERED_MODEL;
        List<String> resources = p.listOrOne(
                switch (kind) {
                    case EXPERIMENT -> "experiment_ids";
                    case REGISTERED_MODEL -> "names";
                    case GATEWAY_ENDPOINT -> "endpoint_names";
                });
        if (resources.size() > 1000) {
            throw ApiException.invalidParameter("At most 1000 resources at once");
        }
        return authorizer.permissions(caller, kind, resources).map(permissions -> {
            JsonObject byResource = new JsonObject();
            permissions.forEach((resource, permission) -> byResource.put(resource, permission.name()));
            return new JsonObject().put("permissions", byResource);
        });
    }

    // --- access tokens -------------------------------------------------------------------------

    private Uni<JsonObject> createToken(Caller caller, Params p) {
        String name = p.string("name");
        if (name.length() > 256) {
            throw ApiException.invalidParameter("Token name is longer than 256 characters.");
        }
        boolean readOnly = p.has("read_only") && p.bool("read_only");
        List<String> asked = p.strings("experiment_ids");
        List<String> experiments =
                asked == null ? null : asked.stream().map(Authorizer::canonical).toList();
        List<String> models = p.strings("registered_model_names");
        long days = p.has("expires_in_days")
                ? p.number("expires_in_days")
                : config.tokenLifetime().toDays();
        if (days < 1 || days > config.tokenMaxLifetime().toDays()) {
            throw ApiException.invalidParameter("expires_in_days must be between 1 and "
                    + config.tokenMaxLifetime().toDays() + ", got " + days);
        }
        Instant expires = Instant.now().plus(Duration.ofDays(days));
        String holder = p.has("username") ? p.string("username") : caller.username();
        if (!holder.equals(caller.username())) {
            adminOnly(caller);
        }
        if (caller.userId() == 0 && holder.equals(caller.username())) {
            throw ApiException.invalidParameter(
                    "The admin token holds no tokens: name the user or service account with 'username'");
        }
        String secret = TokenStore.newSecret();
        return store.user(holder)
                .flatMap(user ->
                        tokens.create(user.id(), user.username(), name, secret, readOnly, experiments, models, expires))
                .map(token -> new JsonObject().put("token", tokenJson(token)).put("secret", secret));
    }

    private Uni<JsonObject> listTokens(Caller caller, Params p) {
        String holder = p.has("username") ? p.string("username") : caller.username();
        selfOrAdmin(caller, holder);
        return store.user(holder).flatMap(user -> tokens.list(user.id())).map(list -> {
            JsonArray array = new JsonArray();
            list.forEach(t -> array.add(tokenJson(t)));
            return new JsonObject().put("tokens", array);
        });
    }

    private Uni<JsonObject> revokeToken(Caller caller, Params p) {
        long id = p.number("token_id");
        return tokens.holder(id).flatMap(holder -> {
            if (!caller.admin() && holder != caller.userId()) {
                // another user's token is as unknown to the caller as one that does not exist
                return Uni.createFrom().failure(ApiException.notFound("Token with id=" + id + " not found"));
            }
            return tokens.revoke(id).map(v -> new JsonObject());
        });
    }

    private Uni<JsonObject> createServiceAccount(Caller caller, Params p) {
        adminOnly(caller);
        String username = p.string("username");
        validate(username, "");
        return store.createServiceAccount(username).flatMap(this::userJson).map(user -> new JsonObject()
                .put("user", user.put("service_account", true)));
    }

    private static JsonObject tokenJson(TokenStore.Token t) {
        JsonObject json = new JsonObject()
                .put("id", Long.toString(t.id()))
                .put("name", t.name())
                .put("username", t.username())
                .put("prefix", t.prefix())
                .put("read_only", t.readOnly())
                .put("creation_time", t.created().toEpochMilli())
                .put("expiry_time", t.expires().toEpochMilli());
        if (t.experiments() != null) {
            json.put("experiment_ids", new JsonArray(t.experiments()));
        }
        if (t.models() != null) {
            json.put("registered_model_names", new JsonArray(t.models()));
        }
        if (t.lastUsed() != null) {
            json.put("last_used_time", t.lastUsed().toEpochMilli());
        }
        return json;
    }

    // --- permissions ---------------------------------------------------------------------------

    private Handler grants(AuthStore.Kind kind, String action) {
        String resourceField = kind.field();
        String answerField =
                switch (kind) {
                    case EXPERIMENT -> "experiment_permission";
                    case REGISTERED_MODEL -> "registered_model_permission";
                    case GATEWAY_ENDPOINT -> "gateway_endpoint_permission";
                };
        return (caller, p) -> {
            // experiment 007 is experiment 7 to the services: its permission is kept under 7
            String resource = kind == AuthStore.Kind.EXPERIMENT
                    ? Authorizer.canonical(p.string(resourceField))
                    : p.string(resourceField);
            String username = p.string("username");
            Function<Permission, Uni<JsonObject>> act =
                    switch (action) {
                        case "create" -> {
                            Permission permission = Permission.parse(p.string("permission"));
                            yield mine -> store.createGrant(kind, resource, username, permission)
                                    .map(g -> new JsonObject().put(answerField, grantJson(kind, g)));
                        }
                        case "get" ->
                            mine -> store.grant(kind, resource, username)
                                    .map(g -> new JsonObject().put(answerField, grantJson(kind, g)));
                        case "update" -> {
                            Permission permission = Permission.parse(p.string("permission"));
                            yield mine -> store.updateGrant(kind, resource, username, permission)
                                    .map(v -> new JsonObject());
                        }
                        default ->
                            mine -> store.deleteGrant(kind, resource, username).map(v -> new JsonObject());
                    };
            return authorizer.permission(caller, kind, resource).flatMap(mine -> {
                if (!mine.allows(dev.skein.proto.api.v1.Access.Level.MANAGE)) {
                    return Uni.createFrom().failure(new ApiException(ErrorCode.PERMISSION_DENIED, "Permission denied"));
                }
                return act.apply(mine);
            });
        };
    }

    private static void adminOnly(Caller caller) {
        if (!caller.admin() || (caller.token() != null && caller.token().limited())) {
            throw new ApiException(ErrorCode.PERMISSION_DENIED, "Permission denied");
        }
    }

    private static void selfOrAdmin(Caller caller, String username) {
        if (!caller.admin() && !caller.username().equals(username)) {
            throw new ApiException(ErrorCode.PERMISSION_DENIED, "Permission denied");
        }
    }

    /** A call's fields, from its JSON body or query string, read as MLflow's auth app reads them. */
    private record Params(JsonObject fields) {

        static Params of(RoutingContext ctx) {
            JsonObject fields = new JsonObject();
            for (String name : ctx.request().params().names()) {
                List<String> values = ctx.request().params().getAll(name);
                fields.put(name, values.size() == 1 ? values.get(0) : new JsonArray(new ArrayList<>(values)));
            }
            return new Params(fields);
        }

        static Params of(byte[] body) {
            try {
                Object parsed = io.vertx.core.json.Json.decodeValue(new String(body, StandardCharsets.UTF_8));
                if (parsed instanceof JsonObject o) {
                    return new Params(o);
                }
            } catch (DecodeException e) {
                // answered below
            }
            throw new ApiException(ErrorCode.MALFORMED_REQUEST, "The request body is not a JSON object");
        }

        String string(String name) {
            Object v = fields.getValue(name);
            if (v == null || v.toString().isEmpty()) {
                throw ApiException.missing(name);
            }
            if (v instanceof Number n && n.doubleValue() == n.longValue()) {
                return Long.toString(n.longValue()); // an experiment id sent as a number
            }
            if (!(v instanceof String s)) {
                throw ApiException.invalidParameter(
                        "Invalid value " + v + " for parameter '" + name + "' supplied: it must be a string");
            }
            return s;
        }

        boolean has(String name) {
            return fields.getValue(name) != null;
        }

        long number(String name) {
            Object v = fields.getValue(name);
            if (v == null) {
                throw ApiException.missing(name);
            }
            if (v instanceof Number n && n.doubleValue() == n.longValue()) {
                return n.longValue();
            }
            if (v instanceof String s && s.matches("-?\\d{1,18}")) {
                return Long.parseLong(s);
            }
            throw ApiException.invalidParameter(
                    "Invalid value " + v + " for parameter '" + name + "' supplied: it must be an integer");
        }

        /** A query parameter given once or repeated (its values), or a JSON list; empty when absent. */
        List<String> listOrOne(String name) {
            Object v = fields.getValue(name);
            if (v == null) {
                return List.of();
            }
            if (v instanceof JsonArray) {
                return strings(name);
            }
            return List.of(v.toString());
        }

        /** A list of strings, or null when absent. */
        List<String> strings(String name) {
            Object v = fields.getValue(name);
            if (v == null) {
                return null;
            }
            if (v instanceof JsonArray array && array.size() <= 1000) {
                List<String> values = new ArrayList<>();
                for (Object item : array) {
                    if (!(item instanceof String s) || s.isEmpty()) {
                        throw ApiException.invalidParameter("'" + name + "' must hold non-empty strings");
                    }
                    values.add(s);
                }
                return values;
            }
            throw ApiException.invalidParameter("'" + name + "' must be a list of at most 1000 strings");
        }

        boolean bool(String name) {
            Object v = fields.getValue(name);
            if (v == null) {
                throw ApiException.missing(name);
            }
            if (v instanceof Boolean b) {
                return b;
            }
            if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
                return Boolean.parseBoolean(s);
            }
            throw ApiException.invalidParameter(
                    "Invalid value " + v + " for parameter '" + name + "' supplied: it must be a boolean");
        }
    }
}
