package dev.skein.cli.projects;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cancelling a local run stops everything its command started, even what ignores SIGTERM. */
class LocalBackendTest {

    @TempDir
    Path dir;

    private ProcessHandle startAndCancel(String command, Duration grace) throws Exception {
        Files.writeString(dir.resolve("MLproject"), "name: p\n");
        Backend.Launch launch = new Backend.Launch(
                Project.load(dir),
                "main",
                command,
                dir,
                "0123456789abcdef0123456789abcdef",
                Map.of(),
                JsonNodeFactory.instance.objectNode(),
                new PrintStream(new ByteArrayOutputStream()));
        Backend.Submitted submitted = new LocalBackend(grace).submit(launch);
        Path pidFile = dir.resolve("pid");
        while (!Files.exists(dir.resolve("ready"))) {
            Thread.onSpinWait();
        }
        ProcessHandle grandchild = ProcessHandle.of(
                        Long.parseLong(Files.readString(pidFile).strip()))
                .orElseThrow();

        submitted.cancel();

        assertThat(submitted.waitFor()).isEqualTo(RunStatus.KILLED);
        assertThat(submitted.describe()).startsWith("exit code");
        return grandchild;
    }

    @Test
    void shouldStopTheCommandsChildrenOnCancel() throws Exception {
        ProcessHandle sleeper = startAndCancel("sleep 300 & echo $! > pid; touch ready; wait", Duration.ofSeconds(10));

        // bounded only so a failure cannot hang the build
        sleeper.onExit().get(60, TimeUnit.SECONDS);
        assertThat(sleeper.isAlive()).isFalse();
    }

    @Test
    void shouldKillWhatIgnoresSigtermAfterTheGracePeriod() throws Exception {
        ProcessHandle sleeper = startAndCancel(
                "trap '' TERM; sleep 300 & echo $! > pid; touch ready; wait; wait", Duration.ofMillis(500));

        sleeper.onExit().get(60, TimeUnit.SECONDS);
        assertThat(sleeper.isAlive()).isFalse();
    }

    @Test
    void shouldStopWhatLeftTheProcessTreeThroughTheCommandsOwnProcessGroup() throws Exception {
        // the sleeper's parent (a subshell) exits at once: it is no descendant of the command any more
        ProcessHandle orphan =
                startAndCancel("(sleep 300 & echo $! > pid); touch ready; sleep 300", Duration.ofSeconds(10));

        orphan.onExit().get(60, TimeUnit.SECONDS);
        assertThat(orphan.isAlive()).isFalse();
    }

    @Test
    void shouldCopyTheCommandsOutputToTheStreamGivenInsteadOfTheTerminal() throws Exception {
        Files.writeString(dir.resolve("MLproject"), "name: p\n");
        ByteArrayOutputStream copied = new ByteArrayOutputStream();
        Backend.Launch launch = new Backend.Launch(
                Project.load(dir),
                "main",
                "echo one; echo two",
                dir,
                "0123456789abcdef0123456789abcdef",
                Map.of(),
                JsonNodeFactory.instance.objectNode(),
                new PrintStream(new ByteArrayOutputStream()));

        Backend.Submitted submitted = new LocalBackend(new PrintStream(copied, true)).submit(launch);

        assertThat(submitted.waitFor()).isEqualTo(RunStatus.FINISHED);
        assertThat(copied.toString()).isEqualTo("one\ntwo\n");
    }
}
