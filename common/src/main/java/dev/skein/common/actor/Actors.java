package dev.skein.common.actor;

import io.grpc.Context;
import io.grpc.Metadata;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Who is acting. The gateway, which authenticates users, sends the acting user to the services in
 * the gRPC metadata {@link #METADATA}; {@code dev.skein.common.trust.TrustedCallerInterceptor} makes
 * it {@link #current()} for the call, and only for a caller that carried the internal credential.
 * A gateway running without authentication sends {@link #UNKNOWN}.
 */
public final class Actors {

    public static final String UNKNOWN = "unknown";

    /**
     * The acting user in gRPC metadata. A header carries printable ASCII only, and user names (an
     * identity provider's, say) need not be: UTF-8, with anything but printable ASCII and {@code %}
     * percent-encoded.
     */
    public static final Metadata.Key<String> METADATA =
            Metadata.Key.of("skein-actor", new Metadata.AsciiMarshaller<>() {
                @Override
                public String toAsciiString(String value) {
                    StringBuilder out = new StringBuilder();
                    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
                        int c = b & 0xff;
                        if (c >= 0x20 && c < 0x7f && c != '%') {
                            out.append((char) c);
                        } else {
                            out.append('%')
                                    .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                                    .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
                        }
                    }
                    return out.toString();
                }

                @Override
                public String parseAsciiString(String serialized) {
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream(serialized.length());
                    for (int i = 0; i < serialized.length(); i++) {
                        char c = serialized.charAt(i);
                        int hi = c == '%' && i + 2 < serialized.length()
                                ? Character.digit(serialized.charAt(i + 1), 16)
                                : -1;
                        int lo = hi >= 0 ? Character.digit(serialized.charAt(i + 2), 16) : -1;
                        if (lo >= 0) {
                            bytes.write(hi << 4 | lo);
                            i += 2;
                        } else {
                            bytes.write(c);
                        }
                    }
                    return bytes.toString(StandardCharsets.UTF_8);
                }
            });

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
