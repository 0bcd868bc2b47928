package dev.skein.cli.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeCacheKeysTest {

    @TempDir
    Path tmp;

    Path dir;
    Map<Step, String> before;

    @BeforeEach
    void copy() throws IOException {
        dir = RecipeTestFiles.copy("regression", tmp.resolve("r"));
        before = CacheKeys.of(Recipe.load(dir, "local"));
    }

    private Map<Step, String> keys() {
        return CacheKeys.of(Recipe.load(dir, "local"));
    }

    @Test
    void nothingChangedNothingChanges() throws IOException {
        assertThat(keys()).isEqualTo(before);
        // nor do the cache and outputs, or a profile's values that no step uses
        Files.createDirectories(dir.resolve(".skein-recipe/local/steps/train/outputs"));
        Files.writeString(dir.resolve(".skein-recipe/local/steps/train/outputs/predictions.csv"), "x\n1\n");
        Files.writeString(dir.resolve("profiles/local.yaml"), "\nUNUSED: 1\n", StandardOpenOption.APPEND);
        Files.writeString(dir.resolve("profiles/staging.yaml"), "ANY: 2\n");
        assertThat(keys()).isEqualTo(before);
        assertThat(before.values()).doesNotHaveDuplicates().allMatch(k -> k.matches("[0-9a-f]{64}"));
    }

    @Test
    void aStepsCodeChangesItsKeyAndThoseAfterIt() throws IOException {
        Files.writeString(dir.resolve("steps/train.py"), "\n# changed\n", StandardOpenOption.APPEND);
        Map<Step, String> after = keys();
        assertThat(after.get(Step.INGEST)).isEqualTo(before.get(Step.INGEST));
        assertThat(after.get(Step.SPLIT)).isEqualTo(before.get(Step.SPLIT));
        assertThat(after.get(Step.TRANSFORM)).isEqualTo(before.get(Step.TRANSFORM));
        assertThat(after.get(Step.TRAIN)).isNotEqualTo(before.get(Step.TRAIN));
        assertThat(after.get(Step.EVALUATE)).isNotEqualTo(before.get(Step.EVALUATE));
        assertThat(after.get(Step.REGISTER)).isNotEqualTo(before.get(Step.REGISTER));
    }

    @Test
    void sharedCodeOrDataChangesEveryStep() throws IOException {
        Files.writeString(dir.resolve("steps/common.py"), "\n# changed\n", StandardOpenOption.APPEND);
        Map<Step, String> afterCode = keys();
        before.forEach(
                (step, key) -> assertThat(afterCode.get(step)).as(step.id()).isNotEqualTo(key));
        before = afterCode;
        Files.writeString(dir.resolve("data/sample.csv"), "1,1,1,1,1\n", StandardOpenOption.APPEND);
        Map<Step, String> afterData = keys();
        before.forEach(
                (step, key) -> assertThat(afterData.get(step)).as(step.id()).isNotEqualTo(key));
    }

    @Test
    void aStepsConfigChangesItsKeyAndThoseAfterIt() throws IOException {
        Files.writeString(
                dir.resolve("profiles/local.yaml"),
                Files.readString(dir.resolve("profiles/local.yaml"))
                        .replace("SPLIT_RATIOS: [0.75, 0.125, 0.125]", "SPLIT_RATIOS: [0.7, 0.15, 0.15]"));
        Map<Step, String> after = keys();
        assertThat(after.get(Step.INGEST)).isEqualTo(before.get(Step.INGEST));
        for (Step s : new Step[] {Step.SPLIT, Step.TRANSFORM, Step.TRAIN, Step.EVALUATE, Step.REGISTER}) {
            assertThat(after.get(s)).as(s.id()).isNotEqualTo(before.get(s));
        }
    }

    @Test
    void criteriaChangeEvaluateOnly() throws IOException {
        Files.writeString(
                dir.resolve("profiles/local.yaml"),
                Files.readString(dir.resolve("profiles/local.yaml")).replace("MIN_R2: 0.8", "MIN_R2: 0.85"));
        Map<Step, String> after = keys();
        for (Step s : new Step[] {Step.INGEST, Step.SPLIT, Step.TRANSFORM, Step.TRAIN}) {
            assertThat(after.get(s)).as(s.id()).isEqualTo(before.get(s));
        }
        assertThat(after.get(Step.EVALUATE)).isNotEqualTo(before.get(Step.EVALUATE));
        assertThat(after.get(Step.REGISTER)).isNotEqualTo(before.get(Step.REGISTER));
    }

    @Test
    void theConfigurationsKeyOrderDoesNotMatter() throws IOException {
        String yaml = Files.readString(dir.resolve("recipe.yaml"));
        Files.writeString(
                dir.resolve("recipe.yaml"),
                yaml.replace("    validation_criteria:", "    validation_criteria:")
                        .replace(
                                "model_name: {{ MODEL_NAME }}\n    alias: {{ MODEL_ALIAS }}",
                                "alias: {{ MODEL_ALIAS }}\n    model_name: {{ MODEL_NAME }}"));
        assertThat(Files.readString(dir.resolve("recipe.yaml"))).isNotEqualTo(yaml);
        assertThat(keys()).isEqualTo(before);
    }

    @Test
    void outputsAreHashedByPathAndContent() throws IOException {
        Path out = tmp.resolve("out");
        assertThat(CacheKeys.ofDirectory(out)).isNull();
        Files.createDirectories(out.resolve("model"));
        Files.writeString(out.resolve("model/a.json"), "1");
        String h = CacheKeys.ofDirectory(out);
        assertThat(CacheKeys.ofDirectory(out)).isEqualTo(h);
        Files.writeString(out.resolve("model/a.json"), "2");
        assertThat(CacheKeys.ofDirectory(out)).isNotEqualTo(h);
    }
}
