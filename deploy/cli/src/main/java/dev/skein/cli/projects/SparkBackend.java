package dev.skein.cli.projects;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

/**
 * Runs the entry point as a Spark application with {@code spark-submit}: the command names the application (a
 * {@code .jar}, a {@code .py} file, or {@code python FILE.py}) and its arguments, and the backend configuration says
 * where it goes ({@code master}, {@code deploy_mode}, {@code conf}, …). The driver gets the run's {@code MLFLOW_*}
 * variables in its environment (client mode; {@code spark.yarn.appMasterEnv.*} or
 * {@code spark.kubernetes.driverEnv.*} in cluster mode), the executors through {@code spark.executorEnv.*}. The
 * {@code spark-submit} process is a local process of the run, as the local backend's {@code bash -c}: its output on
 * the terminal, its exit code the run's status, its process group stopped on cancel.
 */
public final class SparkBackend implements Backend {

    /** The configuration's keys; anything else is a mistake worth a message. */
    static final Set<String> KEYS = Set.of(
            "master", "deploy_mode", "conf", "main_class", "spark_submit", "jars", "py_files", "packages", "files");

    /** The variables that never go on spark-submit's command line (every local user can read it with ps). */
    static final Set<String> SECRET_VARS =
            Set.of("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN");

    private static final Pattern PYTHON = Pattern.compile("python[0-9.]*");

    /** What the entry point's command names: the application and its arguments. */
    record Application(boolean python, String interpreter, String resource, List<String> args) {}

    private final Map<String, String> env;
    private final Path cwd;
    private final Duration grace;
    private final java.io.PrintStream output;

    public SparkBackend() {
        this((java.io.PrintStream) null);
    }

    /** spark-submit's standard output copied to {@code output} (a sweep's trials: stdout is the sweep's report). */
    public SparkBackend(java.io.PrintStream output) {
        this(System.getenv(), Path.of("").toAbsolutePath(), LocalBackend.GRACE, output);
    }

    /** {@code env}: where {@code SPARK_HOME} and {@code PATH} come from; {@code cwd}: what a relative path means. */
    SparkBackend(Map<String, String> env, Path cwd, Duration grace) {
        this(env, cwd, grace, null);
    }

    private SparkBackend(Map<String, String> env, Path cwd, Duration grace, java.io.PrintStream output) {
        this.env = env;
        this.cwd = cwd;
        this.grace = grace;
        this.output = output;
    }

    @Override
    public String name() {
        return "spark";
    }

    @Override
    public void check(Project project, String command, JsonNode config) {
        for (Iterator<String> it = config.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new ProjectException("the spark backend configuration has no key '" + key + "' (it takes "
                        + String.join(", ", KEYS.stream().sorted().toList()) + ")");
            }
        }
        String master = master(config);
        String mode = deployMode(config);
        if (mode.equals("cluster") && !master.startsWith("yarn") && !master.startsWith("k8s://")) {
            throw new ProjectException("deploy_mode cluster needs a yarn or k8s:// master (the driver's MLFLOW_*"
                    + " variables go through spark.yarn.appMasterEnv.* or spark.kubernetes.driverEnv.*), not '"
                    + master + "'");
        }
        conf(config);
        for (String key : List.of("jars", "py_files", "packages", "files")) {
            list(config, key);
        }
        text(config, "main_class");
        Application app = application(command);
        if (app.python() && config.hasNonNull("main_class")) {
            throw new ProjectException("main_class is for a JVM application; the entry point runs " + app.resource());
        }
        sparkSubmit(config);
    }

    /** The application of an entry point's command, or a message saying what the backend runs. */
    static Application application(String command) {
        List<String> words = ShellSplit.split(command);
        if (!words.isEmpty()) {
            String first = words.get(0);
            if (first.endsWith(".jar")) {
                return new Application(false, null, first, words.subList(1, words.size()));
            }
            if (first.endsWith(".py")) {
                return new Application(true, null, first, words.subList(1, words.size()));
            }
            if (PYTHON.matcher(first).matches()
                    && words.size() > 1
                    && words.get(1).endsWith(".py")) {
                return new Application(true, first, words.get(1), words.subList(2, words.size()));
            }
        }
        throw new ProjectException("the spark backend runs a Spark application: the entry point's command must be"
                + " APP.jar ARGS…, APP.py ARGS… or python APP.py ARGS…, not '" + command + "'");
    }

    static String master(JsonNode config) {
        String master = text(config, "master");
        if (master == null) {
            return "local[*]";
        }
        if (master.isBlank()) {
            throw new ProjectException("the spark backend's master is blank");
        }
        return master;
    }

    static String deployMode(JsonNode config) {
        String mode = text(config, "deploy_mode");
        if (mode == null) {
            return "client";
        }
        if (!mode.equals("client") && !mode.equals("cluster")) {
            throw new ProjectException("deploy_mode is client or cluster, not '" + mode + "'");
        }
        return mode;
    }

    /** A string value of the configuration, or null when it is absent. */
    private static String text(JsonNode config, String key) {
        JsonNode node = config.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new ProjectException("the spark backend's " + key + " must be a string");
        }
        return node.asText();
    }

    /** {@code conf}: an object of Spark properties, each a string, number or boolean. */
    static Map<String, String> conf(JsonNode config) {
        Map<String, String> conf = new LinkedHashMap<>();
        JsonNode node = config.get("conf");
        if (node == null || node.isNull()) {
            return conf;
        }
        if (!node.isObject()) {
            throw new ProjectException("the spark backend's conf must be an object of Spark properties");
        }
        node.fields().forEachRemaining(e -> {
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw new ProjectException("conf." + e.getKey() + " must be a string, number or boolean");
            }
            conf.put(e.getKey(), e.getValue().asText());
        });
        return conf;
    }

    /** {@code jars}, {@code py_files}, {@code packages}, {@code files}: a comma-separated string or an array. */
    static String list(JsonNode config, String key) {
        JsonNode node = config.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText().isBlank() ? null : node.asText();
        }
        if (node.isArray()) {
            List<String> items = new ArrayList<>();
            node.forEach(item -> {
                if (!item.isTextual() || item.asText().isBlank()) {
                    throw new ProjectException("every item of the spark backend's " + key + " must be a string");
                }
                items.add(item.asText());
            });
            return items.isEmpty() ? null : String.join(",", items);
        }
        throw new ProjectException("the spark backend's " + key + " must be a comma-separated string or an array");
    }

    /**
     * The spark-submit command: {@code spark_submit} (a path, relative to the current directory, or a name on the
     * PATH), else {@code $SPARK_HOME/bin/spark-submit}, else {@code spark-submit} on the PATH.
     */
    String sparkSubmit(JsonNode config) {
        String given = text(config, "spark_submit");
        if (given != null) {
            String found = executable(given);
            if (found == null) {
                throw new ProjectException("the spark backend's spark_submit '" + given
                        + "' is not an executable file (nor a command on the PATH)");
            }
            return found;
        }
        String home = env.get("SPARK_HOME");
        if (home != null && !home.isBlank()) {
            Path candidate = cwd.resolve(home).resolve("bin").resolve("spark-submit");
            if (!Files.isExecutable(candidate)) {
                throw new ProjectException("SPARK_HOME is " + home + " but " + candidate + " is not executable");
            }
            return candidate.toString();
        }
        String found = executable("spark-submit");
        if (found == null) {
            throw new ProjectException("no spark-submit: set spark_submit in the backend configuration, or"
                    + " SPARK_HOME, or put spark-submit on the PATH");
        }
        return found;
    }

    private String executable(String command) {
        if (command.contains(File.separator)) {
            Path path = cwd.resolve(command);
            return Files.isRegularFile(path) && Files.isExecutable(path) ? path.toString() : null;
        }
        String path = env.get("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = cwd.resolve(dir).resolve(command);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        return null;
    }

    /** The spark-submit command line of a launch (its working directory the project's). */
    List<String> command(Launch launch) {
        JsonNode config = launch.config();
        Application app = application(launch.command());
        String mode = deployMode(config);
        String master = master(config);
        List<String> argv = new ArrayList<>(List.of(
                sparkSubmit(config),
                "--master",
                master,
                "--deploy-mode",
                mode,
                "--name",
                launch.runName() != null
                        ? launch.runName()
                        : (launch.project().name() == null
                                        ? "skein-project"
                                        : launch.project().name()) + " " + launch.entryPoint() + " " + launch.runId()));
        if (!app.python()) {
            argv.add("--class");
            argv.add(mainClass(config, app.resource(), launch.workDir()));
        }
        add(argv, "--jars", list(config, "jars"));
        add(argv, "--py-files", list(config, "py_files"));
        add(argv, "--packages", list(config, "packages"));
        add(argv, "--files", list(config, "files"));
        Map<String, String> conf = conf(config);
        if (app.interpreter() != null && mode.equals("client") && !conf.containsKey("spark.pyspark.driver.python")) {
            // `python3 x.py`: the driver runs the interpreter the command names
            conf.put("spark.pyspark.driver.python", app.interpreter());
        }
        launch.env().forEach((k, v) -> {
            if (!SECRET_VARS.contains(k) && (k.startsWith("MLFLOW_") || k.equals("SKEIN_TRACKING_URI"))) {
                conf.put("spark.executorEnv." + k, v);
                if (mode.equals("cluster")) {
                    conf.put(
                            (master.startsWith("yarn") ? "spark.yarn.appMasterEnv." : "spark.kubernetes.driverEnv.")
                                    + k,
                            v);
                }
            }
        });
        conf.forEach((k, v) -> {
            argv.add("--conf");
            argv.add(k + "=" + v);
        });
        argv.add(app.resource());
        argv.addAll(app.args());
        return argv;
    }

    private static void add(List<String> argv, String option, String value) {
        if (value != null) {
            argv.add(option);
            argv.add(value);
        }
    }

    /** {@code main_class}, else the {@code Main-Class} of the jar's manifest (a jar on disk). */
    static String mainClass(JsonNode config, String jar, Path workDir) {
        String given = text(config, "main_class");
        if (given != null && !given.isBlank()) {
            return given;
        }
        if (jar.matches("[A-Za-z][A-Za-z0-9+.-]*:.*")) {
            throw new ProjectException(
                    "the application " + jar + " is not on disk: give its main_class in the backend configuration");
        }
        Path path = workDir.resolve(jar);
        try (JarFile file = new JarFile(path.toFile())) {
            String main = file.getManifest() == null
                    ? null
                    : file.getManifest().getMainAttributes().getValue("Main-Class");
            if (main == null || main.isBlank()) {
                throw new ProjectException(
                        "the jar " + jar + " names no Main-Class: give main_class in the backend configuration");
            }
            return main.strip();
        } catch (IOException e) {
            throw new ProjectException("cannot read the jar " + path + ": " + e.getMessage());
        }
    }

    @Override
    public Submitted submit(Launch launch) {
        List<String> argv = command(launch);
        if (deployMode(launch.config()).equals("cluster")
                && launch.env().keySet().stream().anyMatch(SECRET_VARS::contains)) {
            launch.out()
                    .println("=== The tracking credentials are not passed to a cluster-mode driver (they would be on"
                            + " spark-submit's command line): give them through the cluster's own secrets ===");
        }
        launch.out()
                .println("=== spark-submit --master " + master(launch.config()) + " --deploy-mode "
                        + deployMode(launch.config()) + " "
                        + application(launch.command()).resource() + " ===");
        launch.out().flush();
        Map<String, String> env = new LinkedHashMap<>(launch.env());
        // the pod's address of the tracking server is the kubernetes backend's business
        env.remove("KUBE_MLFLOW_TRACKING_URI");
        Submitted process = LocalBackend.start(argv, launch.workDir(), env, grace, output);
        return new Submitted() {
            @Override
            public RunStatus waitFor() throws InterruptedException {
                return process.waitFor();
            }

            @Override
            public void cancel() {
                process.cancel();
            }

            @Override
            public String describe() {
                return "spark-submit " + process.describe();
            }
        };
    }
}
