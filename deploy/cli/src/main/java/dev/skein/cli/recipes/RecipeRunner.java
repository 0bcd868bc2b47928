package dev.skein.cli.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.ApiException;
import dev.skein.cli.CliException;
import dev.skein.cli.ExitCodes;
import dev.skein.cli.projects.ApiTracking;
import dev.skein.cli.projects.LocalBackend;
import dev.skein.cli.projects.ProjectRun;
import dev.skein.cli.projects.RunStatus;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Runs a recipe: one recipe run, and under it ({@code mlflow.parentRunId}) one step run per step executed. A code step
 * is its MLproject entry point run by {@link ProjectRun} on the local backend, its outputs then logged as the step
 * run's artifacts; {@code evaluate} logs train's predictions to its run and has evaluation-service evaluate them, then
 * checks the validation criteria; {@code register} makes the model version from train's {@code model/} only if they
 * passed. A step whose cache key matches its last successful execution is not run again (CACHED): its step run and
 * outputs stand.
 */
public final class RecipeRunner {

    static final String MLFLOW = "/api/2.0/mlflow/";
    static final String EVALUATIONS = "/api/2.0/skein/evaluations";
    static final Duration EVALUATION_TIMEOUT = Duration.ofMinutes(10);

    /** What happened to one step of this run. */
    public record StepReport(
            Step step, String state, String runId, String key, boolean cacheHit, long durationMs, String detail) {}

    /** How the recipe run ended; {@code refused}: the register step would not register the model. */
    public record Result(
            String runId, String experimentId, RunStatus status, boolean refused, List<StepReport> steps) {}

    private final Api api;
    private final ApiTracking tracking;
    private final PrintStream log;
    private final Map<String, String> credentials;
    private final String user;
    /** The evaluate or register step run under way (their runs are made here, not by ProjectRun). */
    private final java.util.concurrent.atomic.AtomicReference<String> currentStepRun =
            new java.util.concurrent.atomic.AtomicReference<>();

    public RecipeRunner(Api api, PrintStream log, Map<String, String> credentials, String user) {
        this.api = api;
        this.tracking = new ApiTracking(api);
        this.log = log;
        this.credentials = credentials;
        this.user = user;
    }

    /** Runs the recipe's steps up to {@code last} (all when null) in {@code experimentId} (or the recipe's). */
    public Result run(Recipe recipe, Step last, String defaultExperimentId) throws IOException, InterruptedException {
        List<Step> plan = recipe.plan(last);
        Map<Step, String> keys = CacheKeys.of(recipe);
        RecipeState unlocked = RecipeState.load(recipe);
        try (AutoCloseable lock = unlocked.lock()) {
            // read again under the lock: another run of this recipe and profile may have just ended
            RecipeState state = RecipeState.load(recipe);
            return run(recipe, last, plan, keys, state, defaultExperimentId);
        } catch (IOException | InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Result run(
            Recipe recipe, Step last, List<Step> plan, Map<Step, String> keys, RecipeState state, String defaultExp)
            throws IOException, InterruptedException {
        String experimentId =
                recipe.experimentName() != null ? tracking.experimentId(recipe.experimentName()) : defaultExp;
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("mlflow.user", user);
        tags.put("mlflow.source.type", "RECIPE");
        tags.put("mlflow.source.name", recipe.dir().toString());
        tags.put("skein.recipe.template", recipe.template());
        tags.put("mlflow.pipeline.template.name", recipe.template());
        tags.put("mlflow.pipeline.profile.name", recipe.profile());
        tags.put("skein.recipe.profile", recipe.profile());
        tags.put("skein.recipe.name", recipe.dir().getFileName().toString());
        if (last != null) {
            tags.put("skein.recipe.targetStep", last.id());
        }
        String recipeRunId =
                tracking.createRun(experimentId, recipe.dir().getFileName() + "-" + recipe.profile(), tags);
        Map<String, String> params = new LinkedHashMap<>();
        params.put("profile", recipe.profile());
        params.put("recipe", recipe.template());
        params.put("steps", String.join(",", plan.stream().map(Step::id).toList()));
        tracking.logParams(recipeRunId, params);
        log.println("=== Created recipe run " + recipeRunId + " in experiment " + experimentId + " (profile "
                + recipe.profile() + "; steps " + params.get("steps") + ") ===");
        log.flush();
        // on Ctrl-C/SIGTERM the recipe run, and an evaluate or register step run under way, end KILLED (a code
        // step's own run is ended by ProjectRun's hook); the main thread then writes no other end over it
        java.util.concurrent.atomic.AtomicBoolean signalled = new java.util.concurrent.atomic.AtomicBoolean();
        Thread onSignal = new Thread(() -> {
            signalled.set(true);
            String step = currentStepRun.getAndSet(null);
            if (step != null) {
                endQuietly(step, RunStatus.KILLED);
            }
            endQuietly(recipeRunId, RunStatus.KILLED);
        });
        Runtime.getRuntime().addShutdownHook(onSignal);
        List<StepReport> reports = new ArrayList<>();
        RunStatus status = RunStatus.FINISHED;
        boolean refused = false;
        try {
            Context ctx = new Context(recipe, state, experimentId, recipeRunId, keys);
            // once a step has run again, every step after it runs too: its cached outputs were made from the
            // earlier outputs (the keys alone would not tell: a step rerun under the same key makes new ones)
            boolean rerun = false;
            for (Step step : plan) {
                String key = keys.get(step);
                StepReport report;
                if (!rerun && step != Step.REGISTER && state.cached(step, key, tracking.trackingUri())) {
                    ObjectNode r = state.step(step);
                    r.put("cache_hit", true);
                    r.put("ended", System.currentTimeMillis());
                    state.put(step, r);
                    state.save();
                    report = new StepReport(step, "CACHED", r.path("run_id").asText(), key, true, 0, "");
                    log.println("=== Step " + step.id() + ": CACHED (cache key " + key.substring(0, 12)
                            + " unchanged; step run " + report.runId() + " and its outputs reused) ===");
                    log.flush();
                } else {
                    rerun = true;
                    report = execute(ctx, step);
                }
                reports.add(report);
                tagRecipeRun(recipeRunId, report);
                if (report.state().equals("REFUSED")) {
                    refused = true;
                    status = RunStatus.FAILED;
                    break;
                }
                if (!report.state().equals("SUCCEEDED") && !report.state().equals("CACHED")) {
                    status = RunStatus.FAILED;
                    break;
                }
            }
            List<String> cached = reports.stream()
                    .filter(StepReport::cacheHit)
                    .map(r -> r.step().id())
                    .toList();
            List<String> executed = reports.stream()
                    .filter(r -> !r.cacheHit())
                    .map(r -> r.step().id())
                    .toList();
            // a tag only when it names something (MLflow's tags are not empty)
            Map<String, String> summary = new LinkedHashMap<>();
            if (!cached.isEmpty()) {
                summary.put("skein.recipe.cachedSteps", String.join(",", cached));
            }
            if (!executed.isEmpty()) {
                summary.put("skein.recipe.executedSteps", String.join(",", executed));
            }
            if (!summary.isEmpty()) {
                setTags(recipeRunId, summary);
            }
        } catch (RuntimeException | IOException | InterruptedException e) {
            if (!signalled.get()) {
                endQuietly(recipeRunId, RunStatus.FAILED);
            }
            removeHook(onSignal);
            throw e;
        }
        if (signalled.get()) {
            status = RunStatus.KILLED;
        } else {
            tracking.setTerminated(recipeRunId, status);
        }
        removeHook(onSignal);
        log.println(
                "=== Recipe run " + recipeRunId + " " + status + (refused ? " (registration refused)" : "") + " ===");
        log.flush();
        return new Result(recipeRunId, experimentId, status, refused, reports);
    }

    private record Context(
            Recipe recipe, RecipeState state, String experimentId, String recipeRunId, Map<Step, String> keys) {}

    private StepReport execute(Context ctx, Step step) throws IOException, InterruptedException {
        long started = System.currentTimeMillis();
        Path outputs = ctx.state().outputs(step);
        deleteTree(outputs);
        Files.createDirectories(outputs);
        ObjectNode record = Api.object();
        record.put("key", ctx.keys().get(step));
        record.put("tracking_uri", tracking.trackingUri());
        record.put("cache_hit", false);
        record.put("started", started);
        record.put("recipe_run_id", ctx.recipeRunId());
        // until it ends, the step has no successful execution to reuse
        record.put("status", "RUNNING");
        ctx.state().put(step, record);
        ctx.state().save();
        log.println("=== Step " + step.id() + ": running (cache key "
                + ctx.keys().get(step).substring(0, 12) + ") ===");
        log.flush();
        Outcome outcome;
        try {
            outcome = switch (step) {
                case EVALUATE -> evaluate(ctx, outputs);
                case REGISTER -> register(ctx, outputs);
                default -> code(ctx, step, outputs);
            };
        } catch (RuntimeException e) {
            currentStepRun.set(null);
            record.put("status", "FAILED");
            record.put("detail", String.valueOf(e.getMessage()));
            record.put("duration_ms", System.currentTimeMillis() - started);
            ctx.state().put(step, record);
            ctx.state().save();
            throw e;
        }
        currentStepRun.set(null);
        long duration = System.currentTimeMillis() - started;
        record.put("status", outcome.state());
        record.put("detail", outcome.detail());
        if (outcome.runId() != null) {
            record.put("run_id", outcome.runId());
        }
        record.put("duration_ms", duration);
        record.put("ended", System.currentTimeMillis());
        if (outcome.state().equals("SUCCEEDED")) {
            record.put("outputs_hash", CacheKeys.ofDirectory(outputs));
        }
        ctx.state().put(step, record);
        ctx.state().save();
        log.println("=== Step " + step.id() + ": " + outcome.state()
                + (outcome.runId() != null ? " (step run " + outcome.runId() + ")" : "")
                + (outcome.detail().isEmpty() ? "" : ": " + outcome.detail()) + " ===");
        log.flush();
        return new StepReport(
                step, outcome.state(), outcome.runId(), ctx.keys().get(step), false, duration, outcome.detail());
    }

    private record Outcome(String state, String runId, String detail) {}

    private Map<String, String> stepTags(Context ctx, Step step) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("mlflow.parentRunId", ctx.recipeRunId());
        tags.put("skein.recipe.step", step.id());
        tags.put("skein.recipe.profile", ctx.recipe().profile());
        tags.put("skein.recipe.cacheKey", ctx.keys().get(step));
        // MLflow Recipes' own tags on its runs
        tags.put("mlflow.pipeline.template.name", ctx.recipe().template());
        tags.put("mlflow.pipeline.profile.name", ctx.recipe().profile());
        tags.put("mlflow.pipeline.step.name", step.id());
        return tags;
    }

    /** A code step: the entry point of the step's name, given its configuration, inputs and output directory. */
    private Outcome code(Context ctx, Step step, Path outputs) throws IOException, InterruptedException {
        Recipe recipe = ctx.recipe();
        Path configFile = ctx.state().configFile(step);
        Files.writeString(
                configFile, Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(recipe.stepConfig(step)));
        Map<String, String> env = new LinkedHashMap<>(credentials);
        env.put("SKEIN_RECIPE_DIR", recipe.dir().toString());
        env.put("SKEIN_RECIPE_PROFILE", recipe.profile());
        env.put("SKEIN_RECIPE_STEP", step.id());
        env.put("SKEIN_RECIPE_CONFIG", configFile.toString());
        env.put("SKEIN_RECIPE_OUTPUT_DIR", outputs.toString());
        for (Step before : recipe.steps().keySet()) {
            if (before == step) {
                break;
            }
            env.put(
                    "SKEIN_RECIPE_INPUT_" + before.name(),
                    ctx.state().outputs(before).toString());
        }
        ProjectRun.Request request = new ProjectRun.Request(
                recipe.dir().toString(),
                null,
                step.id(),
                Map.of(),
                ctx.experimentId(),
                null,
                step.id(),
                Api.object(),
                false,
                null,
                user,
                env,
                recipe.dir(),
                stepTags(ctx, step));
        ProjectRun.Outcome outcome = new ProjectRun(tracking, new LocalBackend(System.err), log).run(request);
        if (outcome.status() != RunStatus.FINISHED) {
            return new Outcome(
                    outcome.status() == RunStatus.KILLED ? "KILLED" : "FAILED",
                    outcome.runId(),
                    "the entry point ended " + outcome.status() + " (" + outcome.detail() + ")");
        }
        int uploaded = upload(outcome.runId(), outputs);
        return new Outcome("SUCCEEDED", outcome.runId(), uploaded + " output file(s) logged");
    }

    private String createStepRun(Context ctx, Step step) {
        Map<String, String> tags = stepTags(ctx, step);
        tags.put("mlflow.user", user);
        tags.put("mlflow.source.type", "RECIPE");
        tags.put("mlflow.source.name", ctx.recipe().dir().toString());
        String runId = tracking.createRun(ctx.experimentId(), step.id(), tags);
        currentStepRun.set(runId);
        log.println("=== Created run " + runId + " in experiment " + ctx.experimentId() + " ===");
        log.flush();
        return runId;
    }

    /** evaluate: train's predictions logged, evaluated by evaluation-service, and the criteria checked. */
    private Outcome evaluate(Context ctx, Path outputs) throws IOException, InterruptedException {
        Recipe recipe = ctx.recipe();
        Path predictions = ctx.state().outputs(Step.TRAIN).resolve("predictions.csv");
        if (!Files.isRegularFile(predictions)) {
            throw new CliException(
                    ExitCodes.RUN_FAILED,
                    "step evaluate: the train step wrote no predictions.csv to its output directory");
        }
        String runId = createStepRun(ctx, Step.EVALUATE);
        try {
            Files.copy(predictions, outputs.resolve("predictions.csv"));
            putArtifact(runId, "predictions.csv", predictions);
            ObjectNode spec = Api.object()
                    .put("data", "predictions.csv")
                    .put("model_type", recipe.modelType())
                    .put("targets", recipe.targetCol())
                    .put("predictions", recipe.predictionsCol());
            if (recipe.positiveClass() != null) {
                spec.put("pos_label", recipe.positiveClass());
            }
            ObjectNode body = Api.object().put("run_id", runId);
            body.set("spec", spec);
            JsonNode evaluation = api.post(EVALUATIONS, body).path("evaluation");
            String evaluationId = evaluation.path("evaluation_id").asText();
            log.println("=== Evaluation " + evaluationId + " started ===");
            log.flush();
            long deadline = System.nanoTime() + EVALUATION_TIMEOUT.toNanos();
            while (!Set.of("SUCCEEDED", "FAILED")
                    .contains(evaluation.path("status").asText())) {
                if (System.nanoTime() > deadline) {
                    throw new CliException(
                            ExitCodes.RUN_FAILED,
                            "evaluation " + evaluationId + " is still "
                                    + evaluation.path("status").asText() + " after " + EVALUATION_TIMEOUT);
                }
                Thread.sleep(1000);
                evaluation = api.get(Api.query(EVALUATIONS + "/get", Api.params("evaluation_id", evaluationId)))
                        .path("evaluation");
            }
            Map<String, String> tags = new LinkedHashMap<>();
            tags.put("skein.recipe.evaluationId", evaluationId);
            if (evaluation.path("status").asText().equals("FAILED")) {
                setTags(runId, tags);
                tracking.setTerminated(runId, RunStatus.FAILED);
                return new Outcome(
                        "FAILED",
                        runId,
                        "evaluation " + evaluationId + " FAILED: "
                                + evaluation.path("status_message").asText());
            }
            Map<String, Double> metrics = new LinkedHashMap<>();
            evaluation
                    .path("metrics")
                    .forEach(m ->
                            metrics.put(m.path("key").asText(), m.path("value").asDouble()));
            List<Criterion.Result> results =
                    recipe.criteria().stream().map(c -> c.check(metrics)).toList();
            String validation = validationStatus(results);
            ObjectNode doc = Api.object();
            doc.put("validation_status", validation);
            doc.put("evaluation_id", evaluationId);
            // the model evaluated: register makes a version of this train run only
            doc.put("train_run_id", ctx.state().step(Step.TRAIN).path("run_id").asText());
            ArrayNode criteria = doc.putArray("criteria");
            for (Criterion.Result r : results) {
                ObjectNode c = criteria.addObject()
                        .put("metric", r.criterion().metric())
                        .put("threshold", r.criterion().threshold())
                        .put("greater_is_better", r.criterion().greaterIsBetter());
                if (r.value() != null) {
                    c.put("value", r.value());
                } else {
                    c.putNull("value");
                }
                c.put("passed", r.passed()).put("message", r.message());
            }
            ObjectNode m = doc.putObject("metrics");
            metrics.forEach(m::put);
            Path file = outputs.resolve("validation_results.json");
            Files.writeString(file, Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
            putArtifact(runId, "validation_results.json", file);
            List<String> failed = results.stream()
                    .filter(r -> !r.passed())
                    .map(Criterion.Result::message)
                    .toList();
            tags.put("skein.recipe.validation.status", validation);
            if (!failed.isEmpty()) {
                tags.put("skein.recipe.validation.failed", String.join("; ", failed));
            }
            setTags(runId, tags);
            tracking.setTerminated(runId, RunStatus.FINISHED);
            String detail = "model validation " + validation
                    + (failed.isEmpty() ? "" : " (failed: " + String.join("; ", failed) + ")");
            return new Outcome("SUCCEEDED", runId, detail);
        } catch (RuntimeException | IOException | InterruptedException e) {
            endQuietly(runId, RunStatus.FAILED);
            throw e;
        }
    }

    /** Whether register may register a model of that validation status (MLflow's rule). */
    static boolean registrable(String validationStatus, boolean allowNonValidatedModel) {
        return validationStatus.equals("VALIDATED") || (validationStatus.equals("UNKNOWN") && allowNonValidatedModel);
    }

    /** MLflow's model validation status: VALIDATED, REJECTED, or UNKNOWN when there are no criteria. */
    static String validationStatus(List<Criterion.Result> results) {
        if (results.isEmpty()) {
            return "UNKNOWN";
        }
        return results.stream().allMatch(Criterion.Result::passed) ? "VALIDATED" : "REJECTED";
    }

    /** register: the train step's model as a version (once per train run) and the alias on it, if it was validated. */
    private Outcome register(Context ctx, Path outputs) throws IOException {
        Recipe.Register reg = ctx.recipe().register();
        ObjectNode trainRecord = ctx.state().step(Step.TRAIN);
        Path validationFile = ctx.state().outputs(Step.EVALUATE).resolve("validation_results.json");
        if (trainRecord == null || !Files.isRegularFile(validationFile)) {
            throw new CliException(
                    ExitCodes.RUN_FAILED,
                    "step register: the train and evaluate steps have no outputs to register from");
        }
        String trainRunId = trainRecord.path("run_id").asText();
        JsonNode validation = Api.JSON.readTree(Files.readString(validationFile));
        if (!trainRunId.equals(validation.path("train_run_id").asText())) {
            // never a model its evaluation did not see
            throw new CliException(
                    ExitCodes.RUN_FAILED,
                    "step register: the evaluation was of train run "
                            + validation.path("train_run_id").asText() + ", not of " + trainRunId
                            + "; run the recipe again");
        }
        String status = validation.path("validation_status").asText();
        String runId = createStepRun(ctx, Step.REGISTER);
        try {
            Map<String, String> tags = new LinkedHashMap<>();
            tags.put("skein.recipe.model.name", reg.modelName());
            tags.put("skein.recipe.validation.status", status);
            ObjectNode doc = Api.object().put("model_name", reg.modelName()).put("validation_status", status);
            // as MLflow's register step: a VALIDATED model, or an UNKNOWN one (no criteria) if the recipe allows it;
            // a REJECTED model never
            if (!registrable(status, reg.allowNonValidatedModel())) {
                List<String> failed = new ArrayList<>();
                validation.path("criteria").forEach(c -> {
                    if (!c.path("passed").asBoolean()) {
                        failed.add(c.path("message").asText());
                    }
                });
                String reason = status.equals("UNKNOWN")
                        ? "the recipe has no validation_criteria, so the model was not validated"
                        : "validation criteria failed: " + String.join("; ", failed);
                String detail = "model registration refused: the model validation status is " + status + " (" + reason
                        + "); allow_non_validated_model is false";
                tags.put("skein.recipe.registration", "refused");
                tags.put("skein.recipe.registration.reason", detail);
                doc.put("registered", false).put("reason", detail);
                writeAndLog(runId, outputs, "registration.json", doc);
                setTags(runId, tags);
                tracking.setTerminated(runId, RunStatus.FAILED);
                return new Outcome("REFUSED", runId, detail);
            }
            try {
                api.post(MLFLOW + "registered-models/create", Api.object().put("name", reg.modelName()));
            } catch (ApiException e) {
                if (!"RESOURCE_ALREADY_EXISTS".equals(e.errorCode())) {
                    throw e;
                }
            }
            String source = "runs:/" + trainRunId + "/model";
            String version = existingVersion(reg.modelName(), trainRunId);
            boolean created = version == null;
            if (created) {
                ObjectNode body = Api.object()
                        .put("name", reg.modelName())
                        .put("source", source)
                        .put("run_id", trainRunId)
                        .put(
                                "description",
                                "Registered by recipe run " + ctx.recipeRunId() + " (profile "
                                        + ctx.recipe().profile() + ")");
                ArrayNode versionTags = body.putArray("tags");
                versionTags.addObject().put("key", "mlflow.source.type").put("value", "RECIPE");
                versionTags
                        .addObject()
                        .put("key", "mlflow.pipeline.template.name")
                        .put("value", ctx.recipe().template());
                versionTags.addObject().put("key", "skein.recipe.runId").put("value", ctx.recipeRunId());
                version = api.post(MLFLOW + "model-versions/create", body)
                        .path("model_version")
                        .path("version")
                        .asText();
            }
            if (reg.alias() != null) {
                api.post(
                        MLFLOW + "registered-models/alias",
                        Api.object()
                                .put("name", reg.modelName())
                                .put("alias", reg.alias())
                                .put("version", version));
                tags.put("skein.recipe.model.alias", reg.alias());
            }
            tags.put("skein.recipe.registration", "registered");
            tags.put("skein.recipe.model.version", version);
            doc.put("registered", true)
                    .put("version", version)
                    .put("source", source)
                    .put("new_version", created);
            if (reg.alias() != null) {
                doc.put("alias", reg.alias());
            }
            writeAndLog(runId, outputs, "registration.json", doc);
            setTags(runId, tags);
            tracking.setTerminated(runId, RunStatus.FINISHED);
            String detail = (created ? "registered " : "already registered as ") + reg.modelName() + " version "
                    + version + (reg.alias() != null ? " (alias " + reg.alias() + ")" : "")
                    + (status.equals("VALIDATED") ? "" : " without validation criteria (allow_non_validated_model)");
            return new Outcome("SUCCEEDED", runId, detail);
        } catch (RuntimeException | IOException e) {
            endQuietly(runId, RunStatus.FAILED);
            throw e;
        }
    }

    /** The version of the model made from that train run already, if any (a recipe run again registers nothing new). */
    private String existingVersion(String model, String trainRunId) {
        String filter = "name='" + model.replace("'", "''") + "' and run_id='" + trainRunId + "'";
        JsonNode found = api.get(Api.query(MLFLOW + "model-versions/search", Api.params("filter", filter)));
        for (JsonNode v : found.path("model_versions")) {
            if (trainRunId.equals(v.path("run_id").asText())
                    && model.equals(v.path("name").asText())) {
                return v.path("version").asText();
            }
        }
        return null;
    }

    private void writeAndLog(String runId, Path outputs, String name, JsonNode doc) throws IOException {
        Path file = outputs.resolve(name);
        Files.writeString(file, Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
        putArtifact(runId, name, file);
    }

    private void tagRecipeRun(String recipeRunId, StepReport report) {
        Map<String, String> tags = new LinkedHashMap<>();
        String prefix = "skein.recipe.step." + report.step().id() + ".";
        tags.put(prefix + "state", report.state());
        if (report.runId() != null) {
            tags.put(prefix + "runId", report.runId());
        }
        tags.put(prefix + "cacheKey", report.key());
        if (report.step() == Step.REGISTER) {
            tags.put("skein.recipe.registration", report.state().equals("REFUSED") ? "refused" : "registered");
        }
        setTags(recipeRunId, tags);
    }

    private void setTags(String runId, Map<String, String> tags) {
        ObjectNode body = Api.object().put("run_id", runId);
        ArrayNode array = body.putArray("tags");
        tags.forEach(
                (k, v) -> array.addObject().put("key", k).put("value", v.length() > 5000 ? v.substring(0, 5000) : v));
        api.post(MLFLOW + "runs/log-batch", body);
    }

    /** A step's output files as its run's artifacts (paths kept), through the artifact proxy. */
    private int upload(String runId, Path outputs) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(outputs)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            putArtifact(runId, outputs.relativize(f).toString().replace('\\', '/'), f);
        }
        return files.size();
    }

    private void putArtifact(String runId, String path, Path file) throws IOException {
        String uri = api.get(Api.query(MLFLOW + "runs/get", Api.params("run_id", runId)))
                .path("run")
                .path("info")
                .path("artifact_uri")
                .asText("");
        String root = proxyPath(uri, runId);
        api.putFile(
                "/api/2.0/mlflow-artifacts/artifacts/" + Api.encodePath(root.isEmpty() ? path : root + "/" + path),
                file);
    }

    static String proxyPath(String artifactUri, String runId) {
        String prefix = "mlflow-artifacts:";
        if (!artifactUri.startsWith(prefix)) {
            throw new CliException("step run " + runId + " keeps its artifacts at " + artifactUri
                    + ", not behind Skein's artifact proxy (mlflow-artifacts:/): a recipe's outputs cannot be logged");
        }
        String rest = artifactUri.substring(prefix.length());
        if (rest.startsWith("//")) {
            int slash = rest.indexOf('/', 2);
            rest = slash < 0 ? "" : rest.substring(slash);
        }
        while (rest.startsWith("/")) {
            rest = rest.substring(1);
        }
        while (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        return rest;
    }

    private void endQuietly(String runId, RunStatus status) {
        try {
            JsonNode run = api.get(Api.query(MLFLOW + "runs/get", Api.params("run_id", runId)));
            if (run.path("run").path("info").path("status").asText().equals("RUNNING")) {
                tracking.setTerminated(runId, status);
            }
        } catch (RuntimeException e) {
            // the original failure is what the user sees
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting: the hook finds the run ended
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
