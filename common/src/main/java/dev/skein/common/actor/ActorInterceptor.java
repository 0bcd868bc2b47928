package dev.skein.common.actor;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/** Makes the caller's {@code skein-actor} metadata the call's {@link Actors#current()}. */
@GlobalInterceptor
@ApplicationScoped
public class ActorInterceptor implements ServerInterceptor {

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        Context context = Context.current().withValue(Actors.CONTEXT, headers.get(Actors.METADATA));
        return Contexts.interceptCall(context, call, headers, next);
    }
}
