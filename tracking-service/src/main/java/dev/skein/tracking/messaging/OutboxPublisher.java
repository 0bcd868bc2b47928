package dev.skein.tracking.messaging;

import dev.skein.tracking.config.TrackingConfig;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** tracking-service's outbox: events written with their change, relayed to Kafka for as long as the service runs. */
@Singleton
public class OutboxPublisher extends dev.skein.common.outbox.OutboxPublisher {

    /** The outgoing channel the relay publishes through (topics are set per event). */
    public static final String CHANNEL = "outbox";

    private static final String TABLE = "tracking.outbox";

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
}
