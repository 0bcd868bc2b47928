package dev.skein.common.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The retry loop itself: a dependency failing is retried until it works; an unusable record is not. */
class ConsumerRetryTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ConsumerRetry retry = new ConsumerRetry(
            new ConsumersConfig() {
                @Override
                public Duration backoffInitial() {
                    return Duration.ofMillis(5);
                }

                @Override
                public Duration backoffMax() {
                    return Duration.ofMillis(20);
                }

                @Override
                public Duration stallAfter() {
                    return Duration.ofMillis(50);
                }
            },
            meters);

    @Test
    void shouldRetryAFailingDependencyUntilItWorksAndCountEachRound() {
        AtomicInteger attempts = new AtomicInteger();
        ConsumerRetry.Consumer consumer = retry.consumer("test");
        String result = consumer.<String>untilDone(
                        "writing",
                        () -> attempts.incrementAndGet() <= 12
                                ? Uni.createFrom().failure(new IllegalStateException("connection refused"))
                                : Uni.createFrom().item("done"))
                .await()
                .atMost(Duration.ofSeconds(30));
        assertThat(result).isEqualTo("done");
        assertThat(attempts).hasValue(13);
        assertThat(meters.get("skein.consumer.retries")
                        .tag("consumer", "test")
                        .counter()
                        .count())
                .isEqualTo(12);
        assertThat(consumer.stalledFor()).isEqualTo(Duration.ZERO);
        assertThat(new ConsumersReadiness(retry).call().getStatus().name()).isEqualTo("UP");
    }

    @Test
    void shouldNotRetryAnUnusableRecord() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> retry.consumer("test")
                        .untilDone("parsing", () -> {
                            attempts.incrementAndGet();
                            return Uni.createFrom().failure(new UnusableRecord("Not JSON"));
                        })
                        .await()
                        .atMost(Duration.ofSeconds(5)))
                .isInstanceOf(UnusableRecord.class);
        assertThat(attempts).hasValue(1);
    }

    @Test
    void shouldReportAStalledConsumerNotReady() throws Exception {
        ConsumerRetry.Consumer consumer = retry.consumer("stuck");
        var pending = consumer.untilDone(
                        "writing", () -> Uni.createFrom().failure(new IllegalStateException("database down")))
                .subscribe()
                .with(x -> {}, f -> {});
        Thread.sleep(300);
        assertThat(new ConsumersReadiness(retry).call().getStatus().name()).isEqualTo("DOWN");
        pending.cancel();
        assertThat(new ConsumersReadiness(retry).call().getStatus().name()).isEqualTo("UP");
    }

    @Test
    void shouldCapTheBackoffEvenAfterHoursOfRetries() {
        assertThat(retry.backoff(1)).isLessThanOrEqualTo(Duration.ofMillis(5));
        assertThat(retry.backoff(100_000)).isBetween(Duration.ofMillis(16), Duration.ofMillis(20));
    }
}
