package dev.skein.tracking.repository;

import dev.skein.tracking.Run;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

@ApplicationScoped
public class RunRepository implements PanacheRepositoryBase<Run, String> {

    public Uni<List<Run>> findByExperimentAndStage(long experimentId, String lifecycleStage) {
        return list("experimentId = ?1 and lifecycleStage = ?2", experimentId, lifecycleStage);
    }
}
