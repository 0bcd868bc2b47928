package dev.skein.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where {@code skein run --async} writes its watcher's output. */
class RunLogTest {

    static final String RUN = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    @Test
    void shouldWriteTheLogUnderTheUsersOwnDirectoryReadableByThemOnly() throws Exception {
        Path log = RunCommand.createLog(Map.of(), dir.toString(), RUN);

        assertThat(log).isEqualTo(dir.resolve(".skein/runs/" + RUN + ".log")).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log)))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log.getParent())))
                .isEqualTo("rwx------");

        Path state = dir.resolve("state");
        assertThat(RunCommand.createLog(Map.of("SKEIN_CLI_STATE_DIR", state.toString()), dir.toString(), RUN))
                .isEqualTo(state.resolve(RUN + ".log"));
    }

    @Test
    void shouldNeverWriteThroughALinkOrAnExistingFile() throws Exception {
        Path state = dir.resolve("state");
        Files.createDirectories(state);
        Path victim = Files.writeString(dir.resolve("victim"), "keep me");
        Files.createSymbolicLink(state.resolve(RUN + ".log"), victim);

        assertThatThrownBy(() -> RunCommand.createLog(Map.of("SKEIN_CLI_STATE_DIR", state.toString()), "/x", RUN))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(victim).hasContent("keep me");
    }

    @Test
    void shouldRefuseARunIdThatIsNotOne() {
        assertThatThrownBy(() -> RunCommand.createLog(Map.of(), dir.toString(), "../../etc/x"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unexpected run id");
        assertThat(dir.resolve(".skein")).doesNotExist();
    }
}
