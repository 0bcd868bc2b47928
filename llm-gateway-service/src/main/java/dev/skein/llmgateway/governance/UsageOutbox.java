package dev.skein.llmgateway.governance;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.common.outbox.OutboxRelay;
import dev.skein.common.outbox.OutboxWriter;
import dev.skein.llmgateway.config.LlmGatewayConfig;
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
 * llm-gateway-service's outbox: usage events written in the transaction that records the usage, relayed to
 * {@code skein.gateway.usage.v1} for as long as the service runs (one relay at a time over all replicas).
 */
@Singleton
public class UsageOutbox {

    public static final String CALL_COMPLETED = "dev.skein.gateway.call.completed.v1";
    public static final String BUDGET_EXCEEDED = "dev.skein.gateway.budget.exceeded.v1";

    private static final String TABLE = "llmgateway.outbox";

    private final OutboxRelay relay;
    private final String topic;

    public UsageOutbox(
            Vertx vertx, Pool pool, @Channel("outbox") MutinyEmitter<String> emitter, LlmGatewayConfig config) {
        this.relay = new OutboxRelay(
                vertx,
                pool,
                TABLE,
                emitter,
                URI.create("/skein/llm-gateway-service"),
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

    Uni<Void> append(SqlConnection conn, List<OutboxEvent> events) {
        return OutboxWriter.appendBatch(conn, TABLE, events);
    }

    void wake() {
        relay.wake();
    }
}
