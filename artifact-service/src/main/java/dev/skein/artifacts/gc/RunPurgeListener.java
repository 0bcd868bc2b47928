package dev.skein.artifacts.gc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.artifacts.store.ArtifactRoots;
import dev.skein.artifacts.store.Location;
import dev.skein.artifacts.store.ObjectStore;
import dev.skein.common.error.ApiException;
import dev.skein.common.messaging.ConsumerRetry;
import dev.skein.common.messaging.DeadLetters;
import dev.skein.common.messaging.UnusableRecord;
import dev.skein.events.v1.ExperimentPurged;
import dev.skein.events.v1.RunPurged;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Garbage collection of artifacts, driven by the run events on {@code skein.tracking.runs.v1}: when a
 * run is deleted for good (RunPurged), everything under its artifact root goes; when an experiment is
 * (ExperimentPurged, after its runs), everything under its artifact location — its logged models' and
 * traces' artifacts — unless tracking-service left the location out because another experiment's
 * overlaps it. Deleting is
 * idempotent — a redelivered event finds nothing left — and a store that is down is retried by
 * {@link ConsumerRetry} (consumer {@value #CONSUMER}) until it is back, however long that takes,
 * holding the partition, so no purge is skipped. A RunPurged event that cannot be read goes to the
 * dead-letter topic at once. Runs whose artifacts live outside this store are left alone.
 */
@ApplicationScoped
public class RunPurgeListener {

    public static final String CHANNEL = "run-events";
    public static final String DLQ_CHANNEL = "run-events-dlq";
    public static final String CONSUMER = "artifact-gc";
    static final String PURGED = "dev.skein.tracking.run.purged.v1";
    static final String EXPERIMENT_PURGED = "dev.skein.tracking.experiment.purged.v1";
    private static final byte[] PURGED_BYTES = PURGED.getBytes(StandardCharsets.UTF_8);
    private static final byte[] EXPERIMENT_PURGED_BYTES = EXPERIMENT_PURGED.getBytes(StandardCharsets.UTF_8);

    private static final Logger LOG = Logger.getLogger(RunPurgeListener.class);
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final ObjectStore store;
    private final ArtifactRoots roots;
    private final ConsumerRetry.Consumer retry;
    private final MutinyEmitter<String> deadLetters;

    public RunPurgeListener(
            ObjectStore store,
            ArtifactRoots roots,
            ConsumerRetry retry,
            @Channel(DLQ_CHANNEL) MutinyEmitter<String> deadLetters) {
        this.store = store;
        this.roots = roots;
        this.retry = retry.consumer(CONSUMER);
        this.deadLetters = deadLetters;
    }

    /**
     * A poll's records at once: most run events are not purges (every run created, updated, deleted
     * is one), so they are told apart by their type header without decoding their values or going
     * through a message each; the purges are then handled one after another, in their order.
     */
    @Incoming(CHANNEL)
    public Uni<Void> onRunEvents(ConsumerRecords<String, byte[]> records) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (ConsumerRecord<String, byte[]> record : records) {
            Header type = record.headers().lastHeader("ce_type");
            if (type != null && Arrays.equals(PURGED_BYTES, type.value())) {
                chain = chain.flatMap(v -> onPurge(record, false));
            } else if (type != null && Arrays.equals(EXPERIMENT_PURGED_BYTES, type.value())) {
                chain = chain.flatMap(v -> onPurge(record, true));
            }
        }
        return chain;
    }

    /** What a purge event names: whose artifacts ("run …", "experiment …") and where they are (empty: nowhere). */
    record Purged(String what, String artifactUri) {}

    private Uni<Void> onPurge(ConsumerRecord<String, byte[]> record, boolean experiment) {
        String value = record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8);
        Purged purged;
        try {
            purged = experiment ? parseExperiment(value) : parse(value);
        } catch (UnusableRecord e) {
            LOG.warnf(
                    "Record %s-%d@%d is not a purge event, dead-lettered: %s",
                    record.topic(), record.partition(), record.offset(), e.getMessage());
            return retry.untilDone(
                    "dead-lettering record " + record.offset(),
                    () -> deadLetters.sendMessage(DeadLetters.of(record, value, e.getMessage())));
        }
        if (purged.artifactUri().isEmpty()) {
            LOG.infof(
                    "%s was purged; its artifact location is shared, so only its runs' artifacts went", purged.what());
            return Uni.createFrom().voidItem();
        }
        Location root;
        try {
            root = roots.resolve(purged.artifactUri());
        } catch (ApiException notHere) {
            LOG.infof(
                    "%s was purged; its artifacts at %s are outside the artifact roots, left alone",
                    purged.what(), purged.artifactUri());
            return Uni.createFrom().voidItem();
        }
        if (root.key().isEmpty() || roots.isRoot(root)) {
            // never the whole bucket or a whole artifact root, whatever an artifact URI says
            LOG.warnf("%s has a root of the store as artifact location; nothing deleted", purged.what());
            return Uni.createFrom().voidItem();
        }
        return retry.untilDone("deleting the artifacts of " + purged.what(), () -> Uni.createFrom()
                        .item(() -> store.deleteTree(root))
                        // the object store's client blocks
                        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool()))
                .invoke(deleted -> LOG.infof(
                        "%s was purged: deleted its %d artifact objects under %s", purged.what(), deleted, root))
                .replaceWithVoid();
    }

    private static Purged parse(String json) {
        RunPurged.Builder b = RunPurged.newBuilder();
        merge(json, b, "RunPurged");
        return new Purged("Run " + b.getRunId(), b.getArtifactUri());
    }

    private static Purged parseExperiment(String json) {
        ExperimentPurged.Builder b = ExperimentPurged.newBuilder();
        merge(json, b, "ExperimentPurged");
        return new Purged("Experiment " + b.getExperimentId(), b.getArtifactLocation());
    }

    private static void merge(String json, com.google.protobuf.Message.Builder b, String type) {
        if (json == null) {
            throw new UnusableRecord("Not a " + type + " event: no value");
        }
        try {
            PARSER.merge(json, b);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new UnusableRecord("Not a " + type + " event: " + e.getMessage(), e);
        }
    }
}
