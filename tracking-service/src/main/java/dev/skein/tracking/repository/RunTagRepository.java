package dev.skein.tracking.repository;

import dev.skein.tracking.RunTag;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;

@ApplicationScoped
public class RunTagRepository implements PanacheRepositoryBase<RunTag, RunTag.Id> {}
