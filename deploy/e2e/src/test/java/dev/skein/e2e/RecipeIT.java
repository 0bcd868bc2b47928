package dev.skein.e2e;

import static dev.skein.e2e.Cli.runsOf;
import static dev.skein.e2e.Cli.tagsOf;
import static dev.skein.e2e.Http.api;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.e2e.Cli.Result;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code skein recipe run|inspect} against the running suite, with the regression example (its steps run with the
 * machine's Python and numpy): nested step runs with their outputs as artifacts, an evaluation by evaluation-service,
 * a model version registered only when the validation criteria pass, and unchanged steps skipped.
 */
@ExtendWith(Suite.class)
class RecipeIT {

    @TempDir
    static Path dir;

    static final Duration LIMIT = Duration.ofMinutes(10);
    static final List<String> STEPS = List.of("ingest", "split", "transform", "train", "evaluate", "register");

    /** An example (regression unless named) in a directory of its own, its experiment and model names made unique. */
    private static Path recipe(String experiment, String model) throws IOException {
        return recipe("regression", experiment, model);
    }

    private static Path recipe(String example, String experiment, String model) throws IOException {
        Path source = TestInfra.repoRoot().resolve("deploy/cli/examples/recipes/" + example);
        Path target = Files.createTempDirectory(dir, "recipe-");
        try (Stream<Path> walk = Files.walk(source)) {
            for (Path p : walk.toList()) {
                Path rel = source.relativize(p);
                if (rel.toString().contains(".skein-recipe") || rel.toString().contains("__pycache__")) {
                    continue;
                }
                Path to = target.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        for (String profile : List.of("local", "production")) {
            Path file = target.resolve("profiles/" + profile + ".yaml");
            String yaml = Files.readString(file)
                    .replaceAll("EXPERIMENT_NAME: .*", "EXPERIMENT_NAME: \"" + experiment + "\"")
                    .replaceAll("MODEL_NAME: .*", "MODEL_NAME: \"" + model + "\"");
            Files.writeString(file, yaml);
        }
        return target;
    }

    private static Result skein(String... args) {
        return Cli.cli(dir, Map.of(), LIMIT, args);
    }

    private static String experimentId(String name) {
        return Http.ok(api().queryParam("experiment_name", name).get("/api/2.0/mlflow/experiments/get-by-name"))
                .getJsonObject("experiment")
                .getString("experiment_id");
    }

    /** The experiment's runs by id. */
    private static Map<String, JsonObject> runs(String experimentId) {
        Map<String, JsonObject> byId = new HashMap<>();
        runsOf(experimentId)
                .forEach(r -> byId.put(((JsonObject) r).getJsonObject("info").getString("run_id"), (JsonObject) r));
        return byId;
    }

    private static String status(JsonObject run) {
        return run.getJsonObject("info").getString("status");
    }

    private static List<String> artifacts(String runId, String path) {
        var request = api().queryParam("run_id", runId);
        if (path != null) {
            request = request.queryParam("path", path);
        }
        JsonArray files = Http.ok(request.get("/api/2.0/mlflow/artifacts/list")).getJsonArray("files", new JsonArray());
        List<String> paths = new ArrayList<>();
        files.forEach(f -> paths.add(((JsonObject) f).getString("path")));
        return paths;
    }

    private static String artifact(String runId, String path) {
        return api().queryParam("run_id", runId)
                .queryParam("path", path)
                .get("/get-artifact")
                .asString();
    }

    private static JsonArray versions(String model) {
        return Http.ok(api().queryParam("filter", "name='" + model + "'").get("/api/2.0/mlflow/model-versions/search"))
                .getJsonArray("model_versions", new JsonArray());
    }

    /** The model a registry event names; null for a record that is not one (other tests put some on the topic). */
    private static String modelName(TopicReader.Event e) {
        try {
            return new JsonObject(e.value()).getString("modelName");
        } catch (RuntimeException notAnEvent) {
            return null;
        }
    }

    private static Map<String, String> inspect(Path recipe, String profile) {
        Result r = Cli.ok(skein("--output", "json", "recipe", "inspect", "-r", recipe.toString(), "-p", profile));
        Map<String, String> states = new HashMap<>();
        new JsonObject(r.out())
                .getJsonArray("steps")
                .forEach(s -> states.put(((JsonObject) s).getString("step"), ((JsonObject) s).getString("state")));
        return states;
    }

    @Test
    void aPassingModelIsRegisteredUnchangedStepsAreSkippedAndAChangedStepRunsAgain() throws IOException {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String experiment = "recipe-local-" + suffix;
        String model = "house-prices-" + suffix;
        Path recipe = recipe(experiment, model);
        assertThat(inspect(recipe, "local").values()).containsOnly("NOT RUN");

        Result first = skein("--output", "json", "recipe", "run", "-r", recipe.toString(), "-p", "local");
        assertThat(first.exit()).as("stderr: %s", first.err()).isZero();
        JsonObject summary = new JsonObject(first.out());
        assertThat(summary.getString("status")).isEqualTo("FINISHED");
        String expId = experimentId(experiment);
        assertThat(summary.getString("experiment_id")).isEqualTo(expId);
        Map<String, JsonObject> runs = runs(expId);
        assertThat(runs).hasSize(1 + STEPS.size());
        String recipeRunId = summary.getString("run_id");
        JsonObject recipeRun = runs.get(recipeRunId);
        assertThat(status(recipeRun)).isEqualTo("FINISHED");
        Map<String, String> recipeTags = tagsOf(recipeRun);
        assertThat(recipeTags)
                .containsEntry("mlflow.source.type", "RECIPE")
                .containsEntry("skein.recipe.profile", "local")
                .containsEntry("skein.recipe.template", "regression/v1")
                .containsEntry("skein.recipe.registration", "registered")
                .containsEntry("skein.recipe.executedSteps", String.join(",", STEPS))
                .doesNotContainKey("skein.recipe.cachedSteps");
        Map<String, String> stepRun = new HashMap<>();
        for (String step : STEPS) {
            String id = recipeTags.get("skein.recipe.step." + step + ".runId");
            assertThat(recipeTags).containsEntry("skein.recipe.step." + step + ".state", "SUCCEEDED");
            JsonObject run = runs.get(id);
            assertThat(run).as(step).isNotNull();
            assertThat(status(run)).as(step).isEqualTo("FINISHED");
            assertThat(tagsOf(run))
                    .containsEntry("mlflow.parentRunId", recipeRunId)
                    .containsEntry("skein.recipe.step", step)
                    .containsEntry("mlflow.runName", step);
            stepRun.put(step, id);
        }
        // code steps are project runs of the recipe's entry points, their outputs logged as artifacts
        assertThat(tagsOf(runs.get(stepRun.get("train")))).containsEntry("mlflow.project.entryPoint", "train");
        assertThat(artifacts(stepRun.get("ingest"), null)).containsExactly("dataset.csv");
        assertThat(artifacts(stepRun.get("split"), null)).contains("train.csv", "validation.csv", "test.csv");
        assertThat(artifacts(stepRun.get("train"), null)).contains("model", "predictions.csv");
        assertThat(artifacts(stepRun.get("train"), "model")).contains("model/MLmodel", "model/coefficients.json");
        assertThat(artifact(stepRun.get("train"), "model/MLmodel")).contains("linear_regression");
        assertThat(artifacts(stepRun.get("evaluate"), null)).contains("predictions.csv", "validation_results.json");

        // the evaluation: evaluation-service's regressor metrics on train's predictions, checked against the criteria
        String evaluateRun = stepRun.get("evaluate");
        JsonArray evaluations = Http.ok(
                        api().queryParam("run_id", evaluateRun).get("/api/2.0/skein/evaluations/search"))
                .getJsonArray("evaluations");
        assertThat(evaluations.size()).isEqualTo(1);
        JsonObject evaluation = evaluations.getJsonObject(0);
        assertThat(evaluation.getString("status")).isEqualTo("SUCCEEDED");
        Map<String, Double> metrics = new HashMap<>();
        evaluation
                .getJsonArray("metrics")
                .forEach(m -> metrics.put(((JsonObject) m).getString("key"), ((JsonObject) m).getDouble("value")));
        assertThat(metrics).containsKeys("root_mean_squared_error", "r2_score", "mean_absolute_error", "max_error");
        assertThat(metrics.get("root_mean_squared_error")).isLessThanOrEqualTo(20.0);
        assertThat(metrics.get("r2_score")).isGreaterThanOrEqualTo(0.8);
        assertThat(tagsOf(runs.get(evaluateRun)))
                .containsEntry("skein.recipe.validation.status", "VALIDATED")
                .containsEntry("skein.recipe.evaluationId", evaluation.getString("evaluation_id"));
        JsonObject validation = new JsonObject(artifact(evaluateRun, "validation_results.json"));
        assertThat(validation.getString("validation_status")).isEqualTo("VALIDATED");
        assertThat(validation.getJsonArray("criteria").size()).isEqualTo(2);
        List<TopicReader.Event> evaluated = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                "skein.evaluation.results.v1",
                evaluateRun::equals,
                1,
                Duration.ofSeconds(60),
                Duration.ofSeconds(1));
        assertThat(evaluated).hasSize(1);
        assertThat(new JsonObject(evaluated.get(0).value()).getString("status")).isEqualTo("SUCCEEDED");

        // registered from the train step's run, the alias on it
        JsonArray versions = versions(model);
        assertThat(versions.size()).isEqualTo(1);
        JsonObject version = versions.getJsonObject(0);
        assertThat(version.getString("run_id")).isEqualTo(stepRun.get("train"));
        assertThat(version.getString("source")).isEqualTo("runs:/" + stepRun.get("train") + "/model");
        JsonObject byAlias = Http.ok(api().queryParam("name", model)
                        .queryParam("alias", "challenger")
                        .get("/api/2.0/mlflow/registered-models/alias"))
                .getJsonObject("model_version");
        assertThat(byAlias.getString("version")).isEqualTo(version.getString("version"));
        assertThat(tagsOf(runs.get(stepRun.get("register"))))
                .containsEntry("skein.recipe.registration", "registered")
                .containsEntry("skein.recipe.model.version", version.getString("version"));
        List<TopicReader.Event> changes = TopicReader.readMatching(
                TestInfra.kafkaBootstrap(),
                "skein.registry.events.v1",
                e -> model.equals(modelName(e)),
                3,
                Duration.ofSeconds(60),
                Duration.ofSeconds(1));
        List<String> kinds = changes.stream()
                .map(e -> new JsonObject(e.value()).getString("kind"))
                .toList();
        assertThat(kinds).contains("REGISTERED_MODEL_CREATED", "MODEL_VERSION_CREATED", "MODEL_VERSION_ALIAS_SET");
        assertThat(inspect(recipe, "local"))
                .containsEntry("ingest", "SUCCEEDED")
                .containsEntry("evaluate", "SUCCEEDED")
                .containsEntry("register", "SUCCEEDED");

        // nothing changed: every step before register is CACHED, its step run reused; no new version
        Result second = skein("--output", "json", "recipe", "run", "-r", recipe.toString(), "-p", "local");
        assertThat(second.exit()).as("stderr: %s", second.err()).isZero();
        JsonObject secondSummary = new JsonObject(second.out());
        Map<String, JsonObject> afterSecond = runs(expId);
        // one recipe run and one register step run more
        assertThat(afterSecond).hasSize(runs.size() + 2);
        Map<String, String> secondTags = tagsOf(afterSecond.get(secondSummary.getString("run_id")));
        for (String step : STEPS.subList(0, 5)) {
            assertThat(secondTags)
                    .containsEntry("skein.recipe.step." + step + ".state", "CACHED")
                    .containsEntry("skein.recipe.step." + step + ".runId", stepRun.get(step));
        }
        assertThat(secondTags)
                .containsEntry("skein.recipe.cachedSteps", "ingest,split,transform,train,evaluate")
                .containsEntry("skein.recipe.step.register.state", "SUCCEEDED");
        assertThat(versions(model).size()).isEqualTo(1);
        assertThat(inspect(recipe, "local"))
                .containsEntry("ingest", "CACHED")
                .containsEntry("train", "CACHED")
                .containsEntry("evaluate", "CACHED");

        // train's code changed: train and what follows run again, the steps before it stay cached
        Files.writeString(
                recipe.resolve("steps/train.py"), "\n# a comment: the code changed\n", StandardOpenOption.APPEND);
        assertThat(inspect(recipe, "local"))
                .containsEntry("transform", "CACHED")
                .containsEntry("train", "STALE")
                .containsEntry("evaluate", "STALE");
        Result third = skein("--output", "json", "recipe", "run", "-r", recipe.toString(), "-p", "local");
        assertThat(third.exit()).as("stderr: %s", third.err()).isZero();
        Map<String, String> thirdTags = tagsOf(runs(expId).get(new JsonObject(third.out()).getString("run_id")));
        for (String step : List.of("ingest", "split", "transform")) {
            assertThat(thirdTags)
                    .containsEntry("skein.recipe.step." + step + ".state", "CACHED")
                    .containsEntry("skein.recipe.step." + step + ".runId", stepRun.get(step));
        }
        for (String step : List.of("train", "evaluate", "register")) {
            assertThat(thirdTags).containsEntry("skein.recipe.step." + step + ".state", "SUCCEEDED");
            assertThat(thirdTags.get("skein.recipe.step." + step + ".runId")).isNotEqualTo(stepRun.get(step));
        }
        assertThat(runs(expId)).hasSize(runs.size() + 2 + 4);
        // the new train run's model is a new version, and the alias moved to it
        JsonArray now = versions(model);
        assertThat(now.size()).isEqualTo(2);
        String newTrain = thirdTags.get("skein.recipe.step.train.runId");
        JsonObject moved = Http.ok(api().queryParam("name", model)
                        .queryParam("alias", "challenger")
                        .get("/api/2.0/mlflow/registered-models/alias"))
                .getJsonObject("model_version");
        assertThat(moved.getString("run_id")).isEqualTo(newTrain);

        // train fails, then its code is put back: train runs again under its earlier key, and evaluate with it
        // (its cached validation was of the earlier train run, whose model must not be what gets registered)
        Path train = recipe.resolve("steps/train.py");
        String working = Files.readString(train);
        Files.writeString(train, "raise SystemExit('training broke')\n" + working);
        Result broken = skein("recipe", "run", "-r", recipe.toString(), "-p", "local");
        assertThat(broken.exit()).as("stderr: %s", broken.err()).isEqualTo(7);
        Files.writeString(train, working);
        Result fifth = skein("--output", "json", "recipe", "run", "-r", recipe.toString(), "-p", "local");
        assertThat(fifth.exit()).as("stderr: %s", fifth.err()).isZero();
        Map<String, String> fifthTags = tagsOf(runs(expId).get(new JsonObject(fifth.out()).getString("run_id")));
        for (String step : List.of("train", "evaluate", "register")) {
            assertThat(fifthTags).containsEntry("skein.recipe.step." + step + ".state", "SUCCEEDED");
        }
        String fifthTrain = fifthTags.get("skein.recipe.step.train.runId");
        assertThat(fifthTrain).isNotEqualTo(newTrain);
        assertThat(Http.ok(api().queryParam("name", model)
                                .queryParam("alias", "challenger")
                                .get("/api/2.0/mlflow/registered-models/alias"))
                        .getJsonObject("model_version")
                        .getString("run_id"))
                .isEqualTo(fifthTrain);
    }

    @Test
    void aModelFailingItsCriteriaIsNotRegistered() throws IOException {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String experiment = "recipe-production-" + suffix;
        String model = "house-prices-strict-" + suffix;
        Path recipe = recipe(experiment, model);

        Result r = skein("--output", "json", "recipe", "run", "-r", recipe.toString(), "-p", "production");
        assertThat(r.exit()).as("stderr: %s", r.err()).isEqualTo(8);
        assertThat(r.err())
                .contains("model registration refused")
                .contains("root_mean_squared_error <= 5.0")
                .contains("r2_score >= 0.99");
        JsonObject summary = new JsonObject(r.out());
        assertThat(summary.getBoolean("registration_refused")).isTrue();
        Map<String, JsonObject> runs = runs(experimentId(experiment));
        assertThat(runs).hasSize(1 + STEPS.size());
        JsonObject recipeRun = runs.get(summary.getString("run_id"));
        // as MLflow's register step raises on a model that failed validation, the recipe run fails
        assertThat(status(recipeRun)).isEqualTo("FAILED");
        Map<String, String> tags = tagsOf(recipeRun);
        assertThat(tags)
                .containsEntry("skein.recipe.registration", "refused")
                .containsEntry("skein.recipe.step.evaluate.state", "SUCCEEDED")
                .containsEntry("skein.recipe.step.register.state", "REFUSED");
        String evaluateRun = tags.get("skein.recipe.step.evaluate.runId");
        assertThat(status(runs.get(evaluateRun))).isEqualTo("FINISHED");
        Map<String, String> evaluateTags = tagsOf(runs.get(evaluateRun));
        assertThat(evaluateTags).containsEntry("skein.recipe.validation.status", "REJECTED");
        assertThat(evaluateTags.get("skein.recipe.validation.failed"))
                .contains("root_mean_squared_error <= 5.0")
                .contains("failed");
        JsonObject validation = new JsonObject(artifact(evaluateRun, "validation_results.json"));
        assertThat(validation.getString("validation_status")).isEqualTo("REJECTED");
        validation.getJsonArray("criteria").forEach(c -> {
            assertThat(((JsonObject) c).getBoolean("passed")).isFalse();
            assertThat(((JsonObject) c).getDouble("value")).isNotNull();
        });
        JsonObject register = runs.get(tags.get("skein.recipe.step.register.runId"));
        assertThat(status(register)).isEqualTo("FAILED");
        assertThat(tagsOf(register)).containsEntry("skein.recipe.registration", "refused");
        // no version, not even the model
        assertThat(versions(model).size()).isZero();
        assertThat(api().queryParam("name", model)
                        .get("/api/2.0/mlflow/registered-models/get")
                        .statusCode())
                .isEqualTo(404);
        assertThat(inspect(recipe, "production")).containsEntry("register", "REFUSED");
    }

    @Test
    void aBadRecipeIsRefusedBeforeAnythingIsMade() throws IOException {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String experiment = "recipe-bad-" + suffix;
        Path recipe = recipe(experiment, "bad-" + suffix);
        Path profile = recipe.resolve("profiles/local.yaml");
        Files.writeString(profile, Files.readString(profile).replaceAll("MIN_R2: .*\n", ""));
        Result r = skein("recipe", "run", "-r", recipe.toString(), "-p", "local");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("recipe.yaml:").contains("{{ MIN_R2 }} is not defined in profiles/local.yaml");
        assertThat(api().queryParam("experiment_name", experiment)
                        .get("/api/2.0/mlflow/experiments/get-by-name")
                        .statusCode())
                .isEqualTo(404);
        assertThat(Files.exists(recipe.resolve(".skein-recipe"))).isFalse();
    }

    @Test
    void theClassificationExampleRegistersAClassifier() throws IOException {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String experiment = "recipe-churn-" + suffix;
        String model = "churn-" + suffix;
        Path recipe = recipe("classification", experiment, model);

        Result r = skein("--output", "json", "recipe", "run", "-r", recipe.toString(), "-p", "local");
        assertThat(r.exit()).as("stderr: %s", r.err()).isZero();
        JsonObject summary = new JsonObject(r.out());
        Map<String, JsonObject> runs = runs(experimentId(experiment));
        Map<String, String> tags = tagsOf(runs.get(summary.getString("run_id")));
        assertThat(tags).containsEntry("skein.recipe.template", "classification/v1");
        String evaluateRun = tags.get("skein.recipe.step.evaluate.runId");
        JsonObject evaluation = Http.ok(
                        api().queryParam("run_id", evaluateRun).get("/api/2.0/skein/evaluations/search"))
                .getJsonArray("evaluations")
                .getJsonObject(0);
        assertThat(evaluation.getString("status")).isEqualTo("SUCCEEDED");
        assertThat(evaluation.getJsonObject("spec").getString("model_type")).isEqualTo("classifier");
        List<String> keys = new ArrayList<>();
        evaluation.getJsonArray("metrics").forEach(m -> keys.add(((JsonObject) m).getString("key")));
        assertThat(keys).contains("accuracy_score", "f1_score", "precision_score", "recall_score");
        assertThat(tagsOf(runs.get(evaluateRun))).containsEntry("skein.recipe.validation.status", "VALIDATED");
        JsonArray versions = versions(model);
        assertThat(versions.size()).isEqualTo(1);
        assertThat(versions.getJsonObject(0).getString("run_id")).isEqualTo(tags.get("skein.recipe.step.train.runId"));
    }
}
