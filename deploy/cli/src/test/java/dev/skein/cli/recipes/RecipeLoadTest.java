package dev.skein.cli.recipes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.cli.Api;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeLoadTest {

    @TempDir
    Path tmp;

    @Test
    void theRegressionExampleRendersWithEachProfile() {
        Recipe local = Recipe.load(RecipeTestFiles.example("regression"), "local");
        assertThat(local.template()).isEqualTo("regression/v1");
        assertThat(local.modelType()).isEqualTo("regressor");
        assertThat(local.targetCol()).isEqualTo("price");
        assertThat(local.experimentName()).isEqualTo("house-prices-recipe-local");
        assertThat(local.steps().keySet())
                .containsExactly(Step.INGEST, Step.SPLIT, Step.TRANSFORM, Step.TRAIN, Step.EVALUATE, Step.REGISTER);
        // a list value becomes a YAML list
        assertThat(local.steps().get(Step.SPLIT).get("split_ratios").toString()).isEqualTo("[0.75,0.125,0.125]");
        assertThat(local.criteria())
                .containsExactly(
                        new Criterion("root_mean_squared_error", 20.0, false), new Criterion("r2_score", 0.8, true));
        assertThat(local.register()).isEqualTo(new Recipe.Register("house-prices", "challenger", false));

        Recipe production = Recipe.load(RecipeTestFiles.example("regression"), "production");
        assertThat(production.experimentName()).isEqualTo("house-prices-recipe-production");
        assertThat(production.criteria().get(0).threshold()).isEqualTo(5.0);
        assertThat(production.register().alias()).isEqualTo("champion");
    }

    @Test
    void theClassificationExampleIsAClassifierWithItsPositiveClass() {
        Recipe recipe = Recipe.load(RecipeTestFiles.example("classification"), "local");
        assertThat(recipe.modelType()).isEqualTo("classifier");
        assertThat(recipe.positiveClass()).isEqualTo("1");
        assertThat(recipe.stepConfig(Step.TRAIN).path("step").path("iterations").asInt())
                .isEqualTo(2000);
    }

    @Test
    void profileValuesMayBeScalarsListsAndMappings() {
        Map<String, JsonNode> values = Map.of(
                "N", Api.JSON.valueToTree(3),
                "L", Api.JSON.valueToTree(List.of("a", "b")),
                "M", Api.JSON.valueToTree(Map.of("k", 1)),
                "S", Api.JSON.valueToTree("text"));
        String out = Template.render("n: {{N}}\nl: {{ L }}\nm: {{  M }}\ns: {{ S }} and {{N}}", "f", values, "p");
        assertThat(out).isEqualTo("n: 3\nl: [\"a\",\"b\"]\nm: {\"k\":1}\ns: text and 3");
    }

    @Test
    void anUndefinedNameIsAnErrorNamingItsFileAndLine() throws IOException {
        Path dir = RecipeTestFiles.copy("regression", tmp.resolve("r"));
        Files.writeString(
                dir.resolve("profiles/local.yaml"),
                Files.readString(dir.resolve("profiles/local.yaml")).replace("MAX_RMSE: 20.0\n", ""));
        int line = lineOf(dir.resolve("recipe.yaml"), "{{ MAX_RMSE }}");
        assertThatThrownBy(() -> Recipe.load(dir, "local"))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("recipe.yaml:" + line + ": {{ MAX_RMSE }} is not defined in profiles/local.yaml");
    }

    @Test
    void aProfileOverridesTheRecipesOwnKeys() throws IOException {
        Path dir = RecipeTestFiles.copy("regression", tmp.resolve("r"));
        Files.writeString(
                dir.resolve("profiles/local.yaml"),
                "experiment:\n  name: overridden\nsteps:\n  train:\n    l2: 2.5\n",
                java.nio.file.StandardOpenOption.APPEND);
        Recipe recipe = Recipe.load(dir, "local");
        assertThat(recipe.experimentName()).isEqualTo("overridden");
        assertThat(recipe.steps().get(Step.TRAIN).get("l2").asDouble()).isEqualTo(2.5);
        // the other steps' settings stay as recipe.yaml has them
        assertThat(recipe.steps().get(Step.INGEST).get("location").asText()).isEqualTo("data/sample.csv");
    }

    @Test
    void badRecipesAreRefusedWithTheReason() throws IOException {
        assertBad("steps:\n  ingest: {}\n", "recipe is required");
        assertBad("recipe: regression/v9\ntarget_col: y\nsteps:\n  train: {}\n", "not a template Skein knows");
        assertBad("recipe: regression/v1\ntarget_col: y\nsteps:\n  trian: {}\n", "unknown step 'trian'");
        assertBad("recipe: regression/v1\ntarget_col: y\nstpes:\n  train: {}\n", "unknown key 'stpes'");
        assertBad("recipe: regression/v1\ntarget_col: y\nsteps:\n  evaluate: {}\n", "evaluate needs a train step");
        assertBad(
                "recipe: regression/v1\ntarget_col: y\nsteps:\n  train: {}\n  evaluate: {}\n  register: {}\n",
                "model_name");
        assertBad(
                "recipe: regression/v1\ntarget_col: y\nsteps:\n  train: {}\n  evaluate:\n"
                        + "    validation_criteria: [{metric: my_metric, threshold: 1}]\n",
                "my_metric is not one of MLflow's metrics");
        assertBad(
                "recipe: regression/v1\ntarget_col: y\nsteps:\n  train: {}\n  evaluate:\n"
                        + "    validation_criteria: [{metric: r2_score, threshold: high}]\n",
                "threshold must be a number");
        assertBad("recipe: regression/v1\ntarget_col: y\nsteps:\n  tune: {}\n", "unknown step 'tune'");
        assertBad("recipe: regression/v1\ntarget_col: y\nsteps:\n  validate: {}\n", "unknown step 'validate'");
        assertBad("recipe: [unclosed\n", "not valid YAML");
    }

    @Test
    void aCodeStepNeedsItsEntryPoint() throws IOException {
        Path dir = RecipeTestFiles.copy("regression", tmp.resolve("r"));
        Files.writeString(dir.resolve("MLproject"), "entry_points:\n  ingest:\n    command: python3 steps/ingest.py\n");
        assertThatThrownBy(() -> Recipe.load(dir, "local"))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("step split has no entry point 'split' in the recipe's MLproject");
    }

    @Test
    void aMissingProfileNamesTheOnesThereAre() {
        assertThatThrownBy(() -> Recipe.load(RecipeTestFiles.example("regression"), "staging"))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("no profile 'staging'")
                .hasMessageContaining("[local, production]");
    }

    @Test
    void stepsRunInTheirFixedOrderAndStepRunsThoseBeforeIt() throws IOException {
        Path dir = RecipeTestFiles.copy("regression", tmp.resolve("r"));
        // written out of order: the order is the steps' own
        Files.writeString(
                dir.resolve("recipe.yaml"),
                "recipe: regression/v1\ntarget_col: price\nsteps:\n  train: {}\n  split: {}\n  ingest:\n"
                        + "    location: data/sample.csv\n");
        Recipe recipe = Recipe.load(dir, "local");
        assertThat(recipe.plan(null)).containsExactly(Step.INGEST, Step.SPLIT, Step.TRAIN);
        assertThat(recipe.plan(Step.SPLIT)).containsExactly(Step.INGEST, Step.SPLIT);
        assertThat(recipe.plan(Step.INGEST)).containsExactly(Step.INGEST);
        assertThatThrownBy(() -> recipe.plan(Step.TRANSFORM))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("no step 'transform'");
    }

    private void assertBad(String yaml, String reason) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "bad");
        RecipeTestFiles.copy("regression", dir.resolve("r"));
        Files.writeString(dir.resolve("r/recipe.yaml"), yaml);
        assertThatThrownBy(() -> Recipe.load(dir.resolve("r"), "local"))
                .as(yaml)
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("recipe.yaml")
                .hasMessageContaining(reason);
    }

    private static int lineOf(Path file, String text) throws IOException {
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text + " not in " + file);
    }
}
