package dev.skein.common.trust;

import io.grpc.Metadata;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * The internal credential, checked once at startup (a service without a usable one does not start)
 * and compared in constant time on every call.
 */
@Startup
@Singleton
public class InternalCredential {

    /** The gRPC metadata the credential travels in. */
    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private static final String BEARER = "Bearer ";

    private final String header;
    private final List<byte[]> accepted = new ArrayList<>();

    public InternalCredential(InternalConfig config) {
        String token = config.token().map(String::strip).orElse("");
        require(token, "skein.internal.token (SKEIN_INTERNAL_TOKEN)");
        header = BEARER + token;
        accepted.add(token.getBytes(StandardCharsets.UTF_8));
        for (String other : config.acceptedTokens().orElse(List.of())) {
            String stripped = other.strip();
            require(stripped, "every value of skein.internal.accepted-tokens (SKEIN_INTERNAL_ACCEPTED_TOKENS)");
            accepted.add(stripped.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void require(String token, String what) {
        if (token.length() < InternalConfig.MIN_LENGTH) {
            throw new IllegalStateException(what + " must be set to a secret of at least "
                    + InternalConfig.MIN_LENGTH + " characters shared by every Skein service"
                    + (token.isEmpty() ? "; it is not set" : "; it has " + token.length()));
        }
    }

    /** The value of the {@link #AUTHORIZATION} metadata (or HTTP header) this service sends. */
    public String header() {
        return header;
    }

    /** Whether the call's metadata carries one of the accepted credentials. */
    boolean accepts(Metadata headers) {
        return accepts(headers.get(AUTHORIZATION));
    }

    /** Whether an HTTP {@code Authorization} header's value ({@code Bearer <token>}) is one of the accepted ones. */
    public boolean accepts(String value) {
        if (value == null || !value.startsWith(BEARER)) {
            return false;
        }
        byte[] given = value.substring(BEARER.length()).strip().getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] token : accepted) {
            match |= MessageDigest.isEqual(token, given); // no early exit: every token is compared
        }
        return match;
    }
}
