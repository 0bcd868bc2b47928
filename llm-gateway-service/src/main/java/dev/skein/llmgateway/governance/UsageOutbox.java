package dev.skein.llmgateway.governance;

import dev.skein.common.outbox.SqlOutbox;
import dev.skein.llmgateway.config.LlmGatewayConfig;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * llm-gateway-service's outbox: usage events written in the transaction that records the usage, relayed to
 * {@code skein.gateway.usage.v1} for as long as the service runs (one relay at a time over all replicas).
 */
@Singleton
public class UsageOutbox extends SqlOutbox {

    public static final String CALL_COMPLETED = "dev.skein.gateway.call.completed.v1";
    public static final String BUDGET_EXCEEDED = "dev.skein.gateway.budget.exceeded.v1";

    public UsageOutbox(
            Vertx vertx, Pool pool, @Channel("outbox") MutinyEmitter<String> emitter, LlmGatewayConfig config) {
        super(
                vertx,
                pool,
                "llmgateway.outbox",
                emitter,
                "llm-gateway-service",
                config.outbox().pollInterval(),
                config.outbox().batchSize(),
                config.outbox().topic());
    }
}
