package dev.skein.registry.messaging;

import dev.skein.registry.config.RegistryConfig;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** registry-service's outbox: events written with their change, relayed to Kafka for as long as the service runs. */
@Singleton
public class OutboxPublisher extends dev.skein.common.outbox.OutboxPublisher {

    public static final String CHANNEL = "outbox";

    private static final String TABLE = "registry.outbox";

    public OutboxPublisher(
            Vertx vertx, Pool pool, @Channel(CHANNEL) MutinyEmitter<String> emitter, RegistryConfig config) {
        super(
                vertx,
                pool,
                TABLE,
                emitter,
                "registry-service",
                config.outbox().pollInterval(),
                config.outbox().batchSize());
    }
}
