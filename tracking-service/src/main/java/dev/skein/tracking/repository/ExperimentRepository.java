package dev.skein.tracking.repository;

import dev.skein.tracking.Experiment;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

@ApplicationScoped
public class ExperimentRepository implements PanacheRepositoryBase<Experiment, Long> {

    public Uni<Experiment> findByName(String name) {
        return find("name", name).firstResult();
    }
}
