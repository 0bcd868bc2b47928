package dev.skein.registry.webhook;

import dev.skein.registry.Webhook;
import dev.skein.registry.config.RegistryConfig;
import dev.skein.registry.repository.WebhookDeliveries;
import dev.skein.registry.repository.WebhookDeliveries.Claimed;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Sends recorded webhook deliveries. It claims due rows (see {@link WebhookDeliveries#claim}) up
 * to {@code max-concurrency} in flight in this replica and {@code concurrency-per-webhook} per
 * webhook, makes one attempt each on the non-blocking HTTP client, and writes the outcome:
 * delivered on 2xx; pending again after a backoff (doubling from {@code initial-backoff}, at most
 * {@code max-backoff}, and never sooner than the receiver's {@code Retry-After}) on 408, 429, 5xx
 * or a failed connection; failed on any other answer or after {@code max-attempts}. A claim is a
 * lease: if this replica dies mid-attempt, the row is due again when the lease runs out. It polls
 * every {@code poll-interval}, and at once when new deliveries are recorded or an attempt ends.
 */
@ApplicationScoped
public class DeliveryWorker {

    private static final Logger LOG = Logger.getLogger(DeliveryWorker.class);
    /** Beyond the attempt's own timeout, for the name lookup and writing the outcome. */
    private static final Duration LEASE_MARGIN = Duration.ofSeconds(60);

    private final Vertx vertx;
    private final WebhookDeliveries deliveries;
    private final WebhookSender sender;
    private final SecretCipher cipher;
    private final RegistryConfig.Webhooks config;
    private final long leaseMillis;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean polling = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    private volatile boolean running;
    private volatile long lastFailureLog;
    private long timer = -1;

    public DeliveryWorker(
            Vertx vertx,
            WebhookDeliveries deliveries,
            WebhookSender sender,
            SecretCipher cipher,
            RegistryConfig config) {
        this.vertx = vertx;
        this.deliveries = deliveries;
        this.sender = sender;
        this.cipher = cipher;
        this.config = config.webhooks();
        this.leaseMillis = this.config.requestTimeout().plus(LEASE_MARGIN).toMillis();
    }

    void onStart(@Observes StartupEvent start) {
        running = true;
        timer = vertx.setPeriodic(config.pollInterval().toMillis(), t -> wake());
    }

    void onStop(@Observes ShutdownEvent stop) {
        running = false;
        if (timer != -1) {
            vertx.cancelTimer(timer);
        }
    }

    /** Looks for due deliveries now (or right after the look under way). */
    public void wake() {
        if (!running) {
            return;
        }
        if (!polling.compareAndSet(false, true)) {
            again.set(true);
            return;
        }
        again.set(false);
        int room = config.maxConcurrency() - inFlight.get();
        if (room <= 0) {
            polling.set(false);
            return;
        }
        long now = System.currentTimeMillis();
        deliveries
                .claim(now, now + leaseMillis, config.concurrencyPerWebhook(), room)
                .subscribe()
                .with(
                        claimed -> {
                            claimed.forEach(this::deliver);
                            polling.set(false);
                            if (again.get() || claimed.size() == room) {
                                wake();
                            }
                        },
                        failure -> {
                            polling.set(false);
                            logFailure("Webhook delivery worker: could not claim due deliveries", failure);
                        });
    }

    private void deliver(Claimed c) {
        inFlight.incrementAndGet();
        attempt(c)
                .subscribe()
                .with(
                        done -> {
                            inFlight.decrementAndGet();
                            wake();
                        },
                        failure -> {
                            // The outcome was not written: the row is due again when its lease ends.
                            inFlight.decrementAndGet();
                            logFailure("Webhook delivery " + c.deliveryId() + ": outcome not recorded", failure);
                        });
    }

    private Uni<Boolean> attempt(Claimed c) {
        if (!Webhook.ACTIVE.equals(c.webhookStatus())) {
            return finish(c, WebhookDeliveries.FAILED, null, "The webhook was disabled before delivery.", 0);
        }
        String secret;
        try {
            secret = c.secretCiphertext() == null
                    ? null
                    : cipher.open(
                            c.webhookId(),
                            new SecretCipher.Sealed(c.secretKeyId(), c.secretNonce(), c.secretCiphertext()));
        } catch (RuntimeException e) {
            LOG.errorf("Webhook %s: %s", c.webhookId(), e.getMessage());
            return finish(c, WebhookDeliveries.FAILED, null, "The webhook's secret could not be decrypted.", 0);
        }
        return sender.attempt(c.url(), secret, c.deliveryId(), System.currentTimeMillis() / 1000, c.payload())
                .flatMap(result -> {
                    if (result.delivered()) {
                        return finish(c, WebhookDeliveries.DELIVERED, result.status(), null, 0);
                    }
                    if (!result.retryable() || c.attempt() >= config.maxAttempts()) {
                        LOG.warnf(
                                "Webhook %s: delivery %s failed after %d attempt(s): %s",
                                c.webhookId(), c.deliveryId(), c.attempt(), result.error());
                        return finish(c, WebhookDeliveries.FAILED, result.status(), result.error(), 0);
                    }
                    Duration wait = backoff(c.attempt(), result.retryAfter());
                    LOG.debugf(
                            "Webhook %s: delivery %s attempt %d failed (%s), next in %s",
                            c.webhookId(), c.deliveryId(), c.attempt(), result.error(), wait);
                    return finish(
                            c,
                            WebhookDeliveries.PENDING,
                            result.status(),
                            result.error(),
                            System.currentTimeMillis() + wait.toMillis());
                });
    }

    private Uni<Boolean> finish(Claimed c, String state, Integer status, String error, long nextAttemptAt) {
        long now = System.currentTimeMillis();
        return deliveries.finish(c, state, status, error, nextAttemptAt == 0 ? now : nextAttemptAt, now);
    }

    /** Doubling from the initial backoff up to the maximum; never sooner than the receiver asked. */
    Duration backoff(int attempt, Duration retryAfter) {
        Duration exponential = config.initialBackoff().multipliedBy(1L << Math.min(attempt - 1, 20));
        if (exponential.compareTo(config.maxBackoff()) > 0) {
            exponential = config.maxBackoff();
        }
        return retryAfter != null && retryAfter.compareTo(exponential) > 0 ? retryAfter : exponential;
    }

    private void logFailure(String what, Throwable failure) {
        long now = System.currentTimeMillis();
        if (now - lastFailureLog > 10_000) {
            lastFailureLog = now;
            LOG.warnf("%s: %s", what, failure.getClass().getSimpleName() + ": " + failure.getMessage());
        }
    }
}
