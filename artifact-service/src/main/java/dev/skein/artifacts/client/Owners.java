package dev.skein.artifacts.client;

import dev.skein.artifacts.config.ArtifactConfig;
import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.GetModelVersionDownloadUri;
import dev.skein.proto.registry.v1.RegistryServiceGrpc;
import dev.skein.proto.tracking.v1.GetLoggedModel;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.LoggedModelServiceGrpc;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The services that own what artifacts belong to: tracking-service knows a run's artifact root and
 * a logged model's artifact location, registry-service a model version's storage location. Blocking calls with a deadline, made from
 * worker threads. Their own errors (a run that does not exist) pass through unchanged, for the
 * caller to see; an unreachable service is TEMPORARILY_UNAVAILABLE.
 */
@ApplicationScoped
public class Owners {

    private static final Pattern RUNS_URI = Pattern.compile("^runs:/([^/]+)(?:/(.*))?$");

    private final TrackingServiceGrpc.TrackingServiceBlockingStub tracking;
    private final LoggedModelServiceGrpc.LoggedModelServiceBlockingStub loggedModels;
    private final RegistryServiceGrpc.RegistryServiceBlockingStub registry;
    private final Duration timeout;

    public Owners(
            @GrpcClient("tracking") TrackingServiceGrpc.TrackingServiceBlockingStub tracking,
            @GrpcClient("tracking") LoggedModelServiceGrpc.LoggedModelServiceBlockingStub loggedModels,
            @GrpcClient("registry") RegistryServiceGrpc.RegistryServiceBlockingStub registry,
            ArtifactConfig config) {
        this.tracking = tracking;
        this.loggedModels = loggedModels;
        this.registry = registry;
        this.timeout = config.lookupTimeout();
    }

    /**
     * The artifact location of an MLflow 3 logged model ({@code <experiment
     * location>/models/<model_id>/artifacts}); tracking-service's RESOURCE_DOES_NOT_EXIST, in MLflow's
     * words, if there is no such model.
     */
    public String loggedModelArtifactUri(String modelId) {
        return call("tracking-service", () -> loggedModels
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .getLoggedModel(GetLoggedModel.newBuilder().setModelId(modelId).build())
                .getModel()
                .getInfo()
                .getArtifactUri());
    }

    /** The artifact URI of a run (RESOURCE_DOES_NOT_EXIST if there is no such run). */
    public String runArtifactUri(String runId) {
        return call("tracking-service", () -> tracking.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .getRun(GetRun.newBuilder().setRunId(runId).build())
                .getRun()
                .getInfo()
                .getArtifactUri());
    }

    /**
     * Where a model version's files are (RESOURCE_DOES_NOT_EXIST if there is no such version). The
     * registry answers a {@code runs:/<run_id>/<path>} source as it was given, as MLflow does; it is
     * read from that run's artifacts, as MLflow's runs artifact repository reads it.
     */
    public String modelVersionUri(String name, String version) {
        String uri =
                call("registry-service", () -> registry.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        .getModelVersionDownloadUri(GetModelVersionDownloadUri.newBuilder()
                                .setName(name)
                                .setVersion(version)
                                .build())
                        .getArtifactUri());
        Matcher runs = RUNS_URI.matcher(uri);
        if (!runs.matches()) {
            return uri;
        }
        String root = runArtifactUri(runs.group(1));
        String path = runs.group(2);
        return path == null || path.isEmpty() ? root : root.replaceAll("/+$", "") + "/" + path;
    }

    private static <T> T call(String service, Supplier<T> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
                throw new ApiException(
                        ErrorCode.TEMPORARILY_UNAVAILABLE, service + " is unavailable, try again (" + code + ")");
            }
            throw e;
        }
    }
}
