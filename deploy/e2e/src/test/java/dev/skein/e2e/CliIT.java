package dev.skein.e2e;

import static dev.skein.e2e.Cli.json;
import static dev.skein.e2e.Cli.ok;
import static dev.skein.e2e.Cli.paramsOf;
import static dev.skein.e2e.Cli.runsOf;
import static dev.skein.e2e.Cli.tagsOf;
import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.error;
import static dev.skein.e2e.Http.getRun;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.newRun;
import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import dev.skein.e2e.Cli.Result;
import io.restassured.http.ContentType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code skein} command line (deploy/cli) against the running suite, as a user runs it: {@code ./skein VERB …}
 * in a process of its own, its exit code, its output, and what it did checked through the REST API.
 */
@ExtendWith(Suite.class)
class CliIT {

    @TempDir
    static Path dir;

    private static OpenAiProvider provider;

    @BeforeAll
    static void startProvider() {
        provider = OpenAiProvider.start(Suite.LLM_PROVIDER_PORT);
    }

    @AfterAll
    static void stopProvider() {
        provider.close();
    }

    private static Result cli(String... args) {
        return Cli.cli(dir, Map.of(), args);
    }

    private static Result cli(Map<String, String> env, String... args) {
        return Cli.cli(dir, env, args);
    }

    private static JsonObject experiment(String id) {
        return Http.ok(api().queryParam("experiment_id", id).get("/api/2.0/mlflow/experiments/get"))
                .getJsonObject("experiment");
    }

    @Test
    void experimentsAreCreatedFoundRenamedDeletedAndRestored() {
        String name = "cli-" + UUID.randomUUID();
        String id =
                ok(cli("experiments", "create", name, "--tag", "team=ml")).out().strip();
        assertThat(experiment(id).getString("name")).isEqualTo(name);

        JsonObject found = json(cli("experiments", "search", "--filter", "name = '" + name + "'", "--output", "json"));
        assertThat(found.getJsonArray("experiments")).hasSize(1);
        assertThat(found.getJsonArray("experiments").getJsonObject(0).getString("experiment_id"))
                .isEqualTo(id);
        assertThat(ok(cli("experiments", "get", id)).out()).contains(name, "active", "team", "ml");
        assertThat(ok(cli("experiments", "get", "--name", name)).out()).contains(id);

        ok(cli("experiments", "rename", id, name + "-renamed"));
        assertThat(experiment(id).getString("name")).isEqualTo(name + "-renamed");
        ok(cli("experiments", "delete", id));
        assertThat(experiment(id).getString("lifecycle_stage")).isEqualTo("deleted");
        assertThat(ok(cli("experiments", "search", "--view", "deleted", "--filter", "name = '" + name + "-renamed'"))
                        .out())
                .contains(id);
        ok(cli("experiments", "restore", id));
        assertThat(experiment(id).getString("lifecycle_stage")).isEqualTo("active");

        // what scripts act on: MLflow's error on stderr, and an exit code per kind of failure
        Result taken = cli("experiments", "create", name + "-renamed");
        assertThat(taken.exit()).isEqualTo(1);
        assertThat(taken.err()).startsWith("RESOURCE_ALREADY_EXISTS: ");
        Result missing = cli("experiments", "get", "987654321");
        assertThat(missing.exit()).isEqualTo(4);
        assertThat(missing.err()).startsWith("RESOURCE_DOES_NOT_EXIST: ");
        Result usage = cli("experiments", "rename", id);
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("Missing required parameter");
        Result down = cli(Map.of("SKEIN_TRACKING_URI", "http://127.0.0.1:1"), "experiments", "search");
        assertThat(down.exit()).isEqualTo(3);
        assertThat(down.err()).contains("cannot connect to http://127.0.0.1:1");
    }

    @Test
    void exportRunsWritesEveryRunAsCsvPagingThroughThemAll() throws IOException {
        String experimentId = newExperiment();
        // more runs than one page of runs/search holds (1000)
        for (int i = 0; i < 1000; i++) {
            newRun(experimentId);
        }
        String runId = newRun(experimentId);
        Http.ok(post(
                "runs/log-batch",
                new JsonObject()
                        .put("run_id", runId)
                        .put(
                                "metrics",
                                new JsonArray()
                                        .add(new JsonObject()
                                                .put("key", "rmse")
                                                .put("value", 0.25)
                                                .put("timestamp", 1)
                                                .put("step", 0)))
                        .put(
                                "params",
                                new JsonArray()
                                        .add(new JsonObject()
                                                .put("key", "alpha")
                                                .put("value", "0.5,1")))
                        .put(
                                "tags",
                                new JsonArray()
                                        .add(new JsonObject().put("key", "team").put("value", "ml")))));
        Path csv = dir.resolve("runs-" + experimentId + ".csv");
        ok(cli("experiments", "export-runs", "--experiment-id", experimentId, "--filename", csv.toString()));

        List<String> lines = Files.readAllLines(csv);
        assertThat(lines).hasSize(1 + 1001);
        List<String> header = List.of(lines.get(0).split(","));
        assertThat(header.subList(0, 6))
                .containsExactly("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time");
        assertThat(header).contains("metrics.rmse", "params.alpha", "tags.team");
        String row = lines.stream().filter(l -> l.startsWith(runId)).findFirst().orElseThrow();
        assertThat(row).contains(",0.25,", ",\"0.5,1\",", "ml").contains(experimentId);
        assertThat(lines.stream()
                        .skip(1)
                        .map(l -> l.substring(0, l.indexOf(',')))
                        .distinct())
                .hasSize(1001);
    }

    @Test
    void runsAreListedDescribedDeletedAndRestored() {
        String experimentId = newExperiment();
        String runId = newRun(experimentId);
        Http.ok(post(
                "runs/log-parameter",
                new JsonObject().put("run_id", runId).put("key", "lr").put("value", "0.01")));

        assertThat(ok(cli("runs", "list", "--experiment-id", experimentId)).out())
                .contains(runId, "RUNNING");
        assertThat(ok(cli("runs", "describe", runId)).out()).contains("lr", "0.01", experimentId);
        JsonObject described = json(cli("--output", "json", "runs", "describe", runId));
        assertThat(described.getJsonObject("run").getJsonObject("info").getString("run_id"))
                .isEqualTo(runId);

        ok(cli("runs", "delete", runId));
        assertThat(getRun(runId).getJsonObject("info").getString("lifecycle_stage"))
                .isEqualTo("deleted");
        assertThat(ok(cli("runs", "list", "--experiment-id", experimentId)).out())
                .doesNotContain(runId);
        assertThat(ok(cli("runs", "list", "--experiment-id", experimentId, "--view", "deleted"))
                        .out())
                .contains(runId);
        ok(cli("runs", "restore", runId));
        assertThat(getRun(runId).getJsonObject("info").getString("lifecycle_stage"))
                .isEqualTo("active");
        assertThat(cli("runs", "describe", "0123456789abcdef0123456789abcdef").exit())
                .isEqualTo(4);
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static byte[] artifact(String runId, String path) {
        var r = api().queryParam("run_id", runId).queryParam("path", path).get("/get-artifact");
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return r.asByteArray();
    }

    @Test
    void artifactsGoUpPlainAndMultipartResumableAndComeBackDown() throws Exception {
        String experimentId = newExperiment();
        String runId = newRun(experimentId);
        Path local = Files.createDirectories(dir.resolve("up-" + runId));
        Files.writeString(local.resolve("notes.txt"), "hello artifacts");
        Path tree = Files.createDirectories(local.resolve("tree/sub"));
        Files.writeString(tree.resolve("deep.txt"), "deep");
        Files.writeString(local.resolve("tree/top.txt"), "top");

        // a small file: one PUT through the proxy
        ok(cli(
                "artifacts",
                "upload",
                "--run-id",
                runId,
                "--file",
                local.resolve("notes.txt").toString()));
        assertThat(new String(artifact(runId, "notes.txt"), StandardCharsets.UTF_8))
                .isEqualTo("hello artifacts");
        // a directory, under a path
        ok(cli(
                "artifacts",
                "upload",
                "--run-id",
                runId,
                "--file",
                local.resolve("tree").toString(),
                "--path",
                "data"));
        assertThat(new String(artifact(runId, "data/sub/deep.txt"), StandardCharsets.UTF_8))
                .isEqualTo("deep");

        // a large file through the multipart API: stopped after one of its three parts, then resumed
        byte[] big = randomBytes(12 * 1024 * 1024 + 17, 42);
        Path bigFile = local.resolve("big.bin");
        Files.write(bigFile, big);
        String[] upload = {
            "artifacts",
            "upload",
            "--run-id",
            runId,
            "--file",
            bigFile.toString(),
            "--path",
            "model",
            "--multipart-threshold",
            "5MiB",
            "--part-size",
            "5MiB"
        };
        Result paused = cli(concat(upload, "--max-parts", "1"));
        assertThat(paused.exit()).as(paused.err()).isEqualTo(6);
        assertThat(paused.err()).contains("--resume");
        try (Stream<Path> state = Files.list(dir.resolve("state"))) {
            assertThat(state.filter(p -> p.toString().endsWith(".json"))).hasSize(1);
        }
        // not there until it is completed
        assertThat(api().queryParam("run_id", runId)
                        .queryParam("path", "model/big.bin")
                        .get("/get-artifact")
                        .statusCode())
                .isEqualTo(404);
        Result resumed = ok(cli(concat(upload, "--resume")));
        assertThat(resumed.err()).contains("1 of 3 parts sent before");
        assertThat(sha256(artifact(runId, "model/big.bin"))).isEqualTo(sha256(big));
        try (Stream<Path> state = Files.list(dir.resolve("state"))) {
            assertThat(state.filter(p -> p.toString().endsWith(".json"))).isEmpty();
        }

        // listing
        assertThat(ok(cli("artifacts", "list", "--run-id", runId)).out()).contains("notes.txt", "data", "model");
        JsonObject all = json(cli("--output", "json", "artifacts", "list", "--run-id", runId, "--recursive"));
        assertThat(all.getJsonArray("files").stream().map(f -> ((JsonObject) f).getString("path")))
                .contains("data/sub/deep.txt", "data/top.txt", "model/big.bin", "notes.txt");

        // downloads: a directory with everything under it, and one file
        Path down = dir.resolve("down-" + runId);
        ok(cli("artifacts", "download", "--run-id", runId, "--path", "data", "--dest", down.toString()));
        assertThat(Files.readString(down.resolve("data/sub/deep.txt"))).isEqualTo("deep");
        assertThat(Files.readString(down.resolve("data/top.txt"))).isEqualTo("top");
        ok(cli("artifacts", "download", "--run-id", runId, "--path", "model/big.bin", "--dest", down.toString()));
        assertThat(sha256(Files.readAllBytes(down.resolve("model/big.bin")))).isEqualTo(sha256(big));
        assertThat(cli("artifacts", "download", "--run-id", runId, "--path", "nope.txt", "--dest", down.toString())
                        .exit())
                .isEqualTo(4);
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    private static JsonObject version(String name, String version) {
        return Http.ok(api().queryParam("name", name)
                        .queryParam("version", version)
                        .get("/api/2.0/mlflow/model-versions/get"))
                .getJsonObject("model_version");
    }

    @Test
    void modelsAndPromptsAreListedVersionedAliasedAndStaged() {
        String prefix = "cli-" + UUID.randomUUID() + "-";
        String model = prefix + "model";
        String prompt = prefix + "prompt";
        String runId = newRun(newExperiment());
        Http.ok(post("registered-models/create", new JsonObject().put("name", model)));
        for (int i = 0; i < 2; i++) {
            Http.ok(post(
                    "model-versions/create",
                    new JsonObject()
                            .put("name", model)
                            .put("source", "runs:/" + runId + "/model")
                            .put("run_id", runId)));
        }
        Http.ok(api().contentType(ContentType.JSON)
                .body(new JsonObject()
                        .put("name", prompt)
                        .put("template", new JsonObject().put("text", "Summarise {{text}}"))
                        .put("commit_message", "first")
                        .encode())
                .post("/api/2.0/skein/prompts/create"));

        String like = "name LIKE '" + prefix + "%'";
        String models = ok(cli("models", "list", "--filter", like)).out();
        assertThat(models).contains(model).doesNotContain(prompt);
        assertThat(ok(cli("models", "versions", model)).out()).contains("runs:/" + runId + "/model");
        JsonObject versions = json(cli("--output", "json", "models", "versions", model));
        assertThat(versions.getJsonArray("model_versions")).hasSize(2);

        ok(cli("models", "alias", "set", model, "champion", "2"));
        assertThat(Http.ok(api().queryParam("name", model)
                                .queryParam("alias", "champion")
                                .get("/api/2.0/mlflow/registered-models/alias"))
                        .getJsonObject("model_version")
                        .getString("version"))
                .isEqualTo("2");
        ok(cli("models", "alias", "delete", model, "champion"));
        assertThat(error(api().queryParam("name", model)
                        .queryParam("alias", "champion")
                        .get("/api/2.0/mlflow/registered-models/alias")))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");

        assertThat(ok(cli("models", "stage", model, "1", "Staging")).out()).contains("Staging");
        assertThat(version(model, "1").getString("current_stage")).isEqualTo("Staging");
        ok(cli("models", "stage", model, "2", "Staging", "--archive-existing"));
        assertThat(version(model, "1").getString("current_stage")).isEqualTo("Archived");
        assertThat(cli("models", "stage", model, "1", "Sideways").exit()).isEqualTo(1);

        String prompts = ok(cli("prompts", "list", "--filter", like)).out();
        assertThat(prompts).contains(prompt).doesNotContain(model);
        assertThat(ok(cli("prompts", "versions", prompt)).out()).contains("Summarise {{text}}", "first", "text");
        ok(cli("prompts", "alias", "set", prompt, "production", "1"));
        assertThat(Http.ok(api().queryParam("name", prompt)
                                .queryParam("version", "1")
                                .get("/api/2.0/skein/prompts/versions/get"))
                        .getJsonObject("prompt_version")
                        .getJsonArray("aliases"))
                .containsExactly("production");
        ok(cli("prompts", "alias", "delete", prompt, "production"));
        assertThat(cli("prompts", "versions", prefix + "none").exit()).isEqualTo(4);
    }

    @Test
    void endpointsAreListedAndTestedWithACall() {
        assertThat(ok(cli("endpoints", "list")).out()).contains("chat", "llm/v1/chat", "embeddings", "openai");
        Result called = ok(cli("endpoints", "test", "chat", "--message", "hello there"));
        assertThat(called.out()).contains("You said: hello there", "total_tokens", "latency_ms");
        JsonObject json = json(cli("--output", "json", "endpoints", "test", "chat", "-m", "hi"));
        assertThat(json.getJsonObject("response")
                        .getJsonArray("choices")
                        .getJsonObject(0)
                        .getJsonObject("message")
                        .getString("content"))
                .isEqualTo("You said: hi");
        assertThat(json.getJsonObject("response").getJsonObject("usage").getInteger("total_tokens"))
                .isPositive();
        assertThat(ok(cli("endpoints", "test", "embeddings", "-m", "hi")).out()).contains("embedding of");
        assertThat(cli("endpoints", "test", "no-such-endpoint", "-m", "hi").exit())
                .isEqualTo(4);
    }

    @Test
    void evaluationsStartWaitAndShow() throws IOException {
        String experimentId = newExperiment();
        String runId = newRun(experimentId);
        Path table = dir.resolve("predictions-" + runId + ".csv");
        Files.writeString(table, "y,p\n1.0,1.5\n2.0,2.0\n3.0,2.5\n4.0,4.0\n");
        ok(cli("artifacts", "upload", "--run-id", runId, "--file", table.toString(), "--path", "eval"));
        Path spec = dir.resolve("spec-" + runId + ".json");
        Files.writeString(
                spec,
                new JsonObject()
                        .put("model_type", "regressor")
                        .put("targets", "y")
                        .encode());
        String data = "eval/" + table.getFileName();

        JsonObject done = json(cli(
                "--output",
                "json",
                "evaluations",
                "start",
                "--run-id",
                runId,
                "--spec",
                spec.toString(),
                "--data",
                data,
                "--predictions",
                "p",
                "--wait",
                "--poll-interval",
                "PT0.2S"));
        JsonObject evaluation = done.getJsonObject("evaluation");
        assertThat(evaluation.getString("status")).isEqualTo("SUCCEEDED");
        String id = evaluation.getString("evaluation_id");
        JsonObject stored = Http.ok(api().queryParam("evaluation_id", id).get("/api/2.0/skein/evaluations/get"))
                .getJsonObject("evaluation");
        assertThat(stored.getString("status")).isEqualTo("SUCCEEDED");
        assertThat(stored.getJsonObject("spec").getString("targets")).isEqualTo("y");
        // MSE of the errors .5, 0, .5, 0
        double mse = stored.getJsonArray("metrics").stream()
                .map(m -> (JsonObject) m)
                .filter(m -> m.getString("key").equals("mean_squared_error"))
                .findFirst()
                .orElseThrow()
                .getDouble("value");
        assertThat(mse).isEqualTo(0.125);
        assertThat(ok(cli("evaluations", "show", id)).out()).contains("SUCCEEDED", "mean_squared_error", "0.125");

        // a table that is not there: the evaluation FAILS, and --wait says so with exit code 5
        Result failed = cli(
                "evaluations",
                "start",
                "--run-id",
                runId,
                "--spec",
                spec.toString(),
                "--data",
                "eval/missing.csv",
                "--predictions",
                "p",
                "--wait",
                "--poll-interval",
                "PT0.2S");
        assertThat(failed.exit()).as(failed.err()).isEqualTo(5);
        assertThat(failed.out()).contains("FAILED");
        assertThat(cli("evaluations", "show", UUID.randomUUID().toString()).exit())
                .isEqualTo(4);
    }

    @Test
    void gcPurgesDeletedRunsForAnAdministratorOnly() {
        String experimentId = newExperiment();
        String gone = newRun(experimentId);
        String kept = newRun(experimentId);
        ok(cli("runs", "delete", gone));
        ok(cli("runs", "delete", kept));

        Result anonymous = cli("gc", "--run-ids", gone);
        assertThat(anonymous.exit()).isEqualTo(1);
        assertThat(anonymous.err()).startsWith("UNAUTHENTICATED: ");

        Map<String, String> admin = Map.of("MLFLOW_TRACKING_TOKEN", Suite.ADMIN_TOKEN);
        assertThat(ok(cli(admin, "gc", "--run-ids", gone)).out())
                .contains("Purged run " + gone, "1 run(s) and 0 experiment(s) purged");
        assertThat(error(api().queryParam("run_id", gone).get("/api/2.0/mlflow/runs/get")))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(getRun(kept).getJsonObject("info").getString("lifecycle_stage"))
                .isEqualTo("deleted");
        // only deleted runs, MLflow's rule
        String active = newRun(experimentId);
        assertThat(cli(admin, "gc", "--run-ids", active).exit()).isEqualTo(1);
        assertThat(getRun(active).getJsonObject("info").getString("lifecycle_stage"))
                .isEqualTo("active");
    }

    @Test
    void gcPurgesADeletedExperimentWithItsRunsAndArtifactsAndFreesItsName() throws InterruptedException {
        String name = "gc-" + UUID.randomUUID();
        String experimentId = ok(cli("experiments", "create", name)).out().strip();
        String run = newRun(experimentId);
        // an artifact of the run, and one of the experiment's own (where MLflow 3 keeps logged models)
        String runArtifact = experimentId + "/" + run + "/artifacts/notes.txt";
        String modelArtifact = experimentId + "/models/m-1/artifacts/MLmodel";
        for (String path : List.of(runArtifact, modelArtifact)) {
            Http.ok(api().contentType("text/plain").body("x").put("/api/2.0/mlflow-artifacts/artifacts/" + path));
        }
        Map<String, String> admin = Map.of("MLFLOW_TRACKING_TOKEN", Suite.ADMIN_TOKEN);
        // only deleted experiments, MLflow's rule
        assertThat(cli(admin, "gc", "--experiment-ids", experimentId).exit()).isEqualTo(1);
        ok(cli("experiments", "delete", experimentId));

        assertThat(ok(cli(admin, "gc", "--experiment-ids", experimentId)).out())
                .contains("Purged run " + run, "Purged experiment " + experimentId, "1 run(s) and 1 experiment(s)");
        assertThat(error(api().queryParam("experiment_id", experimentId).get("/api/2.0/mlflow/experiments/get")))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(error(api().queryParam("run_id", run).get("/api/2.0/mlflow/runs/get")))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        // artifact-service collects both from the purge events
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        JsonObject listed;
        do {
            Thread.sleep(500);
            listed = Http.ok(api().queryParam("path", experimentId).get("/api/2.0/mlflow-artifacts/artifacts"));
        } while (listed.containsKey("files") && System.nanoTime() < deadline);
        assertThat(listed.getJsonArray("files", new JsonArray())).isEmpty();
        // the name is free again
        assertThat(ok(cli("experiments", "create", name)).out().strip()).isNotEqualTo(experimentId);
    }

    @Test
    void theRunnerHandsItsOtherVerbsToTheCommandLine() {
        String help = ok(cli("help")).out();
        assertThat(help).contains("./skein up", "experiments", "evaluations", "Exit codes:");
        assertThat(ok(cli("--help")).out()).contains("Exit codes:");
        assertThat(ok(cli("version")).out()).startsWith("skein ");
        String completion = ok(cli("completion")).out();
        assertThat(completion).contains("complete -F _complete_skein", "export-runs", "--resume");
        assertThat(cli("no-such-verb").exit()).isEqualTo(2);
    }

    private static final Path SAMPLE_PROJECT =
            TestInfra.repoRoot().resolve("deploy/cli/src/test/resources/projects/sample");

    @Test
    void aProjectRunsLocallyWithItsParametersTagsMetricAndStatusRecorded() {
        String experimentId = newExperiment();
        Result r = cli(
                "run",
                SAMPLE_PROJECT.toString(),
                "-P",
                "epochs=4",
                "-P",
                "alpha=0.25",
                "-P",
                "note=from cli",
                "--experiment-id",
                experimentId,
                "--run-name",
                "sample-local");
        ok(r);
        // the entry point's own output, streamed through, with the quoted default and the undeclared parameter
        assertThat(r.out()).contains("training: alpha=0.25 epochs=4 label=two words extra=--note from cli");

        JsonArray runs = runsOf(experimentId);
        assertThat(runs).hasSize(1);
        JsonObject run = runs.getJsonObject(0);
        String runId = run.getJsonObject("info").getString("run_id");
        assertThat(r.out()).contains("logged alpha_seen to run " + runId + " of experiment " + experimentId);
        assertThat(run.getJsonObject("info").getString("status")).isEqualTo("FINISHED");
        assertThat(run.getJsonObject("info").getString("run_name")).isEqualTo("sample-local");
        assertThat(paramsOf(run))
                .containsEntry("alpha", "0.25")
                .containsEntry("epochs", "4")
                .containsEntry("label", "two words")
                .containsEntry("note", "from cli");
        assertThat(tagsOf(run))
                .containsEntry("mlflow.source.type", "PROJECT")
                .containsEntry("mlflow.project.entryPoint", "main")
                .containsEntry("mlflow.project.backend", "local")
                .containsEntry("mlflow.project.env", "local")
                .containsEntry("skein.project.declaredEnv", "python_env:python_env.yaml")
                .containsKey("mlflow.source.name")
                .containsKey("mlflow.user");
        JsonArray metrics = run.getJsonObject("data").getJsonArray("metrics");
        assertThat(metrics).hasSize(1);
        assertThat(metrics.getJsonObject(0).getString("key")).isEqualTo("alpha_seen");
        assertThat(metrics.getJsonObject(0).getDouble("value")).isEqualTo(0.25);
        assertThat(metrics.getJsonObject(0).getLong("step")).isEqualTo(4L);
    }

    @Test
    void aFailingEntryPointFailsTheRunAndTheCommand() {
        String experimentId = newExperiment();
        Result r = cli("run", SAMPLE_PROJECT.toString(), "-e", "fail", "-P", "code=5", "--experiment-id", experimentId);

        assertThat(r.exit()).isEqualTo(7);
        assertThat(r.err()).contains("failing on purpose");
        JsonArray runs = runsOf(experimentId);
        assertThat(runs).hasSize(1);
        assertThat(runs.getJsonObject(0).getJsonObject("info").getString("status"))
                .isEqualTo("FAILED");
        assertThat(paramsOf(runs.getJsonObject(0))).containsEntry("code", "5");
    }

    @Test
    void badParametersAreRefusedBeforeAnyRunIsCreated() {
        String experimentId = newExperiment();

        Result missing = cli("run", SAMPLE_PROJECT.toString(), "--experiment-id", experimentId);
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("No value given for missing parameters: 'epochs'");
        Result typed = cli("run", SAMPLE_PROJECT.toString(), "-P", "epochs=many", "--experiment-id", experimentId);
        assertThat(typed.exit()).isEqualTo(2);
        assertThat(typed.err()).contains("parameter 'epochs' is an int, not 'many'");
        Result entry = cli("run", SAMPLE_PROJECT.toString(), "-e", "nope", "--experiment-id", experimentId);
        assertThat(entry.exit()).isEqualTo(2);
        assertThat(entry.err()).contains("Could not find nope among entry points [main, fail, wait]");

        assertThat(runsOf(experimentId)).isEmpty();
    }

    @Test
    void aProjectFromGitRunsAtTheVersionAskedAndRecordsItsCommit() throws Exception {
        Path repo = dir.resolve("projects-" + UUID.randomUUID() + ".git");
        Files.createDirectories(repo.resolve("sample"));
        try (Stream<Path> files = Files.list(SAMPLE_PROJECT)) {
            for (Path f : files.toList()) {
                Files.copy(f, repo.resolve("sample").resolve(f.getFileName()));
            }
        }
        git(repo, "init", "-q", "-b", "main");
        git(repo, "add", "-A");
        git(repo, "-c", "user.email=ci@skein.dev", "-c", "user.name=ci", "commit", "-q", "-m", "sample");
        git(repo, "tag", "v1");
        String commit = git(repo, "rev-parse", "HEAD");
        // a later commit the tag does not include
        Files.writeString(repo.resolve("sample/MLproject"), "entry_points: {}\n");
        git(repo, "-c", "user.email=ci@skein.dev", "-c", "user.name=ci", "commit", "-q", "-am", "broken");
        String experimentName = "cli-git-" + UUID.randomUUID();

        Result r = cli(
                "run",
                "file://" + repo + "#sample",
                "--version",
                "v1",
                "-P",
                "epochs=1",
                "--experiment-name",
                experimentName);

        ok(r);
        String experimentId = Http.ok(api().queryParam("experiment_name", experimentName)
                        .get("/api/2.0/mlflow/experiments/get-by-name"))
                .getJsonObject("experiment")
                .getString("experiment_id");
        JsonObject run = runsOf(experimentId).getJsonObject(0);
        assertThat(run.getJsonObject("info").getString("status")).isEqualTo("FINISHED");
        assertThat(tagsOf(run))
                .containsEntry("mlflow.source.git.commit", commit)
                .containsEntry("mlflow.source.git.repoURL", "file://" + repo)
                .containsEntry("mlflow.gitRepoURL", "file://" + repo)
                .containsEntry("mlflow.source.name", "file://" + repo + "#sample")
                // a tag, not a branch: no branch recorded (SourceTest has the branch)
                .doesNotContainKey("mlflow.source.git.branch");
    }

    @Test
    void anAsyncRunReturnsItsIdAndIsEndedByItsWatcher() throws Exception {
        String experimentId = newExperiment();
        Result r = cli("run", SAMPLE_PROJECT.toString(), "-P", "epochs=2", "--experiment-id", experimentId, "--async");

        ok(r);
        String runId = r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        // the watcher's output: a file of the caller's own under the CLI's state directory
        Path log = dir.resolve("state").resolve(runId + ".log");
        assertThat(r.err()).contains(log.toString());
        JsonObject run = getRun(runId);
        // the detached watcher ends the run once the entry point has logged its metric
        while ("RUNNING".equals(run.getJsonObject("info").getString("status"))) {
            Thread.sleep(200);
            run = getRun(runId);
        }
        assertThat(run.getJsonObject("info").getString("status")).isEqualTo("FINISHED");
        assertThat(run.getJsonObject("info").getString("experiment_id")).isEqualTo(experimentId);
        assertThat(run.getJsonObject("data")
                        .getJsonArray("metrics")
                        .getJsonObject(0)
                        .getString("key"))
                .isEqualTo("alpha_seen");
        assertThat(runsOf(experimentId)).hasSize(1);
        assertThat(java.nio.file.Files.getPosixFilePermissions(log))
                .containsExactlyInAnyOrder(
                        java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void aTerminatedRunKillsItsCommandAndIsRecordedKilled() throws Exception {
        String experimentId = newExperiment();
        Path pidfile = dir.resolve("pid-" + UUID.randomUUID());
        List<String> command = List.of(
                TestInfra.repoRoot().resolve("skein").toString(),
                "run",
                SAMPLE_PROJECT.toString(),
                "-e",
                "wait",
                "-P",
                "pidfile=" + pidfile,
                "--experiment-id",
                experimentId);
        ProcessBuilder pb =
                new ProcessBuilder(command).directory(TestInfra.repoRoot().toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MLFLOW_") || k.startsWith("SKEIN_"));
        pb.environment().put("SKEIN_TRACKING_URI", Suite.url());
        Path out = Files.createTempFile(dir, "out-", ".txt");
        Process skein =
                pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
        // the entry point has started once it wrote its pid
        while (!Files.exists(pidfile) || Files.readString(pidfile).isBlank()) {
            assertThat(skein.isAlive())
                    .as("skein run ended early: %s", Files.readString(out))
                    .isTrue();
            Thread.sleep(100);
        }
        long pid = Long.parseLong(Files.readString(pidfile).strip());
        assertThat(runsOf(experimentId).getJsonObject(0).getJsonObject("info").getString("status"))
                .isEqualTo("RUNNING");

        skein.destroy(); // SIGTERM, as Ctrl-C or a scheduler stopping it

        assertThat(skein.waitFor()).isEqualTo(143);
        assertThat(Files.readString(out)).contains("killed");
        assertThat(runsOf(experimentId).getJsonObject(0).getJsonObject("info").getString("status"))
                .isEqualTo("KILLED");
        // the entry point's process was ended with it (it would sleep for ten minutes)
        ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
    }

    private static String git(Path repo, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("git", "-C", repo.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as("git %s: %s", args, output).isZero();
        return output;
    }
}
