package dev.skein.gateway.client;

import com.google.protobuf.Message;
import dev.skein.gateway.config.GatewayConfig;
import dev.skein.gateway.route.Route;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
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

    private final Channel tracking;
    private final Duration timeout;

    public Upstreams(@GrpcClient("tracking") Channel tracking, GatewayConfig config) {
        this.tracking = tracking;
        this.timeout = config.upstreamTimeout();
    }

    public Map<ServiceDescriptor, Channel> services() {
        return Map.of(TrackingServiceGrpc.getServiceDescriptor(), tracking);
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
    public Runnable stream(Route route, Message request, ChunkHandler handler) {
        ClientCallStreamObserver<?>[] started = {null};
        ClientCalls.asyncServerStreamingCall(
                route.channel().newCall(route.method(), options()),
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

    private CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public Uni<Message> call(Route route, Message request) {
        return Uni.createFrom()
                .emitter(emitter -> ClientCalls.asyncUnaryCall(
                        route.channel()
                                .newCall(
                                        route.method(),
                                        CallOptions.DEFAULT.withDeadlineAfter(
                                                timeout.toMillis(), TimeUnit.MILLISECONDS)),
                        request,
                        new StreamObserver<>() {
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
