package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.paging.ResultPage;
import dev.skein.common.search.Field;
import dev.skein.common.search.SearchParser;
import dev.skein.common.validation.Inputs;
import dev.skein.tracking.Experiment;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.Run;
import dev.skein.tracking.RunTag;
import dev.skein.tracking.RunView;
import dev.skein.tracking.ViewType;
import dev.skein.tracking.messaging.OutboxPublisher;
import dev.skein.tracking.messaging.RunEvents;
import dev.skein.tracking.repository.RunDataRepository;
import dev.skein.tracking.repository.RunRepository;
import dev.skein.tracking.repository.RunTagRepository;
import dev.skein.tracking.repository.SearchRepository;
import dev.skein.tracking.search.RunSearchSql;
import dev.skein.tracking.search.TrackingGrammars;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** MLflow's run lifecycle use cases; every change is an event in the outbox, in the same transaction. */
@ApplicationScoped
public class RunService {

    static final int MAX_SEARCH_RESULTS = 50_000;
    private static final Set<String> STATUSES = Set.of("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED");

    private final RunRepository runs;
    private final RunTagRepository runTags;
    private final RunEvents events;
    private final OutboxPublisher publisher;
    private final RunDataRepository data;
    private final SearchRepository search;
    private final RunCreator creator;

    public RunService(
            RunRepository runs,
            RunTagRepository runTags,
            RunEvents events,
            OutboxPublisher publisher,
            RunDataRepository data,
            SearchRepository search,
            RunCreator creator) {
        this.creator = creator;
        this.runs = runs;
        this.runTags = runTags;
        this.events = events;
        this.publisher = publisher;
        this.data = data;
        this.search = search;
    }

    public Uni<RunView> create(
            String experimentId, String userId, String runName, Long startTime, List<KeyValue> tagList, String actor) {
        String expId =
                experimentId == null || experimentId.isEmpty() ? Long.toString(Experiment.DEFAULT_ID) : experimentId;
        long id = Ids.experimentId(expId);
        Map<String, String> tags = new LinkedHashMap<>();
        for (KeyValue t : tagList) {
            Validation.tag(t.key(), t.value());
            tags.put(t.key(), t.value());
        }
        String tagName = tags.get(RunTag.RUN_NAME);
        if (runName != null && !runName.isEmpty() && tagName != null && !runName.equals(tagName)) {
            throw ApiException.invalidParameter(
                    "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with"
                            + " different values (run_name='" + runName + "', mlflow.runName='" + tagName + "').");
        }
        String name = runName != null && !runName.isEmpty() ? runName : tagName != null ? tagName : RunNames.generate();
        tags.putIfAbsent(RunTag.RUN_NAME, name);
        Run run = new Run();
        run.runUuid = UUID.randomUUID().toString().replace("-", "");
        run.experimentId = id;
        run.name = name;
        run.userId = userId;
        run.actor = actor;
        run.status = "RUNNING";
        run.startTime = startTime != null ? startTime : System.currentTimeMillis();
        run.lifecycleStage = Run.ACTIVE;
        return creator.create(expId, run, tags);
    }

    /**
     * The run's row, locked FOR UPDATE until the transaction ends: concurrent lifecycle changes of
     * one run take turns, each sees the last one's result, and their events are written to the
     * outbox in the order the changes commit — so the last event published for a run states what
     * the run is.
     */
    private Uni<Run> locked(String runId) {
        return runs.findById(runId, LockModeType.PESSIMISTIC_WRITE);
    }

    public Uni<Run> update(String runId, String status, Long endTime, String runName, String actor) {
        String id = requireRunId(runId);
        if (status != null && !STATUSES.contains(status)) {
            throw ApiException.invalidParameter("Invalid run status: '" + status + "'");
        }
        return Panache.withTransaction(() -> locked(id).flatMap(run -> {
                    if (run == null) {
                        throw RunDataRepository.runNotFound(id);
                    }
                    requireActive(run);
                    if (status != null) {
                        run.status = status;
                    }
                    if (endTime != null) {
                        run.endTime = endTime;
                    }
                    Uni<Void> nameTag = Uni.createFrom().voidItem();
                    if (runName != null && !runName.isEmpty()) {
                        Validation.tag(RunTag.RUN_NAME, runName);
                        run.name = runName;
                        nameTag = runTags.findById(new RunTag.Id(id, RunTag.RUN_NAME))
                                .flatMap(tag -> {
                                    if (tag != null) {
                                        tag.value = runName;
                                        return Uni.createFrom().voidItem();
                                    }
                                    return runTags.persist(new RunTag(id, RunTag.RUN_NAME, runName))
                                            .replaceWithVoid();
                                });
                    }
                    run.actor = actor;
                    return nameTag.flatMap(v -> publisher.append(List.of(events.updated(run))))
                            .replaceWith(run);
                }))
                .invoke(publisher::wake);
    }

    public Uni<Void> delete(String runId, String actor) {
        String id = requireRunId(runId);
        return Panache.withTransaction(() -> locked(id).flatMap(run -> {
                    if (run == null) {
                        throw RunDataRepository.runNotFound(id);
                    }
                    if (!run.isActive()) {
                        return Uni.createFrom().voidItem();
                    }
                    run.lifecycleStage = Run.DELETED;
                    run.deletedTime = System.currentTimeMillis();
                    run.actor = actor;
                    return publisher.append(List.of(events.deleted(run)));
                }))
                .invoke(publisher::wake);
    }

    public Uni<Void> restore(String runId, String actor) {
        String id = requireRunId(runId);
        return Panache.withTransaction(() -> locked(id).flatMap(run -> {
                    if (run == null) {
                        throw RunDataRepository.runNotFound(id);
                    }
                    if (run.isActive()) {
                        return Uni.createFrom().voidItem();
                    }
                    run.lifecycleStage = Run.ACTIVE;
                    run.deletedTime = null;
                    run.actor = actor;
                    return publisher.append(List.of(events.restored(run)));
                }))
                .invoke(publisher::wake);
    }

    /** The runs a purge deleted for good; {@code more} when others were left for the next call. */
    public record Purged(List<String> runIds, boolean more) {}

    static final int MAX_PURGE = 1000;

    /**
     * Deletes runs in the {@code deleted} stage for good, with all their data (the database cascades,
     * metric points are deleted here),
     * like {@code mlflow gc}: the given runs (each must be deleted, and old enough), or else every
     * deleted run, oldest deletion first. Each purge is a RunPurged event in the same transaction,
     * for exactly the runs deleted: one restored while the purge ran is neither purged nor announced.
     */
    public Uni<Purged> purgeDeleted(List<String> runIds, Long olderThanMs, Integer maxRuns, String actor) {
        int limit = maxRuns == null ? MAX_PURGE : maxRuns;
        if (limit < 1 || limit > MAX_PURGE) {
            throw ApiException.invalidParameter("max_runs must be between 1 and " + MAX_PURGE + ", got " + limit);
        }
        if (olderThanMs != null && olderThanMs < 0) {
            throw ApiException.invalidParameter("older_than_ms must not be negative, got " + olderThanMs);
        }
        if (runIds.size() > MAX_PURGE) {
            throw ApiException.invalidParameter("At most " + MAX_PURGE + " run_ids per call, got " + runIds.size());
        }
        runIds.forEach(RunService::requireRunId);
        long now = System.currentTimeMillis();
        long cutoff = olderThanMs == null ? Long.MAX_VALUE : now - olderThanMs;
        return runs.purgeDeleted(
                        runIds,
                        cutoff,
                        limit,
                        locked -> checkPurgeable(runIds, locked, cutoff),
                        purged -> purged.stream()
                                .map(r -> {
                                    r.actor = actor;
                                    return events.purged(r, now);
                                })
                                .toList())
                .invoke(publisher::wake)
                .map(p -> new Purged(p.purged().stream().map(r -> r.runUuid).toList(), p.more()));
    }

    private static List<Run> checkPurgeable(List<String> runIds, List<Run> found, long cutoff) {
        Map<String, Run> byId = new LinkedHashMap<>();
        found.forEach(r -> byId.put(r.runUuid, r));
        List<Run> ordered = new ArrayList<>();
        for (String id : new LinkedHashSet<>(runIds)) {
            Run run = byId.get(id);
            if (run == null) {
                throw RunDataRepository.runNotFound(id);
            }
            if (run.isActive()) {
                throw ApiException.invalidParameter("Run " + id + " is not in `deleted` lifecycle stage. Only runs in"
                        + " `deleted` lifecycle stage can be deleted.");
            }
            if (run.deletedTime != null && run.deletedTime > cutoff) {
                throw ApiException.invalidParameter("Run " + id + " is not older than the required age.");
            }
            ordered.add(run);
        }
        return ordered;
    }

    public Uni<RunView> get(String runId) {
        String id = requireRunId(runId);
        return data.findRun(id).flatMap(run -> {
            if (run == null) {
                throw RunDataRepository.runNotFound(id);
            }
            return data.withData(List.of(run)).map(views -> views.get(0));
        });
    }

    /**
     * Runs whose data one chunk of a search's answer reads and holds at once: a page of any size
     * (up to {@link #MAX_SEARCH_RESULTS}) leaves the service a chunk at a time, each read only once
     * the caller took the previous one, so an answer never has to fit in the heap whole.
     */
    static final int SEARCH_CHUNK = 200;

    /**
     * MLflow's runs/search, answered in chunks of at most {@link #SEARCH_CHUNK} runs with their data, in
     * the page's order; the last chunk (the only one, for at most that many runs) carries the next page
     * token. The runs of the page are chosen first, by one statement; each chunk's data is read when
     * the chunk is asked for.
     */
    public Multi<ResultPage<RunView>> search(
            List<String> experimentIds,
            String filter,
            ViewType viewType,
            int maxResults,
            List<String> orderBy,
            String pageToken) {
        if (maxResults < 1) {
            throw ApiException.invalidParameter(
                    "Invalid value for max_results. It must be a positive integer, but got " + maxResults);
        }
        if (maxResults > MAX_SEARCH_RESULTS) { // MLflow's handler refuses it, with its wording
            throw ApiException.invalidParameter("Invalid value " + maxResults
                    + " for parameter 'max_results' supplied: it must be at most " + MAX_SEARCH_RESULTS
                    + ". See the API docs for more information about request parameters.");
        }
        var comparisons = SearchParser.parseFilter(TrackingGrammars.RUNS, filter);
        var order = SearchParser.parseOrderBy(TrackingGrammars.RUNS, orderBy);
        RunPageToken.Position at = RunPageToken.decode(pageToken);
        RunSearchSql.After after = RunSearchSql.keyset(order) ? at.after() : null;
        boolean metricOrder = !order.isEmpty() && order.get(0).field().type() == Field.Type.METRIC;
        if (after != null && metricOrder && !isNumber(after.value())) {
            throw RunPageToken.invalid(pageToken);
        }
        Set<Long> ids = new LinkedHashSet<>();
        for (String e : experimentIds) {
            try {
                ids.add(Long.parseLong(e));
            } catch (NumberFormatException notOurs) {
                // no experiment has a non-numeric id: it simply matches nothing
            }
        }
        if (ids.isEmpty()) {
            return Multi.createFrom().item(new ResultPage<>(List.of(), null));
        }
        // pages after the first see only the runs the first could
        Uni<Long> snapshot = at.snapshot() != null ? Uni.createFrom().item(at.snapshot()) : search.runsSnapshot();
        return snapshot.onItem().transformToMulti(seen -> search.runs(RunSearchSql.build(
                        ids.toArray(Long[]::new),
                        viewType.stages(),
                        comparisons,
                        order,
                        maxResults + 1,
                        at.offset(),
                        seen,
                        after))
                .onItem()
                .transformToMulti(found -> {
                    boolean more = found.size() > maxResults;
                    List<Run> page = new ArrayList<>(Math.min(found.size(), maxResults));
                    for (int i = 0; i < found.size() && i < maxResults; i++) {
                        page.add(found.get(i).run());
                    }
                    String next = more
                            ? RunPageToken.encode(
                                    at.offset() + maxResults,
                                    seen,
                                    RunSearchSql.keyset(order) ? after(found.get(maxResults - 1)) : null)
                            : null;
                    if (page.size() <= SEARCH_CHUNK) {
                        return data.withData(page)
                                .map(views -> new ResultPage<>(views, next))
                                .toMulti();
                    }
                    List<List<Run>> chunks = new ArrayList<>();
                    for (int from = 0; from < page.size(); from += SEARCH_CHUNK) {
                        chunks.add(page.subList(from, Math.min(page.size(), from + SEARCH_CHUNK)));
                    }
                    return Multi.createFrom()
                            .iterable(chunks)
                            .onItem()
                            .transformToUniAndConcatenate(chunk -> data.withData(chunk)
                                    .map(views -> new ResultPage<>(
                                            views, chunk == chunks.get(chunks.size() - 1) ? next : null)));
                }));
    }

    /** Where the next page of a keyset search starts: after this run, if it has a value (else by offset). */
    private static RunSearchSql.After after(SearchRepository.Found last) {
        if (last.sortGroup() == null || last.sortGroup() != 0 || last.sortValue() == null) {
            return null;
        }
        Object value = last.sortValue();
        return new RunSearchSql.After(
                value instanceof Double d ? Double.toString(d) : value.toString(),
                last.run().startTime,
                last.run().runUuid);
    }

    private static boolean isNumber(String value) {
        try {
            Double.parseDouble(value);
            return true;
        } catch (NumberFormatException notANumber) {
            return false;
        }
    }

    static String requireRunId(String runId) {
        Inputs.required(runId, "run_id");
        Validation.runId(runId);
        return runId;
    }

    private static void requireActive(Run run) {
        if (!run.isActive()) {
            throw ApiException.invalidParameter("The run " + run.runUuid
                    + " must be in the 'active' state. Current state is " + run.lifecycleStage + ".");
        }
    }
}
