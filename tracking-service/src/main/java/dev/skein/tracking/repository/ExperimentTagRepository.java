package dev.skein.tracking.repository;

import dev.skein.tracking.ExperimentTag;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;

@ApplicationScoped
public class ExperimentTagRepository implements PanacheRepositoryBase<ExperimentTag, ExperimentTag.Id> {}
