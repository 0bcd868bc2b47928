package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.Output;
import dev.skein.cli.Output.Table;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "experiments",
        mixinStandardHelpOptions = true,
        description = "Create, search, show, rename, delete and restore experiments; export their runs as CSV.",
        subcommands = {
            ExperimentsCommand.Create.class,
            ExperimentsCommand.Search.class,
            ExperimentsCommand.Get.class,
            ExperimentsCommand.Rename.class,
            ExperimentsCommand.Delete.class,
            ExperimentsCommand.Restore.class,
            ExperimentsCommand.ExportRuns.class
        })
public final class ExperimentsCommand extends Group {

    static final String API = "/api/2.0/mlflow/";

    static Table table(List<JsonNode> experiments) {
        Table table = new Table("ID", "NAME", "STAGE", "ARTIFACT LOCATION", "CREATED");
        for (JsonNode e : experiments) {
            table.row(
                    text(e, "experiment_id"),
                    text(e, "name"),
                    text(e, "lifecycle_stage"),
                    text(e, "artifact_location"),
                    Output.time(e.path("creation_time")));
        }
        return table;
    }

    private static String text(JsonNode node, String field) {
        return Output.text(node, field);
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an experiment; prints its id.")
    static final class Create extends Base {
        @Parameters(paramLabel = "NAME", description = "The experiment's name (unique).")
        String name;

        @Option(names = "--artifact-location", description = "Where its runs' artifacts go (default: the server's).")
        String artifactLocation;

        @Option(names = "--tag", paramLabel = "KEY=VALUE", description = "A tag (repeatable).")
        Map<String, String> tags;

        @Override
        void run() {
            ObjectNode body = Api.object().put("name", name);
            if (artifactLocation != null) {
                body.put("artifact_location", artifactLocation);
            }
            if (tags != null) {
                tags.forEach((k, v) ->
                        body.withArray("tags").addObject().put("key", k).put("value", v));
            }
            JsonNode answer = api().post(API + "experiments/create", body);
            Output out = out();
            if (out.json()) {
                out.printJson(answer);
            } else {
                out.writer().println(text(answer, "experiment_id"));
                out.writer().flush();
            }
        }
    }

    @Command(name = "search", mixinStandardHelpOptions = true, description = "Search experiments (all pages).")
    static final class Search extends Base {
        @Option(names = "--filter", description = "MLflow's filter, e.g. \"name LIKE 'team-%%'\".")
        String filter;

        @Option(
                names = "--view",
                description = "active, deleted or all (default: ${DEFAULT-VALUE}).",
                defaultValue = "active")
        RunsCommand.View view;

        @Option(names = "--order-by", description = "e.g. \"name ASC\" (repeatable).")
        List<String> orderBy;

        @Mixin
        MaxResults maxResults;

        @Override
        void run() {
            List<JsonNode> found = Pages.collect(
                    (token, want) -> {
                        ObjectNode body =
                                Api.search(want, filter, orderBy, token).put("view_type", view.mlflow);
                        return api().post(API + "experiments/search", body);
                    },
                    "experiments",
                    maxResults.value,
                    1000);
            ObjectNode json = Api.object();
            found.forEach(json.withArray("experiments")::add);
            out().print(json, table(found));
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show one experiment, by id or --name.")
    static final class Get extends Base {
        @Parameters(paramLabel = "ID", arity = "0..1", description = "The experiment's id.")
        String id;

        @Option(names = "--name", description = "Look the experiment up by name instead.")
        String name;

        @Override
        void run() {
            if ((id == null) == (name == null)) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "Give either an experiment ID or --name");
            }
            JsonNode answer = id != null
                    ? api().get(Api.query(API + "experiments/get", Api.params("experiment_id", id)))
                    : api().get(Api.query(API + "experiments/get-by-name", Api.params("experiment_name", name)));
            JsonNode experiment = answer.path("experiment");
            Table table = table(List.of(experiment));
            Table tags = new Table("TAG", "VALUE");
            experiment.path("tags").forEach(t -> tags.row(text(t, "key"), text(t, "value")));
            Output out = out();
            out.print(answer, table);
            if (!out.json() && tags.size() > 0) {
                out.writer().println();
                out.writer().print(tags.render());
                out.writer().flush();
            }
        }
    }

    @Command(name = "rename", mixinStandardHelpOptions = true, description = "Give an experiment a new name.")
    static final class Rename extends Base {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Parameters(index = "1", paramLabel = "NEW_NAME")
        String newName;

        @Override
        void run() {
            JsonNode answer = api().post(
                            API + "experiments/update",
                            Api.object().put("experiment_id", id).put("new_name", newName));
            done("Experiment " + id + " is now named '" + newName + "'.", answer);
        }
    }

    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            description = "Mark an experiment and its runs deleted (restore undoes it until `skein gc`).")
    static final class Delete extends Base {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        void run() {
            JsonNode answer =
                    api().post(API + "experiments/delete", Api.object().put("experiment_id", id));
            done("Experiment " + id + " deleted.", answer);
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true, description = "Restore a deleted experiment.")
    static final class Restore extends Base {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        void run() {
            JsonNode answer =
                    api().post(API + "experiments/restore", Api.object().put("experiment_id", id));
            done("Experiment " + id + " restored.", answer);
        }
    }

    @Command(
            name = "export-runs",
            mixinStandardHelpOptions = true,
            description = {
                "Write an experiment's runs as CSV, as `mlflow experiments csv` does.",
                "Columns: run_id, experiment_id, status, artifact_uri, start_time, end_time, then",
                "metrics.<key> (latest value), params.<key> and tags.<key>, each group sorted."
            })
    static final class ExportRuns extends Base {
        @Option(
                names = {"-x", "--experiment-id"},
                required = true,
                paramLabel = "ID")
        String experimentId;

        @Option(
                names = {"-o", "--filename"},
                paramLabel = "FILE",
                description = "Write here instead of standard output.")
        Path filename;

        @Option(names = "--filter", description = "Only the runs matching MLflow's filter.")
        String filter;

        @Override
        void run() throws IOException {
            RunsCsv csv = new RunsCsv();
            Pages.forEach(
                    (token, want) -> {
                        ObjectNode body = Api.search(want, filter, null, token).put("run_view_type", "ACTIVE_ONLY");
                        body.withArray("experiment_ids").add(experimentId);
                        return api().post(API + "runs/search", body);
                    },
                    "runs",
                    1000,
                    csv::add);
            if (filename != null) {
                try (Writer w = Files.newBufferedWriter(filename, StandardCharsets.UTF_8)) {
                    csv.write(w);
                }
                err("Wrote " + csv.size() + " runs to " + filename);
            } else {
                Writer w = spec.commandLine().getOut();
                csv.write(w);
                w.flush();
            }
        }
    }
}
