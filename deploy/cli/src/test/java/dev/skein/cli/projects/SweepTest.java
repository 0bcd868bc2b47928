package dev.skein.cli.projects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sweeps of a project with real local processes and a recording {@link SweepTracking}: nested runs, the parallelism
 * bound, failures, the best trial, refusals before anything is recorded, and cancelling.
 */
class SweepTest {

    @TempDir
    Path dir;

    /** Records every run, its tags, params and ends; a trial's metric is what its command wrote to metrics/RUN_ID. */
    final class Recorder implements SweepTracking {
        final AtomicInteger ids = new AtomicInteger();
        final List<String> created = new CopyOnWriteArrayList<>();
        final Map<String, Map<String, String>> tags = new ConcurrentHashMap<>();
        final Map<String, Map<String, String>> params = new ConcurrentHashMap<>();
        final Map<String, List<RunStatus>> ends = new ConcurrentHashMap<>();
        final Map<String, Double> logged = new ConcurrentHashMap<>();
        final Map<String, String> names = new ConcurrentHashMap<>();

        @Override
        public String createRun(String experimentId, String runName, Map<String, String> runTags) {
            String id = String.format("%032x", ids.incrementAndGet());
            created.add(id);
            tags.put(id, new ConcurrentHashMap<>(runTags));
            names.put(id, runName);
            return id;
        }

        @Override
        public void logParams(String runId, Map<String, String> p) {
            params.put(runId, Map.copyOf(p));
        }

        @Override
        public void setTerminated(String runId, RunStatus status) {
            ends.computeIfAbsent(runId, k -> new CopyOnWriteArrayList<>()).add(status);
        }

        @Override
        public String experimentId(String name) {
            return "7";
        }

        @Override
        public String trackingUri() {
            return "http://localhost:1";
        }

        @Override
        public void setTags(String runId, Map<String, String> t) {
            tags.get(runId).putAll(t);
        }

        @Override
        public void logMetric(String runId, String key, double value) {
            logged.put(runId + "/" + key, value);
        }

        @Override
        public OptionalDouble latestMetric(String runId, String key) {
            Path file = dir.resolve("metrics").resolve(runId);
            try {
                return Files.exists(file)
                        ? OptionalDouble.of(
                                Double.parseDouble(Files.readString(file).strip()))
                        : OptionalDouble.empty();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        String parent() {
            return created.get(0);
        }

        List<String> children() {
            return created.subList(1, created.size());
        }

        String childWith(String param, String value) {
            return children().stream()
                    .filter(id -> value.equals(params.get(id).get(param)))
                    .findFirst()
                    .orElseThrow();
        }
    }

    /** The local backend, counting the commands alive at once (from submit to the end of waitFor). */
    static final class Counting implements Backend {
        final Backend local = new LocalBackend(Duration.ofSeconds(10), new PrintStream(new ByteArrayOutputStream()));
        final AtomicInteger alive = new AtomicInteger();
        final AtomicInteger max = new AtomicInteger();

        @Override
        public String name() {
            return "local";
        }

        @Override
        public Submitted submit(Launch launch) {
            max.accumulateAndGet(alive.incrementAndGet(), Math::max);
            Submitted s = local.submit(launch);
            return new Submitted() {
                private boolean done;

                @Override
                public RunStatus waitFor() throws InterruptedException {
                    try {
                        return s.waitFor();
                    } finally {
                        synchronized (this) {
                            if (!done) {
                                done = true;
                                alive.decrementAndGet();
                            }
                        }
                    }
                }

                @Override
                public void cancel() {
                    s.cancel();
                }

                @Override
                public String describe() {
                    return s.describe();
                }
            };
        }
    }

    private static final String MLPROJECT =
            """
            name: sweep-test
            entry_points:
              main:
                parameters:
                  x: int
                  y: {type: float, default: 0.5}
                command: "M=$(( ({x} - 3) * ({x} - 3) + 1 )); [ {x} -eq 5 ] || echo $M > ../metrics/$MLFLOW_RUN_ID; [ {x} -ne 3 ]"
              gate:
                parameters:
                  x: int
                command: "touch ../started/{x}; for i in $(seq 2400); do [ -e ../release ] && exit 0; sleep 0.05; done; exit 1"
              wait:
                parameters:
                  x: int
                command: "echo $$ > ../pids/{x}.tmp; mv ../pids/{x}.tmp ../pids/{x}; exec sleep 600"
              fail:
                parameters:
                  x: int
                command: "exit 3"
            """;

    private Path project() throws IOException {
        Path project = dir.resolve("project");
        Files.createDirectories(project);
        for (String d : List.of("metrics", "started", "pids")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.writeString(project.resolve("MLproject"), MLPROJECT);
        return project;
    }

    private Sweep.Request request(String entry, List<String> grids, Integer trials, int parallel, String metric)
            throws IOException {
        return request(entry, grids, List.of(), Map.of(), trials, parallel, metric, Sweep.Goal.minimize);
    }

    private Sweep.Request request(
            String entry,
            List<String> grids,
            List<String> randoms,
            Map<String, String> fixed,
            Integer trials,
            int parallel,
            String metric,
            Sweep.Goal goal)
            throws IOException {
        Path project = project();
        ProjectRun.Request base = new ProjectRun.Request(
                project.toString(), null, entry, fixed, null, "sweeps", "s1", null, false, null, "me", Map.of(), dir);
        return new Sweep.Request(base, SearchSpace.parse(grids, randoms, fixed), trials, parallel, 11L, metric, goal);
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }

    @Test
    void shouldRecordEveryTrialAsANestedRunGoOnAfterAFailureAndTagTheBestFinishedTrial() throws Exception {
        Recorder tracking = new Recorder();
        Counting backend = new Counting();
        ProjectRunTest.HookRecorder hooks = new ProjectRunTest.HookRecorder();

        Sweep.Result result = new Sweep(tracking, backend, quiet(), hooks)
                .run(request("main", List.of("x=0,1,2,3,4,5,6,7"), null, 3, "loss"));

        assertThat(tracking.created).hasSize(9);
        String parent = tracking.parent();
        assertThat(result.parentRunId()).isEqualTo(parent);
        assertThat(tracking.names.get(parent)).isEqualTo("s1");
        assertThat(tracking.tags.get(parent))
                .containsEntry("mlflow.source.type", "PROJECT")
                .containsEntry("mlflow.project.entryPoint", "main")
                .containsEntry("mlflow.project.backend", "local")
                .containsEntry("skein.sweep.trials", "8")
                .containsEntry("skein.sweep.parallel", "3")
                .containsEntry("skein.sweep.metric", "loss")
                .containsEntry("skein.sweep.goal", "minimize")
                .containsEntry(
                        "skein.sweep.space",
                        "{\"grid\":{\"x\":[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\"]},\"random\":{}}")
                .doesNotContainKey("mlflow.parentRunId");
        for (String child : tracking.children()) {
            String x = tracking.params.get(child).get("x");
            assertThat(tracking.tags.get(child))
                    .containsEntry("mlflow.parentRunId", parent)
                    .containsEntry("skein.sweep.trial", x);
            assertThat(tracking.names.get(child)).isEqualTo("s1-" + x);
            assertThat(tracking.params.get(child)).containsEntry("y", "0.5");
            assertThat(tracking.ends.get(child))
                    .as("trial x=%s", x)
                    .containsExactly(x.equals("3") ? RunStatus.FAILED : RunStatus.FINISHED);
        }
        assertThat(tracking.children().stream().map(c -> tracking.params.get(c).get("x")))
                .containsExactlyInAnyOrder("0", "1", "2", "3", "4", "5", "6", "7");
        assertThat(backend.max.get()).isBetween(1, 3);
        // loss = (x-3)²+1: x=3 logged the lowest (1) but FAILED, x=5 FINISHED without it; x=2 and x=4 tie at 2,
        // the earlier trial wins
        String best = tracking.childWith("x", "2");
        assertThat(result.best().runId()).isEqualTo(best);
        assertThat(tracking.tags.get(parent))
                .containsEntry("skein.sweep.bestRunId", best)
                .containsEntry("skein.sweep.bestTrial", "2")
                .containsEntry("skein.sweep.bestMetricValue", "2.0")
                .containsEntry("skein.sweep.trialsFinished", "7")
                .containsEntry("skein.sweep.trialsFailed", "1");
        assertThat(tracking.logged).containsExactly(Map.entry(parent + "/loss", 2.0));
        assertThat(tracking.ends.get(parent)).containsExactly(RunStatus.FINISHED);
        assertThat(result.status()).isEqualTo(RunStatus.FINISHED);
        assertThat(hooks.removed).isTrue();
    }

    @Test
    void shouldPickTheHighestWhenMaximizingAndDrawTheSameRandomTrialsForTheSameSeed() throws Exception {
        List<Map<String, String>> seen = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            Recorder tracking = new Recorder();
            Sweep.Result result = new Sweep(tracking, new Counting(), quiet(), new ProjectRunTest.HookRecorder())
                    .run(request(
                            "main",
                            List.of(),
                            List.of("x=randint(0,8)", "y=uniform(0,1)"),
                            Map.of(),
                            6,
                            2,
                            "loss",
                            Sweep.Goal.maximize));

            Sweep.Trial best = result.best();
            double highest = result.trials().stream()
                    .filter(t -> t.status() == RunStatus.FINISHED && t.metric().isPresent())
                    .mapToDouble(t -> t.metric().getAsDouble())
                    .max()
                    .orElseThrow();
            assertThat(best.metric().getAsDouble()).isEqualTo(highest);
            assertThat(tracking.tags.get(result.parentRunId())).containsEntry("skein.sweep.bestRunId", best.runId());
            assertThat(tracking.tags.get(result.parentRunId())).containsEntry("skein.sweep.seed", "11");
            assertThat(result.trials()).hasSize(6);
            if (round == 0) {
                result.trials().forEach(t -> seen.add(t.params()));
            } else {
                assertThat(result.trials().stream().map(Sweep.Trial::params).toList())
                        .isEqualTo(seen);
            }
        }
    }

    @Test
    void shouldNeverRunMoreTrialsAtOnceThanAsked() throws Exception {
        Recorder tracking = new Recorder();
        Counting backend = new Counting();
        Sweep sweep = new Sweep(tracking, backend, quiet(), new ProjectRunTest.HookRecorder());
        Sweep.Request request = request("gate", List.of("x=0,1,2,3,4,5,6"), null, 3, null);
        var result = new java.util.concurrent.atomic.AtomicReference<Sweep.Result>();
        Thread main = new Thread(() -> {
            try {
                result.set(sweep.run(request));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        main.start();

        // the trials hold until released: three are running once three have started
        Path started = dir.resolve("started");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        try {
            while (countFiles(started) < 3) {
                assertThat(System.nanoTime()).as("three trials started").isLessThan(deadline);
                Thread.sleep(50);
            }
            assertThat(backend.alive.get()).isEqualTo(3);
            assertThat(tracking.children()).hasSize(3);
        } finally {
            // the trials end (a failure must not leave them waiting)
            Files.createFile(dir.resolve("release"));
            main.join();
        }

        assertThat(countFiles(started)).isEqualTo(7);
        assertThat(backend.max.get()).isEqualTo(3);
        assertThat(result.get().trials()).allMatch(t -> t.status() == RunStatus.FINISHED);
        assertThat(result.get().status()).isEqualTo(RunStatus.FINISHED);
        // no metric asked: no best
        assertThat(result.get().best()).isNull();
    }

    @Test
    void shouldEndTheParentFailedWhenEveryTrialFailed() throws Exception {
        Recorder tracking = new Recorder();

        Sweep.Result result = new Sweep(tracking, new Counting(), quiet(), new ProjectRunTest.HookRecorder())
                .run(request("fail", List.of("x=1,2,3"), null, 2, "loss"));

        assertThat(result.status()).isEqualTo(RunStatus.FAILED);
        assertThat(result.best()).isNull();
        assertThat(tracking.children()).hasSize(3);
        tracking.children().forEach(c -> assertThat(tracking.ends.get(c)).containsExactly(RunStatus.FAILED));
        assertThat(tracking.ends.get(tracking.parent())).containsExactly(RunStatus.FAILED);
        assertThat(tracking.tags.get(tracking.parent()))
                .containsEntry("skein.sweep.trialsFailed", "3")
                .doesNotContainKey("skein.sweep.bestRunId");
    }

    @Test
    void shouldRefuseBadInputBeforeRecordingAnything() throws Exception {
        Map<String, Sweep.Request> cases = new java.util.LinkedHashMap<>();
        cases.put("between 1 and 64, not 0", request("main", List.of("x=1,2"), null, 0, null));
        cases.put("between 1 and 64, not 65", request("main", List.of("x=1,2"), null, 65, null));
        cases.put("--trials must be between 1 and 1000, not 0", request("main", List.of("x=1,2"), 0, 1, null));
        cases.put("--trials must be between 1 and 1000, not 1001", request("main", List.of("x=1,2"), 1001, 1, null));
        cases.put(
                "trial 1 {x=two}: parameter 'x' is an int, not 'two'",
                request("main", List.of("x=1,two"), null, 1, null));
        cases.put(
                "parameter 'x' is an int, not '",
                request("main", List.of(), List.of("x=uniform(0,1)"), Map.of(), 3, 1, null, Sweep.Goal.minimize));
        cases.put("No value given for missing parameters: 'x'", request("main", List.of("y=1,2"), null, 1, null));
        cases.put("Could not find nope", request("nope", List.of("x=1,2"), null, 1, null));
        cases.put("nothing to sweep", request("main", List.of(), null, 1, null));
        cases.put(
                "--trials is needed with only --random parameters",
                request("main", List.of(), List.of("x=randint(0,3)"), Map.of(), null, 1, null, Sweep.Goal.minimize));
        cases.put("--metric must name a metric", request("main", List.of("x=1,2"), null, 1, " "));
        for (var c : cases.entrySet()) {
            Recorder tracking = new Recorder();
            ProjectRunTest.HookRecorder hooks = new ProjectRunTest.HookRecorder();
            assertThatThrownBy(() -> new Sweep(tracking, new Counting(), quiet(), hooks).run(c.getValue()))
                    .as(c.getKey())
                    .isInstanceOf(ProjectException.class)
                    .hasMessageContaining(c.getKey());
            assertThat(tracking.created).as(c.getKey()).isEmpty();
            assertThat(hooks.hook.get()).isNull();
        }
        assertThat(dir.resolve("started")).isEmptyDirectory();
    }

    @Test
    void shouldKillTheRunningTrialsStartNoMoreAndEndTheParentKilledOnASignal() throws Exception {
        Recorder tracking = new Recorder();
        ProjectRunTest.HookRecorder hooks = new ProjectRunTest.HookRecorder();
        Sweep sweep = new Sweep(tracking, new Counting(), quiet(), hooks);
        Sweep.Request request = request("wait", List.of("x=0,1,2,3,4"), null, 2, "loss");
        var result = new java.util.concurrent.atomic.AtomicReference<Sweep.Result>();
        Thread main = new Thread(() -> {
            try {
                result.set(sweep.run(request));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        main.start();
        Path pids = dir.resolve("pids");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (countFiles(pids) < 2
                || Files.list(pids).anyMatch(p -> p.toString().endsWith(".tmp"))) {
            assertThat(System.nanoTime()).as("two trials started").isLessThan(deadline);
            Thread.sleep(50);
        }
        List<ProcessHandle> commands = new ArrayList<>();
        try (var files = Files.list(pids)) {
            for (Path p : files.toList()) {
                ProcessHandle.of(Long.parseLong(Files.readString(p).strip())).ifPresent(commands::add);
            }
        }
        assertThat(commands).hasSize(2);

        Thread hook = hooks.hook.get();
        hook.start(); // SIGTERM: the JVM runs its shutdown hooks
        hook.join();
        main.join();

        assertThat(tracking.children()).hasSize(2);
        tracking.children().forEach(c -> assertThat(tracking.ends.get(c)).containsExactly(RunStatus.KILLED));
        assertThat(tracking.ends.get(tracking.parent())).containsExactly(RunStatus.KILLED);
        assertThat(tracking.tags.get(tracking.parent())).containsEntry("skein.sweep.trialsKilled", "2");
        assertThat(result.get().status()).isEqualTo(RunStatus.KILLED);
        assertThat(result.get().trials()).hasSize(2).allMatch(t -> t.status() == RunStatus.KILLED);
        for (ProcessHandle command : commands) {
            // bounded only so a failure cannot hang the build
            command.onExit().get(60, TimeUnit.SECONDS);
            assertThat(command.isAlive()).isFalse();
        }
    }

    private static long countFiles(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.count();
        }
    }
}
