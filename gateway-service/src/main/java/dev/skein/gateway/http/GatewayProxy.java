package dev.skein.gateway.http;

import dev.skein.proto.common.v1.ErrorCode;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * MLflow's {@code /ajax-api/2.0/mlflow/gateway-proxy} (GET and POST), through which its web UI
 * reaches a deployments server. It does not reach llm-gateway-service yet (issue 18): it answers as
 * an MLflow server that has no deployments target: the listing ({@code gateway_path} {@code
 * api/2.0/endpoints/}) is {@code {"endpoints": []}}, a request without {@code gateway_path} is
 * MLflow's 400, and any other path names an endpoint that does not exist (404).
 */
final class GatewayProxy {

    static final String PATH = "/ajax-api/2.0/mlflow/gateway-proxy";

    private GatewayProxy() {}

    /** A GET: the gateway path is a query parameter. */
    static void answer(RoutingContext ctx, Map<String, List<String>> query) {
        List<String> path = query.get("gateway_path");
        answer(ctx, path == null || path.isEmpty() ? null : path.get(0));
    }

    /** A POST: the gateway path is a field of the JSON body. */
    static void answer(RoutingContext ctx, byte[] body) {
        Object path;
        try {
            path = body.length == 0
                    ? null
                    : new JsonObject(new String(body, StandardCharsets.UTF_8)).getValue("gateway_path");
        } catch (DecodeException | ClassCastException e) {
            Errors.error(
                    ctx,
                    400,
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    "Deployments proxy request body must be a JSON object.");
            return;
        }
        if (path != null && !(path instanceof String)) {
            Errors.error(
                    ctx,
                    400,
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    "Invalid value " + path + " for parameter 'gateway_path' supplied.");
            return;
        }
        answer(ctx, (String) path);
    }

    private static void answer(RoutingContext ctx, String gatewayPath) {
        if (gatewayPath == null || gatewayPath.isEmpty()) {
            Errors.error(
                    ctx,
                    400,
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    "Deployments proxy request must specify a gateway_path.");
            return;
        }
        if (gatewayPath.replaceAll("/+$", "").equals("api/2.0/endpoints")) {
            ctx.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(new JsonObject().put("endpoints", List.of()).encode());
            return;
        }
        Errors.error(
                ctx,
                404,
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                "Deployments proxy request failed with error code 404. Error message: no deployments endpoint at '"
                        + gatewayPath + "': this server has no LLM endpoints yet.");
    }
}
