package dev.skein.evaluation.messaging;

import dev.skein.common.outbox.SqlOutbox;
import dev.skein.evaluation.config.EvaluationConfig;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * evaluation-service's outbox: result events written in the transaction that records the result,
 * relayed to {@code skein.evaluation.results.v1} for as long as the service runs.
 */
@Singleton
public class Outbox extends SqlOutbox {

    public static final String CHANNEL = "outbox";
    public static final String COMPLETED = "dev.skein.evaluation.completed.v1";
    public static final String AUDIT_COMPLETED = "dev.skein.evaluation.audit.completed.v1";

    public Outbox(Vertx vertx, Pool pool, @Channel(CHANNEL) MutinyEmitter<String> emitter, EvaluationConfig config) {
        super(
                vertx,
                pool,
                "evaluation.outbox",
                emitter,
                "evaluation-service",
                config.outbox().pollInterval(),
                config.outbox().batchSize(),
                config.outbox().topic());
    }
}
