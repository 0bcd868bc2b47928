package dev.skein.gateway.http;

import dev.skein.gateway.config.GatewayConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.quarkus.runtime.Quarkus;
import io.quarkus.vertx.http.HttpServerStart;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.TCPServerBase;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.inject.Inject;
import java.lang.reflect.Field;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The request-head deadline (slowloris): a connection that has not completed a request head within
 * {@code skein.gateway.request-head-timeout} of connecting, or of its last response ending, is closed.
 *
 * <p>Vert.x has no option for this and Quarkus exposes neither the server's connection handler nor
 * its Netty pipeline, so this class reaches into Vert.x internals: the listening Netty channel of each
 * HTTP server (a private field of {@code TCPServerBase}) gets a handler that puts a {@link Guard} first
 * in every accepted connection's pipeline. The guard is disarmed by a first-order route as soon as a
 * request head has been parsed and re-armed when that request's response ends. If the internals are
 * not as expected (a Vert.x upgrade), startup fails with a message instead of silently losing the
 * guard. Quarkus announces the listening server asynchronously ({@link HttpServerStart}), so the
 * exit is asynchronous too, right after startup.
 */
@ApplicationScoped
public class HeadDeadline {

    private static final Logger LOG = Logger.getLogger(HeadDeadline.class);
    private static final String ACCEPTOR = "skein-head-deadline-acceptor";
    private static final String GUARD = "skein-head-deadline";

    @Inject
    GatewayConfig config;

    @Inject
    Vertx vertx;

    void install(@ObservesAsync HttpServerStart started) {
        long millis = config.requestHeadTimeout().toMillis();
        try {
            var servers = ((VertxInternal) vertx).sharedHttpServers().values();
            if (servers.isEmpty()) {
                throw new IllegalStateException("no listening HTTP server found");
            }
            Field bindFuture = TCPServerBase.class.getDeclaredField("bindFuture");
            bindFuture.setAccessible(true);
            for (TCPServerBase server : servers) {
                // a server is listed before it has bound (the management interface may still be binding when
                // the main server is announced): each gets its acceptor once its bind completes
                if (!(bindFuture.get(server) instanceof io.vertx.core.Future<?> bound)) {
                    throw new IllegalStateException("an HTTP server has no bind future");
                }
                bound.onSuccess(channel -> {
                    if (channel instanceof Channel listening) {
                        addAcceptor(listening, millis);
                    } else {
                        stop(new IllegalStateException("the HTTP server's bind future holds no Netty channel"));
                    }
                });
                // a failed bind is Quarkus's to report: that server does not listen
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            stop(e);
        }
    }

    private synchronized void addAcceptor(Channel listening, long millis) {
        if (listening.pipeline().get(ACCEPTOR) == null) {
            listening.pipeline().addFirst(ACCEPTOR, new Acceptor(millis));
            LOG.debugf("request-head deadline %d ms on %s", millis, listening.localAddress());
        }
    }

    private static void stop(Exception e) {
        // the event is fired asynchronously once the server listens: nobody would see an exception
        LOG.error(
                "stopping the gateway: cannot install the request-head deadline (skein.gateway.request-head-timeout):"
                        + " the Vert.x internals it relies on (TCPServerBase.bindFuture,"
                        + " VertxInternal.sharedHttpServers) are not as expected; see gateway-service/README.md",
                e);
        Quarkus.asyncExit(1);
    }

    /** The management interface's connections are guarded too, and disarmed the same way. */
    void registerManagement(@Observes ManagementInterface management) {
        register(management.router());
    }

    void register(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            Guard guard = guard(ctx.request().connection());
            if (guard != null) {
                if (ctx.request().version() == HttpVersion.HTTP_2) {
                    guard.off();
                } else {
                    guard.headDone();
                    ctx.addEndHandler(ended -> guard.responseEnded());
                }
            }
            ctx.next();
        });
    }

    private static Guard guard(Object connection) {
        if (connection instanceof ConnectionBase base) {
            return (Guard) base.channel().pipeline().get(GUARD);
        }
        return null;
    }

    /** On the listening channel: gives every accepted connection its guard. */
    private static final class Acceptor extends ChannelInboundHandlerAdapter {
        private final long millis;

        Acceptor(long millis) {
            this.millis = millis;
        }

        @Override
        public boolean isSharable() {
            return true;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel accepted) {
                accepted.pipeline().addFirst(GUARD, new Guard(millis));
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** Per connection: closes it when no request head completed in time. Runs on its event loop. */
    static final class Guard extends ChannelInboundHandlerAdapter {
        private final long millis;
        private ChannelHandlerContext ctx;
        private ScheduledFuture<?> timer;
        private int inFlight;
        private boolean off;

        Guard(long millis) {
            this.millis = millis;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            if (ctx.channel().isActive()) {
                arm();
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            arm();
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cancel();
            ctx.fireChannelInactive();
        }

        void headDone() {
            onLoop(() -> {
                inFlight++;
                cancel();
            });
        }

        void responseEnded() {
            onLoop(() -> {
                if (inFlight > 0 && --inFlight == 0) {
                    arm();
                }
            });
        }

        void off() {
            onLoop(() -> {
                off = true;
                cancel();
            });
        }

        private void onLoop(Runnable r) {
            if (ctx.executor().inEventLoop()) {
                r.run();
            } else {
                ctx.executor().execute(r);
            }
        }

        private void arm() {
            if (off || timer != null || inFlight > 0 || !ctx.channel().isActive()) {
                return;
            }
            timer = ctx.executor()
                    .schedule(
                            () -> {
                                timer = null;
                                if (!off && inFlight == 0) {
                                    LOG.debugf(
                                            "closing %s: no request head within %d ms",
                                            ctx.channel().remoteAddress(), millis);
                                    ctx.channel().close();
                                }
                            },
                            millis,
                            TimeUnit.MILLISECONDS);
        }

        private void cancel() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }
    }
}
