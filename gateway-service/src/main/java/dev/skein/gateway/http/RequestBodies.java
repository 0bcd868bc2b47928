package dev.skein.gateway.http;

import dev.skein.proto.common.v1.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Request bodies the gateway collects before it sends them on: read within a limit and within the
 * gateway-wide {@link BodyBudget}, or read and thrown away when the request is refused, so the client
 * sees the answer. Each body that does not arrive in time gets 408 and its connection closed.
 */
final class RequestBodies {

    private static final Logger LOG = Logger.getLogger(RequestBodies.class);

    private final BodyBudget budget;
    private final long maxDiscardedBytes;
    private final Duration idleTimeout;
    private final Duration bodyTimeout;

    RequestBodies(BodyBudget budget, long maxDiscardedBytes, Duration idleTimeout, Duration bodyTimeout) {
        this.budget = budget;
        this.maxDiscardedBytes = maxDiscardedBytes;
        this.idleTimeout = idleTimeout;
        this.bodyTimeout = bodyTimeout;
    }

    BodyBudget budget() {
        return budget;
    }

    /**
     * Collects a body of at most {@code limit} bytes and hands it to {@code then}; its bytes stay
     * reserved in the budget until {@code then} returns (by then it is transcoded: the request
     * message is all that is kept).
     */
    void read(RoutingContext ctx, long limit, Consumer<byte[]> then) {
        readHeld(ctx, limit, (body, lease) -> {
            try {
                then.accept(body);
            } finally {
                lease.close();
            }
        });
    }

    /**
     * Collects a request body of at most {@code limit} bytes. A larger body is never held: it is
     * refused as soon as its declared or received size passes the limit, its bytes thrown away. The
     * buffer grows with the bytes received, never with what {@code Content-Length} declares, and they
     * are reserved in the gateway-wide {@link BodyBudget}: a body that does not fit is refused with
     * 503 and {@code Retry-After}. A body that stops arriving for {@code body-idle-timeout} gets 408
     * and its connection closed.
     *
     * <p>{@code then} gets the body and its lease, and owns the lease from then on: the bytes stay
     * reserved until it closes it (for work that outlives the call, such as an upstream call made
     * with what the body decodes to), whatever the HTTP client does meanwhile.
     */
    void readHeld(RoutingContext ctx, long limit, BiConsumer<byte[], BodyBudget.Lease> then) {
        HttpServerRequest request = ctx.request();
        long declared = declaredLength(request);
        if (declared > limit) {
            discard(ctx, () -> tooLarge(ctx, limit, declared));
            return;
        }
        BodyBudget.Lease lease = budget.lease();
        var state = new Object() {
            Buffer body = Buffer.buffer();
            long received;
            boolean over;
            boolean refused;
            boolean handedOver;
        };
        ctx.addEndHandler(v -> {
            if (!state.handedOver) {
                lease.close();
            }
        });
        BodyTimeout idle = BodyTimeout.start(ctx.vertx(), idleTimeout, bodyTimeout, () -> {
            state.refused = true;
            state.body = null;
            lease.close();
            Errors.closeWith(ctx, 408, ErrorCode.BAD_REQUEST, bodyIdleMessage());
        });
        request.handler(chunk -> {
            idle.touch();
            if (state.refused) {
                return;
            }
            state.received += chunk.length();
            if (state.over) {
                if (state.received > maxDiscardedBytes) {
                    state.refused = true;
                    idle.cancel();
                    Errors.closeWith(
                            ctx, 400, ErrorCode.INVALID_PARAMETER_VALUE, tooLargeMessage(limit, state.received));
                }
                return;
            }
            if (state.received > limit) {
                state.over = true;
                state.body = null;
                lease.close();
                return;
            }
            if (!lease.grow(chunk.length())) {
                state.refused = true;
                state.body = null;
                idle.cancel();
                lease.close();
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
                Errors.announceClose(ctx);
                Errors.error(
                        ctx,
                        503,
                        ErrorCode.TEMPORARILY_UNAVAILABLE,
                        "The gateway is receiving too many request bodies at once; retry shortly");
                // the rest is read and dropped (not held) for a moment, so the client sees this answer
                Errors.stopReading(ctx, maxDiscardedBytes);
                return;
            }
            state.body.appendBuffer(chunk);
        });
        request.exceptionHandler(failure -> {
            idle.cancel();
            lease.close();
            LOG.debugf("Request body not received: %s", failure);
        });
        request.endHandler(v -> {
            idle.cancel();
            if (state.refused) {
                return;
            }
            if (state.over) {
                tooLarge(ctx, limit, state.received);
                return;
            }
            byte[] bytes = state.body.getBytes();
            state.body = null;
            state.handedOver = true;
            then.accept(bytes, lease);
        });
        request.resume();
    }

    private String bodyIdleMessage() {
        return "Request body stopped arriving for " + idleTimeout.toSeconds() + " s, or was not complete within "
                + bodyTimeout.toSeconds() + " s";
    }

    /** Reads and drops the body of a request being refused, then {@code answer}s it (see below). */
    void discard(RoutingContext ctx, Runnable answer) {
        discard(ctx, maxDiscardedBytes, answer);
    }

    /**
     * Reads and drops a body we are refusing, so the client can read our answer; closes past {@code
     * max}, or when it stops arriving for {@code body-idle-timeout}.
     */
    void discard(RoutingContext ctx, long max, Runnable answer) {
        HttpServerRequest request = ctx.request();
        if (request.isEnded()) {
            answer.run();
            return;
        }
        long[] received = {0};
        BodyTimeout idle = BodyTimeout.start(ctx.vertx(), idleTimeout, bodyTimeout, () -> {
            if (!ctx.response().ended()) {
                Errors.closeWith(ctx, 408, ErrorCode.BAD_REQUEST, bodyIdleMessage());
            }
        });
        request.handler(chunk -> {
            idle.touch();
            received[0] += chunk.length();
            if (received[0] > max && !ctx.response().ended()) {
                idle.cancel();
                Errors.closeWith(
                        ctx,
                        400,
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        "Request refused; its body was not read (" + received[0] + "+ bytes)");
            }
        });
        request.exceptionHandler(failure -> idle.cancel());
        request.endHandler(v -> {
            idle.cancel();
            if (!ctx.response().ended()) {
                answer.run();
            }
        });
        request.resume();
    }

    private static long declaredLength(HttpServerRequest request) {
        String header = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void tooLarge(RoutingContext ctx, long limit, long size) {
        Errors.error(ctx, 400, ErrorCode.INVALID_PARAMETER_VALUE, tooLargeMessage(limit, size));
    }

    private static String tooLargeMessage(long limit, long size) {
        return "Request body must be at most " + limit + " bytes, got a request of size " + size + ".";
    }
}
