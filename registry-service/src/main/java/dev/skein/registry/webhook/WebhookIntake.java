package dev.skein.registry.webhook;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.events.v1.RegistryChange;
import dev.skein.registry.repository.WebhookDeliveries;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Turns the stream of registry events ({@code skein.registry.events.v1}, consumer group {@code
 * registry-service-webhooks}) into recorded deliveries: for a change that makes a webhook event,
 * one pending row per subscribed webhook, and nothing else — the {@link DeliveryWorker} sends
 * them. The record is acknowledged only once its rows are committed. A database failure is
 * retried with backoff until the insert succeeds (a log line and a metric per retry): a valid
 * event is never dead-lettered; only a record that is not a registry change goes to the
 * dead-letter topic.
 */
@ApplicationScoped
public class WebhookIntake {

    public static final String CHANNEL = "webhook-events";

    private static final Logger LOG = Logger.getLogger(WebhookIntake.class);
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final WebhookDeliveries deliveries;
    private final DeliveryWorker worker;
    private final Counter retries;

    public WebhookIntake(WebhookDeliveries deliveries, DeliveryWorker worker, MeterRegistry meters) {
        this.deliveries = deliveries;
        this.worker = worker;
        this.retries = Counter.builder("skein.registry.webhooks.intake.retries")
                .description("Failed attempts to record webhook deliveries of a registry event (retried)")
                .register(meters);
    }

    @Incoming(CHANNEL)
    public Uni<Void> onChange(String payload) {
        RegistryChange change = parse(payload);
        var event = WebhookEvents.of(change);
        if (event.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        UUID eventId = UUID.fromString(change.getEventId());
        String body = WebhookSender.payload(event.get(), Instant.ofEpochMilli(change.getTime()));
        return Uni.createFrom()
                .deferred(() -> deliveries.record(
                        eventId, event.get().name(), body, change.getTime(), System.currentTimeMillis()))
                .onFailure()
                .invoke(e -> {
                    retries.increment();
                    LOG.warnf(
                            "Webhook deliveries of event %s not recorded (%s); retrying",
                            eventId, e.getClass().getSimpleName() + ": " + e.getMessage());
                })
                .onFailure()
                .retry()
                .withBackOff(Duration.ofMillis(500), Duration.ofSeconds(10))
                .indefinitely()
                .invoke(recorded -> {
                    if (recorded > 0) {
                        worker.wake();
                    }
                })
                .replaceWithVoid();
    }

    private static RegistryChange parse(String payload) {
        RegistryChange.Builder b = RegistryChange.newBuilder();
        try {
            PARSER.merge(payload, b);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new IllegalArgumentException("Not a registry change: " + e.getMessage(), e);
        }
        if (b.getEventId().isEmpty()) {
            throw new IllegalArgumentException("Not a registry change: it has no event id");
        }
        try {
            UUID.fromString(b.getEventId());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Not a registry change: its event id is not a UUID", e);
        }
        return b.build();
    }
}
