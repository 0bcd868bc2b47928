package dev.skein.common.actor;

import io.grpc.Context;
import io.grpc.Metadata;

/**
 * Who is acting. The gateway, which authenticates users, sends the acting user to the services in
 * the gRPC metadata {@link #METADATA}; {@link ActorInterceptor} makes it {@link #current()} for the
 * call. Until authentication exists, everyone is {@link #UNKNOWN}.
 */
public final class Actors {

    public static final String UNKNOWN = "unknown";

    public static final Metadata.Key<String> METADATA =
            Metadata.Key.of("skein-actor", Metadata.ASCII_STRING_MARSHALLER);

    static final Context.Key<String> CONTEXT = Context.key("skein-actor");

    private Actors() {}

    /** The acting user of the gRPC call being served; read it when the call starts. */
    public static String current() {
        String actor = CONTEXT.get();
        return actor == null || actor.isBlank() ? UNKNOWN : actor;
    }
}
