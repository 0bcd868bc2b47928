package dev.skein.tracking.messaging;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.common.outbox.OutboxWriter;
import dev.skein.tracking.config.TrackingConfig;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** tracking-service's outbox: events written with their change, relayed to Kafka for as long as the service runs. */
@Singleton
public class OutboxPublisher extends dev.skein.common.outbox.OutboxPublisher {

    /** The outgoing channel the relay publishes through (topics are set per event). */
    public static final String CHANNEL = "outbox";

    static final String TABLE = "tracking.outbox";

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

    void onStart(@Observes StartupEvent event) {
        start();
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    /** Writes events into the outbox within the current Panache transaction. */
    public Uni<Void> append(List<OutboxEvent> events) {
        return events.isEmpty()
                ? Uni.createFrom().voidItem()
                : Panache.getSession().flatMap(session -> OutboxWriter.append(session, TABLE, events));
    }
}
