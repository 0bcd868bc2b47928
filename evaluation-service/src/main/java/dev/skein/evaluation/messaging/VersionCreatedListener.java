package dev.skein.evaluation.messaging;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.common.messaging.ConsumerRetry;
import dev.skein.evaluation.repository.Audits;
import dev.skein.evaluation.service.WorkQueue;
import dev.skein.events.v1.RegistryChange;
import dev.skein.events.v1.RegistryChangeKind;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * New model versions are audited: on {@code skein.registry.events.v1} (group {@code
 * evaluation-service-audits}), a MODEL_VERSION_CREATED change of a model (not a prompt) records a
 * pending audit keyed by the change's event id, so a redelivery changes nothing; the audit runs on the
 * {@link WorkQueue}. A database outage is retried by {@link ConsumerRetry} (consumer
 * {@value #CONSUMER}) until it ends; only a record that is not a registry change is dead-lettered
 * (the channel's dead-letter-queue strategy, with the reason).
 */
@ApplicationScoped
public class VersionCreatedListener {

    public static final String CHANNEL = "registry-events";
    public static final String CONSUMER = "version-audits";

    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final Audits audits;
    private final WorkQueue queue;
    private final ConsumerRetry.Consumer retry;

    public VersionCreatedListener(Audits audits, WorkQueue queue, ConsumerRetry retry) {
        this.audits = audits;
        this.queue = queue;
        this.retry = retry.consumer(CONSUMER);
    }

    @Incoming(CHANNEL)
    public Uni<Void> onChange(String payload) {
        RegistryChange change = parse(payload);
        if (change.getKind() != RegistryChangeKind.MODEL_VERSION_CREATED || change.getModelIsPrompt()) {
            return Uni.createFrom().voidItem();
        }
        UUID eventId = UUID.fromString(change.getEventId());
        String runId = change.getVersionAfter().getRunId();
        return retry.<Boolean>untilDone(
                        "recording the audit of " + change.getModelName() + " version " + change.getVersion(),
                        () -> audits.insert(
                                UUID.randomUUID(),
                                change.getModelName(),
                                change.getVersion(),
                                runId.isEmpty() ? null : runId,
                                eventId,
                                System.currentTimeMillis()))
                .invoke(recorded -> {
                    if (recorded) {
                        queue.wake();
                    }
                })
                .replaceWithVoid();
    }

    private static RegistryChange parse(String payload) {
        RegistryChange.Builder b = RegistryChange.newBuilder();
        try {
            PARSER.merge(payload, b);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new IllegalArgumentException("Not a registry change: " + e.getMessage(), e);
        }
        try {
            UUID.fromString(b.getEventId());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Not a registry change: its event id is not a UUID", e);
        }
        if (b.getKind() == RegistryChangeKind.MODEL_VERSION_CREATED
                && (b.getModelName().isEmpty() || b.getVersion().isEmpty())) {
            throw new IllegalArgumentException("A version creation without a model name or version");
        }
        return b.build();
    }
}
