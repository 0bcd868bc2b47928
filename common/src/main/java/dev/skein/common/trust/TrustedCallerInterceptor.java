package dev.skein.common.trust;

import dev.skein.common.actor.Actors;
import dev.skein.common.error.GrpcErrors;
import dev.skein.proto.common.v1.ErrorCode;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;
import java.util.Set;

/**
 * Every gRPC call a service serves must carry the internal credential ({@link InternalCredential});
 * one without it ends UNAUTHENTICATED before any service code runs. Only then is the caller's
 * {@code skein-actor} bound ({@link Actors#withActor}): an actor from an unauthenticated caller never
 * reaches an event or the audit trail. The gRPC health service answers anyone (probes).
 */
@GlobalInterceptor
@ApplicationScoped
public class TrustedCallerInterceptor implements ServerInterceptor, Prioritized {

    /** After Quarkus's own interceptors (contexts, blocking, exceptions), before any other. */
    static final int PRIORITY = 1_000_000;

    private static final Set<String> OPEN_SERVICES = Set.of("grpc.health.v1.Health");

    private final InternalCredential credential;

    public TrustedCallerInterceptor(InternalCredential credential) {
        this.credential = credential;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        if (OPEN_SERVICES.contains(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        if (!credential.accepts(headers)) {
            Metadata trailers = new Metadata();
            trailers.put(GrpcErrors.ERROR_CODE, ErrorCode.UNAUTHENTICATED.name());
            call.close(Status.UNAUTHENTICATED.withDescription("Internal calls need the internal credential"), trailers);
            return new ServerCall.Listener<>() {};
        }
        Context context = Actors.withActor(Context.current(), headers);
        return Contexts.interceptCall(context, call, headers, next);
    }

    @Override
    public int getPriority() {
        return PRIORITY;
    }
}
