package dev.skein.gateway.http;

import dev.skein.proto.common.v1.ErrorCode;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * MLflow's {@code /ajax-api/2.0/mlflow/gateway-proxy} (GET and POST), through which its web UI
 * reaches a deployments server: here llm-gateway-service ({@link LlmProxy#uiProxy}). A request without
 * {@code gateway_path} is MLflow's 400; {@code json_data} (POST) is the body sent on.
 */
final class GatewayProxy {

    static final String PATH = "/ajax-api/2.0/mlflow/gateway-proxy";

    private GatewayProxy() {}

    /** A GET: the gateway path is a query parameter. */
    static void answer(
            RoutingContext ctx,
            Map<String, List<String>> query,
            LlmProxy llm,
            String actor,
            LlmProxy.EndpointGrants grants) {
        List<String> path = query.get("gateway_path");
        answer(ctx, path == null || path.isEmpty() ? null : path.get(0), null, llm, actor, grants);
    }

    /** A POST: the gateway path and the JSON to send are fields of the JSON body. */
    static void answer(RoutingContext ctx, byte[] body, LlmProxy llm, String actor, LlmProxy.EndpointGrants grants) {
        JsonObject request;
        try {
            request = body.length == 0 ? new JsonObject() : new JsonObject(new String(body, StandardCharsets.UTF_8));
        } catch (DecodeException | ClassCastException e) {
            Errors.error(
                    ctx,
                    400,
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    "Deployments proxy request body must be a JSON object.");
            return;
        }
        Object path = request.getValue("gateway_path");
        if (path != null && !(path instanceof String)) {
            Errors.error(
                    ctx,
                    400,
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    "Invalid value " + path + " for parameter 'gateway_path' supplied.");
            return;
        }
        answer(ctx, (String) path, request.getValue("json_data"), llm, actor, grants);
    }

    private static void answer(
            RoutingContext ctx,
            String gatewayPath,
            Object jsonData,
            LlmProxy llm,
            String actor,
            LlmProxy.EndpointGrants grants) {
        if (gatewayPath == null || gatewayPath.isEmpty()) {
            Errors.error(
                    ctx,
                    400,
                    ErrorCode.INVALID_PARAMETER_VALUE,
                    "Deployments proxy request must specify a gateway_path.");
            return;
        }
        llm.uiProxy(ctx, actor, gatewayPath, jsonData, grants);
    }
}
