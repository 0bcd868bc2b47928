package dev.skein.llmgateway.http;

import dev.skein.common.error.ApiException;
import dev.skein.common.error.GrpcErrors;
import dev.skein.llmgateway.config.Endpoints;
import dev.skein.llmgateway.config.GatewayStore;
import dev.skein.llmgateway.config.LlmGatewayConfig;
import dev.skein.llmgateway.config.SecretBox;
import dev.skein.llmgateway.config.StoredPlans;
import dev.skein.proto.common.v1.ErrorCode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * MLflow 3.x's gateway configuration API ({@code /api/3.0/mlflow/gateway/{secrets|model-definitions|endpoints}/…},
 * and the same under {@code /ajax-api}, as MLflow's UI calls it): create, get, list, update and delete, MLflow's
 * JSON and errors ({@code {"error_code", "message"}}). The endpoints it makes are served like the file's, by name,
 * on every replica: each checks the stored configuration's revision every {@code store.poll-interval}, and the
 * replica that made a change serves it before it answers.
 */
@Singleton
public class ConfigRoutes {

    private static final Logger LOG = Logger.getLogger(ConfigRoutes.class);

    /** Bodies of this API are small: a secret, a definition, an endpoint. */
    static final int MAX_BODY_BYTES = 256 * 1024;

    private final GatewayStore store;
    private final Endpoints endpoints;
    private final Vertx vertx;
    private final LlmGatewayConfig config;
    private long timer = -1;
    private volatile long applied = -1;
    private final java.util.concurrent.atomic.AtomicBoolean refreshing =
            new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean failing;

    /** The longest a read of the stored configuration may take (a connection lost silently must not stop the poll). */
    static final java.time.Duration READ_DEADLINE = java.time.Duration.ofSeconds(10);

    public ConfigRoutes(Pool pool, Endpoints endpoints, Vertx vertx, LlmGatewayConfig config) {
        this.endpoints = endpoints;
        this.vertx = vertx;
        this.config = config;
        java.util.Optional<SecretBox> box = config.store()
                .secretsKey()
                .filter(k -> !k.isBlank())
                .map(k -> SecretBox.of(k, config.store().previousSecretsKeys().orElse(List.of())));
        if (box.isEmpty()) {
            LOG.warn("No key-encryption key (skein.llm-gateway.store.secrets-key): the configuration API refuses"
                    + " to store secrets, and stored secrets are not used");
        }
        this.store = new GatewayStore(pool, box, config.store().maxListed());
    }

    void onStart(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(0, config.store().pollInterval().toMillis(), id -> poll());
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Reads the stored configuration again when its revision moved; the last one read serves meanwhile. */
    private void poll() {
        if (!refreshing.compareAndSet(false, true)) {
            return;
        }
        store.revision()
                .ifNoItem()
                .after(READ_DEADLINE)
                .fail()
                .flatMap(revision -> revision == applied ? Uni.createFrom().voidItem() : refresh())
                .subscribe()
                .with(
                        v -> {
                            refreshing.set(false);
                            if (failing) {
                                failing = false;
                                LOG.info("The stored gateway configuration can be read again");
                            }
                        },
                        failure -> {
                            refreshing.set(false);
                            if (!failing) {
                                failing = true;
                                LOG.warnf(
                                        "The stored gateway configuration cannot be read (%s); its last revision"
                                                + " read keeps serving",
                                        failure.toString());
                            }
                        });
    }

    /** Reads the whole stored configuration and serves it. */
    Uni<Void> refresh() {
        return store.snapshot().ifNoItem().after(READ_DEADLINE).fail().map(snapshot -> {
            var served = StoredPlans.build(snapshot);
            served.values().stream()
                    .filter(s -> !s.problems().isEmpty())
                    .forEach(s -> LOG.warnf("stored endpoint %s: %s", s.name(), String.join("; ", s.problems())));
            synchronized (this) {
                // a poll and a change's own refresh may read at once: an older revision read last never wins
                if (snapshot.revision() >= applied) {
                    endpoints.applyStored(served);
                    applied = snapshot.revision();
                }
            }
            return null;
        });
    }

    void register(Router router, Handler<RoutingContext> trusted) {
        Handler<RoutingContext> body = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
        for (String base : List.of("/api/3.0/mlflow/gateway/", "/ajax-api/3.0/mlflow/gateway/")) {
            write(router, trusted, body, base + "secrets/create", store::createSecret);
            read(
                    router,
                    trusted,
                    base + "secrets/get",
                    q -> store.getSecret(q.apply("secret_id"), q.apply("secret_name")));
            write(router, trusted, body, base + "secrets/update", store::updateSecret);
            write(router, trusted, body, base + "secrets/delete", (b, actor) -> store.deleteSecret(b));
            read(router, trusted, base + "secrets/list", q -> store.listSecrets(q.apply("provider")));

            write(
                    router,
                    trusted,
                    body,
                    base + "model-definitions/create",
                    (b, actor) -> store.createDefinition(b, actor, StoredPlans::refusal));
            read(
                    router,
                    trusted,
                    base + "model-definitions/get",
                    q -> store.getDefinition(q.apply("model_definition_id")));
            write(
                    router,
                    trusted,
                    body,
                    base + "model-definitions/update",
                    (b, actor) -> store.updateDefinition(b, actor, StoredPlans::refusal));
            write(router, trusted, body, base + "model-definitions/delete", (b, actor) -> store.deleteDefinition(b));
            read(
                    router,
                    trusted,
                    base + "model-definitions/list",
                    q -> store.listDefinitions(q.apply("provider"), q.apply("secret_id")));

            write(
                    router,
                    trusted,
                    body,
                    base + "endpoints/create",
                    (b, actor) -> store.createEndpoint(b, actor, endpoints::inFile));
            read(
                    router,
                    trusted,
                    base + "endpoints/get",
                    q -> store.getEndpoint(q.apply("endpoint_id"), q.apply("name")));
            write(
                    router,
                    trusted,
                    body,
                    base + "endpoints/update",
                    (b, actor) -> store.updateEndpoint(b, actor, endpoints::inFile));
            write(router, trusted, body, base + "endpoints/delete", (b, actor) -> store.deleteEndpoint(b));
            read(router, trusted, base + "endpoints/list", q -> store.listEndpoints(q.apply("provider")));
            write(router, trusted, body, base + "endpoints/models/attach", store::attach);
            write(router, trusted, body, base + "endpoints/models/detach", (b, actor) -> store.detach(b));
        }
    }

    private void read(
            Router router,
            Handler<RoutingContext> trusted,
            String path,
            Function<Function<String, String>, Uni<JsonObject>> action) {
        router.get(path)
                .handler(trusted)
                .handler(ctx -> answer(
                        ctx,
                        () -> action.apply(name -> {
                            String value = ctx.request().getParam(name);
                            if (value != null
                                    && (value.length() > GatewayStore.MAX_VALUE || value.indexOf('\u0000') >= 0)) {
                                throw ApiException.invalidParameter("Invalid value for parameter '" + name
                                        + "': at most " + GatewayStore.MAX_VALUE + " characters, no NUL");
                            }
                            return value == null || value.isEmpty() ? null : value;
                        })))
                .failureHandler(ConfigRoutes::failed);
    }

    /** A change: POST (MLflow's delete is a DELETE with a JSON body; POST is taken too), then served here. */
    private void write(
            Router router,
            Handler<RoutingContext> trusted,
            Handler<RoutingContext> body,
            String path,
            BiFunction<JsonObject, String, Uni<JsonObject>> action) {
        for (var method : path.endsWith("/delete")
                ? List.of(io.vertx.core.http.HttpMethod.DELETE, io.vertx.core.http.HttpMethod.POST)
                : List.of(io.vertx.core.http.HttpMethod.POST)) {
            router.route(method, path)
                    .handler(trusted)
                    .handler(body)
                    .handler(ctx -> answer(ctx, () -> action.apply(json(ctx), LlmRoutes.caller(ctx))
                            .call(() -> refresh().onFailure().recoverWithNull())))
                    .failureHandler(ConfigRoutes::failed);
        }
    }

    private static JsonObject json(RoutingContext ctx) {
        Buffer buffer = ctx.body().buffer();
        if (buffer == null || buffer.length() == 0) {
            return new JsonObject();
        }
        try {
            return new JsonObject(buffer);
        } catch (DecodeException | ClassCastException | IllegalStateException e) {
            throw new ApiException(ErrorCode.MALFORMED_REQUEST, "The request body is not a JSON object");
        }
    }

    private static void answer(RoutingContext ctx, java.util.function.Supplier<Uni<JsonObject>> action) {
        Uni<JsonObject> result;
        try {
            result = action.get();
        } catch (RuntimeException e) {
            fail(ctx, e);
            return;
        }
        result.subscribe()
                .with(
                        json -> {
                            if (!ctx.response().ended()) {
                                ctx.response()
                                        .setStatusCode(200)
                                        .putHeader("Content-Type", "application/json")
                                        .end(json.encode());
                            }
                        },
                        failure -> fail(ctx, failure));
    }

    private static void failed(RoutingContext ctx) {
        if (ctx.statusCode() == 413) {
            error(
                    ctx,
                    413,
                    ErrorCode.INVALID_PARAMETER_VALUE.name(),
                    "The request body is larger than " + MAX_BODY_BYTES + " bytes");
            return;
        }
        fail(ctx, ctx.failure() != null ? ctx.failure() : new IllegalStateException("status " + ctx.statusCode()));
    }

    private static void fail(RoutingContext ctx, Throwable failure) {
        if (failure instanceof ApiException api) {
            error(ctx, GrpcErrors.httpStatus(api.code()), api.code().name(), api.getMessage());
        } else if (failure instanceof io.vertx.pgclient.PgException pg && refusedInput(pg.getSqlState())) {
            // a value PostgreSQL cannot take (a NUL, an invalid encoding) or a row gone meanwhile: the request's fault
            boolean gone = "23503".equals(pg.getSqlState());
            error(
                    ctx,
                    gone ? 404 : 400,
                    gone ? ErrorCode.RESOURCE_DOES_NOT_EXIST.name() : ErrorCode.INVALID_PARAMETER_VALUE.name(),
                    gone
                            ? "A secret, model definition or endpoint the request names does not exist (any more)"
                            : "A value of the request cannot be stored (SQLSTATE " + pg.getSqlState() + ")");
        } else if (unavailable(failure)) {
            LOG.warnf("gateway configuration: the database failed: %s", failure.toString());
            ctx.response().putHeader("Retry-After", "5");
            error(
                    ctx,
                    503,
                    ErrorCode.TEMPORARILY_UNAVAILABLE.name(),
                    "The gateway configuration cannot be read or"
                            + " changed at the moment (llm-gateway-service's database is unavailable); try again later");
        } else {
            LOG.errorf(
                    failure,
                    "gateway configuration: %s %s failed",
                    ctx.request().method(),
                    ctx.request().path());
            error(ctx, 500, ErrorCode.INTERNAL_ERROR.name(), "The gateway configuration request failed");
        }
    }

    /** SQLSTATEs that say the request's data is wrong: data exceptions (22) and a missing referenced row. */
    private static boolean refusedInput(String state) {
        return state != null && (state.startsWith("22") || state.equals("23503") || state.equals("23505"));
    }

    /** PostgreSQL unreachable, restarting or out of resources, or a read that did not answer in time. */
    private static boolean unavailable(Throwable failure) {
        if (failure instanceof io.vertx.pgclient.PgException pg) {
            String state = pg.getSqlState() == null ? "" : pg.getSqlState();
            return state.startsWith("08") || state.startsWith("53") || state.startsWith("57");
        }
        return failure instanceof io.vertx.core.VertxException
                || failure instanceof io.smallrye.mutiny.TimeoutException
                || failure instanceof java.net.ConnectException
                || failure instanceof java.io.IOException
                || failure instanceof io.netty.channel.ConnectTimeoutException;
    }

    private static void error(RoutingContext ctx, int status, String code, String message) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(new JsonObject()
                        .put("error_code", code)
                        .put("message", message)
                        .encode());
    }
}
