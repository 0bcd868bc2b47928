package dev.skein.gateway.http;

import dev.skein.common.error.ApiException;
import dev.skein.common.error.GrpcErrors;
import dev.skein.proto.common.v1.ErrorCode;
import io.grpc.StatusRuntimeException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * MLflow's error responses: {@code {"error_code", "message"}} with the code's HTTP status. A failure
 * of an internal service keeps its MLflow code and message; a server-side failure is logged with an
 * id and answered with that id only, never with its details.
 */
final class Errors {

    private static final Logger LOG = Logger.getLogger(Errors.class);

    private Errors() {}

    /** Answers a failed upstream call made for {@code what} (the endpoint, for the log). */
    static void fail(RoutingContext ctx, String what, Throwable failure) {
        if (failure instanceof StatusRuntimeException sre) {
            ErrorCode code = GrpcErrors.errorCode(sre);
            String message = sre.getStatus().getDescription();
            int status = GrpcErrors.httpStatus(code);
            if (status >= 500) {
                String id = UUID.randomUUID().toString();
                LOG.errorf("Request %s to %s failed upstream: %s", id, what, sre.getStatus());
                message = code == ErrorCode.TEMPORARILY_UNAVAILABLE
                        ? "The service behind this endpoint is unavailable, try again (request " + id + ")"
                        : "Internal error (request " + id + ")";
            }
            error(ctx, status, code, message == null ? code.name() : message);
            return;
        }
        if (failure instanceof ApiException api) {
            error(ctx, api);
            return;
        }
        String id = UUID.randomUUID().toString();
        LOG.errorf(failure, "Request %s to %s failed", id, what);
        error(ctx, 500, ErrorCode.INTERNAL_ERROR, "Internal error (request " + id + ")");
    }

    static void error(RoutingContext ctx, ApiException e) {
        error(ctx, GrpcErrors.httpStatus(e.code()), e.code(), e.getMessage());
    }

    static void error(RoutingContext ctx, int status, ErrorCode code, String message) {
        error(ctx.response(), status, code, message);
    }

    static void error(HttpServerResponse response, int status, ErrorCode code, String message) {
        if (response.ended() || response.headWritten()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(new JsonObject()
                        .put("error_code", code.name())
                        .put("message", message)
                        .encode());
    }

    /** Answers with an error and closes the connection: the rest of the request will not be read. */
    static void closeWith(RoutingContext ctx, int status, ErrorCode code, String message) {
        if (!ctx.response().ended()) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
            error(ctx, status, code, message);
        }
        ctx.request().connection().close();
    }
}
