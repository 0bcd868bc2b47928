package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.CliException;
import dev.skein.cli.ExitCodes;
import dev.skein.cli.Output;
import dev.skein.cli.projects.ApiSweepTracking;
import dev.skein.cli.projects.Backend;
import dev.skein.cli.projects.LocalBackend;
import dev.skein.cli.projects.ProjectException;
import dev.skein.cli.projects.ProjectRun;
import dev.skein.cli.projects.RunStatus;
import dev.skein.cli.projects.SearchSpace;
import dev.skein.cli.projects.Sweep;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code skein sweep}: a hyper-parameter sweep of a project, a parent run with one nested project run per trial. */
@Command(
        name = "sweep",
        description = {
            "Sweep an MLflow Project's parameters: a parent run, and one nested run per trial (mlflow.parentRunId) run"
                    + " as `skein run` runs it, at most --parallel at once. --grid values are combined (every"
                    + " combination; trial i takes combination i mod the grid's size), --random values are drawn"
                    + " anew for every trial (--seed makes it reproducible). A failed trial is recorded FAILED and"
                    + " the sweep goes on; the best FINISHED trial by --metric is tagged on the parent"
                    + " (skein.sweep.bestRunId, skein.sweep.bestMetricValue) and its value logged there. Ctrl-C kills"
                    + " the running trials and ends the parent KILLED. Prints the trials (the best marked *).",
            "Exit code 0 if the sweep completed with a best trial (without --metric: with a FINISHED trial), 7 if every"
                    + " trial failed or none logged the metric, 2 for bad input (nothing recorded)."
        })
public final class SweepCommand extends Base {

    // not the standard help options: -v/--version is MLflow's project version here, as in `skein run`
    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "Show this help message and exit.")
    boolean help;

    @Mixin
    ProjectOptions project;

    @Option(
            names = "--run-name",
            description = "The parent run's name (default: sweep-<UTC time>); trial i is <name>-i.")
    String runName;

    @Option(
            names = "--grid",
            paramLabel = "NAME=V1,V2,…",
            description = "A parameter's values (repeatable): the trials take every combination of the grids.")
    List<String> grids;

    @Option(
            names = "--random",
            paramLabel = "NAME=DIST",
            description = "A parameter drawn for every trial (repeatable): uniform(A,B), loguniform(A,B) (0<A<B),"
                    + " randint(A,B) (integers, B excluded), choice(X|Y|…).")
    List<String> randoms;

    @Option(
            names = "--trials",
            paramLabel = "N",
            description = "The number of trials (default: the grid's size; needed with only --random; at most "
                    + SearchSpace.MAX_TRIALS + ").")
    Integer trials;

    @Option(
            names = "--parallel",
            paramLabel = "P",
            defaultValue = "1",
            description =
                    "At most this many trials at once (default: ${DEFAULT-VALUE}; at most " + Sweep.MAX_PARALLEL + ").")
    int parallel;

    @Option(
            names = "--seed",
            description = "The random generator's seed (default: a random one, recorded as skein.sweep.seed).")
    Long seed;

    @Option(
            names = "--metric",
            paramLabel = "NAME",
            description = "The metric the trials log that picks the best one (its latest value in each run).")
    String metric;

    @Option(
            names = "--goal",
            defaultValue = "minimize",
            description = "${COMPLETION-CANDIDATES}: what best means for --metric (default: ${DEFAULT-VALUE}).")
    Sweep.Goal goal;

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = root().env();
        String[] experiment = project.experiment(env);
        Map<String, String> fixed = ProjectOptions.parse(project.params);
        // skein's lines and the trials' output on stderr: stdout is the sweep's report
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true);
        Backend backend =
                switch (project.backend) {
                    case local -> new LocalBackend(out);
                    case spark -> new dev.skein.cli.projects.SparkBackend(out);
                    default -> project.backend.factory.get();
                };
        Sweep.Result result;
        try {
            SearchSpace space = SearchSpace.parse(grids, randoms, fixed);
            ProjectRun.Request base = new ProjectRun.Request(
                    project.uri,
                    project.version,
                    project.entryPoint,
                    fixed,
                    experiment[0],
                    experiment[1],
                    runName,
                    project.config(),
                    false,
                    null,
                    System.getProperty("user.name"),
                    ProjectOptions.credentials(env),
                    Path.of("").toAbsolutePath());
            result = new Sweep(new ApiSweepTracking(api()), backend, out)
                    .run(new Sweep.Request(base, space, trials, parallel, seed, metric, goal));
        } catch (ProjectException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        print(result);
        boolean done = result.status() == RunStatus.FINISHED && (metric == null || result.best() != null);
        return done ? ExitCodes.OK : ExitCodes.RUN_FAILED;
    }

    @Override
    void run() {
        throw new UnsupportedOperationException("call() runs the command");
    }

    private void print(Sweep.Result result) {
        ObjectNode json = Api.object()
                .put("parent_run_id", result.parentRunId())
                .put("experiment_id", result.experimentId())
                .put("status", result.status().name())
                .put("seed", result.seed())
                .put("trials_planned", result.planned());
        if (metric != null) {
            json.put("metric", metric).put("goal", goal.name());
        }
        Sweep.Trial best = result.best();
        if (best != null) {
            json.putObject("best")
                    .put("trial", best.index())
                    .put("run_id", best.runId())
                    .put("value", best.metric().getAsDouble());
        } else {
            json.putNull("best");
        }
        ArrayNode array = json.putArray("trials");
        List<String> names = new ArrayList<>();
        List<String> headers = new ArrayList<>(List.of("TRIAL", "RUN_ID", "STATUS"));
        if (metric != null) {
            headers.add(metric.toUpperCase());
        }
        for (Sweep.Trial t : result.trials()) {
            t.params().keySet().stream().filter(k -> !names.contains(k)).forEach(names::add);
        }
        // the swept parameters only: the fixed ones are the same in every row
        names.removeAll(ProjectOptions.parse(project.params).keySet());
        headers.addAll(names);
        headers.add("BEST");
        Output.Table table = new Output.Table(headers.toArray(String[]::new));
        for (Sweep.Trial t : result.trials()) {
            ObjectNode row = array.addObject()
                    .put("trial", t.index())
                    .put("run_id", t.runId())
                    .put("status", t.status().name());
            ObjectNode params = row.putObject("params");
            t.params().forEach(params::put);
            String value = "";
            if (t.metric().isPresent()) {
                double v = t.metric().getAsDouble();
                value = Double.toString(v);
                if (Double.isFinite(v)) {
                    row.put("metric", v);
                } else {
                    row.put("metric", value);
                }
            } else {
                row.putNull("metric");
            }
            row.put("best", t == best);
            if (t.error() != null) {
                row.put("error", t.error());
            }
            List<Object> cells = new ArrayList<>(List.of(t.index(), t.runId() == null ? "" : t.runId(), t.status()));
            if (metric != null) {
                cells.add(value);
            }
            names.forEach(n -> cells.add(t.params().getOrDefault(n, "")));
            cells.add(t == best ? "*" : "");
            table.row(cells.toArray());
        }
        Output output = out();
        output.print(json, table);
        output.message("Sweep run " + result.parentRunId() + " " + result.status() + ": "
                + result.trials().size()
                + " of " + result.planned() + " trials created"
                + (best != null ? "; best: trial " + best.index() + " (run " + best.runId() + ")" : "")
                + (metric != null && best == null ? "; no FINISHED trial logged " + metric : ""));
    }
}
