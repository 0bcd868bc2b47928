package dev.skein.cli.projects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spark backend's spark-submit command line, environment and outcome, with a fake {@code spark-submit} that
 * records its arguments, environment and working directory (the real one runs in {@code ProjectBackendsIT}).
 */
class SparkBackendTest {

    static final String RUN_ID = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    Path project;
    Path bin;
    final KubernetesBackendTest.RecordingTracking tracking = new KubernetesBackendTest.RecordingTracking();
    final ByteArrayOutputStream output = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() throws IOException {
        project = Files.createDirectories(dir.resolve("project"));
        Files.writeString(
                project.resolve("MLproject"),
                """
                name: spark-sample
                entry_points:
                  main:
                    parameters:
                      samples: {type: int, default: 1000}
                      label: {type: string, default: "two words"}
                    command: "app.jar {samples} {label}"
                  py:
                    parameters:
                      factor: {type: float, default: 2.5}
                    command: "python3 train.py --factor {factor}"
                  bare:
                    command: "train.py"
                  shell:
                    command: "bash train.sh"
                  wait:
                    command: "app.jar wait"
                """);
        bin = Files.createDirectories(dir.resolve("bin"));
        // records what it was given; exits with the code in ./exit if there is one; "wait" sleeps (to be cancelled)
        script(
                bin.resolve("spark-submit"),
                """
                #!/bin/bash
                here="$(dirname "$0")"
                printf '%s\\n' "$@" > "$here/argv"
                env > "$here/env"
                pwd > "$here/pwd"
                echo "driver output"
                if [[ "${@: -1}" == wait ]]; then echo $$ > "$here/pid"; exec sleep 300; fi
                exit "$(cat "$here/exit" 2>/dev/null || echo 0)"
                """);
    }

    private static void script(Path path, String text) throws IOException {
        Files.writeString(path, text);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
    }

    private SparkBackend backend(Map<String, String> env) {
        return new SparkBackend(env, dir, Duration.ofSeconds(5));
    }

    private SparkBackend backend() {
        return backend(Map.of("PATH", "/usr/bin:/bin"));
    }

    private ObjectNode config() {
        return Api.object().put("spark_submit", bin.resolve("spark-submit").toString());
    }

    private ProjectRun.Outcome run(SparkBackend backend, String entryPoint, ObjectNode config) throws Exception {
        ProjectRun run = new ProjectRun(tracking, backend, new PrintStream(output, true, StandardCharsets.UTF_8));
        return run.run(new ProjectRun.Request(
                project.toString(),
                null,
                entryPoint,
                Map.of(),
                "7",
                null,
                "nightly",
                config,
                false,
                null,
                "alice",
                Map.of("MLFLOW_TRACKING_TOKEN", "s3cret-token"),
                dir));
    }

    private List<String> argv() throws IOException {
        return Files.readAllLines(bin.resolve("argv"));
    }

    private Map<String, String> env() throws IOException {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(bin.resolve("env"))) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    @Test
    void shouldSubmitTheJarWithTheMasterTheRunsNameAndTheTrackingVariablesForDriverAndExecutors() throws Exception {
        ObjectNode config = config().put("master", "local[2]")
                .put("main_class", "org.example.Train")
                .put("jars", "extra.jar,more.jar")
                .put("packages", "org.example:lib:1.0");
        config.putArray("py_files").add("a.zip").add("b.py");
        config.putObject("conf").put("spark.sql.shuffle.partitions", 4).put("spark.eventLog.enabled", false);

        ProjectRun.Outcome outcome = run(backend(), "main", config);

        assertThat(outcome.status()).isEqualTo(RunStatus.FINISHED);
        assertThat(argv())
                .containsExactly(
                        "--master",
                        "local[2]",
                        "--deploy-mode",
                        "client",
                        "--name",
                        "nightly",
                        "--class",
                        "org.example.Train",
                        "--jars",
                        "extra.jar,more.jar",
                        "--py-files",
                        "a.zip,b.py",
                        "--packages",
                        "org.example:lib:1.0",
                        "--conf",
                        "spark.sql.shuffle.partitions=4",
                        "--conf",
                        "spark.eventLog.enabled=false",
                        "--conf",
                        "spark.executorEnv.MLFLOW_TRACKING_URI=http://skein.example:8080",
                        "--conf",
                        "spark.executorEnv.SKEIN_TRACKING_URI=http://skein.example:8080",
                        "--conf",
                        "spark.executorEnv.MLFLOW_RUN_ID=" + RUN_ID,
                        "--conf",
                        "spark.executorEnv.MLFLOW_EXPERIMENT_ID=7",
                        "app.jar",
                        "1000",
                        "two words");
        // the driver (client mode: spark-submit's JVM) has the run's variables and the credentials in its environment;
        // the credentials are never on the command line, which every local user can read
        assertThat(env())
                .containsEntry("MLFLOW_RUN_ID", RUN_ID)
                .containsEntry("MLFLOW_TRACKING_URI", "http://skein.example:8080")
                .containsEntry("MLFLOW_EXPERIMENT_ID", "7")
                .containsEntry("MLFLOW_TRACKING_TOKEN", "s3cret-token");
        assertThat(String.join(" ", argv())).doesNotContain("s3cret-token");
        assertThat(Files.readString(bin.resolve("pwd")).strip())
                .isEqualTo(project.toRealPath().toString());
        assertThat(tracking.tags)
                .containsEntry("mlflow.project.backend", "spark")
                .containsEntry("mlflow.project.env", "local")
                .containsEntry("mlflow.project.entryPoint", "main");
        assertThat(tracking.params).containsEntry("samples", "1000").containsEntry("label", "two words");
        assertThat(tracking.ends).containsExactly(RunStatus.FINISHED);
        assertThat(output.toString(StandardCharsets.UTF_8)).contains("spark-submit --master local[2]");
    }

    @Test
    void shouldTakeTheMainClassFromTheJarsManifestAndDefaultToLocalStarWithAGeneratedName() throws Exception {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "org.example.FromManifest");
        try (OutputStream out = Files.newOutputStream(project.resolve("app.jar"));
                JarOutputStream jar = new JarOutputStream(out, manifest)) {
            jar.flush();
        }
        ProjectRun run = new ProjectRun(tracking, backend(), new PrintStream(output, true, StandardCharsets.UTF_8));
        ProjectRun.Outcome outcome = run.run(new ProjectRun.Request(
                project.toString(),
                null,
                "main",
                Map.of(),
                "7",
                null,
                null,
                config(),
                false,
                null,
                "alice",
                Map.of(),
                dir));

        assertThat(outcome.status()).isEqualTo(RunStatus.FINISHED);
        assertThat(argv())
                .containsSequence("--master", "local[*]", "--deploy-mode", "client")
                .containsSequence("--name", "spark-sample main " + RUN_ID)
                .containsSequence("--class", "org.example.FromManifest");
    }

    @Test
    void shouldFailTheRunBeforeSubmittingAJarWithoutMainClassOrManifest() {
        assertThatThrownBy(() -> run(backend(), "main", config()))
                .hasMessageContaining("FAILED to start")
                .hasMessageContaining("app.jar");
        assertThat(tracking.ends).containsExactly(RunStatus.FAILED);
        assertThat(bin.resolve("argv")).doesNotExist();
    }

    @Test
    void shouldSubmitAPythonFileWithTheInterpreterTheCommandNames() throws Exception {
        assertThat(run(backend(), "py", config()).status()).isEqualTo(RunStatus.FINISHED);

        List<String> argv = argv();
        assertThat(argv).doesNotContain("--class");
        assertThat(argv).containsSequence("--conf", "spark.pyspark.driver.python=python3");
        assertThat(argv.subList(argv.size() - 3, argv.size())).containsExactly("train.py", "--factor", "2.5");

        assertThat(run(backend(), "bare", config()).status()).isEqualTo(RunStatus.FINISHED);
        assertThat(argv()).last().isEqualTo("train.py");
        assertThat(argv()).doesNotContain("spark.pyspark.driver.python=python3");
    }

    @Test
    void shouldFailTheRunWithSparkSubmitsExitCode() throws Exception {
        Files.writeString(bin.resolve("exit"), "3");

        ProjectRun.Outcome outcome = run(backend(), "main", config().put("main_class", "org.example.Train"));

        assertThat(outcome.status()).isEqualTo(RunStatus.FAILED);
        assertThat(outcome.detail()).isEqualTo("spark-submit exit code 3");
        assertThat(tracking.ends).containsExactly(RunStatus.FAILED);
    }

    @Test
    void shouldFindSparkSubmitUnderSparkHomeThenOnThePath() throws Exception {
        Path home = Files.createDirectories(dir.resolve("spark-home/bin"));
        script(home.resolve("spark-submit"), "#!/bin/bash\n");
        assertThat(backend(Map.of("SPARK_HOME", dir.resolve("spark-home").toString(), "PATH", bin.toString()))
                        .sparkSubmit(Api.object()))
                .isEqualTo(home.resolve("spark-submit").toString());
        assertThat(backend(Map.of("PATH", "/nowhere:" + bin)).sparkSubmit(Api.object()))
                .isEqualTo(bin.resolve("spark-submit").toString());
        // a relative spark_submit is the caller's current directory's
        assertThat(backend().sparkSubmit(Api.object().put("spark_submit", "bin/spark-submit")))
                .isEqualTo(bin.resolve("spark-submit").toString());
    }

    @Test
    void shouldRefuseWhatItCannotRunBeforeTheRunIsCreated() {
        Map<String, ObjectNode> configs = new java.util.LinkedHashMap<>();
        configs.put("the spark backend configuration has no key 'deploy-mode'", config().put("deploy-mode", "client"));
        configs.put("deploy_mode is client or cluster, not 'remote'", config().put("deploy_mode", "remote"));
        configs.put(
                "deploy_mode cluster needs a yarn or k8s:// master",
                config().put("deploy_mode", "cluster").put("master", "spark://host:7077"));
        ObjectNode badConf = config();
        badConf.putObject("conf").putObject("spark.nested");
        configs.put("conf.spark.nested must be a string, number or boolean", badConf);
        ObjectNode badJars = config();
        badJars.putArray("jars").add(3);
        configs.put("every item of the spark backend's jars must be a string", badJars);
        configs.put(
                "spark_submit '/no/such/spark-submit' is not an executable file",
                Api.object().put("spark_submit", "/no/such/spark-submit"));
        configs.put("no spark-submit: set spark_submit", Api.object());
        for (Map.Entry<String, ObjectNode> e : configs.entrySet()) {
            assertThatThrownBy(() -> run(backend(), "main", e.getValue()))
                    .isInstanceOf(ProjectException.class)
                    .hasMessageContaining(e.getKey());
        }
        assertThatThrownBy(() -> run(backend(), "shell", config()))
                .isInstanceOf(ProjectException.class)
                .hasMessageContaining(
                        "must be APP.jar ARGS…, APP.py ARGS… or python APP.py ARGS…, not 'bash train.sh'");
        assertThatThrownBy(() -> run(backend(), "py", config().put("main_class", "org.example.Train")))
                .isInstanceOf(ProjectException.class)
                .hasMessageContaining("main_class is for a JVM application");

        assertThat(tracking.tags).isEmpty();
        assertThat(tracking.ends).isEmpty();
        assertThat(bin.resolve("argv")).doesNotExist();
    }

    @Test
    void shouldPassTheDriversVariablesThroughTheClustersConfInClusterMode() throws Exception {
        ObjectNode config = config().put("master", "k8s://https://k8s.example:6443")
                .put("deploy_mode", "cluster")
                .put("main_class", "org.example.Train");

        assertThat(run(backend(), "main", config).status()).isEqualTo(RunStatus.FINISHED);

        assertThat(argv())
                .contains(
                        "spark.kubernetes.driverEnv.MLFLOW_RUN_ID=" + RUN_ID,
                        "spark.executorEnv.MLFLOW_RUN_ID=" + RUN_ID,
                        "spark.kubernetes.driverEnv.MLFLOW_TRACKING_URI=http://skein.example:8080");
        assertThat(String.join(" ", argv())).doesNotContain("s3cret-token");
        assertThat(output.toString(StandardCharsets.UTF_8))
                .contains("credentials are not passed to a cluster-mode driver");
    }

    @Test
    void shouldKillSparkSubmitWhenTheRunIsCancelled() throws Exception {
        Backend.Submitted submitted = backend()
                .submit(new Backend.Launch(
                        Project.load(project),
                        "wait",
                        "app.jar wait",
                        project,
                        RUN_ID,
                        Map.of("MLFLOW_RUN_ID", RUN_ID),
                        config().put("main_class", "org.example.Train"),
                        new PrintStream(output, true, StandardCharsets.UTF_8)));
        CompletableFuture<RunStatus> status = CompletableFuture.supplyAsync(() -> {
            try {
                return submitted.waitFor();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Path pid = bin.resolve("pid");
        while (!Files.exists(pid) || Files.readString(pid).isBlank()) {
            Thread.sleep(20);
        }
        ProcessHandle sparkSubmit =
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).orElseThrow();

        submitted.cancel();

        assertThat(status.get(1, TimeUnit.MINUTES)).isEqualTo(RunStatus.KILLED);
        sparkSubmit.onExit().get(1, TimeUnit.MINUTES);
        assertThat(sparkSubmit.isAlive()).isFalse();
    }
}
