package dev.skein.registry.webhook;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.events.v1.RegistryChange;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Delivers webhooks from the stream of registry events ({@code skein.registry.events.v1}, its own
 * consumer group): for each change that makes a webhook event, every active webhook subscribed to
 * it gets one delivery. A delivery done (or given up after its retries) is recorded per event and
 * webhook, so a redelivered record sends nothing twice. A record that is not a registry change goes
 * to the dead-letter topic.
 */
@ApplicationScoped
public class WebhookDispatcher {

    public static final String CHANNEL = "webhook-events";

    private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class);
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private record Target(UUID id, String url, String secret) {}

    private final Pool pool;
    private final WebhookSender sender;

    public WebhookDispatcher(Pool pool, WebhookSender sender) {
        this.pool = pool;
        this.sender = sender;
    }

    @Incoming(CHANNEL)
    public Uni<Void> onChange(String payload) {
        RegistryChange change = parse(payload);
        var event = WebhookEvents.of(change);
        if (event.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        UUID eventId = UUID.fromString(change.getEventId());
        return subscribers(event.get().name(), change.getTime()).flatMap(targets -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (Target t : targets) {
                chain = chain.flatMap(x -> deliverOnce(eventId, t, event.get()));
            }
            return chain;
        });
    }

    /** Active webhooks subscribed to the event that existed when it happened (the stream may be behind). */
    private Uni<List<Target>> subscribers(String event, long time) {
        return pool.preparedQuery("SELECT webhook_id, url, secret FROM registry.webhooks"
                        + " WHERE status = 'ACTIVE' AND $1 = ANY(string_to_array(events, ',')) AND creation_time <= $2")
                .execute(Tuple.of(event, time))
                .map(rows -> {
                    List<Target> targets = new ArrayList<>();
                    for (Row r : rows) {
                        targets.add(new Target(r.getUUID("webhook_id"), r.getString("url"), r.getString("secret")));
                    }
                    return targets;
                });
    }

    private Uni<Void> deliverOnce(UUID eventId, Target target, WebhookEvents.Event event) {
        return pool.preparedQuery("SELECT 1 FROM registry.webhook_deliveries WHERE event_id = $1 AND webhook_id = $2")
                .execute(Tuple.of(eventId, target.id()))
                .flatMap(done -> done.size() > 0
                        ? Uni.createFrom().voidItem()
                        : sender.send(target.url(), target.secret(), event).flatMap(outcome -> {
                            if (!outcome.delivered()) {
                                LOG.warnf(
                                        "Webhook %s: event %s not delivered after %d attempts (status %s, %s)",
                                        target.id(), eventId, outcome.attempts(), outcome.status(), outcome.error());
                            }
                            return pool.preparedQuery("INSERT INTO registry.webhook_deliveries (event_id, webhook_id,"
                                            + " delivery_id, attempts, response_status, delivered, time)"
                                            + " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")
                                    .execute(Tuple.from(new Object[] {
                                        eventId,
                                        target.id(),
                                        outcome.deliveryId(),
                                        outcome.attempts(),
                                        outcome.status(),
                                        outcome.delivered(),
                                        System.currentTimeMillis()
                                    }))
                                    .replaceWithVoid();
                        }));
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
        return b.build();
    }
}
