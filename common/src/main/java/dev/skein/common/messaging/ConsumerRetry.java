package dev.skein.common.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Makes a Kafka consumer's handling of a record (or a poll) survive any outage of what it writes
 * to: the work is retried until it succeeds, with capped exponential backoff
 * ({@code skein.consumers.backoff-*}), however long PostgreSQL, the object store or the broker is
 * gone. Only an {@link UnusableRecord} ends the retries; the consumer dead-letters that record. A
 * valid record is therefore never dead-lettered because a dependency was down, and never skipped.
 *
 * <p>Each retry round is visible: a WARN line (at most one per backoff period, since the backoff
 * is that long) and counter {@code skein_consumer_retries_total{consumer}}. Gauge {@code
 * skein_consumer_stalled_seconds{consumer}} says how long the oldest unfinished work has been
 * failing; past {@code skein.consumers.stall-after} readiness check "consumers" goes DOWN.
 *
 * <p>The consumer's channel must not give up on a record held this long: set {@code
 * throttled.unprocessed-record-max-age.ms=0} on it (the default gives up after 60 s and stops the
 * channel for good). The work must be idempotent, since an attempt that failed may have done part
 * of it and one that timed out may even have completed.
 */
@ApplicationScoped
public class ConsumerRetry {

    private static final Logger LOG = Logger.getLogger(ConsumerRetry.class);

    private final ConsumersConfig config;
    private final MeterRegistry registry;
    private final Map<String, Consumer> consumers = new ConcurrentHashMap<>();

    public ConsumerRetry(ConsumersConfig config, MeterRegistry registry) {
        this.config = config;
        this.registry = registry;
    }

    /** The retrying of one consumer, named as in its metrics and logs (e.g. {@code metrics-ingest}). */
    public Consumer consumer(String name) {
        return consumers.computeIfAbsent(name, Consumer::new);
    }

    Collection<Consumer> consumers() {
        return List.copyOf(consumers.values());
    }

    Duration stallAfter() {
        return config.stallAfter();
    }

    /** Whether a failure is worth another attempt: anything but a record that cannot be used. */
    static boolean retryable(Throwable failure) {
        return !(failure instanceof UnusableRecord);
    }

    /** The wait before retry {@code n} (1-based): initial × 2^(n-1), capped, less up to a fifth at random. */
    Duration backoff(int n) {
        long initial = Math.max(1, config.backoffInitial().toMillis());
        long max = Math.max(initial, config.backoffMax().toMillis());
        int doublings = Math.min(n - 1, 40);
        long wait = doublings >= 62 || initial > (max >> doublings) ? max : Math.min(max, initial << doublings);
        long jitter = (long) (wait * 0.2 * ThreadLocalRandom.current().nextDouble());
        return Duration.ofMillis(Math.max(1, wait - jitter));
    }

    /** One consumer: its retry counter, and the work of it that is failing now. */
    public final class Consumer {

        private final String name;
        private final Counter retries;
        /** Work failing now → System.nanoTime() of its first failure. */
        private final Map<Object, Long> failing = new ConcurrentHashMap<>();

        private Consumer(String name) {
            this.name = name;
            this.retries = Counter.builder("skein.consumer.retries")
                    .description("Retry rounds of a consumer's work after a failure outside the record")
                    .tag("consumer", name)
                    .register(registry);
            Gauge.builder(
                            "skein.consumer.stalled.seconds",
                            this,
                            c -> c.stalledFor().toMillis() / 1000.0)
                    .description("How long the consumer's oldest unfinished work has been failing (0: none is)")
                    .tag("consumer", name)
                    .register(registry);
        }

        public String name() {
            return name;
        }

        /** How long the oldest work of this consumer that is failing now has been failing. */
        public Duration stalledFor() {
            long now = System.nanoTime();
            long oldest =
                    failing.values().stream().mapToLong(Long::longValue).min().orElse(now);
            return Duration.ofNanos(now - oldest);
        }

        /**
         * The work, subscribed again after each failure until it succeeds. Fails only with an
         * {@link UnusableRecord}; cancelling it (the application stopping) stops the retries.
         *
         * @param what what the work is, for the log (e.g. "writing 500 records")
         */
        public <T> Uni<T> untilDone(String what, Supplier<Uni<? extends T>> work) {
            Object token = new Object();
            AtomicInteger attempts = new AtomicInteger();
            AtomicLong nextWait = new AtomicLong();
            return Uni.createFrom()
                    .<T>deferred(work)
                    .onFailure(ConsumerRetry::retryable)
                    .invoke(failure -> {
                        int n = attempts.incrementAndGet();
                        long now = System.nanoTime();
                        failing.putIfAbsent(token, now);
                        Duration wait = backoff(n);
                        nextWait.set(wait.toMillis());
                        retries.increment();
                        LOG.warnf(
                                "Consumer %s: %s failed (attempt %d, failing for %d s), retrying in %d ms: %s",
                                name,
                                what,
                                n,
                                Duration.ofNanos(now - failing.getOrDefault(token, now))
                                        .toSeconds(),
                                wait.toMillis(),
                                failure.toString());
                    })
                    .onFailure(ConsumerRetry::retryable)
                    .retry()
                    // the failure itself is the signal to retry: a null item would be dropped, never retried
                    .when(failures -> failures.onItem()
                            .transformToUniAndConcatenate(f ->
                                    Uni.createFrom().item(f).onItem().delayIt().by(Duration.ofMillis(nextWait.get()))))
                    .onItem()
                    .invoke(() -> {
                        Long since = failing.get(token);
                        if (since != null) {
                            LOG.infof(
                                    "Consumer %s: %s done after %d failed attempts over %d s",
                                    name,
                                    what,
                                    attempts.get(),
                                    Duration.ofNanos(System.nanoTime() - since).toSeconds());
                        }
                    })
                    .onTermination()
                    .invoke(() -> failing.remove(token));
        }
    }
}
