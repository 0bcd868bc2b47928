package dev.skein.cli.projects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Projects from Git, with the machine's git command, against a repository on disk. */
class SourceTest {

    @TempDir
    Path dir;

    private String git(Path repo, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("git", "-C", repo.toString(), "-c", "user.email=t@skein.dev"));
        command.addAll(List.of("-c", "user.name=t"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    private Path repository() throws Exception {
        Path repo = dir.resolve("projects.git");
        Files.createDirectories(repo.resolve("train"));
        Files.writeString(repo.resolve("train/MLproject"), "name: first\n");
        git(repo, "init", "-q", "-b", "main");
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "first");
        git(repo, "tag", "v1");
        git(repo, "checkout", "-q", "-b", "experiment");
        Files.writeString(repo.resolve("train/MLproject"), "name: second\n");
        git(repo, "commit", "-q", "-am", "second");
        git(repo, "checkout", "-q", "main");
        return repo;
    }

    @Test
    void shouldCloneTheVersionAskedAndRecordItsCommitRepositoryAndBranch() throws Exception {
        Path repo = repository();
        String uri = "file://" + repo;

        Source atBranch = Source.of(uri + "#train", "experiment");
        Source atTag = Source.of(uri + "#train", "v1");
        try {
            assertThat(Project.load(atBranch.workDir()).name()).isEqualTo("second");
            assertThat(atBranch.gitCommit()).contains(git(repo, "rev-parse", "experiment"));
            assertThat(atBranch.branch()).contains("experiment");
            assertThat(atBranch.repoUrl()).contains(uri);
            assertThat(atBranch.sourceName()).isEqualTo(uri + "#train");

            assertThat(Project.load(atTag.workDir()).name()).isEqualTo("first");
            assertThat(atTag.gitCommit()).contains(git(repo, "rev-parse", "v1"));
            assertThat(atTag.branch()).isEmpty();
        } finally {
            atBranch.cleanUp();
            atTag.cleanUp();
        }
        assertThat(atBranch.cloneDir()).doesNotExist();
    }

    @Test
    void shouldRefuseWhatCannotBeAProject() throws Exception {
        Path repo = repository();

        assertThatThrownBy(() -> Source.of("file://" + repo + "#nope", null))
                .hasMessageContaining("has no directory nope");
        assertThatThrownBy(() -> Source.of("file://" + repo + "#../x", null)).hasMessageContaining("may not leave");
        assertThatThrownBy(() -> Source.of("file://" + repo, "no-such-ref")).hasMessageContaining("git fetch");
        assertThatThrownBy(() -> Source.of(dir.resolve("absent").toString(), null))
                .hasMessageContaining("neither a directory nor a Git URI");
        assertThatThrownBy(() -> Source.of(dir.toString(), "v1")).hasMessageContaining("--version is for Git URIs");
    }

    @Test
    void shouldNameALocalDirectoryOutsideGitByItsPath() {
        Source source = Source.of(dir.toString(), null);

        assertThat(source.sourceName()).isEqualTo(dir.toAbsolutePath().toString());
        assertThat(source.gitCommit()).isEmpty();
        assertThat(source.repoUrl()).isEmpty();
    }
}
