package dev.skein.gateway.client;

import com.google.protobuf.Message;
import dev.skein.common.actor.Actors;
import dev.skein.gateway.config.GatewayConfig;
import dev.skein.gateway.route.Route;
import dev.skein.proto.artifacts.v1.ArtifactServiceGrpc;
import dev.skein.proto.evaluation.v1.EvaluationServiceGrpc;
import dev.skein.proto.registry.v1.AuditServiceGrpc;
import dev.skein.proto.registry.v1.RegistryServiceGrpc;
import dev.skein.proto.registry.v1.WebhookServiceGrpc;
import dev.skein.proto.tracking.v1.AssessmentServiceGrpc;
import dev.skein.proto.tracking.v1.LoggedModelServiceGrpc;
import dev.skein.proto.tracking.v1.TraceServiceGrpc;
import dev.skein.proto.tracking.v1.TrackingAdminServiceGrpc;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The internal services behind the gateway, the channel to each (see {@code quarkus.grpc.clients.*})
 * and the ways calls reach them: unary calls with a deadline, server streams with an idle watchdog; artifact byte
 * streams (either way) without one, for as long as the HTTP client keeps sending or reading. Calls
 * are not retried here: most are writes, and MLflow's clients already retry failed requests
 * themselves.
 */
@ApplicationScoped
public class Upstreams {

    /** The acting user of a call, sent to the service as {@link Actors#METADATA}. */
    private static final CallOptions.Key<String> ACTOR =
            CallOptions.Key.createWithDefault("skein-actor", Actors.UNKNOWN);

    /** Chunks of a server stream that may be on their way to the gateway at once. */
    static final int STREAM_WINDOW = 4;

    private final Channel tracking;
    private final Channel registry;
    private final Channel artifacts;
    private final Channel evaluation;
    private final Duration timeout;
    private final Duration streamIdleTimeout;
    private final Vertx vertx;
    private final Counter cancelled;
    private final Counter cancelSkipped;
    private final Map<Channel, ArrayDeque<Long>> recentCancels = new ConcurrentHashMap<>();

    /**
     * Unary cancels the gateway sends one service within any {@link #CANCEL_WINDOW}: each is an HTTP/2
     * RST_STREAM on the gateway's one connection to the service, and a service's rapid-reset guard
     * closes a connection that resets too often (GOAWAY, failing every call on it) — by default 200 in
     * 30 s, raised to 10,000 on tracking-service for the gateway's stream cancels. Clients that start
     * bulk reads and leave at once must not spend it: past this budget a call whose caller went away
     * runs to its end (its deadline at most) instead of being cancelled.
     */
    static final int CANCELS_PER_WINDOW = 100;

    static final Duration CANCEL_WINDOW = Duration.ofSeconds(30);

    /**
     * The methods whose work a service stops when their call is cancelled (tracking-service binds them
     * to the call's cancel signal): the bulk metric history reads. Other unary calls run to their end
     * on the service whatever the gateway does, so a caller that went away costs no reset for them.
     */
    static final Set<String> STOPPABLE = Set.of(
            TrackingServiceGrpc.getGetMetricHistoryBulkMethod().getFullMethodName(),
            TrackingServiceGrpc.getGetMetricHistoryBulkIntervalMethod().getFullMethodName());

    public Upstreams(
            @GrpcClient("tracking") Channel tracking,
            @GrpcClient("registry") Channel registry,
            @GrpcClient("artifact") Channel artifacts,
            @GrpcClient("evaluation") Channel evaluation,
            GatewayConfig config,
            Vertx vertx,
            MeterRegistry meters) {
        this.tracking = ClientInterceptors.intercept(tracking, new ActorHeader());
        this.registry = ClientInterceptors.intercept(registry, new ActorHeader());
        this.artifacts = ClientInterceptors.intercept(artifacts, new ActorHeader());
        this.evaluation = ClientInterceptors.intercept(evaluation, new ActorHeader());
        this.timeout = config.upstreamTimeout();
        this.streamIdleTimeout = config.streamIdleTimeout();
        this.vertx = vertx;
        this.cancelled = cancels(meters, "sent");
        this.cancelSkipped = cancels(meters, "skipped");
    }

    private static Counter cancels(MeterRegistry meters, String outcome) {
        return Counter.builder("skein.gateway.calls.cancelled")
                .description("Unary service calls whose caller went away, of those the service stops (the bulk"
                        + " metric history reads): cancelled (sent), or left to run to their end because the"
                        + " service's cancel budget was spent (skipped)")
                .tag("outcome", outcome)
                .register(meters);
    }

    /** Whether one more cancel fits the service's budget: fewer than its limit in the last window. */
    private boolean mayCancel(Channel channel) {
        ArrayDeque<Long> sent = recentCancels.computeIfAbsent(channel, c -> new ArrayDeque<>());
        boolean may;
        synchronized (sent) {
            long now = System.nanoTime();
            while (!sent.isEmpty() && now - sent.peekFirst() >= CANCEL_WINDOW.toNanos()) {
                sent.pollFirst();
            }
            may = sent.size() < CANCELS_PER_WINDOW;
            if (may) {
                sent.addLast(now);
            }
        }
        (may ? cancelled : cancelSkipped).increment();
        return may;
    }

    public Map<ServiceDescriptor, Channel> services() {
        return Map.ofEntries(
                Map.entry(TrackingServiceGrpc.getServiceDescriptor(), tracking),
                Map.entry(TrackingAdminServiceGrpc.getServiceDescriptor(), tracking),
                Map.entry(TraceServiceGrpc.getServiceDescriptor(), tracking),
                Map.entry(AssessmentServiceGrpc.getServiceDescriptor(), tracking),
                Map.entry(LoggedModelServiceGrpc.getServiceDescriptor(), tracking),
                Map.entry(RegistryServiceGrpc.getServiceDescriptor(), registry),
                Map.entry(WebhookServiceGrpc.getServiceDescriptor(), registry),
                Map.entry(AuditServiceGrpc.getServiceDescriptor(), registry),
                Map.entry(dev.skein.proto.registry.v1.PromptServiceGrpc.getServiceDescriptor(), registry),
                Map.entry(ArtifactServiceGrpc.getServiceDescriptor(), artifacts),
                Map.entry(EvaluationServiceGrpc.getServiceDescriptor(), evaluation));
    }

    /** The channel to artifact-service, for the byte streams the gateway maps itself. */
    public Channel artifacts() {
        return artifacts;
    }

    private static final class ActorHeader implements ClientInterceptor {
        @Override
        public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
                MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<RespT> listener, Metadata headers) {
                    headers.put(Actors.METADATA, options.getOption(ACTOR));
                    super.start(listener, headers);
                }
            };
        }
    }

    /** Receives the chunks of a server-streaming call, one at a time. */
    public interface ChunkHandler {
        /** A chunk; call {@code next} when ready for the following one (backpressure). */
        void onChunk(Message chunk, Runnable next);

        void onEnd();

        void onError(Throwable failure);
    }

    /**
     * Streams a server-streaming RPC with a window of {@link #STREAM_WINDOW} chunks: one more is
     * asked for each time one was taken, so at most that many wait here however slow the client,
     * and the service need not wait a round trip per chunk. No fixed deadline: a watchdog cancels
     * the call only when no chunk came for {@code stream-idle-timeout} while one was asked for (time
     * spent waiting for a slow HTTP client does not count). Returns what cancels the call (when the
     * HTTP client goes away).
     */
    public Runnable stream(Route route, Message request, String actor, ChunkHandler handler) {
        return stream(
                route.channel().newCall(route.method(), CallOptions.DEFAULT.withOption(ACTOR, actor)),
                request,
                handler,
                streamIdleTimeout);
    }

    /** Streams a server-streaming RPC with no deadline: a download lasts as long as its client reads. */
    public <Req extends Message, Resp extends Message> Runnable stream(
            Channel channel, MethodDescriptor<Req, Resp> method, Req request, String actor, ChunkHandler handler) {
        @SuppressWarnings("unchecked")
        ClientCall<Message, Message> call = (ClientCall<Message, Message>)
                (ClientCall<?, ?>) channel.newCall(method, CallOptions.DEFAULT.withOption(ACTOR, actor));
        return stream(call, request, handler, null);
    }

    private Runnable stream(
            ClientCall<Message, Message> clientCall, Message request, ChunkHandler handler, Duration idleTimeout) {
        ClientCallStreamObserver<?>[] started = {null};
        Watchdog watchdog = idleTimeout == null ? null : new Watchdog(idleTimeout, () -> started[0]);
        ClientCalls.asyncServerStreamingCall(clientCall, request, new ClientResponseObserver<Message, Message>() {
            private ClientCallStreamObserver<Message> call;

            @Override
            public void beforeStart(ClientCallStreamObserver<Message> requestStream) {
                call = requestStream;
                started[0] = requestStream;
                requestStream.disableAutoRequestWithInitial(STREAM_WINDOW);
            }

            @Override
            public void onNext(Message chunk) {
                if (watchdog != null) {
                    watchdog.received();
                }
                handler.onChunk(chunk, () -> {
                    if (watchdog != null) {
                        watchdog.requested();
                    }
                    call.request(1);
                });
            }

            @Override
            public void onError(Throwable failure) {
                if (watchdog != null) {
                    watchdog.stop();
                    if (watchdog.fired()) {
                        failure = Status.DEADLINE_EXCEEDED
                                .withDescription("No message from upstream for " + idleTimeout.toSeconds() + " s")
                                .asRuntimeException();
                    }
                }
                handler.onError(failure);
            }

            @Override
            public void onCompleted() {
                if (watchdog != null) {
                    watchdog.stop();
                }
                handler.onEnd();
            }
        });
        if (watchdog != null) {
            watchdog.start();
        }
        return () -> {
            if (watchdog != null) {
                watchdog.stop();
            }
            started[0].cancel("The HTTP client went away", null);
        };
    }

    /**
     * Cancels a server stream that stopped making progress: no message for the timeout while at
     * least one was asked for. Progress (a message, or the client taking one) restarts the clock.
     */
    private final class Watchdog {
        private final long timeoutNanos;
        private final java.util.function.Supplier<ClientCallStreamObserver<?>> call;
        private final AtomicInteger awaited = new AtomicInteger(STREAM_WINDOW);
        private final AtomicLong last = new AtomicLong(System.nanoTime());
        private final AtomicBoolean stopped = new AtomicBoolean();
        private volatile boolean fired;
        private volatile long timer = -1;

        Watchdog(Duration timeout, java.util.function.Supplier<ClientCallStreamObserver<?>> call) {
            this.timeoutNanos = timeout.toNanos();
            this.call = call;
        }

        void start() {
            arm(timeoutNanos);
        }

        void received() {
            awaited.decrementAndGet();
            last.set(System.nanoTime());
        }

        void requested() {
            last.set(System.nanoTime());
            awaited.incrementAndGet();
        }

        boolean fired() {
            return fired;
        }

        void stop() {
            if (stopped.compareAndSet(false, true) && timer >= 0) {
                vertx.cancelTimer(timer);
            }
        }

        private void arm(long nanos) {
            if (stopped.get()) {
                return;
            }
            timer = vertx.setTimer(Math.max(1, nanos / 1_000_000), id -> {
                if (stopped.get()) {
                    return;
                }
                long idle = System.nanoTime() - last.get();
                if (awaited.get() > 0 && idle >= timeoutNanos) {
                    fired = true;
                    stopped.set(true);
                    call.get().cancel("No message from upstream within the stream idle timeout", null);
                } else {
                    arm(awaited.get() > 0 ? timeoutNanos - idle : timeoutNanos);
                }
            });
        }
    }

    /** The sending side of a client-streaming call, with gRPC flow control. */
    public interface Sink<T> {
        void send(T message);

        /** Whether the call takes more now; when it does not, {@code onReady} runs once it does. */
        boolean isReady();

        void finish();

        void cancel(String why);
    }

    /** Receives the answer of a client-streaming call. */
    public interface ResultHandler<T> {
        /** The call can take messages again (called from a gRPC thread). */
        void onReady();

        void onResult(T result);

        void onError(Throwable failure);
    }

    /** Starts a client-streaming RPC with no deadline: an upload lasts as long as its client sends. */
    public <Req, Resp> Sink<Req> upload(
            Channel channel, MethodDescriptor<Req, Resp> method, String actor, ResultHandler<Resp> handler) {
        @SuppressWarnings("unchecked")
        ClientCallStreamObserver<Req>[] requests = new ClientCallStreamObserver[1];
        ClientCalls.asyncClientStreamingCall(
                channel.newCall(method, CallOptions.DEFAULT.withOption(ACTOR, actor)),
                new ClientResponseObserver<Req, Resp>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<Req> requestStream) {
                        requests[0] = requestStream;
                        requestStream.setOnReadyHandler(handler::onReady);
                    }

                    @Override
                    public void onNext(Resp result) {
                        handler.onResult(result);
                    }

                    @Override
                    public void onError(Throwable failure) {
                        handler.onError(failure);
                    }

                    @Override
                    public void onCompleted() {}
                });
        ClientCallStreamObserver<Req> call = requests[0];
        return new Sink<>() {
            @Override
            public void send(Req message) {
                call.onNext(message);
            }

            @Override
            public boolean isReady() {
                return call.isReady();
            }

            @Override
            public void finish() {
                call.onCompleted();
            }

            @Override
            public void cancel(String why) {
                call.cancel(why, null);
            }
        };
    }

    private CallOptions options(String actor) {
        return CallOptions.DEFAULT
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .withOption(ACTOR, actor);
    }

    /**
     * One unary call. Cancelling the subscription before the answer cancels the call when the service
     * stops its work for a cancelled call ({@link #STOPPABLE}), so a caller that went away does not
     * keep it working; other calls run to their end, their answer dropped. A finished call is never
     * cancelled. Within the service's cancel budget ({@link #CANCELS_PER_WINDOW}).
     */
    public Uni<Message> call(Route route, Message request, String actor) {
        return Uni.createFrom().emitter(emitter -> {
            ClientCall<Message, Message> call = route.channel().newCall(route.method(), options(actor));
            AtomicBoolean finished = new AtomicBoolean();
            emitter.onTermination(() -> {
                if (finished.compareAndSet(false, true)
                        && STOPPABLE.contains(route.method().getFullMethodName())
                        && mayCancel(route.channel())) {
                    call.cancel("The caller went away", null);
                }
            });
            ClientCalls.asyncUnaryCall(call, request, new StreamObserver<>() {
                @Override
                public void onNext(Message response) {
                    finished.set(true);
                    emitter.complete(response);
                }

                @Override
                public void onError(Throwable failure) {
                    finished.set(true);
                    emitter.fail(failure);
                }

                @Override
                public void onCompleted() {}
            });
        });
    }
}
