package dev.skein.cli.projects;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/** Where a project run's command executes. One class per backend; a sweep submits many launches to one. */
public interface Backend {

    /** What a backend needs to start one run; {@code runName}: the run's {@code --run-name}, or null. */
    record Launch(
            Project project,
            String entryPoint,
            String command,
            Path workDir,
            String runId,
            Map<String, String> env,
            JsonNode config,
            PrintStream out,
            String runName) {

        /** A launch of a run without a name of its own. */
        public Launch(
                Project project,
                String entryPoint,
                String command,
                Path workDir,
                String runId,
                Map<String, String> env,
                JsonNode config,
                PrintStream out) {
            this(project, entryPoint, command, workDir, runId, env, config, out, null);
        }
    }

    /** A started run: wait for its end, or cancel it. */
    interface Submitted {
        /** Blocks until the run ends; FINISHED or FAILED (KILLED if it was cancelled elsewhere). */
        RunStatus waitFor() throws InterruptedException;

        /** Stops the run (kills the process, deletes the Job). */
        void cancel();

        /** A line for the user about the end (the exit code, the Job's condition). */
        String describe();
    }

    /** {@code mlflow.project.backend}'s value. */
    String name();

    /** Checks the backend's configuration and the project against it before any run is created. */
    default void check(Project project, JsonNode config) {}

    /**
     * As {@link #check(Project, JsonNode)}, with the entry point's command as it will run (its parameters filled in):
     * for a backend that runs only some kinds of command.
     */
    default void check(Project project, String command, JsonNode config) {
        check(project, config);
    }

    Submitted submit(Launch launch);
}
