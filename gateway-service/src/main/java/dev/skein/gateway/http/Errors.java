package dev.skein.gateway.http;

import dev.skein.common.error.ApiException;
import dev.skein.common.error.GrpcErrors;
import dev.skein.proto.common.v1.ErrorCode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * MLflow's error responses: {@code {"error_code", "message"}} with the code's HTTP status. A failure
 * an internal service marked as an API error keeps its MLflow code and message; any other failure
 * is logged with an id and answered with that id only, never with its details.
 */
final class Errors {

    private static final Logger LOG = Logger.getLogger(Errors.class);

    private Errors() {}

    /** Answers a failed upstream call made for {@code what} (the endpoint, for the log). */
    static void fail(RoutingContext ctx, String what, Throwable failure) {
        if (failure instanceof StatusRuntimeException sre) {
            Answer answer = answer(sre, UUID.randomUUID().toString());
            if (!answer.relayed()) {
                LOG.errorf("Request %s to %s failed upstream: %s", answer.id(), what, sre.getStatus());
            }
            if (answer.status() == 503 && !answer.relayed() && !ctx.response().headWritten()) {
                // the service behind is down or restarting: clients that honour it come back shortly.
                // Not for a service's own 503 (a read stopped at its deadline, say): retrying that
                // within a second would only repeat it, so clients keep their own backoff.
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
            }
            error(ctx, answer.status(), answer.code(), answer.message());
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

    /** What a client is told about a failed upstream call; {@code relayed}: the upstream's own message. */
    record Answer(int status, ErrorCode code, String message, boolean relayed, String id) {}

    /**
     * An upstream's description reaches the client only when the upstream marked the status as a
     * deliberate API error (the {@link GrpcErrors#ERROR_CODE} trailer) and it is not a server-side
     * failure — a deliberate TEMPORARILY_UNAVAILABLE (a read stopped by its deadline, say) is the
     * caller's to act on, so it is relayed too; anything else — a status from gRPC itself, a proxy,
     * an unexpected failure whose description may name hosts, classes or SQL — is answered with the
     * mapped status and a generic message carrying the id under which it was logged.
     */
    static Answer answer(StatusRuntimeException sre, String id) {
        if (sre.getStatus().getCode() == Status.Code.UNAUTHENTICATED) {
            // Only the gateway calls the services, with the internal credential: a refusal means the
            // deployment's credentials disagree, not that the client lacks one.
            return new Answer(
                    500,
                    ErrorCode.INTERNAL_ERROR,
                    "Internal error: the gateway's credential was refused by an internal service (request " + id + ")",
                    false,
                    id);
        }
        ErrorCode code = GrpcErrors.errorCode(sre);
        int status = GrpcErrors.httpStatus(code);
        String description = sre.getStatus().getDescription();
        boolean forClients = status < 500 || code == ErrorCode.TEMPORARILY_UNAVAILABLE;
        if (forClients && GrpcErrors.isApiError(sre) && description != null && !description.isEmpty()) {
            return new Answer(status, code, description, true, id);
        }
        String message = code == ErrorCode.TEMPORARILY_UNAVAILABLE
                ? "The service behind this endpoint is unavailable, try again (request " + id + ")"
                : status >= 500
                        ? "Internal error (request " + id + ")"
                        : GrpcErrors.genericMessage(sre.getStatus().getCode()) + " (request " + id + ")";
        return new Answer(status, code, message, false, id);
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

    /**
     * Answers with an error although the rest of the request will not be read: right after the
     * answer, an HTTP/1.x connection is closed, an HTTP/2 stream is reset.
     */
    static void closeWith(RoutingContext ctx, int status, ErrorCode code, String message) {
        announceClose(ctx);
        error(ctx, status, code, message);
        stopReading(ctx, 0);
    }

    /**
     * Before answering a request whose body is still arriving: over HTTP/1.x, tells the client the
     * connection closes after the answer. HTTP/2 has no such header, and needs none.
     */
    static void announceClose(RoutingContext ctx) {
        HttpServerResponse response = ctx.response();
        if (ctx.request().version() != HttpVersion.HTTP_2 && !response.headWritten()) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
    }

    /**
     * Once the answer is out, stops the rest of a request body. The body is first read and dropped
     * until it ends, {@code lingerBytes} passed or {@link #LINGER} went by: a client that sends its
     * whole body before it reads the answer would otherwise never see it (over HTTP/1.x, closing a
     * socket with unread data resets it and can take the answer with it; over HTTP/2, a client that
     * ignores a reset of a stream it has the whole answer of — Java 17's does — waits for flow-control
     * credit forever). Then, if the body has not ended, an HTTP/1.x connection is closed, the only way
     * to skip a body, and an HTTP/2 stream is reset with NO_ERROR as RFC 9113 (8.1) gives a server
     * that answered early; the connection's other streams go on.
     */
    static void stopReading(RoutingContext ctx, long lingerBytes) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        if (request.isEnded() || response.closed()) {
            return;
        }
        if (response.ended()) {
            linger(ctx, lingerBytes);
        } else {
            response.endHandler(v -> linger(ctx, lingerBytes));
        }
    }

    static final Duration LINGER = Duration.ofSeconds(5);

    private static void linger(RoutingContext ctx, long lingerBytes) {
        HttpServerRequest request = ctx.request();
        boolean http2 = request.version() == HttpVersion.HTTP_2;
        Runnable stop = http2
                ? () -> ctx.response().reset(0)
                : () -> request.connection().close();
        if (request.isEnded()) {
            if (!http2) {
                stop.run(); // as announced
            }
            return;
        }
        if (lingerBytes <= 0) {
            stop.run();
            return;
        }
        boolean[] stopped = {false};
        long timer = ctx.vertx().setTimer(LINGER.toMillis(), t -> {
            stopped[0] = true;
            stop.run();
        });
        long[] dropped = {0};
        request.handler(data -> {
            dropped[0] += data.length();
            if (dropped[0] > lingerBytes && !stopped[0]) {
                stopped[0] = true;
                ctx.vertx().cancelTimer(timer);
                stop.run();
            }
        });
        request.endHandler(v -> {
            ctx.vertx().cancelTimer(timer);
            if (!http2 && !stopped[0]) {
                stopped[0] = true;
                stop.run(); // as announced
            }
        });
        request.resume();
    }
}
