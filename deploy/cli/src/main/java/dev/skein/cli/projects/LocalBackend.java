package dev.skein.cli.projects;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the command with {@code bash -c} in the project's directory, its output on the terminal as it comes. No
 * environment is created: the command runs with the machine's own tools, as {@code mlflow run --env-manager local}.
 * The command gets a process group of its own ({@code setsid}, where the machine has it), so cancelling stops all it
 * started: SIGTERM to the group (or, without {@code setsid}, to the process and its descendants), a grace period, then
 * SIGKILL, and the process waited for.
 */
public final class LocalBackend implements Backend {

    static final Duration GRACE = Duration.ofSeconds(10);

    private final Duration grace;
    private final java.io.PrintStream output;

    public LocalBackend() {
        this(GRACE);
    }

    /**
     * The command's standard output copied to {@code output} rather than inherited: a sweep keeps its own standard
     * output for its report (and {@code --output json}).
     */
    public LocalBackend(java.io.PrintStream output) {
        this(GRACE, output);
    }

    LocalBackend(Duration grace) {
        this(grace, null);
    }

    LocalBackend(Duration grace, java.io.PrintStream output) {
        this.grace = grace;
        this.output = output;
    }

    @Override
    public String name() {
        return "local";
    }

    /** {@code setsid} on the PATH, if there is one. */
    static String setsid() {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
            File candidate = new File(dir, "setsid");
            if (!dir.isEmpty() && candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        return null;
    }

    private static Thread copy(Process process, java.io.PrintStream output) {
        Thread copier = new Thread(
                () -> {
                    byte[] buffer = new byte[8192];
                    try (var in = process.getInputStream()) {
                        int n;
                        while ((n = in.read(buffer)) > 0) {
                            synchronized (output) {
                                output.write(buffer, 0, n);
                                output.flush();
                            }
                        }
                    } catch (IOException e) {
                        // the command's output ended with it
                    }
                },
                "output-" + process.pid());
        copier.setDaemon(true);
        copier.start();
        return copier;
    }

    @Override
    public Submitted submit(Launch launch) {
        return start(List.of("bash", "-c", launch.command()), launch.workDir(), launch.env(), grace, output);
    }

    /**
     * A local process of the run (the local backend's {@code bash -c}, the spark backend's {@code spark-submit}):
     * started in {@code dir} with {@code env} added to this process's environment, its output on the terminal (or
     * copied to {@code output} when given), in a
     * process group of its own where the machine has {@code setsid}; ended FINISHED on exit code 0, FAILED otherwise,
     * KILLED once cancelled (the group signalled as the class comment says).
     */
    static Submitted start(
            List<String> argv, Path dir, Map<String, String> env, Duration grace, java.io.PrintStream output) {
        String setsid = setsid();
        List<String> command = new ArrayList<>();
        if (setsid != null) {
            // --wait: should setsid have to fork, it still ends with the command's exit code
            command.addAll(List.of(setsid, "--wait"));
        }
        command.addAll(argv);
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).inheritIO();
        pb.environment().putAll(env);
        if (output != null) {
            pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
        }
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new ProjectException("cannot start " + argv.get(0) + ": " + e.getMessage());
        }
        Thread copier = output == null ? null : copy(process, output);
        boolean ownGroup = setsid != null;
        return new Submitted() {
            private volatile boolean cancelled;

            @Override
            public RunStatus waitFor() throws InterruptedException {
                int code = process.waitFor();
                if (copier != null) {
                    // bounded: a child left behind may hold the pipe open
                    copier.join(5000);
                }
                if (cancelled) {
                    return RunStatus.KILLED;
                }
                return code == 0 ? RunStatus.FINISHED : RunStatus.FAILED;
            }

            @Override
            public void cancel() {
                cancelled = true;
                signal("TERM");
                try {
                    if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                        signal("KILL");
                        process.waitFor();
                    }
                } catch (InterruptedException e) {
                    signal("KILL");
                    Thread.currentThread().interrupt();
                }
            }

            private void signal(String name) {
                boolean kill = name.equals("KILL");
                // the tree as the JVM sees it (children that left the group too), then the group
                List<ProcessHandle> tree = process.descendants().toList();
                for (ProcessHandle h : tree) {
                    if (kill) {
                        h.destroyForcibly();
                    } else {
                        h.destroy();
                    }
                }
                if (ownGroup && process.isAlive()) {
                    try {
                        new ProcessBuilder("kill", "-" + name, "--", "-" + process.pid())
                                .redirectErrorStream(true)
                                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                                .start()
                                .waitFor();
                    } catch (IOException e) {
                        // no kill command: the process and its descendants were signalled one by one
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (kill) {
                    process.destroyForcibly();
                } else {
                    process.destroy();
                }
            }

            @Override
            public String describe() {
                return process.isAlive() ? "still running" : "exit code " + process.exitValue();
            }
        };
    }
}
