package dev.skein.artifacts.store;

import dev.skein.artifacts.config.ArtifactConfig;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

/**
 * Ready means the bucket is there: created at start if it is missing (and allowed), checked again by
 * each readiness probe until it has been seen once.
 */
@Readiness
@ApplicationScoped
public class BucketCheck implements AsyncHealthCheck {

    private static final Logger LOG = Logger.getLogger(BucketCheck.class);

    private final ObjectStore store;
    private final ArtifactConfig config;
    private final AtomicBoolean ready = new AtomicBoolean();

    public BucketCheck(ObjectStore store, ArtifactConfig config) {
        this.store = store;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        Infrastructure.getDefaultWorkerPool().execute(() -> {
            try {
                check();
            } catch (RuntimeException e) {
                LOG.warnf("Bucket %s is not usable yet: %s", config.s3().bucket(), e.getMessage());
            }
        });
    }

    private void check() {
        if (config.s3().createBucket()) {
            store.ensureBucket(config.s3().bucket());
            ready.set(true);
        } else {
            ready.set(store.bucketExists(config.s3().bucket()));
        }
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        if (ready.get()) {
            return Uni.createFrom().item(HealthCheckResponse.up("object-store"));
        }
        return Uni.createFrom()
                .item(() -> {
                    check();
                    return ready.get();
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .ifNoItem()
                .after(Duration.ofSeconds(5))
                .fail()
                .onFailure()
                .recoverWithItem(false)
                .map(up -> HealthCheckResponse.named("object-store")
                        .status(up)
                        .withData("bucket", config.s3().bucket())
                        .withData("endpoint", config.s3().endpoint())
                        .build());
    }
}
