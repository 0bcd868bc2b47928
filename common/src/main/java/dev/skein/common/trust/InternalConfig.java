package dev.skein.common.trust;

import io.smallrye.config.ConfigMapping;
import java.util.List;
import java.util.Optional;

/**
 * The internal credential: a shared secret every internal gRPC call carries as
 * {@code authorization: Bearer <token>} and every internal service checks (SKEIN_INTERNAL_TOKEN).
 */
@ConfigMapping(prefix = "skein.internal")
public interface InternalConfig {

    /** Shortest credential accepted at startup. */
    int MIN_LENGTH = 16;

    /**
     * The credential this service sends on its own internal calls and accepts on its own. Required,
     * at least {@link #MIN_LENGTH} characters; checked at startup by {@link InternalCredential}.
     */
    Optional<String> token();

    /**
     * Further credentials accepted but never sent, for rotation (SKEIN_INTERNAL_ACCEPTED_TOKENS,
     * comma-separated): accept the new one everywhere, switch every {@code token}, drop the old one.
     */
    Optional<List<String>> acceptedTokens();
}
