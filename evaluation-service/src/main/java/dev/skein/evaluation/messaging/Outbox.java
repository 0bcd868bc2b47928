package dev.skein.evaluation.messaging;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.common.outbox.OutboxRelay;
import dev.skein.common.outbox.OutboxWriter;
import dev.skein.evaluation.config.EvaluationConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * evaluation-service's outbox: result events written in the transaction that records the result,
 * relayed to {@code skein.evaluation.results.v1} for as long as the service runs. The service uses
 * the reactive SQL client (no ORM), so events are appended on the transaction's connection.
 */
@Singleton
public class Outbox {

    public static final String CHANNEL = "outbox";
    public static final String COMPLETED = "dev.skein.evaluation.completed.v1";
    public static final String AUDIT_COMPLETED = "dev.skein.evaluation.audit.completed.v1";

    private static final String TABLE = "evaluation.outbox";

    private final OutboxRelay relay;
    private final String topic;

    public Outbox(Vertx vertx, Pool pool, @Channel(CHANNEL) MutinyEmitter<String> emitter, EvaluationConfig config) {
        this.relay = new OutboxRelay(
                vertx,
                pool,
                TABLE,
                emitter,
                URI.create("/skein/evaluation-service"),
                config.outbox().pollInterval(),
                config.outbox().batchSize());
        this.topic = config.outbox().topic();
    }

    void onStart(@Observes StartupEvent event) {
        relay.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        relay.stop();
    }

    public String topic() {
        return topic;
    }

    /** Appends events within the transaction of {@code conn}. */
    public Uni<Void> append(SqlConnection conn, List<OutboxEvent> events) {
        return OutboxWriter.appendBatch(conn, TABLE, events);
    }

    /** After a transaction that wrote events commits: publish now rather than at the next poll. */
    public void wake() {
        relay.wake();
    }
}
