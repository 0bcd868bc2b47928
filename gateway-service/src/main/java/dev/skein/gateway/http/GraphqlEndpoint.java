package dev.skein.gateway.http;

import dev.skein.gateway.graphql.MlflowGraphql;
import dev.skein.proto.common.v1.ErrorCode;
import graphql.ExecutionResult;
import graphql.GraphQLError;
import graphql.SerializationError;
import io.grpc.StatusRuntimeException;
import io.vertx.core.Context;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * {@code /graphql} as MLflow serves it: {@code {"query", "operationName", "variables"}} in a JSON
 * body (or as query parameters of a GET), answered with 200 and {@code {"data": …, "errors": [messages]
 * or null}} — MLflow's shape, where errors are plain messages rather than GraphQL's error objects.
 */
final class GraphqlEndpoint {

    private static final Logger LOG = Logger.getLogger(GraphqlEndpoint.class);

    /** GraphQL requests executing at once in this gateway; past it, 503 with Retry-After. */
    static final int MAX_EXECUTING = 32;

    private final MlflowGraphql graphql;
    private final AtomicInteger executing = new AtomicInteger();

    GraphqlEndpoint(MlflowGraphql graphql) {
        this.graphql = graphql;
    }

    /** What a client is told of a failed field: the MLflow error of the service, or an id. */
    static String errorMessage(Throwable failure) {
        if (failure instanceof StatusRuntimeException sre) {
            Errors.Answer answer = Errors.answer(sre, UUID.randomUUID().toString());
            if (!answer.relayed()) {
                LOG.errorf("GraphQL request %s failed upstream: %s", answer.id(), sre.getStatus());
            }
            return answer.message();
        }
        if (failure instanceof dev.skein.common.error.ApiException api) {
            return api.getMessage();
        }
        String id = UUID.randomUUID().toString();
        LOG.errorf(failure, "GraphQL request %s failed", id);
        return "Internal error (request " + id + ")";
    }

    /** A POST's body. */
    void answer(RoutingContext ctx, byte[] body, String actor, MlflowGraphql.CallGuard guard) {
        JsonObject request;
        try {
            request = body.length == 0 ? new JsonObject() : new JsonObject(io.vertx.core.buffer.Buffer.buffer(body));
        } catch (DecodeException | ClassCastException e) {
            Errors.error(
                    ctx, 400, ErrorCode.MALFORMED_REQUEST, "Malformed GraphQL request: the body is not a JSON object");
            return;
        }
        Object variables = request.getValue("variables");
        if (variables != null && !(variables instanceof JsonObject)) {
            Errors.error(ctx, 400, ErrorCode.INVALID_PARAMETER_VALUE, "GraphQL 'variables' must be a JSON object");
            return;
        }
        answer(ctx, request.getValue("query"), request.getValue("operationName"), (JsonObject) variables, actor, guard);
    }

    /** A GET's query parameters. */
    void answer(RoutingContext ctx, String actor, MlflowGraphql.CallGuard guard) {
        String variables = ctx.request().getParam("variables");
        JsonObject parsed = null;
        if (variables != null && !variables.isBlank()) {
            try {
                parsed = new JsonObject(variables);
            } catch (DecodeException | ClassCastException e) {
                Errors.error(ctx, 400, ErrorCode.INVALID_PARAMETER_VALUE, "GraphQL 'variables' must be a JSON object");
                return;
            }
        }
        answer(ctx, ctx.request().getParam("query"), ctx.request().getParam("operationName"), parsed, actor, guard);
    }

    private void answer(
            RoutingContext ctx,
            Object query,
            Object operationName,
            JsonObject variables,
            String actor,
            MlflowGraphql.CallGuard guard) {
        if (!(query instanceof String q) || q.isBlank()) {
            Errors.error(ctx, 400, ErrorCode.INVALID_PARAMETER_VALUE, "A GraphQL request needs a 'query' string");
            return;
        }
        if (operationName != null && !(operationName instanceof String)) {
            Errors.error(ctx, 400, ErrorCode.INVALID_PARAMETER_VALUE, "GraphQL 'operationName' must be a string");
            return;
        }
        Map<String, Object> vars = variables == null ? Map.of() : variables.getMap();
        if (executing.incrementAndGet() > MAX_EXECUTING) {
            executing.decrementAndGet();
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
            Errors.error(
                    ctx,
                    503,
                    ErrorCode.TEMPORARILY_UNAVAILABLE,
                    "The gateway is running too many GraphQL queries; retry shortly");
            return;
        }
        Context context = ctx.vertx().getOrCreateContext();
        MlflowGraphql.InFlight inFlight = new MlflowGraphql.InFlight();
        // a client that goes away before its answer takes the service calls made for it along
        ctx.response().closeHandler(v -> {
            if (!ctx.response().ended()) {
                inFlight.cancel();
            }
        });
        graphql.execute(q, (String) operationName, vars, actor, guard, inFlight)
                .whenComplete((result, failure) -> context.runOnContext(v -> {
                    executing.decrementAndGet();
                    if (failure != null) {
                        Errors.fail(ctx, "POST /graphql", failure);
                        return;
                    }
                    if (!ctx.response().ended() && !ctx.response().closed()) {
                        ctx.response()
                                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                .end(render(result).encode());
                    }
                }));
    }

    @SuppressWarnings("unchecked")
    private static JsonObject render(ExecutionResult result) {
        Object data = result.getData();
        List<GraphQLError> errors = result.getErrors();
        return new JsonObject()
                .put("data", data == null ? null : new JsonObject((Map<String, Object>) data))
                .put(
                        "errors",
                        errors.isEmpty()
                                ? null
                                : new JsonArray(errors.stream()
                                        .map(GraphqlEndpoint::message)
                                        .toList()));
    }

    /**
     * An error's message as MLflow (graphql-core) words it: a value that cannot be written in its
     * type says only why (graphql-java adds the field's path and "Can't serialize value").
     */
    private static String message(GraphQLError error) {
        if (error instanceof SerializationError serialization) {
            return serialization.getException().getMessage();
        }
        return error.getMessage();
    }
}
