package dev.skein.common.actor;

import io.grpc.Context;
import io.grpc.Metadata;

/**
 * Who is acting. The gateway, which authenticates users, sends the acting user to the services in
 * the gRPC metadata {@link #METADATA}; {@code dev.skein.common.trust.TrustedCallerInterceptor} makes
 * it {@link #current()} for the call, and only for a caller that carried the internal credential.
 * A gateway running without authentication sends {@link #UNKNOWN}.
 */
public final class Actors {

    public static final String UNKNOWN = "unknown";

    public static final Metadata.Key<String> METADATA =
            Metadata.Key.of("skein-actor", Metadata.ASCII_STRING_MARSHALLER);

    private static final Context.Key<String> CONTEXT = Context.key("skein-actor");

    private Actors() {}

    /**
     * The context of a call with the caller's actor bound. Only for the interceptor that has verified
     * the caller's internal credential: an actor is believed from an authenticated caller alone.
     */
    public static Context withActor(Context context, Metadata headers) {
        return context.withValue(CONTEXT, headers.get(METADATA));
    }

    /** The actor as a user id to record ({@code user_id} of what they create), or null when nobody is known. */
    public static String known(String actor) {
        return actor == null || actor.isBlank() || actor.equals(UNKNOWN) ? null : actor;
    }

    /** The acting user of the gRPC call being served; read it when the call starts. */
    public static String current() {
        String actor = CONTEXT.get();
        return actor == null || actor.isBlank() ? UNKNOWN : actor;
    }
}
