package dev.skein.gateway.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Holds a client connection's idle timeout ({@code quarkus.http.idle-timeout}) while an LLM call it carries waits for
 * its answer: a model that thinks for minutes before answering a non-streamed call sends nothing meanwhile, and the
 * idle timeout would close the client's connection under it. The timeout is Vert.x's {@link IdleStateHandler}
 * ({@value #IDLE}) in the connection's pipeline: it is taken out while calls are in flight on the connection and put
 * back, fresh, when the last one ends. The call itself stays bounded by llm-gateway-service's own timeouts and
 * {@link LlmProxy#ANSWER_WAIT_MS}.
 */
final class IdleHold {

    /** The name Vert.x gives its idle handler. */
    static final String IDLE = "idle";

    private static final AttributeKey<Held> HELD = AttributeKey.valueOf(IdleHold.class.getName());

    /** The calls in flight on a connection, and the idle handler taken out (null: it had none). */
    private static final class Held {
        int calls;
        IdleStateHandler removed;
        String before;
    }

    private IdleHold() {}

    /** Holds the idle timeout for one more call; {@link #release} ends the hold. */
    static void hold(HttpConnection connection) {
        Channel channel = channel(connection);
        if (channel != null) {
            onLoop(channel, () -> {
                Held held = channel.attr(HELD).get();
                if (held == null) {
                    held = new Held();
                    channel.attr(HELD).set(held);
                }
                if (held.calls++ == 0) {
                    ChannelHandler idle = channel.pipeline().get(IDLE);
                    if (idle instanceof IdleStateHandler handler) {
                        List<String> names = channel.pipeline().names();
                        int at = names.indexOf(IDLE);
                        held.before = at >= 0 && at + 1 < names.size() ? names.get(at + 1) : null;
                        held.removed = handler;
                        channel.pipeline().remove(handler);
                    }
                }
            });
        }
    }

    /** Ends one call's hold; the last one puts a fresh idle timeout back, with the same times. */
    static void release(HttpConnection connection) {
        Channel channel = channel(connection);
        if (channel != null) {
            onLoop(channel, () -> {
                Held held = channel.attr(HELD).get();
                if (held == null || held.calls == 0 || --held.calls > 0) {
                    return;
                }
                IdleStateHandler removed = held.removed;
                held.removed = null;
                if (removed == null || !channel.isActive() || channel.pipeline().get(IDLE) != null) {
                    return;
                }
                IdleStateHandler fresh = new IdleStateHandler(
                        removed.getReaderIdleTimeInMillis(),
                        removed.getWriterIdleTimeInMillis(),
                        removed.getAllIdleTimeInMillis(),
                        TimeUnit.MILLISECONDS);
                if (held.before != null && channel.pipeline().get(held.before) != null) {
                    channel.pipeline().addBefore(held.before, IDLE, fresh);
                } else {
                    channel.pipeline().addLast(IDLE, fresh);
                }
            });
        }
    }

    private static Channel channel(HttpConnection connection) {
        return connection instanceof ConnectionBase base ? base.channel() : null;
    }

    private static void onLoop(Channel channel, Runnable action) {
        if (channel.eventLoop().inEventLoop()) {
            action.run();
        } else {
            channel.eventLoop().execute(action);
        }
    }
}
