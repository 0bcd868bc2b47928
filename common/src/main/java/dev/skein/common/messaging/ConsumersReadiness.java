package dev.skein.common.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness check "consumers": DOWN while a consumer has been retrying the same work for longer
 * than {@code skein.consumers.stall-after} (its database or store is down, a table is locked), UP
 * again as soon as that work is done. Each consumer's stalled seconds are in the check's data.
 */
@Readiness
@ApplicationScoped
public class ConsumersReadiness implements HealthCheck {

    public static final String NAME = "consumers";

    private final ConsumerRetry retry;

    public ConsumersReadiness(ConsumerRetry retry) {
        this.retry = retry;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME).up();
        Duration limit = retry.stallAfter();
        for (ConsumerRetry.Consumer c : retry.consumers()) {
            Duration stalled = c.stalledFor();
            response.withData(c.name() + ".stalled-seconds", stalled.toSeconds());
            if (stalled.compareTo(limit) > 0) {
                response.down();
            }
        }
        return response.build();
    }
}
