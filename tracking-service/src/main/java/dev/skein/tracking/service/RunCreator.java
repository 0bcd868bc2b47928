package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.vertx.CallerContext;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.Run;
import dev.skein.tracking.RunView;
import dev.skein.tracking.config.TrackingConfig;
import dev.skein.tracking.messaging.OutboxPublisher;
import dev.skein.tracking.messaging.RunEvents;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * Writes new runs in group transactions: the runs asked for while earlier groups are being written
 * wait in a queue and are written together — their rows, their tags and their {@code RunCreated}
 * events, set-based, in one transaction — so a burst of run creations costs a few commits instead of
 * one each. At most {@code max-concurrent-batches} groups are written at once, each of at most
 * {@code max-batch} runs; past {@code max-queued} waiting runs a creation is refused
 * (REQUEST_LIMIT_EXCEEDED) before any work. Every caller is answered on its own Vert.x context once
 * the group committed; a group that fails on a value (a data or integrity error) is written again one
 * run a transaction, so only the run at fault is refused.
 *
 * <p>A group locks its experiments FOR SHARE, as a single creation did: an experiment's deletion
 * (FOR UPDATE) waits for the runs being created in it and then deletes them too, or went first and
 * the runs are refused. It skips experiments another transaction has locked; their runs are written
 * after the group in a waiting lane, each experiment's together, waiting for the lock at most {@code
 * lock-timeout} — so one experiment being deleted or renamed does not hold up runs created in
 * others. A group not done within {@code deadline} is given up (its callers told to try again), so
 * a database that stopped answering cannot stop run creation for good.
 */
@ApplicationScoped
public class RunCreator {

    /** Marks an experiment another transaction holds. */
    private static final String[] LOCKED = new String[0];

    private static final String LOCK = "SELECT experiment_id, lifecycle_stage, artifact_location"
            + " FROM tracking.experiments WHERE experiment_id = ANY($1) FOR SHARE";

    private static final String INSERT_RUNS = "INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id,"
            + " status, start_time, lifecycle_stage, artifact_uri)"
            + " SELECT r.id, r.experiment, r.name, r.user_id, 'RUNNING', r.start, 'active', r.uri FROM unnest("
            + "$1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[])"
            + " WITH ORDINALITY AS r (id, experiment, name, user_id, start, uri, n) ORDER BY r.n";

    private static final String INSERT_TAGS = "INSERT INTO tracking.tags (run_uuid, key, value)"
            + " SELECT * FROM unnest($1::text[], $2::text[], $3::text[])";

    /** A run asked for, with whom to answer and where. */
    private record Pending(
            String experimentText,
            Run run,
            Map<String, String> tags,
            UniEmitter<? super RunView> answer,
            Executor caller) {

        void succeed() {
            List<KeyValue> sorted = tags.entrySet().stream()
                    .map(e -> new KeyValue(e.getKey(), e.getValue()))
                    .sorted(Comparator.comparing(KeyValue::key))
                    .toList();
            RunView view = new RunView(run, List.of(), List.of(), sorted, List.of());
            caller.execute(() -> answer.complete(view));
        }

        void fail(Throwable failure) {
            caller.execute(() -> answer.fail(failure));
        }
    }

    private final Pool pool;
    private final RunEvents events;
    private final OutboxPublisher publisher;
    private final int maxBatch;
    private final int maxBatches;
    private final int maxQueued;
    private final java.time.Duration lockTimeout;
    private final java.time.Duration deadline;

    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int writing;

    /** Runs of experiments a group found locked, written one experiment at a time, waiting for its lock. */
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();

    private boolean waitingLaneBusy;

    public RunCreator(Pool pool, RunEvents events, OutboxPublisher publisher, TrackingConfig config) {
        this.pool = pool;
        this.events = events;
        this.publisher = publisher;
        this.maxBatch = Math.max(1, config.runCreation().maxBatch());
        this.maxBatches = Math.max(1, config.runCreation().maxConcurrentBatches());
        this.maxQueued = Math.max(0, config.runCreation().maxQueued());
        this.lockTimeout = config.runCreation().lockTimeout();
        this.deadline = config.runCreation().deadline();
    }

    /**
     * Creates {@code run} (everything but its artifact URI, which follows from its experiment) with
     * {@code tags} in experiment {@code run.experimentId} ({@code experimentText} as the caller wrote
     * it, for errors).
     */
    public Uni<RunView> create(String experimentText, Run run, Map<String, String> tags) {
        return Uni.createFrom()
                .emitter(answer -> enqueue(new Pending(experimentText, run, tags, answer, CallerContext.capture())));
    }

    private void enqueue(Pending pending) {
        List<Pending> batch = null;
        synchronized (this) {
            if (queue.size() >= maxQueued || waiting.size() >= maxQueued) {
                pending.fail(new ApiException(
                        ErrorCode.REQUEST_LIMIT_EXCEEDED,
                        "Too many runs are being created at once (" + maxQueued + " wait already); try again."));
                return;
            }
            queue.add(pending);
            if (writing < maxBatches) {
                writing++;
                batch = take();
            }
        }
        if (batch != null) {
            write(batch);
        }
    }

    private List<Pending> take() {
        List<Pending> batch = new ArrayList<>(Math.min(queue.size(), maxBatch));
        while (batch.size() < maxBatch && !queue.isEmpty()) {
            batch.add(queue.poll());
        }
        return batch;
    }

    /**
     * Writes a group skipping locked experiments; their runs go to the waiting lane. A group not done
     * within the deadline (a database that stopped answering) is given up: its callers are told to try
     * again and its place is free for the next group.
     */
    private void write(List<Pending> batch) {
        within(transaction(batch, true), deadline).subscribe().with(this::next, failure -> {
            batch.forEach(p -> p.fail(failure));
            next(List.of());
        });
    }

    private void next(List<Pending> locked) {
        List<Pending> batch;
        boolean startLane = false;
        synchronized (this) {
            waiting.addAll(locked);
            if (!waiting.isEmpty() && !waitingLaneBusy) {
                waitingLaneBusy = startLane = true;
            }
            if (queue.isEmpty()) {
                writing--;
                batch = null;
            } else {
                batch = take();
            }
        }
        if (startLane) {
            nextWaiting();
        }
        if (batch != null) {
            write(batch);
        }
    }

    /**
     * The waiting lane: all the runs waiting for the experiment at its head, written in one transaction
     * that waits for that experiment's lock, at most {@code lock-timeout} (then they are refused with
     * TEMPORARILY_UNAVAILABLE); one such transaction at a time, so experiments held for long (a
     * deletion of a large one) hold at most one connection, and groups keep skipping them.
     */
    private void nextWaiting() {
        List<Pending> group = new ArrayList<>();
        synchronized (this) {
            if (waiting.isEmpty()) {
                waitingLaneBusy = false;
                return;
            }
            long experiment = waiting.peek().run().experimentId;
            for (var it = waiting.iterator(); it.hasNext(); ) {
                Pending p = it.next();
                if (p.run().experimentId == experiment) {
                    group.add(p);
                    it.remove();
                }
            }
        }
        within(transaction(group, false), deadline.plus(lockTimeout))
                .subscribe()
                .with(none -> nextWaiting(), failure -> {
                    group.forEach(p -> p.fail(failure));
                    nextWaiting();
                });
    }

    /** {@code write}, failed with TEMPORARILY_UNAVAILABLE if it has not ended within {@code limit}. */
    private static <T> Uni<T> within(Uni<T> write, java.time.Duration limit) {
        return write.ifNoItem()
                .after(limit)
                .failWith(() -> new ApiException(
                        ErrorCode.TEMPORARILY_UNAVAILABLE,
                        "The database did not write the run within " + limit.toSeconds() + " s; try again."));
    }

    /**
     * One transaction for {@code batch}; answers every run of it except, when {@code skipLocked}, those
     * of experiments another transaction holds, which it gives back. A batch refused for a value it
     * holds is written again one run a transaction.
     */
    private Uni<List<Pending>> transaction(List<Pending> batch, boolean skipLocked) {
        List<Pending> written = new ArrayList<>(batch.size());
        List<Pending> locked = new ArrayList<>();
        boolean[] sorted = {false};
        return pool.withTransaction(conn -> lock(conn, batch, skipLocked).flatMap(experiments -> {
                    for (Pending p : batch) {
                        String[] experiment = experiments.get(p.run().experimentId);
                        if (experiment == LOCKED) {
                            locked.add(p);
                        } else if (active(p, experiment)) {
                            written.add(p);
                        }
                    }
                    sorted[0] = true;
                    return insert(conn, written);
                }))
                .onItemOrFailure()
                .transformToUni((ok, failure) -> {
                    if (failure == null) {
                        written.forEach(Pending::succeed);
                        if (!written.isEmpty()) {
                            publisher.wake();
                        }
                        return Uni.createFrom().item(locked);
                    }
                    if (!sorted[0]) {
                        batch.forEach(p -> p.fail(failure));
                        return Uni.createFrom().item(List.of());
                    }
                    if (written.size() > 1 && refusedValue(failure)) {
                        return Multi.createFrom()
                                .iterable(written)
                                .onItem()
                                .transformToUniAndConcatenate(one -> transaction(List.of(one), skipLocked))
                                .collect()
                                .in(() -> new ArrayList<>(locked), List::addAll)
                                .map(again -> (List<Pending>) again);
                    }
                    written.forEach(p -> p.fail(failure));
                    return Uni.createFrom().item(locked);
                });
    }

    /**
     * Whether {@code p}'s experiment ({lifecycle stage, artifact location}, null if there is none)
     * takes runs; if it does, the run gets its artifact URI, else its caller is told why not.
     */
    private static boolean active(Pending p, String[] experiment) {
        try {
            ExperimentService.requireActive(experiment == null ? null : experiment[0], p.experimentText());
        } catch (ApiException refused) {
            p.fail(refused);
            return false;
        }
        p.run().artifactUri = ExperimentService.join(experiment[1], p.run().runUuid + "/artifacts");
        return true;
    }

    /**
     * The batch's experiments: id → {lifecycle stage, artifact location}, {@link #LOCKED} for one another
     * transaction holds (only when {@code skipLocked}; otherwise waited for, at most {@code
     * lock-timeout}); absent if there is none.
     */
    private Uni<Map<Long, String[]>> lock(SqlConnection conn, List<Pending> batch, boolean skipLocked) {
        Long[] ids = batch.stream().map(p -> p.run().experimentId).distinct().toArray(Long[]::new);
        Uni<Void> ready = skipLocked
                ? Uni.createFrom().voidItem()
                : conn.query("SET LOCAL lock_timeout = '" + lockTimeout.toMillis() + "ms'")
                        .execute()
                        .replaceWithVoid();
        return ready.flatMap(v -> conn.preparedQuery(skipLocked ? LOCK + " SKIP LOCKED" : LOCK)
                        .execute(Tuple.of(ids)))
                .onFailure(RunCreator::lockNotGranted)
                .transform(locked -> new ApiException(
                        ErrorCode.TEMPORARILY_UNAVAILABLE,
                        "The experiment is being changed (deleted, restored or renamed) and stayed locked for "
                                + lockTimeout.toMillis() + " ms; try again."))
                .flatMap(rows -> {
                    Map<Long, String[]> found = new HashMap<>();
                    for (Row row : rows) {
                        found.put(row.getLong(0), new String[] {row.getString(1), row.getString(2)});
                    }
                    Long[] missing = java.util.Arrays.stream(ids)
                            .filter(id -> !found.containsKey(id))
                            .toArray(Long[]::new);
                    if (!skipLocked || missing.length == 0) {
                        return Uni.createFrom().item(found);
                    }
                    // skipped: locked by another transaction, or not there at all (refused at once)
                    return conn.preparedQuery(
                                    "SELECT experiment_id FROM tracking.experiments WHERE experiment_id = ANY($1)")
                            .execute(Tuple.of(missing))
                            .map(present -> {
                                present.forEach(row -> found.put(row.getLong(0), LOCKED));
                                return found;
                            });
                });
    }

    private static boolean lockNotGranted(Throwable failure) {
        return failure instanceof PgException pg && "55P03".equals(pg.getSqlState());
    }

    /** The runs, their tags and their events, sent together (pipelined on the connection). */
    private Uni<Void> insert(SqlConnection conn, List<Pending> runs) {
        if (runs.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int tagCount = runs.stream().mapToInt(p -> p.tags().size()).sum();
        String[] tagRuns = new String[tagCount];
        String[] tagKeys = new String[tagCount];
        String[] tagValues = new String[tagCount];
        int t = 0;
        for (Pending p : runs) {
            for (Map.Entry<String, String> tag : p.tags().entrySet()) {
                tagRuns[t] = p.run().runUuid;
                tagKeys[t] = tag.getKey();
                tagValues[t++] = tag.getValue();
            }
        }
        Uni<RowSet<Row>> rows = conn.preparedQuery(INSERT_RUNS)
                .execute(Tuple.tuple(List.of(
                        runs.stream().map(p -> p.run().runUuid).toArray(String[]::new),
                        runs.stream().map(p -> p.run().experimentId).toArray(Long[]::new),
                        runs.stream().map(p -> p.run().name).toArray(String[]::new),
                        runs.stream().map(p -> p.run().userId).toArray(String[]::new),
                        runs.stream().map(p -> p.run().startTime).toArray(Long[]::new),
                        runs.stream().map(p -> p.run().artifactUri).toArray(String[]::new))));
        Uni<RowSet<Row>> tags = tagCount == 0
                ? Uni.createFrom().nullItem()
                : conn.preparedQuery(INSERT_TAGS).execute(Tuple.of(tagRuns, tagKeys, tagValues));
        Uni<Void> outbox = OutboxPublisher.append(
                conn, runs.stream().map(p -> events.created(p.run())).toList());
        return Uni.combine().all().unis(rows, tags, outbox).discardItems();
    }

    /** A failure caused by a value of the batch (data exception or integrity violation), not by the database. */
    private static boolean refusedValue(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PgException pg && pg.getSqlState() != null) {
                return pg.getSqlState().startsWith("22") || pg.getSqlState().startsWith("23");
            }
        }
        return false;
    }
}
