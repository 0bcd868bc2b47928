package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.paging.ResultPage;
import dev.skein.common.persistence.DatabaseFailures;
import dev.skein.common.search.SearchParser;
import dev.skein.common.validation.Inputs;
import dev.skein.tracking.Experiment;
import dev.skein.tracking.ExperimentTag;
import dev.skein.tracking.ExperimentView;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.ViewType;
import dev.skein.tracking.config.TrackingConfig;
import dev.skein.tracking.messaging.OutboxPublisher;
import dev.skein.tracking.repository.ExperimentRepository;
import dev.skein.tracking.repository.ExperimentTagRepository;
import dev.skein.tracking.repository.SearchRepository;
import dev.skein.tracking.search.ExperimentSearchSql;
import dev.skein.tracking.search.TrackingGrammars;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** MLflow's experiment use cases. */
@ApplicationScoped
public class ExperimentService {

    static final int MAX_SEARCH_RESULTS = 50_000;

    private final ExperimentRepository experiments;
    private final ExperimentTagRepository tags;
    private final OutboxPublisher publisher;
    private final SearchRepository search;
    private final String artifactRoot;

    public ExperimentService(
            ExperimentRepository experiments,
            ExperimentTagRepository tags,
            OutboxPublisher publisher,
            SearchRepository search,
            TrackingConfig config) {
        this.experiments = experiments;
        this.tags = tags;
        this.publisher = publisher;
        this.search = search;
        this.artifactRoot = config.defaultArtifactRoot();
    }

    public Uni<Long> create(String name, String artifactLocation, List<KeyValue> tagList) {
        Inputs.required(name, "name");
        Validation.experimentName(name);
        if (artifactLocation != null && artifactLocation.startsWith("runs:")) {
            throw ApiException.invalidParameter(
                    "Artifact location cannot be a runs:/ URI. Given: '" + artifactLocation + "'");
        }
        String location = resolveLocation(artifactRoot, artifactLocation);
        Map<String, String> tagMap = new LinkedHashMap<>();
        for (KeyValue t : tagList) {
            Validation.experimentTag(t.key(), t.value());
            tagMap.put(t.key(), t.value());
        }
        return Panache.withTransaction(() -> experiments
                        .findByName(name)
                        .flatMap(existing -> {
                            if (existing != null) {
                                throw alreadyExists(name);
                            }
                            return Panache.getSession().flatMap(s -> s.createNativeQuery(
                                            "SELECT nextval('tracking.experiments_seq')", Long.class)
                                    .getSingleResult());
                        })
                        .flatMap(id -> {
                            long now = System.currentTimeMillis();
                            Experiment e = new Experiment();
                            e.id = id;
                            e.name = name;
                            e.artifactLocation = location == null ? join(artifactRoot, Long.toString(id)) : location;
                            e.lifecycleStage = Experiment.ACTIVE;
                            e.creationTime = now;
                            e.lastUpdateTime = now;
                            List<ExperimentTag> rows = new ArrayList<>();
                            tagMap.forEach((k, v) -> rows.add(new ExperimentTag(id, k, v)));
                            return experiments
                                    .persist(e)
                                    .flatMap(saved ->
                                            rows.isEmpty() ? Uni.createFrom().voidItem() : tags.persist(rows.stream()))
                                    .replaceWith(id);
                        }))
                .onFailure(DatabaseFailures::isUniqueViolation)
                .transform(f -> alreadyExists(name));
    }

    private static ApiException alreadyExists(String name) {
        return ApiException.alreadyExists("Experiment(name=" + name + ") already exists.");
    }

    private static final Pattern URI_SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.\\-]*:");

    /**
     * The artifact location an experiment is created with; null for the default. MLflow makes a
     * relative local path absolute ({@code resolve_uri_if_local}: against the server's working
     * directory); Skein keeps artifacts in its store, not on the server's disk, so a relative path is
     * resolved under the default artifact root instead ({@code my_location} becomes {@code
     * mlflow-artifacts:/my_location}), where artifact-service serves it. It may not climb out of the
     * root. URIs and absolute paths are kept as given.
     */
    static String resolveLocation(String root, String location) {
        if (location == null || location.isEmpty()) {
            return null;
        }
        if (location.contains("#")) {
            throw ApiException.invalidParameter("'artifact_location' URL can't include fragments or params.");
        }
        if (location.startsWith("/") || URI_SCHEME.matcher(location).find()) {
            return location;
        }
        String path = Inputs.normalizePath(location);
        if (path.equals(".")) {
            return null;
        }
        if (path.equals("..") || path.startsWith("../")) {
            throw ApiException.invalidParameter("Invalid artifact location '" + location
                    + "': a relative location is resolved under the artifact root and cannot leave it.");
        }
        return join(root, path);
    }

    /** {@code root/child}, the way MLflow appends to an artifact URI ({@code mlflow-artifacts:} + 1 = {@code mlflow-artifacts:/1}). */
    static String join(String root, String child) {
        return root.endsWith("/") ? root + child : root + "/" + child;
    }

    public Uni<ExperimentView> get(String experimentId) {
        Inputs.required(experimentId, "experiment_id");
        long id = Ids.experimentId(experimentId);
        return Panache.withSession(() -> experiments.findById(id)).flatMap(e -> {
            if (e == null) {
                throw Ids.experimentNotFound(experimentId);
            }
            return search.withTags(List.of(e)).map(v -> v.get(0));
        });
    }

    public Uni<ExperimentView> getByName(String name) {
        Inputs.required(name, "experiment_name");
        return Panache.withSession(() -> experiments.findByName(name)).flatMap(e -> {
            if (e == null) {
                throw ApiException.notFound("Could not find experiment with name '" + name + "'");
            }
            return search.withTags(List.of(e)).map(v -> v.get(0));
        });
    }

    /** Marks the experiment and its active runs deleted; each run's deletion is an event. */
    public Uni<Void> delete(String experimentId, String actor) {
        Inputs.required(experimentId, "experiment_id");
        long id = Ids.experimentId(experimentId);
        return experiments
                .deleteWithRuns(id, System.currentTimeMillis(), actor)
                .map(change -> {
                    if (!Experiment.ACTIVE.equals(change.stageBefore())) {
                        throw Ids.experimentNotFound(experimentId);
                    }
                    return change;
                })
                .invoke(publisher::wake)
                .replaceWithVoid();
    }

    /** Restores the experiment and the runs that were deleted with it (not runs deleted before). */
    public Uni<Void> restore(String experimentId, String actor) {
        Inputs.required(experimentId, "experiment_id");
        long id = Ids.experimentId(experimentId);
        return experiments
                .restoreWithRuns(id, System.currentTimeMillis(), actor)
                .map(change -> {
                    if (!Experiment.DELETED.equals(change.stageBefore())) {
                        throw Ids.experimentNotFound(experimentId);
                    }
                    return change;
                })
                .invoke(publisher::wake)
                .replaceWithVoid();
    }

    /** The experiments and runs one purge call deleted for good; {@code more} when work was left for the next. */
    public record Purged(List<String> experimentIds, List<String> runIds, boolean more) {}

    /** Experiments one purge call takes at most (with at most {@link RunService#MAX_PURGE} of their runs). */
    static final int MAX_PURGE_EXPERIMENTS = 100;

    /**
     * Deletes experiments in the {@code deleted} stage for good, as {@code mlflow gc --experiment-ids}: the given
     * ones (each must exist, be deleted and be old enough; never the Default experiment), or else every deleted
     * experiment, oldest deletion first. Their runs go first (a RunPurged each), a bounded number per call.
     */
    public Uni<Purged> purgeDeleted(List<String> experimentIds, Long olderThanMs, String actor) {
        if (olderThanMs != null && olderThanMs < 0) {
            throw ApiException.invalidParameter("older_than_ms must not be negative, got " + olderThanMs);
        }
        if (experimentIds.size() > MAX_PURGE_EXPERIMENTS) {
            throw ApiException.invalidParameter(
                    "At most " + MAX_PURGE_EXPERIMENTS + " experiment_ids per call, got " + experimentIds.size());
        }
        List<Long> ids = new ArrayList<>();
        for (String id : experimentIds) {
            long parsed = Ids.experimentId(id);
            if (parsed == 0) {
                throw ApiException.invalidParameter("The Default experiment (0) cannot be purged.");
            }
            if (!ids.contains(parsed)) {
                ids.add(parsed);
            }
        }
        long now = System.currentTimeMillis();
        long cutoff = olderThanMs == null ? Long.MAX_VALUE : now - olderThanMs;
        return experiments
                .purgeDeleted(
                        ids,
                        cutoff,
                        MAX_PURGE_EXPERIMENTS,
                        RunService.MAX_PURGE,
                        locked -> checkPurgeable(ids, locked, cutoff),
                        id -> join(artifactRoot, Long.toString(id)),
                        now,
                        actor)
                .invoke(publisher::wake)
                .map(p -> new Purged(
                        p.experimentIds().stream().map(String::valueOf).toList(),
                        p.runs().stream().map(r -> r.runUuid).toList(),
                        p.more()));
    }

    private static void checkPurgeable(List<Long> ids, List<ExperimentRepository.Candidate> found, long cutoff) {
        Map<Long, ExperimentRepository.Candidate> byId = new LinkedHashMap<>();
        found.forEach(c -> byId.put(c.experimentId(), c));
        for (long id : ids) {
            ExperimentRepository.Candidate c = byId.get(id);
            if (c == null) {
                throw Ids.experimentNotFound(id);
            }
            if (!Experiment.DELETED.equals(c.lifecycleStage())) {
                throw ApiException.invalidParameter("Experiment " + id + " is not in `deleted` lifecycle stage. Only"
                        + " experiments in `deleted` lifecycle stage can be purged.");
            }
            if (c.lastUpdateTime() > cutoff) {
                throw ApiException.invalidParameter("Experiment " + id + " is not older than the required age.");
            }
        }
    }

    public Uni<Void> rename(String experimentId, String newName) {
        Inputs.required(experimentId, "experiment_id");
        Inputs.required(newName, "new_name");
        Validation.experimentName(newName);
        long id = Ids.experimentId(experimentId);
        // locked: a rename racing a delete must not write the experiment back as it read it
        return Panache.withTransaction(() -> experiments
                        .findById(id, LockModeType.PESSIMISTIC_WRITE)
                        .flatMap(e -> {
                            if (e == null) {
                                throw Ids.experimentNotFound(experimentId);
                            }
                            if (!e.isActive()) {
                                throw ApiException.invalidParameter("Cannot rename a non-active experiment.");
                            }
                            if (e.name.equals(newName)) {
                                return Uni.createFrom().voidItem();
                            }
                            return experiments.findByName(newName).map(clash -> {
                                if (clash != null) {
                                    throw alreadyExists(newName);
                                }
                                e.name = newName;
                                e.lastUpdateTime = System.currentTimeMillis();
                                return null;
                            });
                        }))
                .onFailure(DatabaseFailures::isUniqueViolation)
                .transform(f -> alreadyExists(newName))
                .replaceWithVoid();
    }

    public Uni<Void> setTag(String experimentId, String key, String value) {
        Inputs.required(experimentId, "experiment_id");
        Inputs.required(key, "key");
        if (value == null) {
            throw ApiException.missing("value");
        }
        Validation.experimentTag(key, value);
        long id = Ids.experimentId(experimentId);
        return Panache.withTransaction(() -> activeExperiment(id, experimentId)
                        .flatMap(e -> tags.findById(new ExperimentTag.Id(id, key)))
                        .flatMap(tag -> {
                            if (tag != null) {
                                tag.value = value;
                                return Uni.createFrom().voidItem();
                            }
                            return tags.persist(new ExperimentTag(id, key, value))
                                    .replaceWithVoid();
                        }))
                .onFailure(DatabaseFailures::isUniqueViolation)
                .recoverWithUni(f -> setTag(experimentId, key, value));
    }

    public Uni<Void> deleteTag(String experimentId, String key) {
        Inputs.required(experimentId, "experiment_id");
        Inputs.required(key, "key");
        long id = Ids.experimentId(experimentId);
        return Panache.withTransaction(() -> activeExperiment(id, experimentId)
                .flatMap(e -> tags.deleteById(new ExperimentTag.Id(id, key)))
                .map(deleted -> {
                    if (!deleted) {
                        throw ApiException.notFound(
                                "No tag with name: " + key + " in experiment with id " + experimentId);
                    }
                    return null;
                }));
    }

    private Uni<Experiment> activeExperiment(long id, String experimentId) {
        return experiments.findById(id).map(e -> requireActive(e, experimentId));
    }

    /** The experiment, which must exist and be active (for writes into it: runs, traces, tags). */
    public Uni<Experiment> active(String experimentId) {
        Inputs.required(experimentId, "experiment_id");
        long id = Ids.experimentId(experimentId);
        return Panache.withSession(() -> activeExperiment(id, experimentId));
    }

    /**
     * MLflow's refusals for a write into an experiment: not found if it is missing, invalid if it
     * is deleted. {@code experimentId} is the id as the caller gave it.
     */
    public static Experiment requireActive(Experiment e, String experimentId) {
        requireActive(e == null ? null : e.lifecycleStage, experimentId);
        return e;
    }

    /** The same refusals for an experiment read by SQL: {@code lifecycleStage} null if there is none. */
    public static void requireActive(String lifecycleStage, String experimentId) {
        if (lifecycleStage == null) {
            throw Ids.experimentNotFound(experimentId);
        }
        if (!Experiment.ACTIVE.equals(lifecycleStage)) {
            throw ApiException.invalidParameter("The experiment " + experimentId
                    + " must be in the 'active' state. Current state is " + lifecycleStage + ".");
        }
    }

    public Uni<ResultPage<ExperimentView>> search(
            long maxResults, String pageToken, String filter, List<String> orderBy, ViewType viewType) {
        if (maxResults < 1) {
            throw ApiException.invalidParameter(
                    "Invalid value for max_results. It must be a positive integer, but got " + maxResults);
        }
        if (maxResults > MAX_SEARCH_RESULTS) {
            throw ApiException.invalidParameter("Invalid value for max_results. It must be at most "
                    + MAX_SEARCH_RESULTS + ", but got " + maxResults);
        }
        PageToken.Position at = PageToken.decode(pageToken);
        int limit = (int) maxResults;
        var comparisons = SearchParser.parseFilter(TrackingGrammars.EXPERIMENTS, filter);
        var order = SearchParser.parseOrderBy(TrackingGrammars.EXPERIMENTS, orderBy);
        // pages after the first see only the experiments the first could
        Uni<Long> snapshot =
                at.snapshot() != null ? Uni.createFrom().item(at.snapshot()) : search.experimentsSnapshot();
        return snapshot.flatMap(seen -> search.experiments(
                        ExperimentSearchSql.build(viewType.stages(), comparisons, order, limit + 1, at.offset(), seen))
                .map(found -> found.size() > limit
                        ? new ResultPage<>(found.subList(0, limit), PageToken.encode(at.offset() + limit, seen))
                        : new ResultPage<>(found, null)));
    }
}
