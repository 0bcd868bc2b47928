package dev.skein.registry.service;

import dev.skein.common.actor.Actors;
import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.paging.ResultPage;
import dev.skein.common.search.SearchParser;
import dev.skein.common.validation.Inputs;
import dev.skein.common.vertx.CallerContext;
import dev.skein.events.v1.ModelVersionState;
import dev.skein.events.v1.RegistryChangeKind;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.registry.KeyValue;
import dev.skein.registry.ModelAlias;
import dev.skein.registry.ModelVersion;
import dev.skein.registry.ModelVersionTag;
import dev.skein.registry.RegisteredModel;
import dev.skein.registry.VersionView;
import dev.skein.registry.client.TrackingClient;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/** MLflow's model version use cases; changes go through {@link ModelService#change} like every registry change. */
@ApplicationScoped
public class VersionService {

    static final int MAX_SEARCH_RESULTS = 200_000;

    private static final Pattern MODELS_URI = Pattern.compile("^models:/([^/@]+)(?:/([^/]+)|@([^/]+))(/.*)?$");
    /** MLflow 3: {@code models:/<model_id>}, a logged model (one segment, no alias). */
    private static final Pattern LOGGED_MODEL_URI = Pattern.compile("^models:/([^/@]+)$");
    /** MLflow 3's version tag that makes a version a prompt's. */
    static final String PROMPT_TAG = "mlflow.prompt.is_prompt";

    private static final Logger LOG = Logger.getLogger(VersionService.class);

    private final ModelService models;
    private final RegisteredModelRepository modelRepository;
    private final ModelVersionRepository versions;
    private final TagRepositories.VersionTags tags;
    private final TagRepositories.Aliases aliases;
    private final RegistryViews views;
    private final RegistryEvents events;
    private final TrackingClient tracking;
    private final Pool pool;

    public VersionService(
            ModelService models,
            RegisteredModelRepository modelRepository,
            ModelVersionRepository versions,
            TagRepositories.VersionTags tags,
            TagRepositories.Aliases aliases,
            RegistryViews views,
            RegistryEvents events,
            TrackingClient tracking,
            Pool pool) {
        this.models = models;
        this.modelRepository = modelRepository;
        this.versions = versions;
        this.tags = tags;
        this.aliases = aliases;
        this.views = views;
        this.events = events;
        this.tracking = tracking;
        this.pool = pool;
    }

    private Uni<ModelVersion> version(RegisteredModel model, int number) {
        return versions.findById(new ModelVersion.Id(model.id, number)).map(v -> {
            if (v == null) {
                throw RegistryInputs.versionNotFound(model.name, number);
            }
            return v;
        });
    }

    private Uni<ModelVersionState> snapshot(RegisteredModel model, ModelVersion version) {
        return views.version(model.name, version).map(RegistryEvents::state);
    }

    /** Flushes the change and reads the version as it now is. */
    private Uni<VersionView> reread(RegisteredModel model, ModelVersion version) {
        return Panache.getSession().flatMap(s -> s.flush()).flatMap(flushed -> views.version(model.name, version));
    }

    public Uni<VersionView> create(
            String actor,
            String name,
            String source,
            String runId,
            List<KeyValue> tagList,
            String runLink,
            String description,
            String modelId) {
        RegistryInputs.name(name);
        Inputs.required(source, "source");
        RegistryInputs.description(description);
        Map<String, String> tagMap = new LinkedHashMap<>();
        for (KeyValue t : tagList) {
            RegistryInputs.versionTag(t.key(), t.value());
            tagMap.put(t.key(), t.value());
        }
        String run = runId == null || runId.isEmpty() ? null : runId;
        String loggedModelId = modelId == null || modelId.isEmpty() ? null : modelId;
        // MLflow 3: a prompt version (any tag mlflow.prompt.is_prompt) has no files; its source
        // ("dummy-source") is not checked.
        boolean prompt = tagMap.containsKey(PROMPT_TAG);
        Executor caller = CallerContext.capture();
        // Lineage is checked before the transaction (no remote call while the model is locked), then
        // the work comes back to the request's context, where Hibernate Reactive runs.
        Uni<Void> checked = prompt
                ? Uni.createFrom().voidItem()
                : loggedModelId != null ? checkSourceOfModel(source, loggedModelId) : checkSource(source, run);
        return checked.flatMap(ok -> lineage(source, run, loggedModelId))
                .emitOn(caller)
                .flatMap(lineage -> models.change(() -> models.locked(name).flatMap(model -> (lineage.location() != null
                                ? Uni.createFrom().item(lineage.location())
                                : resolveModelsSource(source))
                        .flatMap(location -> {
                            long now = System.currentTimeMillis();
                            model.lastVersion += 1;
                            model.lastUpdatedTime = now;
                            ModelVersion v = new ModelVersion();
                            v.id = new ModelVersion.Id(model.id, model.lastVersion);
                            v.source = source;
                            v.storageLocation = location;
                            v.runId = lineage.runId();
                            v.loggedModelId = loggedModelId;
                            v.runLink = runLink;
                            v.description = description;
                            v.userId = Actors.known(actor);
                            v.currentStage = ModelVersion.NONE;
                            v.status = "READY";
                            v.creationTime = now;
                            v.lastUpdatedTime = now;
                            List<ModelVersionTag> rows = new ArrayList<>();
                            tagMap.forEach((k, val) -> rows.add(new ModelVersionTag(model.id, v.id.version(), k, val)));
                            return versions.persist(v)
                                    .flatMap(saved ->
                                            rows.isEmpty() ? Uni.createFrom().voidItem() : tags.persist(rows.stream()))
                                    .flatMap(saved -> reread(model, v))
                                    .flatMap(after -> events.versionChange(
                                                    actor,
                                                    RegistryChangeKind.MODEL_VERSION_CREATED,
                                                    model,
                                                    null,
                                                    RegistryEvents.state(after),
                                                    Detail.version(v.id.version()))
                                            .replaceWith(after));
                        }))))
                .flatMap(created -> prompt || loggedModelId == null
                        ? Uni.createFrom().item(created)
                        : recordOnLoggedModel(created, loggedModelId)
                                .emitOn(caller)
                                .replaceWith(created));
    }

    /** What a version's lineage resolved to before it is written: its files' location (null: from its source) and run. */
    private record Lineage(String location, String runId) {}

    /**
     * MLflow 3's lineage of a new version: a {@code models:/<model_id>} source is the logged model's
     * artifact location, and its run the version's unless one was given; failing that, a {@code
     * model_id} names the run. A logged model tracking-service does not know is refused as MLflow
     * refuses it: wrapped in "Unable to fetch model …" for a source, tracking's own answer for a
     * {@code model_id}.
     */
    private Uni<Lineage> lineage(String source, String runId, String modelId) {
        Matcher logged = LOGGED_MODEL_URI.matcher(source);
        Uni<Lineage> fromSource = !logged.matches()
                ? Uni.createFrom().item(new Lineage(null, runId))
                : tracking.loggedModel(logged.group(1))
                        .map(m -> new Lineage(m.artifactUri(), runId != null ? runId : m.sourceRunId()))
                        .onFailure(ApiException.class)
                        .transform(e -> ((ApiException) e).code() == ErrorCode.TEMPORARILY_UNAVAILABLE
                                ? e
                                : unfetchable(source, e.getMessage()));
        return fromSource.flatMap(l -> l.runId() != null || modelId == null
                ? Uni.createFrom().item(l)
                : tracking.loggedModel(modelId).map(m -> new Lineage(l.location(), m.sourceRunId())));
    }

    /**
     * What MLflow 3's server does once a version of a logged model exists: the logged model's tag
     * {@code mlflow.modelVersions} lists it ({@code [{"name": "iris", "version": 1}]}, appended to,
     * a version listed already not twice; tracking-service appends under the model's lock, so
     * versions registered at once are all listed). Done after the version is committed, as MLflow
     * does; a failure is logged, not answered: the version exists and the client must not retry it.
     */
    private Uni<Void> recordOnLoggedModel(VersionView created, String modelId) {
        String name = created.modelName();
        int number = created.version().id.version();
        return tracking.listLoggedModelVersion(modelId, name, number)
                .onFailure()
                .recoverWithUni(e -> {
                    LOG.warnf(
                            "Version %d of model '%s' was created, but logged model %s could not be tagged with it: %s",
                            number, name, modelId, e.getMessage());
                    return Uni.createFrom().voidItem();
                });
    }

    /**
     * MLflow 3's check of a source given with a {@code model_id}: a local path only inside the logged
     * model's local artifact directory (never, for Skein's artifacts are not local), any other URI
     * only as an absolute path without relative references.
     */
    private Uni<Void> checkSourceOfModel(String source, String modelId) {
        if (!ModelSources.isLocal(source)) {
            ModelSources.checkAbsolute(source);
            return Uni.createFrom().voidItem();
        }
        return tracking.loggedModel(modelId).map(found -> {
            if (!ModelSources.isWithin(source, found.artifactUri())) {
                throw ModelSources.localSourceOfModelRefused(source);
            }
            return null;
        });
    }

    /**
     * MLflow's check of a source before a version is created: a local path only inside the local
     * artifact directory of the version's run (which must then exist), any other URI only as an
     * absolute path without relative references. A {@code run_id} is otherwise recorded as given.
     */
    private Uni<Void> checkSource(String source, String runId) {
        if (!ModelSources.isLocal(source)) {
            ModelSources.checkAbsolute(source);
            return Uni.createFrom().voidItem();
        }
        if (runId == null) {
            throw ModelSources.localSourceRefused(source);
        }
        return tracking.run(runId).map(found -> {
            if (found.isEmpty()) {
                throw ApiException.notFound("Run with id=" + runId + " not found");
            }
            if (!ModelSources.isWithin(source, found.get().artifactUri())) {
                throw ModelSources.localSourceRefused(source);
            }
            return null;
        });
    }

    /**
     * The storage location of a version's source, as MLflow keeps it: a {@code
     * models:/<name>/<version|stage>} or {@code models:/<name>@<alias>} source as that version's own
     * location (a version copied from another model), any other URI — {@code runs:/} included, which
     * artifact-service resolves to the run's artifacts when the files are read — as it is.
     */
    private Uni<String> resolveModelsSource(String source) {
        Matcher m = MODELS_URI.matcher(source);
        if (!m.matches()) {
            if (ModelSources.parse(source).scheme().equals("models")) {
                throw unfetchable(source, "Not a proper models:/ URI: " + source);
            }
            return Uni.createFrom().item(source);
        }
        String name = m.group(1);
        String suffix = m.group(4) == null ? "" : m.group(4);
        return modelRepository.findByName(name).flatMap(model -> {
            if (model == null) {
                throw unfetchable(source, RegistryInputs.modelNotFound(name).getMessage());
            }
            Uni<ModelVersion> target;
            if (m.group(3) != null) {
                target = aliases.findById(new ModelAlias.Id(model.id, m.group(3)))
                        .flatMap(a -> a == null
                                ? Uni.createFrom().nullItem()
                                : versions.findById(new ModelVersion.Id(model.id, a.version)));
            } else if (m.group(2).matches("\\d+")) {
                target = versions.findById(new ModelVersion.Id(model.id, Integer.parseInt(m.group(2))));
            } else {
                String stage;
                try {
                    stage = RegistryInputs.stage(m.group(2));
                } catch (ApiException e) {
                    throw unfetchable(source, e.getMessage());
                }
                target = versions.inStage(model.id, stage)
                        .map(list -> list.isEmpty() ? null : list.get(list.size() - 1));
            }
            return target.map(v -> {
                if (v == null) {
                    String which = m.group(3) != null ? "@" + m.group(3) : "/" + m.group(2);
                    throw unfetchable(
                            source,
                            m.group(2) != null && m.group(2).matches("\\d+")
                                    ? RegistryInputs.versionNotFound(name, m.group(2))
                                            .getMessage()
                                    : "No model version " + name + which + " found");
                }
                return suffix.isEmpty() ? v.storageLocation : join(v.storageLocation, suffix.substring(1));
            });
        });
    }

    /** MLflow's refusal of a {@code models:/} source it cannot follow. */
    private static ApiException unfetchable(String source, String error) {
        return ApiException.invalidParameter(
                "Unable to fetch model from model URI source artifact location '" + source + "'.Error: " + error);
    }

    private static String join(String root, String path) {
        return root.endsWith("/") ? root + path : root + "/" + path;
    }

    public Uni<VersionView> update(String actor, String name, String version, String description) {
        RegistryInputs.name(name);
        int number = RegistryInputs.version(version);
        RegistryInputs.description(description);
        return models.change(() -> models.locked(name).flatMap(model -> version(model, number)
                .flatMap(v -> snapshot(model, v).flatMap(before -> {
                    v.description = description;
                    v.lastUpdatedTime = System.currentTimeMillis();
                    return reread(model, v).flatMap(after -> events.versionChange(
                                    actor,
                                    RegistryChangeKind.MODEL_VERSION_UPDATED,
                                    model,
                                    before,
                                    RegistryEvents.state(after),
                                    Detail.version(number))
                            .replaceWith(after));
                }))));
    }

    /**
     * Moves a version to a stage; with {@code archive_existing_versions}, the other versions in that
     * stage (Staging or Production) move to Archived. Every version that moves is an event.
     */
    public Uni<VersionView> transition(
            String actor, String name, String version, String stage, Boolean archiveExisting) {
        RegistryInputs.name(name);
        int number = RegistryInputs.version(version);
        String target = RegistryInputs.stage(stage);
        if (archiveExisting == null) {
            throw ApiException.missing("archive_existing_versions");
        }
        if (archiveExisting && !(target.equals(ModelVersion.STAGING) || target.equals(ModelVersion.PRODUCTION))) {
            throw ApiException.invalidParameter("Model version transition cannot archive existing model versions"
                    + " because '" + target + "' is not an Active stage. Valid stages are Staging, Production");
        }
        return models.change(() -> models.locked(name).flatMap(model -> version(model, number)
                .flatMap(v -> move(actor, model, v, target))
                .flatMap(moved -> !archiveExisting
                        ? Uni.createFrom().item(moved)
                        : versions.inStage(model.id, target).flatMap(others -> {
                            Uni<Void> chain = Uni.createFrom().voidItem();
                            for (ModelVersion other : others) {
                                if (other.id.version() != number) {
                                    chain = chain.flatMap(x -> move(actor, model, other, ModelVersion.ARCHIVED)
                                            .replaceWithVoid());
                                }
                            }
                            return chain.flatMap(x -> views.version(model.name, moved.version()));
                        }))));
    }

    private Uni<VersionView> move(String actor, RegisteredModel model, ModelVersion v, String stage) {
        return snapshot(model, v).flatMap(before -> {
            long now = System.currentTimeMillis();
            v.currentStage = stage;
            v.lastUpdatedTime = now;
            model.lastUpdatedTime = now;
            return reread(model, v).flatMap(after -> events.versionChange(
                            actor,
                            RegistryChangeKind.MODEL_VERSION_STAGE_TRANSITIONED,
                            model,
                            before,
                            RegistryEvents.state(after),
                            Detail.version(v.id.version()))
                    .replaceWith(after));
        });
    }

    /**
     * Deletes a version with its tags and the aliases pointing at it; the model's last update time is
     * the deletion's, as in MLflow. Its number is not reused.
     */
    public Uni<Void> delete(String actor, String name, String version) {
        RegistryInputs.name(name);
        int number = RegistryInputs.version(version);
        return models.change(() -> models.locked(name)
                .flatMap(model -> version(model, number).flatMap(v -> snapshot(model, v)
                        .flatMap(before -> events.versionChange(
                                actor,
                                RegistryChangeKind.MODEL_VERSION_DELETED,
                                model,
                                before,
                                null,
                                Detail.version(number)))
                        .flatMap(recorded -> {
                            model.lastUpdatedTime = System.currentTimeMillis();
                            return versions.delete(v);
                        }))));
    }

    public Uni<VersionView> get(String name, String version) {
        RegistryInputs.name(name);
        int number = RegistryInputs.version(version);
        return Panache.withSession(() -> modelRepository.findByName(name).flatMap(model -> {
            if (model == null) {
                throw RegistryInputs.modelNotFound(name);
            }
            return version(model, number).flatMap(v -> views.version(model.name, v));
        }));
    }

    public Uni<String> downloadUri(String name, String version) {
        return get(name, version).map(v -> v.version().storageLocation);
    }

    /**
     * Tags {@value #AUDIT_TAG_PREFIX}* hold evaluation-service's audit verdicts (recorded from its events by
     * {@link AuditVerdicts}, never through this API): no caller sets or deletes them, so that a gate reading
     * them reads the audit's word.
     */
    public static final String AUDIT_TAG_PREFIX = "skein.audit.";

    private static void reserved(String key) {
        if (key.startsWith(AUDIT_TAG_PREFIX)) {
            throw ApiException.invalidParameter("Tags " + AUDIT_TAG_PREFIX + "* are the audit's verdict, set by"
                    + " evaluation-service only; '" + key + "' cannot be set or deleted");
        }
    }

    public Uni<Void> setTag(String actor, String name, String version, String key, String value) {
        RegistryInputs.name(name);
        int number = RegistryInputs.version(version);
        RegistryInputs.versionTag(key, value);
        reserved(key);
        return models.change(() -> setTags(actor, name, number, Map.of(key, value)));
    }

    /**
     * Sets tags of a version inside the caller's transaction ({@link ModelService#change}), each its
     * own change (MODEL_VERSION_TAG_SET) in the map's order, so that they commit together or not at
     * all. The inputs are checked already; a model or version that does not exist is MLflow's
     * not-found error.
     */
    Uni<Void> setTags(String actor, String name, int number, Map<String, String> tagsToSet) {
        return models.locked(name).flatMap(model -> version(model, number).flatMap(v -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (Map.Entry<String, String> t : tagsToSet.entrySet()) {
                chain = chain.flatMap(x -> setTag(actor, model, v, t.getKey(), t.getValue()));
            }
            return chain;
        }));
    }

    private Uni<Void> setTag(String actor, RegisteredModel model, ModelVersion v, String key, String value) {
        int number = v.id.version();
        return snapshot(model, v).flatMap(before -> tags.findById(new ModelVersionTag.Id(model.id, number, key))
                .flatMap(tag -> {
                    if (tag != null) {
                        tag.value = value;
                        return Uni.createFrom().voidItem();
                    }
                    return tags.persist(new ModelVersionTag(model.id, number, key, value))
                            .replaceWithVoid();
                })
                .flatMap(x -> reread(model, v))
                .flatMap(after -> events.versionChange(
                        actor,
                        RegistryChangeKind.MODEL_VERSION_TAG_SET,
                        model,
                        before,
                        RegistryEvents.state(after),
                        Detail.versionTag(number, key))));
    }

    /** Deletes a tag; deleting a tag the version does not have changes nothing, as in MLflow. */
    public Uni<Void> deleteTag(String actor, String name, String version, String key) {
        RegistryInputs.name(name);
        int number = RegistryInputs.version(version);
        Inputs.required(key, "key");
        reserved(key);
        return models.change(() -> models.locked(name)
                .flatMap(model -> version(model, number).flatMap(v -> snapshot(model, v)
                        .flatMap(before -> tags.deleteById(new ModelVersionTag.Id(model.id, number, key))
                                .flatMap(deleted -> !deleted
                                        ? Uni.createFrom().voidItem()
                                        : reread(model, v)
                                                .flatMap(after -> events.versionChange(
                                                        actor,
                                                        RegistryChangeKind.MODEL_VERSION_TAG_DELETED,
                                                        model,
                                                        before,
                                                        RegistryEvents.state(after),
                                                        Detail.versionTag(number, key))))))));
    }

    public Uni<ResultPage<VersionView>> search(String filter, long maxResults, List<String> orderBy, String pageToken) {
        if (maxResults < 1 || maxResults > MAX_SEARCH_RESULTS) {
            throw ApiException.invalidParameter("Invalid value for request parameter max_results. It must be at most "
                    + MAX_SEARCH_RESULTS + ", but got value " + maxResults);
        }
        int limit = (int) maxResults;
        long offset = PageToken.decodeOffset(pageToken);
        var query = RegistrySearchSql.versions(
                SearchParser.parseFilter(RegistryGrammars.MODEL_VERSIONS, filter),
                SearchParser.parseOrderBy(RegistryGrammars.MODEL_VERSIONS, orderBy),
                limit + 1,
                offset);
        return pool.preparedQuery(query.sql()).execute(query.tuple()).flatMap(rows -> {
            List<ModelVersion.Id> keys = new ArrayList<>();
            rows.forEach(r -> keys.add(new ModelVersion.Id(r.getUUID("model_id"), r.getInteger("version"))));
            boolean more = keys.size() > limit;
            List<ModelVersion.Id> page = more ? keys.subList(0, limit) : keys;
            String next = more ? PageToken.encode(offset + limit) : null;
            if (page.isEmpty()) {
                return Uni.createFrom().item(new ResultPage<VersionView>(List.of(), next));
            }
            Set<UUID> modelIds = new LinkedHashSet<>();
            page.forEach(k -> modelIds.add(k.modelId()));
            return Panache.withSession(
                            () -> modelRepository.list("id in ?1", modelIds).flatMap(found -> versions.list(
                                            "id.modelId in ?1", modelIds)
                                    .flatMap(all -> {
                                        Map<UUID, String> names = new HashMap<>();
                                        found.forEach(m -> names.put(m.id, m.name));
                                        Map<ModelVersion.Id, ModelVersion> byKey = new HashMap<>();
                                        all.forEach(v -> byKey.put(v.id, v));
                                        List<ModelVersion> ordered = page.stream()
                                                .map(byKey::get)
                                                .filter(java.util.Objects::nonNull)
                                                .toList();
                                        return views.versions(ordered, names);
                                    })))
                    .map(list -> new ResultPage<>(list, next));
        });
    }
}
