package dev.skein.cli.projects;

import java.io.IOException;

/**
 * Runs the command with {@code bash -c} in the project's directory, its output on the terminal as it comes. No
 * environment is created: the command runs with the machine's own tools, as {@code mlflow run --env-manager local}.
 */
public final class LocalBackend implements Backend {

    @Override
    public String name() {
        return "local";
    }

    @Override
    public Submitted submit(Launch launch) {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", launch.command())
                .directory(launch.workDir().toFile())
                .inheritIO();
        pb.environment().putAll(launch.env());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new ProjectException("cannot start bash: " + e.getMessage());
        }
        return new Submitted() {
            private volatile boolean cancelled;

            @Override
            public RunStatus waitFor() throws InterruptedException {
                int code = process.waitFor();
                if (cancelled) {
                    return RunStatus.KILLED;
                }
                return code == 0 ? RunStatus.FINISHED : RunStatus.FAILED;
            }

            @Override
            public void cancel() {
                cancelled = true;
                process.descendants().forEach(ProcessHandle::destroy);
                process.destroy();
            }

            @Override
            public String describe() {
                return process.isAlive() ? "still running" : "exit code " + process.exitValue();
            }
        };
    }
}
