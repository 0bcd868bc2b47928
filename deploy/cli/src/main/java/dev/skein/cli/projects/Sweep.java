package dev.skein.cli.projects;

import java.io.PrintStream;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A hyper-parameter sweep: a parent run and one nested project run per trial ({@code mlflow.parentRunId}, as MLflow
 * nests runs), at most {@code parallel} at once on one backend. Everything (the space, the project, every trial's
 * parameters against the entry point, the backend's configuration) is checked before anything is recorded. A failed
 * trial is recorded FAILED and the sweep goes on; at the end the best FINISHED trial by the metric is tagged on the
 * parent and its value logged there. A signal kills the running trials (KILLED), starts no more, and ends the parent
 * KILLED. The parent's end is written exactly once.
 */
public final class Sweep {

    /** The most trials at once: each is a process or a Job, and the machine running the sweep watches them all. */
    public static final int MAX_PARALLEL = 64;

    /** What "best" means for the metric. */
    public enum Goal {
        minimize,
        maximize
    }

    /**
     * What {@code skein sweep} was asked: the project as for {@code skein run} ({@code base}: its {@code params} the
     * fixed ones, its {@code runName} the parent's), the space, the number of trials ({@code null}: the grid's size),
     * the parallelism, the seed ({@code null}: one is drawn, and recorded), the metric ({@code null}: no best).
     */
    public record Request(
            ProjectRun.Request base,
            SearchSpace space,
            Integer trials,
            int parallel,
            Long seed,
            String metric,
            Goal goal) {}

    /** One trial as it ended: its parameters (swept and fixed), run, status, metric, and what went wrong if it threw. */
    public record Trial(
            int index,
            Map<String, String> params,
            String runId,
            RunStatus status,
            OptionalDouble metric,
            String error) {}

    /** The sweep as it ended: the parent's id and status, every trial created (in order) and the best one. */
    public record Result(
            String parentRunId,
            String experimentId,
            RunStatus status,
            List<Trial> trials,
            Trial best,
            int planned,
            long seed) {}

    private final SweepTracking tracking;
    private final Backend backend;
    private final PrintStream out;
    private final ProjectRun.Hooks hooks;

    public Sweep(SweepTracking tracking, Backend backend, PrintStream out) {
        this(tracking, backend, out, ProjectRun.Hooks.RUNTIME);
    }

    Sweep(SweepTracking tracking, Backend backend, PrintStream out, ProjectRun.Hooks hooks) {
        this.tracking = tracking;
        this.backend = backend;
        this.out = out;
        this.hooks = hooks;
    }

    /** The checked sweep: each trial's parameters, the parent's tags, the version the trials run at. */
    record Plan(List<Map<String, String>> trials, long seed, Map<String, String> parentTags, String version) {}

    public Result run(Request request) throws InterruptedException {
        trials(request); // the cheap checks before a Git project is fetched
        Source source = Source.of(request.base().uri(), request.base().version());
        Plan plan;
        try {
            plan = plan(request, source);
        } finally {
            source.cleanUp();
        }
        return execute(request, plan);
    }

    /** The number of trials, once the numbers and the space are checked. */
    static int trials(Request request) {
        if (request.parallel() < 1 || request.parallel() > MAX_PARALLEL) {
            throw new ProjectException(
                    "--parallel must be between 1 and " + MAX_PARALLEL + ", not " + request.parallel());
        }
        if (request.metric() != null && request.metric().isBlank()) {
            throw new ProjectException("--metric must name a metric");
        }
        SearchSpace space = request.space();
        int trials;
        if (request.trials() != null) {
            trials = request.trials();
            if (trials < 1 || trials > SearchSpace.MAX_TRIALS) {
                throw new ProjectException(
                        "--trials must be between 1 and " + SearchSpace.MAX_TRIALS + ", not " + trials);
            }
        } else if (space.isEmpty()) {
            throw new ProjectException("nothing to sweep: give --grid, --random or --trials");
        } else if (space.grid().isEmpty()) {
            throw new ProjectException("--trials is needed with only --random parameters");
        } else {
            trials = space.gridSize();
        }
        space.gridSize(); // refuses an oversized grid even when --trials is smaller
        return trials;
    }

    /** Every check, before anything is recorded: a {@link ProjectException} (a usage error) if one fails. */
    Plan plan(Request request, Source source) {
        int trials = trials(request);
        SearchSpace space = request.space();
        long seed = request.seed() != null ? request.seed() : new java.security.SecureRandom().nextLong();
        Project project = Project.load(source.workDir());
        EntryPoint entryPoint = project.entryPoint(request.base().entryPoint());
        List<Map<String, String>> all = new ArrayList<>();
        List<Map<String, String>> sampled = space.sample(trials, seed);
        for (int i = 0; i < trials; i++) {
            Map<String, String> params = new LinkedHashMap<>(request.base().params());
            params.putAll(sampled.get(i));
            try {
                // each trial's command as it will run, checked by the backend too (spark: what it can submit)
                backend.check(
                        project,
                        entryPoint.resolve(params, request.base().cwd()).command(),
                        request.base().backendConfig());
            } catch (ProjectException e) {
                throw new ProjectException("trial " + i + " " + sampled.get(i) + ": " + e.getMessage());
            }
            all.add(params);
        }
        Map<String, String> tags = new ProjectRun(tracking, backend, out, hooks).tags(request.base(), source, project);
        tags.put("skein.sweep", "true");
        tags.put("skein.sweep.space", space.toJson().toString());
        if (!request.base().params().isEmpty()) {
            com.fasterxml.jackson.databind.node.ObjectNode fixed =
                    com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            request.base().params().forEach(fixed::put);
            tags.put("skein.sweep.fixedParams", fixed.toString());
        }
        tags.put("skein.sweep.trials", Integer.toString(trials));
        tags.put("skein.sweep.parallel", Integer.toString(request.parallel()));
        tags.put("skein.sweep.seed", Long.toString(seed));
        tags.put("skein.sweep.backend", backend.name());
        if (request.metric() != null) {
            tags.put("skein.sweep.metric", request.metric());
            tags.put("skein.sweep.goal", request.goal().name());
        }
        // the trials of a Git project all run the commit checked here, wherever its branch points meanwhile
        String base = request.base().uri();
        int hash = base.indexOf('#');
        boolean git = Source.isGit(hash >= 0 ? base.substring(0, hash) : base);
        String version = git
                ? source.gitCommit().orElse(request.base().version())
                : request.base().version();
        return new Plan(all, seed, tags, version);
    }

    private Result execute(Request request, Plan plan) throws InterruptedException {
        ProjectRun.Request base = request.base();
        String experimentId = base.experimentId() != null
                ? base.experimentId()
                : base.experimentName() != null ? tracking.experimentId(base.experimentName()) : "0";
        String parentName = base.runName() != null
                ? base.runName()
                : "sweep-"
                        + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
                                .withZone(ZoneOffset.UTC)
                                .format(java.time.Instant.now());
        String parentId = tracking.createRun(experimentId, parentName, plan.parentTags());
        int n = plan.trials().size();
        int workers = Math.min(n, request.parallel());
        say("=== Sweep run " + parentId + " in experiment " + experimentId + ": " + n + " trials, at most " + workers
                + " at once on the " + backend.name() + " backend (seed " + plan.seed() + ") ===");

        State state = new State(n);
        AtomicInteger next = new AtomicInteger();
        for (int w = 0; w < workers; w++) {
            Thread worker = new Thread(
                    () -> {
                        int i;
                        while (!state.trialHooks.cancelled() && (i = next.getAndIncrement()) < n) {
                            state.trials.set(
                                    i, trial(i, plan, request, experimentId, parentId, parentName, state.trialHooks));
                        }
                    },
                    "sweep-worker-" + w);
            state.workers.add(worker);
        }
        Thread onSignal = new Thread(() -> {
            state.trialHooks.cancelAll();
            for (Thread t : state.trialHooks.startedOnCancel()) {
                joinQuietly(t, 120);
            }
            for (Thread w : state.workers) {
                joinQuietly(w, 120);
            }
            finish(state, request, parentId, true);
        });
        hooks.add(onSignal);
        state.workers.forEach(Thread::start);
        try {
            for (Thread w : state.workers) {
                w.join();
            }
        } catch (InterruptedException e) {
            // the caller gave up on the sweep: as on a signal, its trials are killed and the parent ends KILLED
            state.trialHooks.cancelAll();
            state.trialHooks.startedOnCancel().forEach(t -> joinQuietly(t, 120));
            finish(state, request, parentId, true);
            hooks.remove(onSignal);
            throw e;
        }
        RunStatus status = finish(state, request, parentId, state.trialHooks.cancelled());
        if (status == null) {
            // the signal's hook wrote the end: it has the last word
            state.written.await(120, TimeUnit.SECONDS);
            status = RunStatus.KILLED;
        } else {
            hooks.remove(onSignal);
        }
        return new Result(parentId, experimentId, status, state.recorded(), state.best.get(), n, plan.seed());
    }

    /** What the workers, the main thread and the signal's hook share. */
    private static final class State {
        final AtomicReferenceArray<Trial> trials;
        final List<Thread> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
        final TrialHooks trialHooks = new TrialHooks();
        final AtomicBoolean ended = new AtomicBoolean();
        final CountDownLatch written = new CountDownLatch(1);
        final AtomicReference<Trial> best = new AtomicReference<>();

        State(int n) {
            trials = new AtomicReferenceArray<>(n);
        }

        List<Trial> recorded() {
            List<Trial> list = new ArrayList<>();
            for (int i = 0; i < trials.length(); i++) {
                if (trials.get(i) != null) {
                    list.add(trials.get(i));
                }
            }
            return list;
        }
    }

    /**
     * The trials' shutdown hooks are the sweep's to run: on a signal it runs those of the running trials, and a trial
     * that registers one after that (it was being created as the signal came) has it run at once.
     */
    static final class TrialHooks implements ProjectRun.Hooks {
        private final Set<Thread> registered = new LinkedHashSet<>();
        private final List<Thread> started = new ArrayList<>();
        private boolean cancelled;

        @Override
        public synchronized void add(Thread hook) {
            if (cancelled) {
                hook.start();
                started.add(hook);
            } else {
                registered.add(hook);
            }
        }

        @Override
        public synchronized void remove(Thread hook) {
            registered.remove(hook);
        }

        synchronized boolean cancelled() {
            return cancelled;
        }

        synchronized void cancelAll() {
            cancelled = true;
            for (Thread hook : registered) {
                hook.start();
                started.add(hook);
            }
            registered.clear();
        }

        synchronized List<Thread> startedOnCancel() {
            return List.copyOf(started);
        }
    }

    /** Runs trial {@code i} to its end; never throws: a trial that cannot run is recorded FAILED. */
    private Trial trial(
            int i,
            Plan plan,
            Request request,
            String experimentId,
            String parentId,
            String parentName,
            TrialHooks trialHooks) {
        ProjectRun.Request base = request.base();
        Map<String, String> params = plan.trials().get(i);
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("mlflow.parentRunId", parentId);
        tags.put("skein.sweep.trial", Integer.toString(i));
        ProjectRun.Request child = new ProjectRun.Request(
                base.uri(),
                plan.version(),
                base.entryPoint(),
                params,
                experimentId,
                null,
                parentName + "-" + i,
                base.backendConfig(),
                false,
                null,
                base.user(),
                base.credentials(),
                base.cwd(),
                tags);
        CreatedRun created = new CreatedRun(tracking);
        RunStatus status;
        String error = null;
        try {
            status =
                    new ProjectRun(created, backend, out, trialHooks).run(child).status();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = RunStatus.KILLED;
            error = "interrupted";
        } catch (RuntimeException e) {
            error = e.getMessage();
            status = trialHooks.cancelled() ? RunStatus.KILLED : RunStatus.FAILED;
            // ProjectRun ends a run whose command could not start; a run left RUNNING by a failed call is ended here
            String runId = created.runId.get();
            if (runId != null && !created.ended.get()) {
                try {
                    tracking.setTerminated(runId, status);
                } catch (RuntimeException again) {
                    error += "; and its end could not be recorded: " + again.getMessage();
                }
            }
        }
        OptionalDouble metric = OptionalDouble.empty();
        String runId = created.runId.get();
        if (runId != null && request.metric() != null && status == RunStatus.FINISHED) {
            try {
                metric = tracking.latestMetric(runId, request.metric());
            } catch (RuntimeException e) {
                error = "cannot read its metric: " + e.getMessage();
            }
        }
        Trial trial = new Trial(i, params, runId, status, metric, error);
        say("=== Trial " + i + " (run " + runId + ") " + status
                + (metric.isPresent() ? ", " + request.metric() + " = " + metric.getAsDouble() : "")
                + (error != null ? ": " + error : "") + " ===");
        return trial;
    }

    /** Remembers the run a trial's {@link ProjectRun} created and whether it ended it. */
    private static final class CreatedRun implements Tracking {
        final Tracking delegate;
        final AtomicReference<String> runId = new AtomicReference<>();
        final AtomicBoolean ended = new AtomicBoolean();

        CreatedRun(Tracking delegate) {
            this.delegate = delegate;
        }

        @Override
        public String createRun(String experimentId, String runName, Map<String, String> tags) {
            String id = delegate.createRun(experimentId, runName, tags);
            runId.set(id);
            return id;
        }

        @Override
        public void logParams(String runId, Map<String, String> params) {
            delegate.logParams(runId, params);
        }

        @Override
        public void setTerminated(String runId, RunStatus status) {
            ended.set(true);
            delegate.setTerminated(runId, status);
        }

        @Override
        public String experimentId(String name) {
            return delegate.experimentId(name);
        }

        @Override
        public String trackingUri() {
            return delegate.trackingUri();
        }
    }

    /**
     * Ends the parent, once: the trials' counts and the best trial tagged, the best value logged as the parent's
     * metric, then its status (KILLED when cancelled, FAILED when no trial FINISHED, FINISHED otherwise). Returns the
     * status written, or {@code null} if another thread ended it (this one then waits for that write).
     */
    private RunStatus finish(State state, Request request, String parentId, boolean killed) {
        if (!state.ended.compareAndSet(false, true)) {
            try {
                state.written.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }
        try {
            List<Trial> trials = state.recorded();
            Trial best = best(trials, request.goal());
            state.best.set(best);
            long finished = trials.stream()
                    .filter(t -> t.status() == RunStatus.FINISHED)
                    .count();
            RunStatus status = killed ? RunStatus.KILLED : finished == 0 ? RunStatus.FAILED : RunStatus.FINISHED;
            Map<String, String> tags = new LinkedHashMap<>();
            tags.put("skein.sweep.trialsCreated", Integer.toString(trials.size()));
            for (RunStatus s : List.of(RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)) {
                String name = s.name().charAt(0) + s.name().substring(1).toLowerCase();
                tags.put(
                        "skein.sweep.trials" + name,
                        Long.toString(
                                trials.stream().filter(t -> t.status() == s).count()));
            }
            if (best != null) {
                tags.put("skein.sweep.bestRunId", best.runId());
                tags.put("skein.sweep.bestTrial", Integer.toString(best.index()));
                tags.put(
                        "skein.sweep.bestMetricValue",
                        Double.toString(best.metric().getAsDouble()));
            }
            try {
                tracking.setTags(parentId, tags);
                if (best != null) {
                    tracking.logMetric(parentId, request.metric(), best.metric().getAsDouble());
                }
            } catch (RuntimeException e) {
                say("=== Sweep run " + parentId + ": cannot record its summary: " + e.getMessage() + " ===");
            }
            tracking.setTerminated(parentId, status);
            say("=== Sweep run " + parentId + " " + status + ": " + tags.get("skein.sweep.trialsFinished") + " of "
                    + state.trials.length() + " trials FINISHED"
                    + (best != null
                            ? "; best: trial " + best.index() + " (run " + best.runId() + "), " + request.metric()
                                    + " = " + best.metric().getAsDouble()
                            : "")
                    + " ===");
            return status;
        } finally {
            state.written.countDown();
        }
    }

    /** The FINISHED trial with the best finite metric; the earliest trial among equals. */
    static Trial best(List<Trial> trials, Goal goal) {
        Trial best = null;
        for (Trial t : trials) {
            if (t.status() != RunStatus.FINISHED
                    || t.metric().isEmpty()
                    || !Double.isFinite(t.metric().getAsDouble())) {
                continue;
            }
            double v = t.metric().getAsDouble();
            if (best == null
                    || (goal == Goal.maximize
                            ? v > best.metric().getAsDouble()
                            : v < best.metric().getAsDouble())) {
                best = t;
            }
        }
        return best;
    }

    private void say(String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    private static void joinQuietly(Thread t, int seconds) {
        try {
            // bounded: a backend that never answers must not keep the JVM from exiting
            t.join(TimeUnit.SECONDS.toMillis(seconds));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
