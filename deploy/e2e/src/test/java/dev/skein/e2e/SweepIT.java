package dev.skein.e2e;

import static dev.skein.e2e.Cli.json;
import static dev.skein.e2e.Cli.paramsOf;
import static dev.skein.e2e.Cli.runsOf;
import static dev.skein.e2e.Cli.tagsOf;
import static dev.skein.e2e.Http.getRun;
import static dev.skein.e2e.Http.newExperiment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import dev.skein.e2e.Cli.Result;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code skein sweep} against the running suite: the sample project {@code projects/sweep} (bash, awk and curl; its
 * trial logs {@code loss} computed from its parameters and fails on purpose for {@code x=4}) swept on the local
 * backend, and a sweep stopped with SIGTERM.
 */
@ExtendWith(Suite.class)
class SweepIT {

    static final Path PROJECT = TestInfra.repoRoot().resolve("deploy/cli/src/test/resources/projects/sweep");

    @TempDir
    static Path dir;

    private static List<JsonObject> runs(String experimentId) {
        List<JsonObject> runs = new ArrayList<>();
        runsOf(experimentId).forEach(r -> runs.add((JsonObject) r));
        return runs;
    }

    private static String status(JsonObject run) {
        return run.getJsonObject("info").getString("status");
    }

    private static String id(JsonObject run) {
        return run.getJsonObject("info").getString("run_id");
    }

    private static Double metric(JsonObject run, String key) {
        for (Object m : run.getJsonObject("data").getJsonArray("metrics", new JsonArray())) {
            if (key.equals(((JsonObject) m).getString("key"))) {
                return ((JsonObject) m).getDouble("value");
            }
        }
        return null;
    }

    @Test
    void aTwelveTrialSweepRunsThreeAtOnceRecordsEveryTrialAndTagsTheBest() {
        String experimentId = newExperiment();

        Result r = Cli.cli(
                dir,
                Map.of(),
                java.time.Duration.ofMinutes(10),
                "--output",
                "json",
                "sweep",
                PROJECT.toString(),
                "--grid",
                "x=0,1,2,3,4,5",
                "--grid",
                "lr=0.5,1",
                "-P",
                "pause=1",
                "--parallel",
                "3",
                "--metric",
                "loss",
                "--experiment-id",
                experimentId,
                "--run-name",
                "grid");

        JsonObject report = json(r);
        String parentId = report.getString("parent_run_id");
        List<JsonObject> runs = runs(experimentId);
        assertThat(runs).hasSize(13);
        JsonObject parent = getRun(parentId);
        List<JsonObject> children = runs.stream()
                .filter(run -> !id(run).equals(parentId))
                .map(run -> getRun(id(run)))
                .toList();
        assertThat(status(parent)).isEqualTo("FINISHED");
        assertThat(parent.getJsonObject("info").getString("run_name")).isEqualTo("grid");
        assertThat(tagsOf(parent))
                .containsEntry("mlflow.source.type", "PROJECT")
                .containsEntry("mlflow.project.backend", "local")
                .containsEntry("skein.sweep.trials", "12")
                .containsEntry("skein.sweep.parallel", "3")
                .containsEntry("skein.sweep.metric", "loss")
                .containsEntry("skein.sweep.goal", "minimize")
                .containsEntry("skein.sweep.trialsFinished", "10")
                .containsEntry("skein.sweep.trialsFailed", "2")
                .doesNotContainKey("mlflow.parentRunId");

        // every combination once, each a nested run with its params
        Set<String> combinations = new HashSet<>();
        for (JsonObject child : children) {
            Map<String, String> params = paramsOf(child);
            assertThat(tagsOf(child)).containsEntry("mlflow.parentRunId", parentId);
            assertThat(params).containsEntry("pause", "1");
            combinations.add(params.get("x") + "/" + params.get("lr"));
            assertThat(status(child))
                    .as("x=%s lr=%s", params.get("x"), params.get("lr"))
                    .isEqualTo(params.get("x").equals("4") ? "FAILED" : "FINISHED");
            assertThat(metric(child, "loss")).as("every trial logged its loss").isNotNull();
        }
        assertThat(combinations).hasSize(12);

        // never more than three at once: the runs' lifetimes (created by a worker, ended before it creates the next)
        List<long[]> events = new ArrayList<>();
        for (JsonObject child : children) {
            events.add(new long[] {child.getJsonObject("info").getLong("start_time"), 1});
            events.add(new long[] {child.getJsonObject("info").getLong("end_time"), -1});
        }
        events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        int running = 0;
        int most = 0;
        for (long[] e : events) {
            running += (int) e[1];
            most = Math.max(most, running);
        }
        assertThat(most).isBetween(1, 3);

        // the best: the lowest loss among the FINISHED trials (x=4 logged a lower one but FAILED)
        JsonObject best = children.stream()
                .filter(c -> status(c).equals("FINISHED"))
                .min(Comparator.comparingDouble(c -> metric(c, "loss")))
                .orElseThrow();
        double lowestOfAll =
                children.stream().mapToDouble(c -> metric(c, "loss")).min().orElseThrow();
        assertThat(lowestOfAll).isLessThan(metric(best, "loss"));
        assertThat(tagsOf(parent))
                .containsEntry("skein.sweep.bestRunId", id(best))
                .containsEntry("skein.sweep.bestMetricValue", Double.toString(metric(best, "loss")));
        assertThat(metric(parent, "loss")).isEqualTo(metric(best, "loss"));
        assertThat(report.getJsonObject("best").getString("run_id")).isEqualTo(id(best));
        assertThat(report.getJsonArray("trials")).hasSize(12);
        assertThat(report.getString("status")).isEqualTo("FINISHED");
    }

    @Test
    void aRandomSweepWithTheSameSeedDrawsTheSameTrialsAndBadInputRecordsNothing() {
        String experimentId = newExperiment();
        List<String> drawn = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            JsonObject report = json(Cli.cli(
                    dir,
                    Map.of(),
                    "--output",
                    "json",
                    "sweep",
                    PROJECT.toString(),
                    "--random",
                    "x=randint(0,4)",
                    "--random",
                    "lr=loguniform(0.01,1)",
                    "-P",
                    "pause=0",
                    "--trials",
                    "3",
                    "--parallel",
                    "2",
                    "--seed",
                    "7",
                    "--metric",
                    "loss",
                    "--experiment-id",
                    experimentId));
            List<String> these = new ArrayList<>();
            report.getJsonArray("trials").forEach(t -> {
                JsonObject trial = (JsonObject) t;
                JsonObject run = getRun(trial.getString("run_id"));
                these.add(paramsOf(run).get("x") + "/" + paramsOf(run).get("lr"));
            });
            if (round == 0) {
                drawn.addAll(these);
            } else {
                assertThat(these).isEqualTo(drawn);
            }
        }
        assertThat(runs(experimentId)).hasSize(8);

        String other = newExperiment();
        for (String[] bad : List.of(
                new String[] {"--random", "lr=uniform(1,0)", "--trials", "2"},
                new String[] {"--grid", "x=1,two"},
                new String[] {"--grid", "x=1,2", "--parallel", "0"},
                new String[] {"--grid", "x=1,2", "--trials", "100000"})) {
            List<String> args = new ArrayList<>(List.of("sweep", PROJECT.toString(), "--experiment-id", other));
            args.addAll(List.of(bad));
            Result r = Cli.cli(dir, Map.of(), args.toArray(String[]::new));
            assertThat(r.exit()).as("%s: %s", String.join(" ", bad), r.err()).isEqualTo(2);
            assertThat(r.err()).startsWith("error: ");
        }
        assertThat(runs(other)).isEmpty();
    }

    @Test
    void aTerminatedSweepKillsItsRunningTrialsStartsNoMoreAndEndsTheParentKilled() throws Exception {
        String experimentId = newExperiment();
        Path pids = Files.createDirectories(dir.resolve("pids-" + UUID.randomUUID()));
        List<String> command = List.of(
                TestInfra.repoRoot().resolve("skein").toString(),
                "sweep",
                PROJECT.toString(),
                "-e",
                "wait",
                "--grid",
                "x=0,1,2,3,4,5",
                "-P",
                "piddir=" + pids,
                "--parallel",
                "2",
                "--experiment-id",
                experimentId);
        ProcessBuilder pb =
                new ProcessBuilder(command).directory(TestInfra.repoRoot().toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MLFLOW_") || k.startsWith("SKEIN_"));
        pb.environment().put("SKEIN_TRACKING_URI", Suite.url());
        Path out = Files.createTempFile(dir, "out-", ".txt");
        Process skein =
                pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
        // two trials have started once both wrote their pids
        while (pidFiles(pids).size() < 2) {
            assertThat(skein.isAlive())
                    .as("skein sweep ended early: %s", Files.readString(out))
                    .isTrue();
            Thread.sleep(100);
        }
        List<ProcessHandle> commands = new ArrayList<>();
        for (Path p : pidFiles(pids)) {
            ProcessHandle.of(Long.parseLong(Files.readString(p).strip())).ifPresent(commands::add);
        }
        assertThat(commands).hasSize(2);

        skein.destroy(); // SIGTERM, as Ctrl-C or a scheduler stopping it

        assertThat(skein.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(skein.exitValue()).isEqualTo(143);
        List<JsonObject> runs = runs(experimentId);
        Map<String, String> statuses = new HashMap<>();
        String parentId = null;
        for (JsonObject run : runs) {
            Map<String, String> tags = tagsOf(run);
            if (tags.containsKey("skein.sweep.trials")) {
                parentId = id(run);
                assertThat(status(run)).isEqualTo("KILLED");
            } else {
                statuses.put(id(run), status(run));
            }
        }
        assertThat(parentId).as("the parent run").isNotNull();
        assertThat(statuses).hasSize(2).allSatisfy((id, status) -> assertThat(status)
                .isEqualTo("KILLED"));
        for (JsonObject run : runs) {
            if (!id(run).equals(parentId)) {
                assertThat(tagsOf(run)).containsEntry("mlflow.parentRunId", parentId);
            }
        }
        for (ProcessHandle c : commands) {
            // the trials' commands were ended with it (they would sleep for ten minutes)
            c.onExit().get(2, TimeUnit.MINUTES);
        }
        assertThat(pidFiles(pids)).hasSize(2);
    }

    private static List<Path> pidFiles(Path pids) throws java.io.IOException {
        try (Stream<Path> files = Files.list(pids)) {
            return files.filter(p -> !p.toString().endsWith(".tmp")).toList();
        }
    }
}
