package dev.skein.gateway.route;

import com.google.protobuf.Message;
import dev.skein.proto.api.v1.Access;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;

/**
 * One public endpoint: an HTTP method and path bound to a gRPC method of an internal service.
 *
 * @param maxBodyBytes the largest request body this endpoint accepts
 * @param requiresAdmin whether only holders of the admin token may call it (the contract's
 *     {@code requires_admin} option)
 * @param access who may call it when the gateway authenticates its callers (the contract's {@code
 *     access} option); null if the contract declares none
 */
public record Route(
        String httpMethod,
        String path,
        MethodDescriptor<Message, Message> method,
        Message requestPrototype,
        Channel channel,
        long maxBodyBytes,
        boolean requiresAdmin,
        Access access) {

    /** A server-streaming RPC: its chunks are written out as one JSON response while they arrive. */
    public boolean streaming() {
        return method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING;
    }

    /** GET requests carry their fields as query parameters; the others as a JSON body. */
    public boolean hasBody() {
        return !httpMethod.equals("GET");
    }
}
