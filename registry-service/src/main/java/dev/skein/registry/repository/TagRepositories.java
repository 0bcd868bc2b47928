package dev.skein.registry.repository;

import dev.skein.registry.ModelAlias;
import dev.skein.registry.ModelVersionTag;
import dev.skein.registry.RegisteredModelTag;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/** Tags and aliases: small rows read for many models or versions at once. */
public final class TagRepositories {

    private TagRepositories() {}

    @ApplicationScoped
    public static class ModelTags implements PanacheRepositoryBase<RegisteredModelTag, RegisteredModelTag.Id> {
        public Uni<List<RegisteredModelTag>> of(Collection<UUID> modelIds) {
            return list("id.modelId in ?1 order by id.key", modelIds);
        }
    }

    @ApplicationScoped
    public static class VersionTags implements PanacheRepositoryBase<ModelVersionTag, ModelVersionTag.Id> {
        public Uni<List<ModelVersionTag>> of(Collection<UUID> modelIds) {
            return list("id.modelId in ?1 order by id.key", modelIds);
        }
    }

    @ApplicationScoped
    public static class Aliases implements PanacheRepositoryBase<ModelAlias, ModelAlias.Id> {
        public Uni<List<ModelAlias>> of(Collection<UUID> modelIds) {
            return list("id.modelId in ?1 order by id.alias", modelIds);
        }
    }
}
