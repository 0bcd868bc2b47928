package dev.skein.common.outbox;

import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import java.net.URI;
import java.time.Duration;

/**
 * A service's outbox relay, for the service's lifetime. A service subclasses it as a bean, passing
 * its table, emitter and settings, and starts and stops it with the application.
 */
public abstract class OutboxPublisher {

    private final OutboxRelay relay;

    protected OutboxPublisher(
            Vertx vertx,
            Pool pool,
            String table,
            MutinyEmitter<String> emitter,
            String serviceName,
            Duration pollInterval,
            int batchSize) {
        this.relay = new OutboxRelay(
                vertx, pool, table, emitter, URI.create("/skein/" + serviceName), pollInterval, batchSize);
    }

    protected void start() {
        relay.start();
    }

    protected void stop() {
        relay.stop();
    }

    /** After a transaction that wrote events commits: publish now rather than at the next poll. */
    public void wake() {
        relay.wake();
    }
}
