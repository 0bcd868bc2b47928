package dev.skein.evaluation.client;

import dev.skein.evaluation.config.EvaluationConfig;
import dev.skein.proto.registry.v1.GetModelVersionByAlias;
import dev.skein.proto.registry.v1.GetPromptVersion;
import dev.skein.proto.registry.v1.GetRegisteredModel;
import dev.skein.proto.registry.v1.ModelVersion;
import dev.skein.proto.registry.v1.PromptServiceGrpc;
import dev.skein.proto.registry.v1.PromptVersion;
import dev.skein.proto.registry.v1.RegisteredModelTag;
import dev.skein.proto.registry.v1.RegistryServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * registry-service as audits need it: the registered model's tags (validation rules may be set in one) and
 * which version holds the baseline alias. Blocking (worker threads).
 */
@ApplicationScoped
public class RegistryClient {

    private final RegistryServiceGrpc.RegistryServiceBlockingStub registry;
    private final long timeoutMillis;
    private final PromptServiceGrpc.PromptServiceBlockingStub prompts;

    /**
     * A prompt version by number or alias ({@code latest}: the newest), read as {@code actor}; empty when there is no
     * such prompt or version.
     */
    public Optional<PromptVersion> promptVersion(String name, String version, String alias, String actor) {
        GetPromptVersion.Builder request = GetPromptVersion.newBuilder().setName(name);
        if (version != null) {
            request.setVersion(version);
        }
        if (alias != null) {
            request.setAlias(alias);
        }
        try {
            return Optional.of(prompts.withInterceptors(Upstream.actorHeader(actor))
                    .withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                    .getPromptVersion(request.build())
                    .getPromptVersion());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return Optional.empty();
            }
            throw Upstream.failure("read prompt " + name, e);
        }
    }

    public RegistryClient(
            @GrpcClient("registry") RegistryServiceGrpc.RegistryServiceBlockingStub registry,
            @GrpcClient("registry") PromptServiceGrpc.PromptServiceBlockingStub prompts,
            EvaluationConfig config) {
        this.registry = registry.withInterceptors(Upstream.ACTOR_HEADER);
        this.prompts = prompts;
        this.timeoutMillis = config.upstreamTimeout().toMillis();
    }

    /** The version holding {@code alias} of model {@code name}; empty when no version holds it (or the model is gone). */
    public Optional<ModelVersion> versionByAlias(String name, String alias) {
        try {
            return Optional.of(registry.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                    .getModelVersionByAlias(GetModelVersionByAlias.newBuilder()
                            .setName(name)
                            .setAlias(alias)
                            .build())
                    .getModelVersion());
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.NOT_FOUND || code == Status.Code.INVALID_ARGUMENT) {
                return Optional.empty();
            }
            throw Upstream.failure("look up alias " + alias + " of model " + name, e);
        }
    }

    /** The registered model's tags, read now; empty when the model has none (or is gone). */
    public Map<String, String> modelTags(String name) {
        try {
            var model = registry.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                    .getRegisteredModel(
                            GetRegisteredModel.newBuilder().setName(name).build())
                    .getRegisteredModel();
            Map<String, String> tags = new LinkedHashMap<>();
            for (RegisteredModelTag tag : model.getTagsList()) {
                tags.put(tag.getKey(), tag.getValue());
            }
            return tags;
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.NOT_FOUND) {
                return Map.of();
            }
            throw Upstream.failure("read the tags of model " + name, e);
        }
    }
}
