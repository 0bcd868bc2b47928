package dev.skein.tracking.model;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.common.error.ApiException;
import dev.skein.common.messaging.ConsumerRetry;
import dev.skein.common.messaging.DeadLetters;
import dev.skein.common.messaging.UnusableRecord;
import dev.skein.common.persistence.DatabaseFailures;
import dev.skein.events.v1.ModelVersionState;
import dev.skein.events.v1.RegistryChange;
import dev.skein.proto.common.v1.ErrorCode;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The durable path of a logged model's tag {@code mlflow.modelVersions}: registry-service lists a
 * version on it when it creates the version (so the client reads it at once), and this consumer of
 * the registry's events ({@code skein.registry.events.v1}, consumer {@value #CONSUMER}) lists it
 * again from {@code model_version.created} — a no-op when it is listed — so a version whose call
 * failed (tracking-service restarting, a deadline) is listed once tracking-service is back. The
 * database failing is retried until it works; an unreadable event goes to the dead-letter topic;
 * a logged model that is gone (deleted, unknown) is left alone, as MLflow's server leaves it.
 */
@ApplicationScoped
public class ModelVersionLinks {

    public static final String CHANNEL = "registry-events";
    public static final String DLQ_CHANNEL = "registry-events-dlq";
    public static final String CONSUMER = "model-version-links";
    static final String VERSION_CREATED = "dev.skein.registry.model_version.created.v1";
    static final String PROMPT_TAG = "mlflow.prompt.is_prompt";

    private static final Logger LOG = Logger.getLogger(ModelVersionLinks.class);
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
    private static final DatabaseFailures DATABASE = new DatabaseFailures();

    private final LoggedModelService models;
    private final ConsumerRetry.Consumer retry;
    private final MutinyEmitter<String> deadLetters;

    public ModelVersionLinks(
            LoggedModelService models, ConsumerRetry retry, @Channel(DLQ_CHANNEL) MutinyEmitter<String> deadLetters) {
        this.models = models;
        this.retry = retry.consumer(CONSUMER);
        this.deadLetters = deadLetters;
    }

    @Incoming(CHANNEL)
    public Uni<Void> onRegistryEvent(ConsumerRecord<String, String> record) {
        Header type = record.headers().lastHeader("ce_type");
        if (type == null || !VERSION_CREATED.equals(new String(type.value(), StandardCharsets.UTF_8))) {
            return Uni.createFrom().voidItem();
        }
        ModelVersionState version;
        try {
            version = parse(record.value()).getVersionAfter();
        } catch (UnusableRecord e) {
            LOG.warnf(
                    "Record %s-%d@%d is not a registry change, dead-lettered: %s",
                    record.topic(), record.partition(), record.offset(), e.getMessage());
            return retry.untilDone(
                    "dead-lettering record " + record.offset(),
                    () -> deadLetters.sendMessage(DeadLetters.of(record, record.value(), e.getMessage())));
        }
        int number;
        try {
            number = Integer.parseInt(version.getVersion());
        } catch (NumberFormatException e) {
            return Uni.createFrom().voidItem();
        }
        if (version.getModelId().isEmpty() || version.containsTags(PROMPT_TAG) || number < 1) {
            return Uni.createFrom().voidItem();
        }
        String modelId = version.getModelId();
        return retry.untilDone(
                "listing version " + number + " of '" + version.getName() + "' on logged model " + modelId,
                () -> Uni.createFrom()
                        .deferred(() -> models.listVersion(modelId, version.getName(), number))
                        // what no retry changes: the model gone, or data the database refuses (class 22/23)
                        .onFailure(ModelVersionLinks::permanent)
                        .recoverWithItem(e -> {
                            LOG.infof(
                                    "Version %d of '%s' not listed on logged model %s: %s",
                                    number, version.getName(), modelId, e.getMessage());
                            return null;
                        }));
    }

    private static boolean permanent(Throwable e) {
        ApiException api =
                e instanceof ApiException a ? a : DATABASE.translate(e).orElse(null);
        return api != null && api.code() != ErrorCode.TEMPORARILY_UNAVAILABLE;
    }

    private static RegistryChange parse(String json) {
        if (json == null) {
            throw new UnusableRecord("Not a registry change: no value");
        }
        RegistryChange.Builder b = RegistryChange.newBuilder();
        try {
            PARSER.merge(json, b);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new UnusableRecord("Not a registry change: " + e.getMessage(), e);
        }
        return b.build();
    }
}
