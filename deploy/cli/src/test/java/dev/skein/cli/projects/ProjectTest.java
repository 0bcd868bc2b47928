package dev.skein.cli.projects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProjectTest {

    static final Path SAMPLE = Path.of("src/test/resources/projects/sample");
    static final Path DOCKER = Path.of("src/test/resources/projects/docker");

    @TempDir
    Path dir;

    @Test
    void shouldReadEntryPointsTypedParametersAndThePythonEnv() {
        Project project = Project.load(SAMPLE);

        assertThat(project.name()).isEqualTo("Sample Project");
        assertThat(project.entryPoints()).containsOnlyKeys("main", "fail", "wait");
        EntryPoint main = project.entryPoint("main");
        assertThat(main.parameters().values())
                .containsExactly(
                        new Parameter("alpha", "float", "0.5"),
                        new Parameter("epochs", "int", null),
                        new Parameter("label", "string", "two words"));
        assertThat(project.env()).isEqualTo(new Project.Env("python_env", "python_env.yaml", null));
    }

    @Test
    void shouldQuoteValuesIntoTheCommandAndAppendUndeclaredParameters() {
        EntryPoint main = Project.load(SAMPLE).entryPoint("main");
        Map<String, String> given = new LinkedHashMap<>();
        given.put("epochs", "3");
        given.put("label", "it's");
        given.put("extra-flag", "a b");

        EntryPoint.Resolved resolved = main.resolve(given, dir);

        assertThat(resolved.command()).isEqualTo("bash train.sh 0.5 3 'it'\"'\"'s' --extra-flag 'a b'");
        assertThat(resolved.all())
                .containsExactly(
                        Map.entry("alpha", "0.5"),
                        Map.entry("epochs", "3"),
                        Map.entry("label", "it's"),
                        Map.entry("extra-flag", "a b"));
    }

    @Test
    void shouldRefuseMissingAndIllTypedParameters() {
        EntryPoint main = Project.load(SAMPLE).entryPoint("main");

        assertThatThrownBy(() -> main.resolve(Map.of(), dir))
                .isInstanceOf(ProjectException.class)
                .hasMessage("No value given for missing parameters: 'epochs'");
        assertThatThrownBy(() -> main.resolve(Map.of("epochs", "3.5"), dir))
                .hasMessage("parameter 'epochs' is an int, not '3.5'");
        assertThatThrownBy(() -> main.resolve(Map.of("epochs", "3", "alpha", "high"), dir))
                .hasMessage("parameter 'alpha' is a float, not 'high'");
    }

    @Test
    void shouldCheckUriAndPathParameters() throws IOException {
        Files.writeString(
                dir.resolve("MLproject"),
                """
                entry_points:
                  main:
                    parameters:
                      data: path
                      model: uri
                    command: "cat {data} {model}"
                """);
        Files.writeString(dir.resolve("train.csv"), "x\n");
        EntryPoint main = Project.load(dir).entryPoint("main");

        assertThat(main.resolve(Map.of("data", "train.csv", "model", "s3://b/m"), dir)
                        .command())
                .isEqualTo("cat " + dir.resolve("train.csv").toAbsolutePath() + " s3://b/m");
        assertThatThrownBy(() -> main.resolve(Map.of("data", "missing.csv", "model", "s3://b/m"), dir))
                .hasMessageContaining("no such file or directory was found");
        assertThatThrownBy(() -> main.resolve(Map.of("data", "train.csv", "model", "just-a-name"), dir))
                .hasMessage("Expected URI for parameter model but got just-a-name");
    }

    @Test
    void shouldRunScriptsDirectlyWithoutAnMLprojectFile() throws IOException {
        Files.writeString(dir.resolve("job.sh"), "echo hi\n");

        Project project = Project.load(dir);

        assertThat(project.entryPoint("job.sh").resolve(Map.of("n", "1"), dir).command())
                .isEqualTo("bash job.sh --n 1");
        assertThat(project.entryPoint("train.py").command()).isEqualTo("python train.py");
        assertThatThrownBy(() -> project.entryPoint("train"))
                .hasMessageContaining("Could not find train among entry points []");
    }

    @Test
    void shouldRefuseBadProjectFiles() throws IOException {
        Files.writeString(dir.resolve("MLproject"), "docker_env: {image: x}\nconda_env: conda.yaml\n");
        assertThatThrownBy(() -> Project.load(dir)).hasMessageContaining("multiple environment fields");

        Files.writeString(dir.resolve("MLproject"), "docker_env: {volumes: []}\n");
        assertThatThrownBy(() -> Project.load(dir)).hasMessageContaining("no image attribute found");

        Files.writeString(dir.resolve("MLproject"), "conda_env: env.yaml\n");
        assertThatThrownBy(() -> Project.load(dir)).hasMessageContaining("env.yaml, but no such file was found");

        Files.writeString(
                dir.resolve("MLproject"), "entry_points:\n  main:\n    parameters: {a: decimal}\n    command: x\n");
        assertThatThrownBy(() -> Project.load(dir)).hasMessageContaining("unknown type 'decimal'");

        Files.writeString(dir.resolve("MLproject"), "entry_points:\n  main:\n    command: echo {b}\n");
        assertThatThrownBy(() -> Project.load(dir).entryPoint("main").resolve(Map.of(), dir))
                .hasMessageContaining("uses {b}, which is not one of its parameters");
    }

    @Test
    void shouldReadTheDockerImage() {
        assertThat(Project.load(DOCKER).env())
                .isEqualTo(new Project.Env("docker_env", null, "registry.example.com/team/trainer:1.2"));
    }

    @Test
    void shouldQuoteAndSplitAsPythonsShlex() {
        assertThat(ShellQuote.quote("")).isEqualTo("''");
        assertThat(ShellQuote.quote("a/b-1.5")).isEqualTo("a/b-1.5");
        assertThat(ShellQuote.quote("$HOME; rm")).isEqualTo("'$HOME; rm'");
        assertThat(ShellSplit.split("python train.py --label 'it'\"'\"'s' \"a \\\"b\\\"\" c\\ d"))
                .isEqualTo(List.of("python", "train.py", "--label", "it's", "a \"b\"", "c d"));
        assertThatThrownBy(() -> ShellSplit.split("echo 'open")).hasMessageContaining("unbalanced");
    }
}
