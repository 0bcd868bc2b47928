package dev.skein.registry.client;

import dev.skein.common.error.ApiException;
import dev.skein.common.error.GrpcErrors;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.GetLoggedModel;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.ListLoggedModelVersion;
import dev.skein.proto.tracking.v1.LoggedModelInfo;
import dev.skein.proto.tracking.v1.MutinyLoggedModelServiceGrpc;
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
 * artifacts; what is a logged model (MLflow 3), where are its files and which run made it. Owns the
 * call's deadline; a missing run is an empty result, a missing logged model tracking's own
 * RESOURCE_DOES_NOT_EXIST (its message is MLflow's, and MLflow shows it); tracking-service being
 * unreachable is TEMPORARILY_UNAVAILABLE for the caller. Reads are not retried: the caller's
 * request fails fast and MLflow's clients retry it.
 */
@ApplicationScoped
public class TrackingClient {

    /** What the registry knows of a run. */
    public record RunRef(String runId, String artifactUri) {}

    /** What the registry knows of a logged model: its files' location and the run that logged it (or null). */
    public record LoggedModelRef(String modelId, String artifactUri, String sourceRunId) {}

    private final MutinyTrackingServiceGrpc.MutinyTrackingServiceStub tracking;
    private final MutinyLoggedModelServiceGrpc.MutinyLoggedModelServiceStub loggedModels;
    private final Duration timeout;

    public TrackingClient(
            @GrpcClient("tracking") MutinyTrackingServiceGrpc.MutinyTrackingServiceStub tracking,
            @GrpcClient("tracking") MutinyLoggedModelServiceGrpc.MutinyLoggedModelServiceStub loggedModels,
            RegistryConfig config) {
        this.tracking = tracking;
        this.loggedModels = loggedModels;
        this.timeout = config.trackingTimeout();
    }

    /**
     * A logged model by id. Fails with tracking-service's own error when it refuses the id (an unknown
     * model is RESOURCE_DOES_NOT_EXIST, in MLflow's words), TEMPORARILY_UNAVAILABLE when it cannot be
     * asked.
     */
    public Uni<LoggedModelRef> loggedModel(String modelId) {
        return loggedModels
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .getLoggedModel(GetLoggedModel.newBuilder().setModelId(modelId).build())
                .map(r -> {
                    LoggedModelInfo info = r.getModel().getInfo();
                    return new LoggedModelRef(
                            info.getModelId(),
                            info.getArtifactUri(),
                            info.hasSourceRunId() && !info.getSourceRunId().isEmpty() ? info.getSourceRunId() : null);
                })
                .onFailure(StatusRuntimeException.class)
                .transform(failure -> {
                    StatusRuntimeException e = (StatusRuntimeException) failure;
                    Status.Code code = e.getStatus().getCode();
                    boolean refused = code == Status.Code.NOT_FOUND || code == Status.Code.INVALID_ARGUMENT;
                    if (refused && GrpcErrors.isApiError(e)) {
                        return new ApiException(
                                GrpcErrors.errorCode(e), e.getStatus().getDescription());
                    }
                    return unreachable("look up logged model " + modelId, code);
                });
    }

    /**
     * Lists a version on its logged model's tag {@code mlflow.modelVersions} (tracking-service appends
     * it under the model's lock); failures as {@link #loggedModel}.
     */
    public Uni<Void> listLoggedModelVersion(String modelId, String name, int version) {
        return loggedModels
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .listLoggedModelVersion(ListLoggedModelVersion.newBuilder()
                        .setModelId(modelId)
                        .setName(name)
                        .setVersion(version)
                        .build())
                .replaceWithVoid()
                .onFailure(StatusRuntimeException.class)
                .transform(failure -> {
                    StatusRuntimeException e = (StatusRuntimeException) failure;
                    if (GrpcErrors.isApiError(e)) {
                        return new ApiException(
                                GrpcErrors.errorCode(e), e.getStatus().getDescription());
                    }
                    return unreachable(
                            "tag logged model " + modelId, e.getStatus().getCode());
                });
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
                    return Uni.createFrom().failure(unreachable("check run " + runId, code));
                });
    }

    /**
     * A call that failed without tracking's own answer: TEMPORARILY_UNAVAILABLE (relayed to the
     * client, who may retry) only for what passes — the service unreachable, slow, busy; anything
     * else (a version without the rpc, a refused credential, a bug) is an internal error, which the
     * gateway answers without its text. Neither names the service or its address.
     */
    private static ApiException unreachable(String what, Status.Code code) {
        return switch (code) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED ->
                new ApiException(ErrorCode.TEMPORARILY_UNAVAILABLE, "Cannot " + what + " now; try again.");
            default ->
                new ApiException(ErrorCode.INTERNAL_ERROR, "Cannot " + what + ": lineage call failed (" + code + ")");
        };
    }
}
