package dev.skein.llmgateway.trust;

import dev.skein.common.trust.InternalConfig;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * The internal credential on HTTP (common/README.md#internal-trust): every request must carry
 * {@code Authorization: Bearer <skein.internal.token>} (or one of {@code skein.internal.accepted-tokens}), which
 * gateway-service puts in place of the client's own. Common's {@code InternalCredential} checks the setting at
 * startup (a service without one does not start); this compares in constant time, as it does for gRPC.
 */
@Singleton
public class InternalAccess {

    private static final String BEARER = "Bearer ";

    private final List<byte[]> accepted = new ArrayList<>();

    public InternalAccess(InternalConfig config) {
        config.token().map(String::strip).ifPresent(t -> accepted.add(t.getBytes(StandardCharsets.UTF_8)));
        config.acceptedTokens()
                .orElse(List.of())
                .forEach(t -> accepted.add(t.strip().getBytes(StandardCharsets.UTF_8)));
    }

    public boolean accepts(String authorization) {
        if (authorization == null || !authorization.startsWith(BEARER)) {
            return false;
        }
        byte[] given = authorization.substring(BEARER.length()).strip().getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] token : accepted) {
            match |= token.length >= InternalConfig.MIN_LENGTH && MessageDigest.isEqual(token, given);
        }
        return match;
    }
}
