package dev.skein.gateway.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;

/**
 * Requests per user on the public API: a token bucket each (Bucket4j), kept while the user is active.
 * A user over their rate is answered 429 with Retry-After before any work is done for the request.
 * Counted per gateway replica: N replicas allow N times the rate.
 */
public final class UserLimits {

    private final long perMinute;
    private final long burst;
    private final Cache<String, Bucket> buckets;

    public UserLimits(AuthConfig.RateLimit config) {
        this.perMinute = config.perMinute();
        this.burst = Math.max(1, config.burst());
        this.buckets = Caffeine.newBuilder()
                .maximumSize(100_000)
                .expireAfterAccess(Duration.ofMinutes(10))
                .build();
    }

    /** A limit of {@code perMinute} with a burst of {@code burst}. */
    public static AuthConfig.RateLimit of(long perMinute, long burst) {
        return new AuthConfig.RateLimit() {
            @Override
            public long perMinute() {
                return perMinute;
            }

            @Override
            public long burst() {
                return burst;
            }
        };
    }

    /**
     * 0 if the user may make this request now, else the seconds (at least 1) after which they may
     * try again.
     */
    public long acquire(String username) {
        if (perMinute <= 0) {
            return 0;
        }
        Bucket bucket = buckets.get(username, u -> Bucket.builder()
                .addLimit(Bandwidth.builder()
                        .capacity(burst)
                        .refillGreedy(perMinute, Duration.ofMinutes(1))
                        .build())
                .build());
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            return 0;
        }
        return Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
    }
}
