package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.Output;
import dev.skein.cli.Output.Table;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "runs",
        mixinStandardHelpOptions = true,
        description = "List, describe, delete and restore runs.",
        subcommands = {
            RunsCommand.ListRuns.class,
            RunsCommand.Describe.class,
            RunsCommand.Delete.class,
            RunsCommand.Restore.class
        })
public final class RunsCommand extends Group {

    static final String API = "/api/2.0/mlflow/";

    /** MLflow's ViewType. */
    public enum View {
        active("ACTIVE_ONLY"),
        deleted("DELETED_ONLY"),
        all("ALL");

        final String mlflow;

        View(String mlflow) {
            this.mlflow = mlflow;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List an experiment's runs (all pages).")
    static final class ListRuns extends Base {
        @Option(names = "--experiment-id", required = true, paramLabel = "ID", description = "Repeatable.")
        List<String> experimentIds;

        @Option(
                names = "--filter",
                description = "MLflow's filter, e.g. \"metrics.rmse < 1 and params.alpha = '0.5'\".")
        String filter;

        @Option(names = "--order-by", description = "e.g. \"metrics.rmse ASC\" (repeatable).")
        List<String> orderBy;

        @Option(
                names = "--view",
                description = "active, deleted or all (default: ${DEFAULT-VALUE}).",
                defaultValue = "active")
        View view;

        @Mixin
        MaxResults maxResults;

        @Override
        void run() {
            List<JsonNode> runs = Pages.collect(
                    (token, want) -> {
                        ObjectNode body =
                                Api.search(want, filter, orderBy, token).put("run_view_type", view.mlflow);
                        experimentIds.forEach(body.withArray("experiment_ids")::add);
                        return api().post(API + "runs/search", body);
                    },
                    "runs",
                    maxResults.value,
                    1000);
            Table table = new Table("RUN ID", "NAME", "STATUS", "STAGE", "START", "END");
            for (JsonNode run : runs) {
                JsonNode info = run.path("info");
                table.row(
                        Output.text(info, "run_id"),
                        Output.text(info, "run_name"),
                        Output.text(info, "status"),
                        Output.text(info, "lifecycle_stage"),
                        Output.time(info.path("start_time")),
                        Output.time(info.path("end_time")));
            }
            ObjectNode json = Api.object();
            runs.forEach(json.withArray("runs")::add);
            out().print(json, table);
        }
    }

    @Command(
            name = "describe",
            mixinStandardHelpOptions = true,
            description = "A run's info, params, metrics and tags.")
    static final class Describe extends Base {
        @Parameters(paramLabel = "RUN_ID")
        String runId;

        @Override
        void run() {
            JsonNode answer = api().get(Api.query(API + "runs/get", Api.params("run_id", runId)));
            Output out = out();
            if (out.json()) {
                out.printJson(answer);
                return;
            }
            JsonNode run = answer.path("run");
            JsonNode info = run.path("info");
            Table head = new Table("FIELD", "VALUE");
            head.row("run_id", Output.text(info, "run_id"));
            head.row("run_name", Output.text(info, "run_name"));
            head.row("experiment_id", Output.text(info, "experiment_id"));
            head.row("status", Output.text(info, "status"));
            head.row("lifecycle_stage", Output.text(info, "lifecycle_stage"));
            head.row("user_id", Output.text(info, "user_id"));
            head.row("start_time", Output.time(info.path("start_time")));
            head.row("end_time", Output.time(info.path("end_time")));
            head.row("artifact_uri", Output.text(info, "artifact_uri"));
            PrintWriter w = out.writer();
            w.print(head.render());
            section(w, "PARAM", run.path("data").path("params"));
            section(w, "METRIC", run.path("data").path("metrics"));
            section(w, "TAG", run.path("data").path("tags"));
            w.flush();
        }

        private static void section(PrintWriter w, String title, JsonNode pairs) {
            if (pairs.isEmpty()) {
                return;
            }
            Table table = new Table(title, "VALUE");
            pairs.forEach(p -> table.row(Output.text(p, "key"), Output.text(p, "value")));
            w.println();
            w.print(table.render());
        }
    }

    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            description = "Mark a run deleted (`skein gc` purges it).")
    static final class Delete extends Base {
        @Parameters(paramLabel = "RUN_ID")
        String runId;

        @Override
        void run() {
            JsonNode answer = api().post(API + "runs/delete", Api.object().put("run_id", runId));
            done("Run " + runId + " deleted.", answer);
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true, description = "Restore a deleted run.")
    static final class Restore extends Base {
        @Parameters(paramLabel = "RUN_ID")
        String runId;

        @Override
        void run() {
            JsonNode answer = api().post(API + "runs/restore", Api.object().put("run_id", runId));
            done("Run " + runId + " restored.", answer);
        }
    }
}
