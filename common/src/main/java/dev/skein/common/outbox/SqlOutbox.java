package dev.skein.common.outbox;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The outbox of a service that uses the reactive SQL client (no ORM): events appended on the connection of the
 * transaction that makes the change they describe, relayed to Kafka for as long as the service runs. A service
 * subclasses it as a singleton bean, passing its table (schema-qualified), emitter, topic and settings.
 */
public abstract class SqlOutbox {

    private final OutboxRelay relay;
    private final String table;
    private final String topic;

    protected SqlOutbox(
            Vertx vertx,
            Pool pool,
            String table,
            MutinyEmitter<String> emitter,
            String serviceName,
            Duration pollInterval,
            int batchSize,
            String topic) {
        this.table = table;
        this.topic = topic;
        this.relay = new OutboxRelay(
                vertx, pool, table, emitter, URI.create("/skein/" + serviceName), pollInterval, batchSize);
    }

    void onStart(@Observes StartupEvent event) {
        relay.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        relay.stop();
    }

    /** The topic the service's events go to. */
    public String topic() {
        return topic;
    }

    /** Appends events within the transaction of {@code conn}. */
    public Uni<Void> append(SqlConnection conn, List<OutboxEvent> events) {
        return OutboxWriter.appendBatch(conn, table, events);
    }

    /** After a transaction that wrote events commits: publish now rather than at the next poll. */
    public void wake() {
        relay.wake();
    }
}
