package dev.skein.registry.repository;

import dev.skein.registry.ModelVersion;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class ModelVersionRepository implements PanacheRepositoryBase<ModelVersion, ModelVersion.Id> {

    /** The highest-numbered version of each stage, for each of the models. */
    public Uni<List<ModelVersion>> latestPerStage(Collection<UUID> modelIds) {
        return list(
                "from ModelVersion v where v.id.modelId in ?1 and v.id.version = (select max(w.id.version)"
                        + " from ModelVersion w where w.id.modelId = v.id.modelId and w.currentStage = v.currentStage)"
                        + " order by v.id.modelId, v.id.version",
                modelIds);
    }

    public Uni<List<ModelVersion>> inStage(UUID modelId, String stage) {
        return list("id.modelId = ?1 and currentStage = ?2 order by id.version", modelId, stage);
    }
}
