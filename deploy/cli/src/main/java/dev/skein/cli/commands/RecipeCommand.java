package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.CliException;
import dev.skein.cli.ExitCodes;
import dev.skein.cli.Output;
import dev.skein.cli.projects.ProjectException;
import dev.skein.cli.projects.RunStatus;
import dev.skein.cli.recipes.Inspection;
import dev.skein.cli.recipes.Recipe;
import dev.skein.cli.recipes.RecipeException;
import dev.skein.cli.recipes.RecipeRunner;
import dev.skein.cli.recipes.Step;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "recipe",
        mixinStandardHelpOptions = true,
        description = {
            "MLflow Recipes' way of building a model: a directory with recipe.yaml (steps ingest, split, transform,"
                    + " train, evaluate, register), profiles/<profile>.yaml filling its {{ VARIABLES }}, and an"
                    + " MLproject whose entry points are the steps' code. Steps whose code, configuration and inputs"
                    + " did not change are not run again (cached under <recipe>/.skein-recipe/)."
        },
        subcommands = {RecipeCommand.Run.class, RecipeCommand.Inspect.class})
public final class RecipeCommand extends Group {

    abstract static class RecipeBase extends Base {
        @Option(
                names = {"-r", "--recipe-dir"},
                paramLabel = "DIR",
                defaultValue = ".",
                description = "The recipe's directory (default: the current one).")
        Path dir;

        @Option(
                names = {"-p", "--profile"},
                required = true,
                description = "The profile: profiles/<PROFILE>.yaml (e.g. local, production).")
        String profile;

        Recipe recipe() {
            Path abs = dir.toAbsolutePath().normalize();
            if (!Files.isDirectory(abs)) {
                throw new CliException(ExitCodes.USAGE, "the recipe directory " + abs + " does not exist");
            }
            try {
                return Recipe.load(abs, profile);
            } catch (RecipeException | ProjectException e) {
                String m = e.getMessage();
                throw new CliException(ExitCodes.USAGE, m.startsWith(abs.toString()) ? m : abs + ": " + m);
            }
        }
    }

    @Command(
            name = "run",
            mixinStandardHelpOptions = true,
            description = {
                "Run the recipe with a profile: one recipe run in the recipe's experiment and, nested under it, one"
                        + " step run per step executed. A step whose cache key (its configuration, code and the steps"
                        + " before it) matches its last successful execution is CACHED: its step run and outputs are"
                        + " reused. evaluate has evaluation-service evaluate train's predictions and checks"
                        + " validation_criteria; register makes a model version from train's model/ (and sets the"
                        + " alias) only if they all passed.",
                "Exit code 0: the recipe completed (and registered, if it has a register step); 8: registration"
                        + " refused (the criteria that failed are printed); 7: a step failed; 2: a bad recipe"
                        + " (nothing made)."
            })
    static final class Run extends RecipeBase {
        @Option(
                names = {"-s", "--step"},
                paramLabel = "NAME",
                description = "Run up to this step: it and the steps before it, each only if not cached.")
        String step;

        @Override
        public Integer call() throws Exception {
            Step last = null;
            if (step != null) {
                last = Step.of(step);
                if (last == null) {
                    throw new CliException(
                            ExitCodes.USAGE, "--step: unknown step '" + step + "' (steps are " + Step.names() + ")");
                }
            }
            Recipe recipe = recipe();
            try {
                recipe.plan(last);
            } catch (RecipeException e) {
                throw new CliException(ExitCodes.USAGE, e.getMessage());
            }
            Map<String, String> env = root().env();
            Map<String, String> credentials = new LinkedHashMap<>();
            for (String name : List.of(
                    "MLFLOW_TRACKING_USERNAME",
                    "MLFLOW_TRACKING_PASSWORD",
                    "MLFLOW_TRACKING_TOKEN",
                    "MLFLOW_TRACKING_INSECURE_TLS")) {
                if (env.get(name) != null) {
                    credentials.put(name, env.get(name));
                }
            }
            String defaultExperiment = env.get("MLFLOW_EXPERIMENT_ID");
            if (defaultExperiment == null || defaultExperiment.isBlank()) {
                defaultExperiment = "0";
            }
            // skein's lines and the steps' output on stderr: stdout is the summary (a table, or --output json)
            PrintStream log = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true);
            RecipeRunner.Result result;
            try {
                result = new RecipeRunner(api(), log, credentials, System.getProperty("user.name"))
                        .run(recipe, last, defaultExperiment);
            } catch (RecipeException e) {
                throw new CliException(ExitCodes.USAGE, e.getMessage());
            } catch (ProjectException e) {
                // the recipe run exists by then (ended FAILED): not a usage error any more
                throw new CliException(ExitCodes.RUN_FAILED, e.getMessage());
            }
            print(result);
            if (result.refused()) {
                err("error: " + result.steps().get(result.steps().size() - 1).detail());
                return ExitCodes.REGISTRATION_REFUSED;
            }
            return result.status() == RunStatus.FINISHED ? ExitCodes.OK : ExitCodes.RUN_FAILED;
        }

        private void print(RecipeRunner.Result result) {
            Output out = out();
            if (out.json()) {
                ObjectNode json = Api.object()
                        .put("run_id", result.runId())
                        .put("experiment_id", result.experimentId())
                        .put("status", result.status().name())
                        .put("registration_refused", result.refused());
                ArrayNode steps = json.putArray("steps");
                for (RecipeRunner.StepReport r : result.steps()) {
                    steps.addObject()
                            .put("step", r.step().id())
                            .put("state", r.state())
                            .put("run_id", r.runId())
                            .put("cache_key", r.key())
                            .put("cache_hit", r.cacheHit())
                            .put("duration_ms", r.durationMs())
                            .put("detail", r.detail());
                }
                out.printJson(json);
                return;
            }
            Output.Table table = new Output.Table("STEP", "STATE", "RUN_ID", "CACHE_KEY", "DURATION", "DETAIL");
            for (RecipeRunner.StepReport r : result.steps()) {
                table.row(
                        r.step().id(),
                        r.state(),
                        r.runId(),
                        r.key().substring(0, 12),
                        r.cacheHit() ? "" : seconds(r.durationMs()),
                        r.detail());
            }
            out.writer()
                    .println("Recipe run " + result.runId() + " (experiment " + result.experimentId() + "): "
                            + result.status() + (result.refused() ? ", registration refused" : ""));
            out.writer().print(table.render());
            out.writer().flush();
        }

        @Override
        void run() {
            throw new UnsupportedOperationException("call() runs the command");
        }
    }

    static String seconds(Long millis) {
        return millis == null ? "" : String.format(java.util.Locale.ROOT, "%.1fs", millis / 1000.0);
    }

    @Command(
            name = "inspect",
            mixinStandardHelpOptions = true,
            description = {
                "The recipe's steps with a profile, as the next run would find them: STATE (NOT RUN, SUCCEEDED,"
                        + " CACHED, STALE: will run again, FAILED, REFUSED), the last step run, the cache key now"
                        + " (short), whether the last execution was a cache hit, and how long it took. Nothing is"
                        + " asked of the server."
            })
    static final class Inspect extends RecipeBase {
        @Override
        void run() {
            Recipe recipe = recipe();
            List<Inspection.Row> rows =
                    Inspection.of(recipe, api().settings().trackingUri().toString());
            Output out = out();
            if (out.json()) {
                ObjectNode json = Api.object().put("recipe", recipe.template()).put("profile", recipe.profile());
                ArrayNode steps = json.putArray("steps");
                for (Inspection.Row r : rows) {
                    ObjectNode s = steps.addObject()
                            .put("step", r.step().id())
                            .put("state", r.state())
                            .put("run_id", r.runId())
                            .put("cache_key", r.key())
                            .put("last_cache_key", r.lastKey())
                            .put("cache_hit", r.cacheHit())
                            .put("detail", r.detail());
                    if (r.durationMs() != null) {
                        s.put("duration_ms", r.durationMs());
                    }
                }
                out.printJson(json);
                return;
            }
            Output.Table table = new Output.Table("STEP", "STATE", "RUN_ID", "CACHE_KEY", "CACHE_HIT", "DURATION");
            for (Inspection.Row r : rows) {
                table.row(
                        r.step().id(),
                        r.state(),
                        r.runId(),
                        r.key().substring(0, 12),
                        r.runId() == null ? "" : r.cacheHit() ? "yes" : "no",
                        seconds(r.durationMs()));
            }
            out.writer().print(table.render());
            out.writer().flush();
        }
    }
}
