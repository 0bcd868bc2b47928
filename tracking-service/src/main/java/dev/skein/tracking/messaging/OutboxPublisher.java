package dev.skein.tracking.messaging;

import dev.skein.common.outbox.OutboxRelay;
import dev.skein.tracking.config.TrackingConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** Runs the outbox relay of tracking-service for as long as the service runs. */
@ApplicationScoped
public class OutboxPublisher {

    /** The outgoing channel the relay publishes through (topics are set per event). */
    public static final String CHANNEL = "outbox";

    private final OutboxRelay relay;

    public OutboxPublisher(
            Vertx vertx, Pool pool, @Channel(CHANNEL) MutinyEmitter<String> emitter, TrackingConfig config) {
        this.relay = new OutboxRelay(
                vertx,
                pool,
                "tracking.outbox",
                emitter,
                URI.create("/skein/tracking-service"),
                config.outbox().pollInterval(),
                config.outbox().batchSize());
    }

    void onStart(@Observes StartupEvent event) {
        relay.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        relay.stop();
    }

    /** Called after a transaction that wrote events has committed, so they leave without waiting for the next poll. */
    public void wake() {
        relay.wake();
    }
}
