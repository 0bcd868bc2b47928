package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.cli.CliException;
import dev.skein.cli.ExitCodes;
import dev.skein.cli.projects.ApiTracking;
import dev.skein.cli.projects.Backend;
import dev.skein.cli.projects.KubernetesBackend;
import dev.skein.cli.projects.LocalBackend;
import dev.skein.cli.projects.ProjectException;
import dev.skein.cli.projects.ProjectRun;
import dev.skein.cli.projects.RunStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code skein run}: an MLflow Project run on a backend, as {@code mlflow run}. */
@Command(
        name = "run",
        description = {
            "Run an MLflow Project (a directory or a Git URI with an MLproject file, or a .py/.sh entry point) as a"
                    + " new run: parameters checked against the entry point, the run created with MLflow's tags and"
                    + " the parameters, MLFLOW_TRACKING_URI, MLFLOW_RUN_ID and MLFLOW_EXPERIMENT_ID given to the"
                    + " command, its output streamed, and the run ended FINISHED or FAILED as the command did"
                    + " (KILLED on Ctrl-C). Exit code 0 if FINISHED, 7 if FAILED."
        })
public final class RunCommand extends Base {

    /** The backends by name; a backend is one class behind {@link Backend}. */
    public enum BackendName {
        local(LocalBackend::new),
        kubernetes(KubernetesBackend::new),
        spark(dev.skein.cli.projects.SparkBackend::new);

        final Supplier<Backend> factory;

        BackendName(Supplier<Backend> factory) {
            this.factory = factory;
        }
    }

    // not the standard help options: -v/--version is MLflow's project version here, as in `mlflow run`
    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "Show this help message and exit.")
    boolean help;

    @Mixin
    ProjectOptions project;

    @Option(names = "--run-name", description = "The run's name.")
    String runName;

    @Option(
            names = "--async",
            description = "Return once the run is recorded and its command started, printing the run's id (MLflow's"
                    + " synchronous=False); a detached skein process watches it and ends the run.")
    boolean async;

    /** The watcher {@code --async} starts: runs the recorded run and ends it (not for people: hidden). */
    @Option(names = "--attached-run-id", hidden = true)
    String attachedRunId;

    /** The watcher's Git commit: the one the run was recorded at, not whatever the branch points to by then. */
    @Option(names = "--attached-commit", hidden = true)
    String attachedCommit;

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = root().env();
        String[] experiment = project.experiment(env);
        JsonNode config = project.config();
        Map<String, String> credentials = ProjectOptions.credentials(env);
        ProjectRun.Request request = new ProjectRun.Request(
                project.uri,
                attachedCommit != null ? attachedCommit : project.version,
                project.entryPoint,
                ProjectOptions.parse(project.params),
                experiment[0],
                experiment[1],
                runName,
                config,
                async,
                attachedRunId,
                System.getProperty("user.name"),
                credentials,
                Path.of("").toAbsolutePath());
        // skein's own lines on stderr, as MLflow logs them: stdout is the command's (and the run id's with --async)
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true);
        ProjectRun.Outcome outcome;
        ApiTracking tracking = new ApiTracking(api());
        try {
            outcome = new ProjectRun(tracking, project.backend.factory.get(), out).run(request);
        } catch (ProjectException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        if (async) {
            Path log;
            try {
                log = startWatcher(outcome.runId(), outcome.gitCommit());
            } catch (IOException | RuntimeException e) {
                tracking.setTerminated(outcome.runId(), RunStatus.FAILED);
                throw new CliException(
                        "run " + outcome.runId() + " FAILED to start: cannot start its watcher: " + e.getMessage());
            }
            err("A detached skein process runs it and ends the run; the output goes to " + log);
            spec.commandLine().getOut().println(outcome.runId());
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
        return outcome.status() == RunStatus.FINISHED ? ExitCodes.OK : ExitCodes.RUN_FAILED;
    }

    @Override
    void run() {
        throw new UnsupportedOperationException("call() runs the command");
    }

    /**
     * {@code --async}: this same command line again, detached, as the recorded run's watcher (MLflow starts
     * {@code mlflow run} in a subprocess the same way): it starts the command, streams its output to a log file and
     * ends the run FINISHED, FAILED or KILLED.
     */
    private Path startWatcher(String runId, String gitCommit) throws IOException {
        List<String> command = new java.util.ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        try {
            command.add("-cp");
            command.add(Path.of(RunCommand.class
                            .getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .toURI())
                    .toString());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        command.add(dev.skein.cli.SkeinCli.class.getName());
        for (String arg : spec.root().commandLine().getParseResult().originalArgs()) {
            if (!arg.equals("--async")) {
                command.add(arg);
            }
        }
        command.add("--attached-run-id");
        command.add(runId);
        // a Git source is pinned to the recorded commit; a local directory runs as it is on disk (no --version there)
        if (gitCommit != null && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(project.uri))) {
            command.add("--attached-commit");
            command.add(gitCommit);
        }
        Path log = createLog(root().env(), System.getProperty("user.home"), runId);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(root().env());
        pb.start();
        return log;
    }

    /**
     * The watcher's log: {@code <SKEIN_CLI_STATE_DIR or ~/.skein/runs>/<run id>.log}, the directory made private to
     * the user, the file made new (never an existing file or a link planted there) and readable by the user only.
     */
    static Path createLog(Map<String, String> env, String home, String runId) throws IOException {
        if (runId == null || !runId.matches("[0-9a-f]{32}")) {
            throw new IOException("the server gave an unexpected run id '" + runId + "'");
        }
        String state = ProjectOptions.blankToNull(env.get("SKEIN_CLI_STATE_DIR"));
        Path dir = state != null ? Path.of(state) : Path.of(home, ".skein", "runs");
        java.util.Set<java.nio.file.attribute.PosixFilePermission> owner =
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(owner));
        }
        Path log = dir.resolve(runId + ".log");
        Files.createFile(
                log,
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        return log;
    }
}
