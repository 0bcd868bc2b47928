package dev.skein.registry.service;

import dev.skein.common.actor.Actors;
import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.paging.ResultPage;
import dev.skein.common.persistence.DatabaseFailures;
import dev.skein.common.search.SearchParser;
import dev.skein.common.validation.Inputs;
import dev.skein.events.v1.RegistryChangeKind;
import dev.skein.registry.KeyValue;
import dev.skein.registry.ModelAlias;
import dev.skein.registry.ModelView;
import dev.skein.registry.RegisteredModel;
import dev.skein.registry.RegisteredModelTag;
import dev.skein.registry.VersionView;
import dev.skein.registry.messaging.OutboxPublisher;
import dev.skein.registry.messaging.RegistryEvents;
import dev.skein.registry.messaging.RegistryEvents.Detail;
import dev.skein.registry.repository.ModelVersionRepository;
import dev.skein.registry.repository.RegisteredModelRepository;
import dev.skein.registry.repository.RegistryViews;
import dev.skein.registry.repository.TagRepositories;
import dev.skein.registry.search.RegistryGrammars;
import dev.skein.registry.search.RegistrySearchSql;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * MLflow's registered model use cases. Every change locks the model's row, is described by an
 * event (outbox and audit trail) in the same transaction, and wakes the relay once committed.
 */
@ApplicationScoped
public class ModelService {

    static final int MAX_SEARCH_RESULTS = 1000;

    private final RegisteredModelRepository models;
    private final ModelVersionRepository versions;
    private final TagRepositories.ModelTags tags;
    private final TagRepositories.Aliases aliases;
    private final RegistryViews views;
    private final RegistryEvents events;
    private final OutboxPublisher publisher;
    private final Pool pool;

    public ModelService(
            RegisteredModelRepository models,
            ModelVersionRepository versions,
            TagRepositories.ModelTags tags,
            TagRepositories.Aliases aliases,
            RegistryViews views,
            RegistryEvents events,
            OutboxPublisher publisher,
            Pool pool) {
        this.models = models;
        this.versions = versions;
        this.tags = tags;
        this.aliases = aliases;
        this.views = views;
        this.events = events;
        this.publisher = publisher;
        this.pool = pool;
    }

    /** Runs a change in a transaction and publishes its events once it has committed. */
    <T> Uni<T> change(java.util.function.Supplier<Uni<T>> work) {
        return Panache.withTransaction(work).invoke(ignored -> publisher.wake());
    }

    /** The model, locked for this transaction, or MLflow's not-found error. */
    Uni<RegisteredModel> locked(String name) {
        return models.lockByName(name).map(m -> {
            if (m == null) {
                throw RegistryInputs.modelNotFound(name);
            }
            return m;
        });
    }

    /**
     * Applies a change to a locked model and records it with the model's state before and after.
     * The change may return another Uni to wait for (persisting rows); its result is discarded.
     */
    private Uni<ModelView> changeModel(
            String actor,
            String name,
            RegistryChangeKind kind,
            Function<RegisteredModel, Detail> detail,
            Function<RegisteredModel, Uni<?>> apply) {
        return change(() -> locked(name)
                .flatMap(model -> views.model(model).map(RegistryEvents::state).flatMap(before -> apply.apply(model)
                        .flatMap(applied -> Panache.getSession().flatMap(s -> s.flush()))
                        .flatMap(flushed -> views.model(model))
                        .flatMap(after -> events.modelChange(
                                        actor, kind, model, before, RegistryEvents.state(after), detail.apply(model))
                                .replaceWith(after)))));
    }

    public Uni<ModelView> create(String actor, String name, List<KeyValue> tagList, String description) {
        RegistryInputs.name(name);
        RegistryInputs.description(description);
        Map<String, String> tagMap = new LinkedHashMap<>();
        for (KeyValue t : tagList) {
            RegistryInputs.modelTag(t.key(), t.value());
            tagMap.put(t.key(), t.value());
        }
        return change(() -> models.findByName(name).flatMap(existing -> {
                    if (existing != null) {
                        throw RegistryInputs.modelExists(name);
                    }
                    long now = System.currentTimeMillis();
                    RegisteredModel m = new RegisteredModel();
                    m.id = UUID.randomUUID();
                    m.name = name;
                    m.description = description;
                    m.userId = Actors.known(actor);
                    m.creationTime = now;
                    m.lastUpdatedTime = now;
                    List<RegisteredModelTag> rows = new ArrayList<>();
                    tagMap.forEach((k, v) -> rows.add(new RegisteredModelTag(m.id, k, v)));
                    return models.persist(m)
                            .flatMap(
                                    saved -> rows.isEmpty() ? Uni.createFrom().voidItem() : tags.persist(rows.stream()))
                            .flatMap(saved -> Panache.getSession().flatMap(s -> s.flush()))
                            .flatMap(flushed -> views.model(m))
                            .flatMap(after -> events.modelChange(
                                            actor,
                                            RegistryChangeKind.REGISTERED_MODEL_CREATED,
                                            m,
                                            null,
                                            RegistryEvents.state(after),
                                            Detail.NONE)
                                    .replaceWith(after));
                }))
                .onFailure(DatabaseFailures::isUniqueViolation)
                .transform(f -> RegistryInputs.modelExists(name));
    }

    public Uni<ModelView> rename(String actor, String name, String newName) {
        RegistryInputs.name(name);
        Inputs.required(newName, "new_name");
        RegistryInputs.name(newName);
        return change(() -> models.findByName(newName).flatMap(clash -> {
                    if (clash != null && !newName.equals(name)) {
                        throw RegistryInputs.modelExists(newName);
                    }
                    return locked(name).flatMap(model -> views.model(model)
                            .map(RegistryEvents::state)
                            .flatMap(before -> {
                                model.name = newName;
                                model.lastUpdatedTime = System.currentTimeMillis();
                                return Panache.getSession()
                                        .flatMap(s -> s.flush())
                                        .flatMap(flushed -> views.model(model))
                                        .flatMap(after -> events.modelChange(
                                                        actor,
                                                        RegistryChangeKind.REGISTERED_MODEL_RENAMED,
                                                        model,
                                                        before,
                                                        RegistryEvents.state(after),
                                                        Detail.NONE)
                                                .replaceWith(after));
                            }));
                }))
                .onFailure(DatabaseFailures::isUniqueViolation)
                .transform(f -> RegistryInputs.modelExists(newName));
    }

    public Uni<ModelView> update(String actor, String name, String description) {
        RegistryInputs.name(name);
        RegistryInputs.description(description);
        return changeModel(actor, name, RegistryChangeKind.REGISTERED_MODEL_UPDATED, m -> Detail.NONE, model -> {
            model.description = description;
            model.lastUpdatedTime = System.currentTimeMillis();
            return Uni.createFrom().voidItem();
        });
    }

    /** Deletes the model with its versions, tags and aliases; one event, with the model as it was. */
    public Uni<Void> delete(String actor, String name) {
        RegistryInputs.name(name);
        return change(() -> locked(name).flatMap(model -> views.model(model)
                .map(RegistryEvents::state)
                .flatMap(before -> events.modelChange(
                        actor, RegistryChangeKind.REGISTERED_MODEL_DELETED, model, before, null, Detail.NONE))
                .flatMap(recorded -> models.delete(model))));
    }

    public Uni<ModelView> get(String name) {
        RegistryInputs.name(name);
        return Panache.withSession(() -> models.findByName(name).flatMap(m -> {
            if (m == null) {
                throw RegistryInputs.modelNotFound(name);
            }
            return views.model(m);
        }));
    }

    public Uni<ResultPage<ModelView>> search(String filter, long maxResults, List<String> orderBy, String pageToken) {
        if (maxResults < 1 || maxResults > MAX_SEARCH_RESULTS) {
            throw ApiException.invalidParameter("Invalid value for request parameter max_results. It must be at most "
                    + MAX_SEARCH_RESULTS + ", but got value " + maxResults);
        }
        int limit = (int) maxResults;
        long offset = PageToken.decodeOffset(pageToken);
        var query = RegistrySearchSql.models(
                SearchParser.parseFilter(RegistryGrammars.REGISTERED_MODELS, filter),
                SearchParser.parseOrderBy(RegistryGrammars.REGISTERED_MODELS, orderBy),
                limit + 1,
                offset);
        return pool.preparedQuery(query.sql()).execute(query.tuple()).flatMap(rows -> {
            List<UUID> ids = new ArrayList<>();
            rows.forEach(r -> ids.add(r.getUUID("model_id")));
            boolean more = ids.size() > limit;
            List<UUID> page = more ? ids.subList(0, limit) : ids;
            String next = more ? PageToken.encode(offset + limit) : null;
            if (page.isEmpty()) {
                return Uni.createFrom().item(new ResultPage<ModelView>(List.of(), next));
            }
            return Panache.withSession(() -> models.list("id in ?1", page).flatMap(found -> {
                        List<RegisteredModel> ordered = new ArrayList<>();
                        for (UUID id : page) {
                            found.stream()
                                    .filter(m -> m.id.equals(id))
                                    .findFirst()
                                    .ifPresent(ordered::add);
                        }
                        return views.models(ordered);
                    }))
                    .map(list -> new ResultPage<>(list, next));
        });
    }

    /** The latest version in each of the stages (all stages if none are given). */
    public Uni<List<VersionView>> latestVersions(String name, List<String> stages) {
        RegistryInputs.name(name);
        List<String> wanted = stages.isEmpty()
                ? RegistryInputs.STAGES
                : stages.stream().map(RegistryInputs::stage).toList();
        return get(name).map(view -> {
            List<VersionView> latest = new ArrayList<>();
            for (String stage : wanted) {
                view.latestVersions().stream()
                        .filter(v -> v.version().currentStage.equals(stage))
                        .findFirst()
                        .ifPresent(latest::add);
            }
            return latest;
        });
    }

    public Uni<Void> setTag(String actor, String name, String key, String value) {
        RegistryInputs.name(name);
        RegistryInputs.modelTag(key, value);
        return changeModel(
                        actor,
                        name,
                        RegistryChangeKind.REGISTERED_MODEL_TAG_SET,
                        m -> Detail.modelTag(key),
                        model -> tags.findById(new RegisteredModelTag.Id(model.id, key))
                                .flatMap(tag -> {
                                    if (tag != null) {
                                        tag.value = value;
                                        return Uni.createFrom().voidItem();
                                    }
                                    return tags.persist(new RegisteredModelTag(model.id, key, value));
                                }))
                .replaceWithVoid();
    }

    /** Deletes a tag; deleting a tag the model does not have changes nothing, as in MLflow. */
    public Uni<Void> deleteTag(String actor, String name, String key) {
        RegistryInputs.name(name);
        Inputs.required(key, "key");
        return change(() -> locked(name)
                .flatMap(model -> views.model(model).map(RegistryEvents::state).flatMap(before -> tags.deleteById(
                                new RegisteredModelTag.Id(model.id, key))
                        .flatMap(deleted -> !deleted
                                ? Uni.createFrom().voidItem()
                                : Panache.getSession()
                                        .flatMap(s -> s.flush())
                                        .flatMap(flushed -> views.model(model))
                                        .flatMap(after -> events.modelChange(
                                                actor,
                                                RegistryChangeKind.REGISTERED_MODEL_TAG_DELETED,
                                                model,
                                                before,
                                                RegistryEvents.state(after),
                                                Detail.modelTag(key)))))));
    }

    public Uni<Void> setAlias(String actor, String name, String alias, String version) {
        RegistryInputs.name(name);
        RegistryInputs.alias(alias);
        int number = RegistryInputs.version(version);
        return changeModel(
                        actor,
                        name,
                        RegistryChangeKind.MODEL_VERSION_ALIAS_SET,
                        m -> Detail.alias(alias, number),
                        model -> versions.findById(new dev.skein.registry.ModelVersion.Id(model.id, number))
                                .flatMap(v -> {
                                    if (v == null) {
                                        throw RegistryInputs.versionNotFound(name, number);
                                    }
                                    return aliases.findById(new ModelAlias.Id(model.id, alias));
                                })
                                .flatMap(existing -> {
                                    if (existing != null) {
                                        existing.version = number;
                                        return Uni.createFrom().voidItem();
                                    }
                                    return aliases.persist(new ModelAlias(model.id, alias, number));
                                }))
                .replaceWithVoid();
    }

    public Uni<Void> deleteAlias(String actor, String name, String alias) {
        RegistryInputs.name(name);
        RegistryInputs.alias(alias);
        return change(() -> locked(name)
                .flatMap(model -> views.model(model).map(RegistryEvents::state).flatMap(before -> aliases.findById(
                                new ModelAlias.Id(model.id, alias))
                        .flatMap(existing -> {
                            if (existing == null) {
                                throw ApiException.notFound("Registered model alias " + alias + " not found.");
                            }
                            int version = existing.version;
                            return aliases.delete(existing)
                                    .flatMap(deleted -> Panache.getSession().flatMap(s -> s.flush()))
                                    .flatMap(flushed -> views.model(model))
                                    .flatMap(after -> events.modelChange(
                                            actor,
                                            RegistryChangeKind.MODEL_VERSION_ALIAS_DELETED,
                                            model,
                                            before,
                                            RegistryEvents.state(after),
                                            Detail.alias(alias, version)));
                        }))));
    }

    public Uni<VersionView> byAlias(String name, String alias) {
        RegistryInputs.name(name);
        Inputs.required(alias, "alias");
        return Panache.withSession(() -> models.findByName(name).flatMap(m -> {
            if (m == null) {
                throw RegistryInputs.modelNotFound(name);
            }
            return aliases.findById(new ModelAlias.Id(m.id, alias))
                    .flatMap(a -> {
                        if (a == null) {
                            throw ApiException.notFound("Registered model alias " + alias + " not found.");
                        }
                        return versions.findById(new dev.skein.registry.ModelVersion.Id(m.id, a.version));
                    })
                    .flatMap(v -> views.version(m.name, v));
        }));
    }
}
