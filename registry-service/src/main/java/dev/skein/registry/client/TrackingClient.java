package dev.skein.registry.client;

import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.MutinyTrackingServiceGrpc;
import dev.skein.registry.config.RegistryConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * tracking-service as the registry needs it, for lineage: does a run exist, and where are its
 * artifacts. Owns the call's deadline; a missing run is an empty result; tracking-service being
 * unreachable is TEMPORARILY_UNAVAILABLE for the caller. Reads are not retried: the caller's
 * request fails fast and MLflow's clients retry it.
 */
@ApplicationScoped
public class TrackingClient {

    /** What the registry knows of a run. */
    public record RunRef(String runId, String artifactUri) {}

    private final MutinyTrackingServiceGrpc.MutinyTrackingServiceStub tracking;
    private final Duration timeout;

    public TrackingClient(
            @GrpcClient("tracking") MutinyTrackingServiceGrpc.MutinyTrackingServiceStub tracking,
            RegistryConfig config) {
        this.tracking = tracking;
        this.timeout = config.trackingTimeout();
    }

    public Uni<Optional<RunRef>> run(String runId) {
        return tracking.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .getRun(GetRun.newBuilder().setRunId(runId).build())
                .map(r -> Optional.of(new RunRef(
                        r.getRun().getInfo().getRunId(), r.getRun().getInfo().getArtifactUri())))
                .onFailure(StatusRuntimeException.class)
                .recoverWithUni(failure -> {
                    Status.Code code =
                            ((StatusRuntimeException) failure).getStatus().getCode();
                    if (code == Status.Code.NOT_FOUND || code == Status.Code.INVALID_ARGUMENT) {
                        return Uni.createFrom().item(Optional.empty());
                    }
                    return Uni.createFrom()
                            .failure(new ApiException(
                                    ErrorCode.TEMPORARILY_UNAVAILABLE,
                                    "Cannot check run " + runId + ": tracking-service is unavailable (" + code + ")"));
                });
    }
}
