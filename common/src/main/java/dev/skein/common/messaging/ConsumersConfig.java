package dev.skein.common.messaging;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** How Kafka consumers retry a record that fails for a reason outside it (see {@link ConsumerRetry}). */
@ConfigMapping(prefix = "skein.consumers")
public interface ConsumersConfig {

    /** Wait before the first retry; each further retry waits twice as long, up to {@link #backoffMax()}. */
    @WithDefault("PT0.2S")
    Duration backoffInitial();

    /** The longest wait between two retries; it also bounds the WARN lines to one per this period. */
    @WithDefault("PT10S")
    Duration backoffMax();

    /**
     * A consumer retrying the same work for longer than this is stalled: readiness check
     * "consumers" reports DOWN until the work is done.
     */
    @WithDefault("PT1M")
    Duration stallAfter();
}
