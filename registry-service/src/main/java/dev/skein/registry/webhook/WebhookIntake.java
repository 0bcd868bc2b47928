package dev.skein.registry.webhook;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.common.messaging.ConsumerRetry;
import dev.skein.events.v1.RegistryChange;
import dev.skein.registry.repository.WebhookDeliveries;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Turns the stream of registry events ({@code skein.registry.events.v1}, consumer group {@code
 * registry-service-webhooks}) into recorded deliveries: for a change that makes a webhook event,
 * one pending row per subscribed webhook, and nothing else — the {@link DeliveryWorker} sends
 * them. The record is acknowledged only once its rows are committed. A database failure is
 * retried by {@link ConsumerRetry} (consumer {@value #CONSUMER}) until the insert succeeds: a valid
 * event is never dead-lettered; only a record that is not a registry change goes to the
 * dead-letter topic.
 */
@ApplicationScoped
public class WebhookIntake {

    public static final String CHANNEL = "webhook-events";
    public static final String CONSUMER = "webhook-intake";

    private static final Logger LOG = Logger.getLogger(WebhookIntake.class);
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final WebhookDeliveries deliveries;
    private final DeliveryWorker worker;
    private final ConsumerRetry.Consumer retry;

    public WebhookIntake(WebhookDeliveries deliveries, DeliveryWorker worker, ConsumerRetry retry) {
        this.deliveries = deliveries;
        this.worker = worker;
        this.retry = retry.consumer(CONSUMER);
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
        return retry.<Integer>untilDone(
                        "recording the webhook deliveries of event " + eventId,
                        () -> deliveries.record(
                                eventId, event.get().name(), body, change.getTime(), System.currentTimeMillis()))
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
