package dev.skein.gateway.client;

import com.google.protobuf.Message;
import dev.skein.common.actor.Actors;
import dev.skein.gateway.config.GatewayConfig;
import dev.skein.gateway.route.Route;
import dev.skein.proto.registry.v1.AuditServiceGrpc;
import dev.skein.proto.registry.v1.RegistryServiceGrpc;
import dev.skein.proto.registry.v1.WebhookServiceGrpc;
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
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The internal services behind the gateway, the channel to each (see {@code quarkus.grpc.clients.*})
 * and the one way calls reach them: unary, with a deadline. Calls are not retried here: most are
 * writes, and MLflow's clients already retry failed requests themselves.
 */
@ApplicationScoped
public class Upstreams {

    /** The acting user of a call, sent to the service as {@link Actors#METADATA}. */
    private static final CallOptions.Key<String> ACTOR =
            CallOptions.Key.createWithDefault("skein-actor", Actors.UNKNOWN);

    private final Channel tracking;
    private final Channel registry;
    private final Duration timeout;

    public Upstreams(
            @GrpcClient("tracking") Channel tracking, @GrpcClient("registry") Channel registry, GatewayConfig config) {
        this.tracking = ClientInterceptors.intercept(tracking, new ActorHeader());
        this.registry = ClientInterceptors.intercept(registry, new ActorHeader());
        this.timeout = config.upstreamTimeout();
    }

    public Map<ServiceDescriptor, Channel> services() {
        return Map.of(
                TrackingServiceGrpc.getServiceDescriptor(), tracking,
                RegistryServiceGrpc.getServiceDescriptor(), registry,
                WebhookServiceGrpc.getServiceDescriptor(), registry,
                AuditServiceGrpc.getServiceDescriptor(), registry);
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
     * Streams a server-streaming RPC, asking for each chunk only after the previous one was taken.
     * Returns what cancels the call (when the HTTP client goes away).
     */
    public Runnable stream(Route route, Message request, String actor, ChunkHandler handler) {
        ClientCallStreamObserver<?>[] started = {null};
        ClientCalls.asyncServerStreamingCall(
                route.channel().newCall(route.method(), options(actor)),
                request,
                new ClientResponseObserver<Message, Message>() {
                    private ClientCallStreamObserver<Message> call;

                    @Override
                    public void beforeStart(ClientCallStreamObserver<Message> requestStream) {
                        call = requestStream;
                        started[0] = requestStream;
                        requestStream.disableAutoRequestWithInitial(1);
                    }

                    @Override
                    public void onNext(Message chunk) {
                        handler.onChunk(chunk, () -> call.request(1));
                    }

                    @Override
                    public void onError(Throwable failure) {
                        handler.onError(failure);
                    }

                    @Override
                    public void onCompleted() {
                        handler.onEnd();
                    }
                });
        return () -> started[0].cancel("The HTTP client went away", null);
    }

    private CallOptions options(String actor) {
        return CallOptions.DEFAULT
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .withOption(ACTOR, actor);
    }

    public Uni<Message> call(Route route, Message request, String actor) {
        return Uni.createFrom()
                .emitter(emitter -> ClientCalls.asyncUnaryCall(
                        route.channel().newCall(route.method(), options(actor)), request, new StreamObserver<>() {
                            @Override
                            public void onNext(Message response) {
                                emitter.complete(response);
                            }

                            @Override
                            public void onError(Throwable failure) {
                                emitter.fail(failure);
                            }

                            @Override
                            public void onCompleted() {}
                        }));
    }
}
