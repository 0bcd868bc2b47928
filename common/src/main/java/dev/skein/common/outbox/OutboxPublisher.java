package dev.skein.common.outbox;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * A service's outbox: events appended within the service's Panache transactions, and the relay
 * publishing them for as long as the application runs. A service subclasses it as a singleton bean,
 * passing its table (schema-qualified), emitter and settings.
 */
public abstract class OutboxPublisher {

    private final OutboxRelay relay;
    private final String table;

    protected OutboxPublisher(
            Vertx vertx,
            Pool pool,
            String table,
            MutinyEmitter<String> emitter,
            String serviceName,
            Duration pollInterval,
            int batchSize) {
        this.table = table;
        this.relay = new OutboxRelay(
                vertx, pool, table, emitter, URI.create("/skein/" + serviceName), pollInterval, batchSize);
    }

    void onStart(@Observes StartupEvent event) {
        relay.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        relay.stop();
    }

    /** Writes events into the outbox within the current Panache transaction. */
    public Uni<Void> append(List<OutboxEvent> events) {
        return events.isEmpty()
                ? Uni.createFrom().voidItem()
                : Panache.getSession().flatMap(session -> OutboxWriter.append(session, table, events));
    }

    /** After a transaction that wrote events commits: publish now rather than at the next poll. */
    public void wake() {
        relay.wake();
    }
}
