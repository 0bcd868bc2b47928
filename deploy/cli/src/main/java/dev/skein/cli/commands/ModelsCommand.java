package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.Output;
import dev.skein.cli.Output.Table;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        description =
                "Registered models: list them, their versions, set or delete aliases, move versions between stages.",
        subcommands = {
            ModelsCommand.ListModels.class,
            ModelsCommand.Versions.class,
            ModelsCommand.Alias.class,
            ModelsCommand.Stage.class
        })
public final class ModelsCommand extends Group {

    static final String API = "/api/2.0/mlflow/";
    static final String PROMPT_TAG = "mlflow.prompt.is_prompt";

    /** Registered models matching a filter (all pages, at most {@code max}). */
    static List<JsonNode> search(Api api, String filter, int max) {
        return Pages.collect(
                (token, want) -> api.get(Api.query(
                        API + "registered-models/search",
                        Api.params("filter", filter, "max_results", want, "page_token", token))),
                "registered_models",
                max,
                1000);
    }

    static Table modelTable(List<JsonNode> models) {
        Table table = new Table("NAME", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION");
        for (JsonNode m : models) {
            StringBuilder aliases = new StringBuilder();
            m.path("aliases").forEach(a -> aliases.append(aliases.length() == 0 ? "" : ", ")
                    .append(Output.text(a, "alias"))
                    .append("→")
                    .append(Output.text(a, "version")));
            String latest = "";
            for (JsonNode v : m.path("latest_versions")) {
                latest = latest.isEmpty() || v.path("version").asLong() > Long.parseLong(latest)
                        ? Output.text(v, "version")
                        : latest;
            }
            table.row(
                    Output.text(m, "name"),
                    latest,
                    aliases,
                    Output.time(m.path("last_updated_timestamp")),
                    Output.text(m, "description"));
        }
        return table;
    }

    static JsonNode wrap(String field, List<JsonNode> items) {
        ObjectNode json = Api.object();
        items.forEach(json.withArray(field)::add);
        return json;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List registered models (not prompts).")
    static final class ListModels extends Base {
        @Option(names = "--filter", description = "MLflow's filter, e.g. \"name LIKE 'fraud-%%'\".")
        String filter;

        @Mixin
        MaxResults maxResults;

        @Override
        void run() {
            // as MLflow 3's clients tell models from prompts
            String notPrompt = "tag.`" + PROMPT_TAG + "` != 'true'";
            List<JsonNode> models =
                    search(api(), filter == null ? notPrompt : filter + " AND " + notPrompt, maxResults.value);
            out().print(wrap("registered_models", models), modelTable(models));
        }
    }

    @Command(name = "versions", mixinStandardHelpOptions = true, description = "A registered model's versions.")
    static final class Versions extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Mixin
        MaxResults maxResults;

        @Override
        void run() {
            String filter = "name = '" + name.replace("'", "''") + "'";
            List<JsonNode> versions = Pages.collect(
                    (token, want) -> api().get(Api.query(
                            API + "model-versions/search",
                            Api.params("filter", filter, "max_results", want, "page_token", token))),
                    "model_versions",
                    maxResults.value,
                    1000);
            Table table = new Table("VERSION", "STAGE", "STATUS", "ALIASES", "RUN ID", "SOURCE", "CREATED");
            for (JsonNode v : versions) {
                StringBuilder aliases = new StringBuilder();
                v.path("aliases").forEach(a -> aliases.append(aliases.length() == 0 ? "" : ", ")
                        .append(a.asText()));
                table.row(
                        Output.text(v, "version"),
                        Output.text(v, "current_stage"),
                        Output.text(v, "status"),
                        aliases,
                        Output.text(v, "run_id"),
                        Output.text(v, "source"),
                        Output.time(v.path("creation_timestamp")));
            }
            out().print(wrap("model_versions", versions), table);
        }
    }

    @Command(
            name = "alias",
            mixinStandardHelpOptions = true,
            description = "Set or delete an alias of a registered model (or prompt).",
            subcommands = {SetAlias.class, DeleteAlias.class})
    static final class Alias extends Group {}

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Point ALIAS at VERSION.")
    static final class SetAlias extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "ALIAS")
        String alias;

        @Parameters(index = "2", paramLabel = "VERSION")
        String version;

        @Override
        void run() {
            JsonNode answer = api().post(
                            API + "registered-models/alias",
                            Api.object().put("name", name).put("alias", alias).put("version", version));
            done("Alias '" + alias + "' of " + name + " → version " + version + ".", answer);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete ALIAS.")
    static final class DeleteAlias extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "ALIAS")
        String alias;

        @Override
        void run() {
            JsonNode answer = api().delete(
                            API + "registered-models/alias",
                            Api.object().put("name", name).put("alias", alias));
            done("Alias '" + alias + "' of " + name + " deleted.", answer);
        }
    }

    @Command(
            name = "stage",
            mixinStandardHelpOptions = true,
            description = "Move a model version to a stage: None, Staging, Production or Archived.")
    static final class Stage extends Base {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "VERSION")
        String version;

        @Parameters(index = "2", paramLabel = "STAGE")
        String stage;

        @Option(
                names = "--archive-existing",
                description = "Archive the versions already in STAGE (Staging or Production).")
        boolean archiveExisting;

        @Override
        void run() {
            JsonNode answer = api().post(
                            API + "model-versions/transition-stage",
                            Api.object()
                                    .put("name", name)
                                    .put("version", version)
                                    .put("stage", stage)
                                    .put("archive_existing_versions", archiveExisting));
            JsonNode v = answer.path("model_version");
            out().print(
                            answer,
                            new Table("NAME", "VERSION", "STAGE")
                                    .row(
                                            Output.text(v, "name"),
                                            Output.text(v, "version"),
                                            Output.text(v, "current_stage")));
        }
    }
}
