package dev.skein.artifacts.gc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.artifacts.store.ArtifactRoots;
import dev.skein.artifacts.store.Location;
import dev.skein.artifacts.store.ObjectStore;
import dev.skein.common.error.ApiException;
import dev.skein.events.v1.RunPurged;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Garbage collection of artifacts, driven by the run events on {@code skein.tracking.runs.v1}: when a
 * run is deleted for good (RunPurged), everything under its artifact root goes. Deleting is
 * idempotent — a redelivered event finds nothing left — and a store that is down is retried until
 * it is back, holding the partition, so no purge is skipped. Runs whose artifacts live outside this
 * store are left alone.
 */
@ApplicationScoped
public class RunPurgeListener {

    public static final String CHANNEL = "run-events";
    static final String PURGED = "dev.skein.tracking.run.purged.v1";

    private static final Logger LOG = Logger.getLogger(RunPurgeListener.class);
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final ObjectStore store;
    private final ArtifactRoots roots;

    public RunPurgeListener(ObjectStore store, ArtifactRoots roots) {
        this.store = store;
        this.roots = roots;
    }

    @Incoming(CHANNEL)
    @Blocking(ordered = true)
    public void onRunEvent(ConsumerRecord<String, String> record) {
        Header type = record.headers().lastHeader("ce_type");
        if (type == null || !PURGED.equals(new String(type.value(), StandardCharsets.UTF_8))) {
            return;
        }
        RunPurged purged = parse(record.value());
        Location root;
        try {
            root = roots.resolve(purged.getArtifactUri());
        } catch (ApiException notHere) {
            LOG.infof(
                    "Run %s was purged; its artifacts at %s are outside the artifact roots, left alone",
                    purged.getRunId(), purged.getArtifactUri());
            return;
        }
        if (root.key().isEmpty() || roots.isRoot(root)) {
            // never the whole bucket or a whole artifact root, whatever an artifact URI says
            LOG.warnf("Run %s has a root of the store as artifact location; nothing deleted", purged.getRunId());
            return;
        }
        int deleted = Uni.createFrom()
                .item(() -> store.deleteTree(root))
                .onFailure()
                .invoke(f -> LOG.warnf("Deleting the artifacts of run %s failed, retrying: %s", purged.getRunId(), f))
                .onFailure()
                .retry()
                .withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(30))
                .indefinitely()
                .await()
                .indefinitely();
        LOG.infof("Run %s was purged: deleted its %d artifact objects under %s", purged.getRunId(), deleted, root);
    }

    private static RunPurged parse(String json) {
        RunPurged.Builder b = RunPurged.newBuilder();
        try {
            PARSER.merge(json, b);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("Not a RunPurged event: " + e.getMessage(), e);
        }
        return b.build();
    }
}
