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

    @Test
    void shouldRefuseAVersionThatGitWouldReadAsAnOption() throws Exception {
        Path repo = repository();
        Path marker = dir.resolve("pwned");

        assertThatThrownBy(() -> Source.of("file://" + repo, "--upload-pack=touch " + marker))
                .isInstanceOf(ProjectException.class)
                .hasMessageContaining("--version must name a Git commit, branch or tag");
        assertThatThrownBy(() -> Source.of("file://" + repo, "")).isInstanceOf(ProjectException.class);
        assertThat(marker).doesNotExist();
    }

    @Test
    void shouldKeepCredentialsOfGitUrlsOutOfTagsAndMessages() {
        assertThat(Source.redact("https://alice:s3cret@git.example.com/r.git#sub"))
                .isEqualTo("https://git.example.com/r.git#sub");
        assertThat(Source.redact("https://ghp_token@github.com/o/r")).isEqualTo("https://github.com/o/r");
        assertThat(Source.redact("ssh://bob:pw@host/r.git")).isEqualTo("ssh://host/r.git");
        assertThat(Source.redact("ssh://git@host/r.git")).isEqualTo("ssh://git@host/r.git");
        assertThat(Source.redact("git@github.com:o/r.git")).isEqualTo("git@github.com:o/r.git");
        assertThat(Source.redact("fatal: unable to access 'https://u:p@h/r/': refused"))
                .isEqualTo("fatal: unable to access 'https://h/r/': refused");

        // nothing listens on port 1: git fails, and neither its message nor the command shown carries the secret
        assertThatThrownBy(() -> Source.of("https://alice:s3cret@127.0.0.1:1/r.git", null))
                .isInstanceOf(ProjectException.class)
                .hasMessageContaining("127.0.0.1:1")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
    }
}
