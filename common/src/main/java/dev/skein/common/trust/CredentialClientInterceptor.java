package dev.skein.common.trust;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/** Every internal gRPC call this service makes ({@code @GrpcClient}) carries the internal credential. */
@GlobalInterceptor
@ApplicationScoped
public class CredentialClientInterceptor implements ClientInterceptor {

    private final InternalCredential credential;

    public CredentialClientInterceptor(InternalCredential credential) {
        this.credential = credential;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
            MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<RespT> listener, Metadata headers) {
                headers.discardAll(InternalCredential.AUTHORIZATION);
                headers.put(InternalCredential.AUTHORIZATION, credential.header());
                super.start(listener, headers);
            }
        };
    }
}
