package dev.skein.tracking.messaging;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.tracking.config.TrackingConfig;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** tracking-service's outbox: events written with their change, relayed to Kafka for as long as the service runs. */
@Singleton
public class OutboxPublisher extends dev.skein.common.outbox.OutboxPublisher {

    /** The outgoing channel the relay publishes through (topics are set per event). */
    public static final String CHANNEL = "outbox";

    public static final String TABLE = "tracking.outbox";

    public OutboxPublisher(
            Vertx vertx, Pool pool, @Channel(CHANNEL) MutinyEmitter<String> emitter, TrackingConfig config) {
        super(
                vertx,
                pool,
                TABLE,
                emitter,
                "tracking-service",
                config.outbox().pollInterval(),
                config.outbox().batchSize());
    }

    /**
     * Writes events into the outbox within a transaction of the reactive SQL client (set-based
     * writers), in one statement, in the order given.
     */
    public static Uni<Void> append(SqlConnection conn, List<OutboxEvent> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return conn.preparedQuery("INSERT INTO " + TABLE
                        + " (event_id, topic, partition_key, event_type, subject, payload, created_at)"
                        + " SELECT e.id, e.topic, e.key, e.type, e.subject, e.payload, e.time FROM unnest("
                        + "$1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])"
                        + " WITH ORDINALITY AS e (id, topic, key, type, subject, payload, time, n) ORDER BY e.n")
                .execute(Tuple.tuple(List.of(
                        events.stream().map(OutboxEvent::id).toArray(UUID[]::new),
                        events.stream().map(OutboxEvent::topic).toArray(String[]::new),
                        events.stream().map(OutboxEvent::key).toArray(String[]::new),
                        events.stream().map(OutboxEvent::type).toArray(String[]::new),
                        events.stream().map(OutboxEvent::subject).toArray(String[]::new),
                        events.stream().map(OutboxEvent::payload).toArray(String[]::new),
                        events.stream()
                                .map(e -> e.time().atOffset(ZoneOffset.UTC))
                                .toArray(OffsetDateTime[]::new))))
                .replaceWithVoid();
    }
}
