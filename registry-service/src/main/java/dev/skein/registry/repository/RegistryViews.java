package dev.skein.registry.repository;

import dev.skein.registry.KeyValue;
import dev.skein.registry.ModelAlias;
import dev.skein.registry.ModelVersion;
import dev.skein.registry.ModelVersionTag;
import dev.skein.registry.ModelView;
import dev.skein.registry.RegisteredModel;
import dev.skein.registry.RegisteredModelTag;
import dev.skein.registry.VersionView;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Reads models and versions with everything MLflow returns beside them, within the current
 * Hibernate Reactive session — so inside a transaction it sees that transaction's changes, which
 * is how events get the state after a change. Queries run one after the other (a session serves
 * one operation at a time) and each covers all the given models at once.
 */
@ApplicationScoped
public class RegistryViews {

    private final TagRepositories.ModelTags modelTags;
    private final TagRepositories.VersionTags versionTags;
    private final TagRepositories.Aliases aliases;
    private final ModelVersionRepository versions;

    public RegistryViews(
            TagRepositories.ModelTags modelTags,
            TagRepositories.VersionTags versionTags,
            TagRepositories.Aliases aliases,
            ModelVersionRepository versions) {
        this.modelTags = modelTags;
        this.versionTags = versionTags;
        this.aliases = aliases;
        this.versions = versions;
    }

    public Uni<ModelView> model(RegisteredModel model) {
        return models(List.of(model)).map(v -> v.get(0));
    }

    public Uni<List<ModelView>> models(List<RegisteredModel> models) {
        if (models.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        Set<UUID> ids = new LinkedHashSet<>();
        Map<UUID, String> names = new HashMap<>();
        models.forEach(m -> {
            ids.add(m.id);
            names.put(m.id, m.name);
        });
        return modelTags.of(ids).flatMap(tags -> aliases.of(ids).flatMap(aliasRows -> versions.latestPerStage(ids)
                .flatMap(latest -> versions(latest, names).map(latestViews -> {
                    List<ModelView> views = new ArrayList<>(models.size());
                    for (RegisteredModel m : models) {
                        views.add(new ModelView(
                                m,
                                tags.stream()
                                        .filter(t -> t.id.modelId().equals(m.id))
                                        .map(RegistryViews::tag)
                                        .toList(),
                                aliasRows.stream()
                                        .filter(a -> a.id.modelId().equals(m.id))
                                        .toList(),
                                latestViews.stream()
                                        .filter(v -> v.version().id.modelId().equals(m.id))
                                        .toList()));
                    }
                    return views;
                }))));
    }

    public Uni<VersionView> version(String modelName, ModelVersion version) {
        return versions(List.of(version), Map.of(version.id.modelId(), modelName))
                .map(v -> v.get(0));
    }

    /** The versions with their tags and aliases, in the order given. */
    public Uni<List<VersionView>> versions(List<ModelVersion> list, Map<UUID, String> modelNames) {
        if (list.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        Set<UUID> ids = new LinkedHashSet<>();
        list.forEach(v -> ids.add(v.id.modelId()));
        return versionTags.of(ids).flatMap(tags -> aliases.of(ids).map(aliasRows -> {
            List<VersionView> views = new ArrayList<>(list.size());
            for (ModelVersion v : list) {
                UUID model = v.id.modelId();
                int number = v.id.version();
                views.add(new VersionView(
                        modelNames.get(model),
                        v,
                        tags.stream()
                                .filter(t -> t.id.modelId().equals(model) && t.id.version() == number)
                                .map(RegistryViews::tag)
                                .toList(),
                        aliasRows.stream()
                                .filter(a -> a.id.modelId().equals(model) && a.version == number)
                                .map(RegistryViews::alias)
                                .toList()));
            }
            return views;
        }));
    }

    private static KeyValue tag(RegisteredModelTag t) {
        return new KeyValue(t.id.key(), t.value);
    }

    private static KeyValue tag(ModelVersionTag t) {
        return new KeyValue(t.id.key(), t.value);
    }

    private static String alias(ModelAlias a) {
        return a.id.alias();
    }
}
