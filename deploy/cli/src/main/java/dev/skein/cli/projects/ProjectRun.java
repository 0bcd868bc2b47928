package dev.skein.cli.projects;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One project run, as {@code mlflow run}: the source fetched, the project read, the entry point's parameters checked
 * (all before anything is recorded), the run created with MLflow's tags and the parameters as params, the command
 * handed to a backend with the run's {@code MLFLOW_*} variables, and the run's status set from how it ended.
 */
public final class ProjectRun {

    /**
     * What {@code skein run} was asked. {@code async}: the run is recorded and the outcome returned before anything
     * starts (the caller hands the run to a watcher of its own); {@code existingRunId}: that watcher, which runs an
     * already recorded run; {@code extraTags}: set on the run besides MLflow's (a sweep's or a recipe's
     * {@code mlflow.parentRunId}, which makes it a nested run).
     */
    public record Request(
            String uri,
            String version,
            String entryPoint,
            Map<String, String> params,
            String experimentId,
            String experimentName,
            String runName,
            JsonNode backendConfig,
            boolean async,
            String existingRunId,
            String user,
            Map<String, String> credentials,
            Path cwd,
            Map<String, String> extraTags) {

        /** A run of its own (no tags beyond MLflow's). */
        public Request(
                String uri,
                String version,
                String entryPoint,
                Map<String, String> params,
                String experimentId,
                String experimentName,
                String runName,
                JsonNode backendConfig,
                boolean async,
                String existingRunId,
                String user,
                Map<String, String> credentials,
                Path cwd) {
            this(
                    uri,
                    version,
                    entryPoint,
                    params,
                    experimentId,
                    experimentName,
                    runName,
                    backendConfig,
                    async,
                    existingRunId,
                    user,
                    credentials,
                    cwd,
                    Map.of());
        }
    }

    /**
     * How it ended: the run, its status ({@code RUNNING} for {@code --async}) and the backend's last word; for a Git
     * project, the commit it ran (or will run) at, which pins an {@code --async} watcher to it.
     */
    public record Outcome(String runId, RunStatus status, String detail, String gitCommit) {}

    private final Tracking tracking;
    private final Backend backend;
    private final PrintStream out;
    private final Hooks hooks;

    public ProjectRun(Tracking tracking, Backend backend, PrintStream out) {
        this(tracking, backend, out, Hooks.RUNTIME);
    }

    ProjectRun(Tracking tracking, Backend backend, PrintStream out, Hooks hooks) {
        this.tracking = tracking;
        this.backend = backend;
        this.out = out;
        this.hooks = hooks;
    }

    public Outcome run(Request request) throws InterruptedException {
        Source source;
        try {
            source = Source.of(request.uri(), request.version());
        } catch (RuntimeException e) {
            failRecorded(request, e);
            throw e;
        }
        try {
            return run(request, source);
        } finally {
            source.cleanUp();
        }
    }

    private Outcome run(Request request, Source source) throws InterruptedException {
        Project project;
        EntryPoint entryPoint;
        EntryPoint.Resolved resolved;
        String experimentId;
        try {
            project = Project.load(source.workDir());
            entryPoint = project.entryPoint(request.entryPoint());
            resolved = entryPoint.resolve(request.params(), request.cwd());
            backend.check(project, resolved.command(), request.backendConfig());
            experimentId = request.experimentId() != null
                    ? request.experimentId()
                    : request.experimentName() != null ? tracking.experimentId(request.experimentName()) : "0";
        } catch (RuntimeException e) {
            failRecorded(request, e);
            throw e;
        }
        String runId = request.existingRunId();
        if (runId == null) {
            runId = tracking.createRun(experimentId, request.runName(), tags(request, source, project));
            tracking.logParams(runId, resolved.all());
            out.println("=== Created run " + runId + " in experiment " + experimentId + " ===");
            out.flush();
        }
        if (request.async()) {
            return new Outcome(
                    runId, RunStatus.RUNNING, "recorded", source.gitCommit().orElse(null));
        }
        out.println("=== Running command '" + resolved.command() + "' on the " + backend.name() + " backend ===");
        out.flush();

        return execute(resolved, project, entryPoint, source, runId, experimentId, request);
    }

    private Outcome execute(
            EntryPoint.Resolved resolved,
            Project project,
            EntryPoint entryPoint,
            Source source,
            String runId,
            String experimentId,
            Request request)
            throws InterruptedException {
        Map<String, String> env = new LinkedHashMap<>(request.credentials());
        env.put("MLFLOW_TRACKING_URI", tracking.trackingUri());
        env.put("SKEIN_TRACKING_URI", tracking.trackingUri());
        env.put("MLFLOW_RUN_ID", runId);
        env.put("MLFLOW_EXPERIMENT_ID", experimentId);
        Backend.Launch launch = new Backend.Launch(
                project,
                entryPoint.name(),
                resolved.command(),
                source.workDir(),
                runId,
                env,
                request.backendConfig(),
                out,
                request.runName());
        // Ctrl-C or SIGTERM reaches the command and this JVM together. The run's final status is written exactly
        // once, by whichever side ends it first, and the shutdown hook waits until that write is done, so the JVM
        // never stops in the middle of it; once shutdown has begun the run ends KILLED.
        AtomicBoolean ended = new AtomicBoolean();
        AtomicBoolean shuttingDown = new AtomicBoolean();
        CountDownLatch written = new CountDownLatch(1);
        AtomicReference<Backend.Submitted> started = new AtomicReference<>();
        Thread onSignal = new Thread(() -> {
            shuttingDown.set(true);
            if (ended.compareAndSet(false, true)) {
                try {
                    Backend.Submitted s = started.get();
                    if (s != null) {
                        s.cancel();
                    }
                    tracking.setTerminated(runId, RunStatus.KILLED);
                    out.println("=== Run (ID '" + runId + "') killed ===");
                    out.flush();
                } finally {
                    written.countDown();
                }
            } else {
                awaitQuietly(written);
            }
        });
        hooks.add(onSignal);
        Backend.Submitted submitted;
        try {
            submitted = backend.submit(launch);
        } catch (RuntimeException e) {
            end(ended, written, runId, RunStatus.FAILED);
            hooks.remove(onSignal);
            // the run exists now: not a usage error any more
            throw new dev.skein.cli.CliException("run " + runId + " FAILED to start: " + e.getMessage());
        }
        started.set(submitted);
        if (shuttingDown.get()) {
            // the signal came while the command was being started: the hook may have missed it
            submitted.cancel();
        }
        RunStatus status;
        try {
            status = submitted.waitFor();
        } catch (RuntimeException | InterruptedException e) {
            if (!ended.get()) {
                submitted.cancel();
            }
            end(ended, written, runId, shuttingDown.get() ? RunStatus.KILLED : RunStatus.FAILED);
            throw e;
        }
        if (shuttingDown.get()) {
            status = RunStatus.KILLED;
        }
        if (!end(ended, written, runId, status)) {
            awaitQuietly(written);
            return new Outcome(
                    runId,
                    RunStatus.KILLED,
                    submitted.describe(),
                    source.gitCommit().orElse(null));
        }
        hooks.remove(onSignal);
        out.println("=== Run (ID '" + runId + "') " + (status == RunStatus.FINISHED ? "succeeded" : status.name())
                + ": " + submitted.describe() + " ===");
        out.flush();
        return new Outcome(
                runId, status, submitted.describe(), source.gitCommit().orElse(null));
    }

    /** An already recorded run (the {@code --async} watcher's) that cannot even start ends FAILED. */
    private void failRecorded(Request request, RuntimeException cause) {
        if (request.existingRunId() == null) {
            return;
        }
        try {
            tracking.setTerminated(request.existingRunId(), RunStatus.FAILED);
            out.println(
                    "=== Run (ID '" + request.existingRunId() + "') FAILED to start: " + cause.getMessage() + " ===");
            out.flush();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** Writes the final status if no one has; true if this call wrote it. Releases the shutdown hook after. */
    private boolean end(AtomicBoolean ended, CountDownLatch written, String runId, RunStatus status) {
        if (!ended.compareAndSet(false, true)) {
            return false;
        }
        try {
            tracking.setTerminated(runId, status);
        } finally {
            written.countDown();
        }
        return true;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            // bounded: a tracking server that never answers must not keep the JVM from exiting
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Where the shutdown hook goes: the JVM's own; a recorder in tests. */
    interface Hooks {
        void add(Thread hook);

        void remove(Thread hook);

        Hooks RUNTIME = new Hooks() {
            @Override
            public void add(Thread hook) {
                Runtime.getRuntime().addShutdownHook(hook);
            }

            @Override
            public void remove(Thread hook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is already exiting: the hook runs and finds the run ended
                }
            }
        };
    }

    /** The tags MLflow's {@code _create_run} and backends record, and Skein's note on environments. */
    Map<String, String> tags(Request request, Source source, Project project) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("mlflow.user", request.user());
        tags.put("mlflow.source.name", source.sourceName());
        tags.put("mlflow.source.type", "PROJECT");
        tags.put("mlflow.project.entryPoint", request.entryPoint());
        tags.put("mlflow.project.backend", backend.name());
        source.gitCommit().ifPresent(c -> tags.put("mlflow.source.git.commit", c));
        source.repoUrl().ifPresent(u -> {
            tags.put("mlflow.source.git.repoURL", u);
            tags.put("mlflow.gitRepoURL", u);
        });
        source.branch().ifPresent(b -> {
            tags.put("mlflow.source.git.branch", b);
            tags.put("mlflow.gitBranchName", b);
        });
        tags.putAll(request.extraTags());
        Project.Env env = project.env();
        String declared =
                env.kind() + (env.file() != null ? ":" + env.file() : env.image() != null ? ":" + env.image() : "");
        tags.put("skein.project.declaredEnv", declared);
        if ("kubernetes".equals(backend.name())) {
            tags.put("mlflow.project.env", "docker");
            tags.put("mlflow.docker.image.uri", KubernetesBackend.image(project, request.backendConfig()));
        } else {
            // no environment is created locally: the command runs with the machine's tools (--env-manager local)
            tags.put("mlflow.project.env", "local");
        }
        return tags;
    }
}
