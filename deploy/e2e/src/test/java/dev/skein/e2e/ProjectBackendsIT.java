package dev.skein.e2e;

import static dev.skein.e2e.Cli.ok;
import static dev.skein.e2e.Cli.paramsOf;
import static dev.skein.e2e.Cli.runsOf;
import static dev.skein.e2e.Cli.tagsOf;
import static dev.skein.e2e.Http.newExperiment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import dev.skein.e2e.Cli.Result;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code skein run}'s other backends against the running suite, as a user runs them ({@code ./skein run …} in a
 * process of its own): a real Spark application on a local Spark master through Spark's own {@code SparkSubmit}, and
 * a Kubernetes Job on fabric8's mock API server, whose cluster this test plays (no pods run under a mock).
 */
@ExtendWith(Suite.class)
class ProjectBackendsIT {

    private static final Path SPARK_PROJECT =
            TestInfra.repoRoot().resolve("deploy/cli/src/test/resources/projects/spark");
    private static final Path DOCKER_PROJECT =
            TestInfra.repoRoot().resolve("deploy/cli/src/test/resources/projects/docker");
    /** bench/spark, built by {@code ./skein test} before the tests: the application and all of Spark's jars. */
    private static final Path SPARK_JOB = TestInfra.repoRoot().resolve("bench/spark/target/spark-metrics-job.jar");

    private static final Path SPARK_LIB = TestInfra.repoRoot().resolve("bench/spark/target/lib");
    private static final String MAIN_CLASS = "dev.skein.examples.spark.ProjectRunJob";
    /** Spark starts slowly on a busy machine: a generous bound, never a timing assertion. */
    private static final Duration SPARK_LIMIT = Duration.ofMinutes(6);

    @TempDir
    static Path dir;

    private static Path sparkSubmit;
    private static KubernetesMockServer kubernetes;
    private static KubernetesClient cluster;
    private static Path kubeconfig;

    @BeforeAll
    static void setUp() throws IOException {
        assertThat(SPARK_JOB)
                .as("bench/spark is built (./skein test builds it: cd bench/spark && mvn -B -q -DskipTests package)")
                .exists();
        assertThat(SPARK_LIB.resolve("spark-core_2.13-4.2.0.jar")).exists();
        // spark-submit without a Spark distribution: Spark's launcher runs the class SparkSubmit, here from the jars
        // Maven fetched, with the module openings Spark's bin/spark-class passes on Java 17
        sparkSubmit = dir.resolve("spark-submit");
        Files.writeString(
                sparkSubmit,
                "#!/bin/bash\nexec java -Xmx512m -XX:+IgnoreUnrecognizedVMOptions "
                        + List.of(
                                        "java.lang",
                                        "java.lang.invoke",
                                        "java.lang.reflect",
                                        "java.io",
                                        "java.net",
                                        "java.nio",
                                        "java.util",
                                        "java.util.concurrent",
                                        "java.util.concurrent.atomic",
                                        "jdk.internal.ref",
                                        "sun.nio.ch",
                                        "sun.nio.cs",
                                        "sun.security.action",
                                        "sun.util.calendar")
                                .stream()
                                .map(p -> "--add-opens=java.base/" + p + "=ALL-UNNAMED")
                                .collect(Collectors.joining(" "))
                        + " -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true"
                        + " -cp '" + SPARK_LIB + "/*' org.apache.spark.deploy.SparkSubmit \"$@\"\n");
        Files.setPosixFilePermissions(sparkSubmit, PosixFilePermissions.fromString("rwx------"));

        kubernetes = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        kubernetes.init();
        cluster = kubernetes.createClient();
        // what `kubectl config` writes: the mock is the cluster of context "mock", which the backend configuration
        // names
        // (the current context leads nowhere)
        kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(
                kubeconfig,
                """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: %s
                - name: nowhere
                  cluster:
                    server: http://127.0.0.1:1
                contexts:
                - name: mock
                  context:
                    cluster: mock
                    user: tester
                    namespace: default
                - name: elsewhere
                  context:
                    cluster: nowhere
                    user: tester
                current-context: elsewhere
                users:
                - name: tester
                  user:
                    token: not-checked-by-the-mock
                """
                        .formatted(kubernetes.url("/").replaceAll("/$", "")));
    }

    @AfterAll
    static void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
        if (kubernetes != null) {
            kubernetes.destroy();
        }
    }

    private static Path config(String name, JsonObject config) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, config.encodePrettily());
        return file;
    }

    private static JsonObject sparkConfig() {
        return new JsonObject()
                .put("master", "local[2]")
                .put("spark_submit", sparkSubmit.toString())
                .put("conf", new JsonObject().put("spark.ui.enabled", false));
    }

    private static JsonObject onlyRun(String experimentId) {
        JsonArray runs = runsOf(experimentId);
        assertThat(runs).hasSize(1);
        return runs.getJsonObject(0);
    }

    private static Map<String, Double> metricsOf(JsonObject run) {
        Map<String, Double> metrics = new HashMap<>();
        run.getJsonObject("data")
                .getJsonArray("metrics", new JsonArray())
                .forEach(m -> metrics.put(((JsonObject) m).getString("key"), ((JsonObject) m).getDouble("value")));
        return metrics;
    }

    @Test
    void aSparkApplicationRunsOnALocalMasterAndLogsToItsRun() throws IOException {
        String experimentId = newExperiment();
        Path config = config("spark.json", sparkConfig().put("main_class", MAIN_CLASS));

        Result r = ok(Cli.cli(
                dir,
                Map.of(),
                SPARK_LIMIT,
                "run",
                SPARK_PROJECT.toString(),
                "--backend",
                "spark",
                "--backend-config",
                config.toString(),
                "-P",
                "jar=" + SPARK_JOB,
                "-P",
                "samples=20000",
                "--experiment-id",
                experimentId,
                "--run-name",
                "spark-e2e"));

        // the driver's output, streamed through
        assertThat(r.out()).contains("pi is about", "from 20000 points on local[2]");
        JsonObject run = onlyRun(experimentId);
        assertThat(run.getJsonObject("info").getString("status")).isEqualTo("FINISHED");
        assertThat(run.getJsonObject("info").getString("run_name")).isEqualTo("spark-e2e");
        assertThat(paramsOf(run))
                .containsEntry("jar", SPARK_JOB.toString())
                .containsEntry("samples", "20000")
                .containsEntry("partitions", "4");
        assertThat(tagsOf(run))
                .containsEntry("mlflow.project.backend", "spark")
                .containsEntry("mlflow.project.env", "local")
                .containsEntry("mlflow.project.entryPoint", "main")
                .containsEntry("mlflow.source.type", "PROJECT")
                // logged by the application: the master spark-submit gave it
                .containsEntry("spark_master", "local[2]")
                // and the name it gave the application: the run's
                .containsEntry("spark_app_name", "spark-e2e");
        Map<String, Double> metrics = metricsOf(run);
        // what Spark counted is the samples parameter; π from 20,000 seeded points is near enough
        assertThat(metrics).containsEntry("points_counted", 20000.0);
        assertThat(metrics.get("pi")).isBetween(3.0, 3.3);
    }

    @Test
    void aFailingSparkApplicationFailsTheRunAndTheCommand() throws IOException {
        String experimentId = newExperiment();
        Path config = config("spark-fail.json", sparkConfig().put("main_class", MAIN_CLASS));

        Result r = Cli.cli(
                dir,
                Map.of(),
                SPARK_LIMIT,
                "run",
                SPARK_PROJECT.toString(),
                "-e",
                "fail",
                "-b",
                "spark",
                "-c",
                config.toString(),
                "-P",
                "jar=" + SPARK_JOB,
                "--experiment-id",
                experimentId);

        assertThat(r.exit()).as("stderr: %s", r.err()).isEqualTo(7);
        assertThat(r.err()).contains("failing on purpose in a Spark task");
        JsonObject run = onlyRun(experimentId);
        assertThat(run.getJsonObject("info").getString("status")).isEqualTo("FAILED");
        assertThat(tagsOf(run)).containsEntry("mlflow.project.backend", "spark");
        assertThat(metricsOf(run)).isEmpty();
    }

    @Test
    void aTerminatedSparkRunStopsItsDriverAndIsRecordedKilled() throws Exception {
        String experimentId = newExperiment();
        Path config = config("spark-wait.json", sparkConfig().put("main_class", MAIN_CLASS));
        Path pidfile = dir.resolve("spark-driver.pid");
        ProcessBuilder pb = new ProcessBuilder(
                        TestInfra.repoRoot().resolve("skein").toString(),
                        "run",
                        SPARK_PROJECT.toString(),
                        "-e",
                        "wait",
                        "-b",
                        "spark",
                        "-c",
                        config.toString(),
                        "-P",
                        "jar=" + SPARK_JOB,
                        "-P",
                        "pidfile=" + pidfile,
                        "--experiment-id",
                        experimentId)
                .directory(TestInfra.repoRoot().toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MLFLOW_") || k.startsWith("SKEIN_"));
        pb.environment().put("SKEIN_TRACKING_URI", Suite.url());
        Path out = Files.createTempFile(dir, "out-", ".txt");
        Process skein =
                pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            // the driver writes its pid once Spark runs, then runs tasks that sleep for ten minutes
            long deadline = System.nanoTime() + SPARK_LIMIT.toNanos();
            while (!Files.exists(pidfile) || Files.readString(pidfile).isBlank()) {
                assertThat(skein.isAlive())
                        .as("skein run ended early: %s", Files.readString(out))
                        .isTrue();
                assertThat(System.nanoTime()).as("the driver started").isLessThan(deadline);
                Thread.sleep(200);
            }
            ProcessHandle driver = ProcessHandle.of(
                            Long.parseLong(Files.readString(pidfile).strip()))
                    .orElseThrow();
            assertThat(onlyRun(experimentId).getJsonObject("info").getString("status"))
                    .isEqualTo("RUNNING");

            skein.destroy(); // SIGTERM, as Ctrl-C or a scheduler stopping it

            assertThat(skein.waitFor(3, TimeUnit.MINUTES)).isTrue();
            assertThat(skein.exitValue()).isEqualTo(143);
            assertThat(Files.readString(out)).contains("killed");
            assertThat(onlyRun(experimentId).getJsonObject("info").getString("status"))
                    .isEqualTo("KILLED");
            // the driver's JVM (spark-submit) was stopped with the run: it would sleep for ten minutes
            driver.onExit().get(3, TimeUnit.MINUTES);
            assertThat(driver.isAlive()).isFalse();
        } finally {
            skein.destroyForcibly();
        }
    }

    @Test
    void aPythonEntryPointRunsThroughSparkSubmitsPythonRunner() throws IOException {
        String experimentId = newExperiment();
        Path config = config("spark-python.json", sparkConfig());

        Result r = ok(Cli.cli(
                dir,
                Map.of(),
                SPARK_LIMIT,
                "run",
                SPARK_PROJECT.toString(),
                "-e",
                "python",
                "-b",
                "spark",
                "-c",
                config.toString(),
                "-P",
                "factor=1.5",
                "--experiment-id",
                experimentId));

        assertThat(r.out()).contains("logged 3.0");
        JsonObject run = onlyRun(experimentId);
        assertThat(run.getJsonObject("info").getString("status")).isEqualTo("FINISHED");
        assertThat(paramsOf(run)).containsEntry("factor", "1.5");
        // PythonRunner's Py4J gateway: the script ran under spark-submit, not on its own
        assertThat(tagsOf(run)).containsEntry("pyspark_gateway", "yes");
        assertThat(metricsOf(run)).containsEntry("doubled_factor", 3.0);
    }

    @Test
    void whatTheSparkBackendCannotRunIsRefusedBeforeAnyRunIsCreated() throws IOException {
        String experimentId = newExperiment();
        // a main class for a Python application
        Path config = config("spark-mixed.json", sparkConfig().put("main_class", MAIN_CLASS));
        Result mixed = Cli.cli(
                dir,
                Map.of(),
                "run",
                SPARK_PROJECT.toString(),
                "-e",
                "python",
                "-b",
                "spark",
                "-c",
                config.toString(),
                "--experiment-id",
                experimentId);
        assertThat(mixed.exit()).isEqualTo(2);
        assertThat(mixed.err()).contains("main_class is for a JVM application");
        // an entry point that is no Spark application
        Result shell = Cli.cli(
                dir,
                Map.of(),
                "run",
                TestInfra.repoRoot()
                        .resolve("deploy/cli/src/test/resources/projects/sample")
                        .toString(),
                "-P",
                "epochs=1",
                "-b",
                "spark",
                "-c",
                config("spark-plain.json", sparkConfig()).toString(),
                "--experiment-id",
                experimentId);
        assertThat(shell.exit()).isEqualTo(2);
        assertThat(shell.err()).contains("the spark backend runs a Spark application", "bash train.sh");

        assertThat(runsOf(experimentId)).isEmpty();
    }

    /** {@code ./skein run} of the docker project on the mock cluster, in the background. */
    private static CompletableFuture<Result> runOnKubernetes(String experimentId, String runName) throws IOException {
        Path config = config(
                "kubernetes_config.json",
                new JsonObject()
                        .put("kube-context", "mock")
                        .put(
                                "kube-job-template-path",
                                DOCKER_PROJECT.resolve("job-template.yaml").toString()));
        Map<String, String> env = Map.of(
                "KUBECONFIG",
                kubeconfig.toString(),
                // the caller's credential (accepted by the suite), which must reach the pod only through a Secret
                "MLFLOW_TRACKING_TOKEN",
                Suite.ADMIN_TOKEN,
                // the tracking server as pods reach it
                "KUBE_MLFLOW_TRACKING_URI",
                "http://skein-gateway.ml.svc:8080");
        return CompletableFuture.supplyAsync(() -> Cli.cli(
                dir,
                env,
                Duration.ofMinutes(5),
                "run",
                DOCKER_PROJECT.toString(),
                "--backend",
                "kubernetes",
                "--backend-config",
                config.toString(),
                "-P",
                "data=s3://bucket/train.csv",
                "-P",
                "alpha=0.3",
                "--experiment-id",
                experimentId,
                "--run-name",
                runName));
    }

    /** The run's id once it is recorded, and its Job once created on the mock cluster. */
    private static Job jobOf(String experimentId, CompletableFuture<Result> command) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (runsOf(experimentId).isEmpty()) {
            assertThat(command)
                    .as("skein run ended before recording its run: %s", command.getNow(null))
                    .isNotDone();
            assertThat(System.nanoTime()).as("the run is recorded").isLessThan(deadline);
            Thread.sleep(200);
        }
        String runId =
                runsOf(experimentId).getJsonObject(0).getJsonObject("info").getString("run_id");
        return cluster.batch()
                .v1()
                .jobs()
                .inNamespace("ml-jobs")
                .withName("docker-sample-" + runId.substring(0, 12))
                .waitUntilCondition(j -> j != null, 3, TimeUnit.MINUTES);
    }

    /** Plays the cluster: the Job ends with that condition. */
    private static void end(Job job, String condition) {
        job.setStatus(new JobStatusBuilder()
                .addNewCondition()
                .withType(condition)
                .withStatus("True")
                .withReason(condition.equals("Failed") ? "BackoffLimitExceeded" : null)
                .endCondition()
                .build());
        cluster.batch().v1().jobs().inNamespace("ml-jobs").resource(job).updateStatus();
    }

    @Test
    void aDockerProjectRunsAsAKubernetesJobThatTheRunFollowsToItsEnd() throws Exception {
        String experimentId = newExperiment();
        CompletableFuture<Result> command = runOnKubernetes(experimentId, "k8s-e2e");

        Job job = jobOf(experimentId, command);
        JsonObject recorded = onlyRun(experimentId);
        String runId = recorded.getJsonObject("info").getString("run_id");
        assertThat(recorded.getJsonObject("info").getString("status")).isEqualTo("RUNNING");
        assertThat(job.getMetadata().getLabels()).containsEntry("skein.dev/run-id", runId);
        Container container =
                job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getImage()).isEqualTo("registry.example.com/team/trainer:1.2");
        assertThat(container.getCommand())
                .containsExactly("python", "train.py", "--alpha", "0.3", "--data", "s3://bucket/train.csv");
        Map<String, String> env = container.getEnv().stream()
                .filter(v -> v.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
        assertThat(env)
                .containsEntry("MLFLOW_RUN_ID", runId)
                .containsEntry("MLFLOW_EXPERIMENT_ID", experimentId)
                .containsEntry("MLFLOW_TRACKING_URI", "http://skein-gateway.ml.svc:8080")
                .containsEntry("TEAM", "forecasting")
                .doesNotContainKey("MLFLOW_TRACKING_TOKEN");
        EnvVar token = container.getEnv().stream()
                .filter(v -> v.getName().equals("MLFLOW_TRACKING_TOKEN"))
                .findFirst()
                .orElseThrow();
        assertThat(token.getValue()).isNull();
        assertThat(token.getValueFrom().getSecretKeyRef().getName())
                .isEqualTo(job.getMetadata().getName());
        var secret = cluster.secrets()
                .inNamespace("ml-jobs")
                .withName(job.getMetadata().getName())
                .get();
        assertThat(new String(
                        Base64.getDecoder().decode(secret.getData().get("MLFLOW_TRACKING_TOKEN")),
                        StandardCharsets.UTF_8))
                .isEqualTo(Suite.ADMIN_TOKEN);
        assertThat(command).isNotDone();

        end(job, "Complete");

        Result r = ok(command.get(5, TimeUnit.MINUTES));
        assertThat(r.err()).contains("Created Job ml-jobs/" + job.getMetadata().getName(), "Job Complete");
        JsonObject run = onlyRun(experimentId);
        assertThat(run.getJsonObject("info").getString("status")).isEqualTo("FINISHED");
        assertThat(run.getJsonObject("info").getString("run_name")).isEqualTo("k8s-e2e");
        assertThat(paramsOf(run)).containsEntry("alpha", "0.3").containsEntry("data", "s3://bucket/train.csv");
        assertThat(tagsOf(run))
                .containsEntry("mlflow.project.backend", "kubernetes")
                .containsEntry("mlflow.project.env", "docker")
                .containsEntry("mlflow.docker.image.uri", "registry.example.com/team/trainer:1.2")
                .containsEntry("mlflow.project.entryPoint", "main");
    }

    @Test
    void aFailedKubernetesJobFailsTheRunAndTheCommand() throws Exception {
        String experimentId = newExperiment();
        CompletableFuture<Result> command = runOnKubernetes(experimentId, "k8s-e2e-fail");

        end(jobOf(experimentId, command), "Failed");

        Result r = command.get(5, TimeUnit.MINUTES);
        assertThat(r.exit()).as("stderr: %s", r.err()).isEqualTo(7);
        assertThat(r.err()).contains("Job Failed (BackoffLimitExceeded)");
        JsonObject run = onlyRun(experimentId);
        assertThat(run.getJsonObject("info").getString("status")).isEqualTo("FAILED");
        assertThat(tagsOf(run)).containsEntry("mlflow.project.backend", "kubernetes");
    }
}
