package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.cli.Api;
import dev.skein.cli.Output;
import dev.skein.cli.Output.Table;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "prompts",
        mixinStandardHelpOptions = true,
        description = "Prompts (registered models tagged mlflow.prompt.is_prompt): list them, their versions, aliases.",
        subcommands = {PromptsCommand.ListPrompts.class, PromptsCommand.Versions.class, PromptsCommand.Alias.class})
public final class PromptsCommand extends Group {

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List prompts.")
    static final class ListPrompts extends Base {
        @Option(names = "--filter", description = "MLflow's filter, e.g. \"name LIKE 'qa-%%'\".")
        String filter;

        @Mixin
        MaxResults maxResults;

        @Override
        void run() {
            String isPrompt = "tags.`" + ModelsCommand.PROMPT_TAG + "` = 'true'";
            List<JsonNode> prompts = ModelsCommand.search(
                    api(), filter == null ? isPrompt : isPrompt + " AND " + filter, maxResults.value);
            out().print(ModelsCommand.wrap("prompts", prompts), ModelsCommand.modelTable(prompts));
        }
    }

    @Command(
            name = "versions",
            mixinStandardHelpOptions = true,
            description = "A prompt's versions and their templates.")
    static final class Versions extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Mixin
        MaxResults maxResults;

        @Override
        void run() {
            List<JsonNode> versions = Pages.collect(
                    (token, want) -> api().get(Api.query(
                            "/api/2.0/skein/prompts/versions/list",
                            Api.params("name", name, "max_results", want, "page_token", token))),
                    "prompt_versions",
                    maxResults.value,
                    1000);
            Table table = new Table("VERSION", "TYPE", "ALIASES", "VARIABLES", "COMMIT MESSAGE", "CREATED", "TEMPLATE");
            for (JsonNode v : versions) {
                table.row(
                        Output.text(v, "version"),
                        Output.text(v, "type"),
                        joined(v.path("aliases")),
                        joined(v.path("variables")),
                        Output.text(v, "commit_message"),
                        Output.time(v.path("creation_timestamp")),
                        abbreviate(template(v.path("template"))));
            }
            out().print(ModelsCommand.wrap("prompt_versions", versions), table);
        }

        private static String joined(JsonNode array) {
            StringBuilder s = new StringBuilder();
            array.forEach(a -> s.append(s.length() == 0 ? "" : ", ").append(a.asText()));
            return s.toString();
        }

        private static String template(JsonNode template) {
            if (template.has("text")) {
                return template.path("text").asText();
            }
            return template.toString();
        }

        private static String abbreviate(String s) {
            return s.length() > 60 ? s.substring(0, 59) + "…" : s;
        }
    }

    @Command(
            name = "alias",
            mixinStandardHelpOptions = true,
            description = "Set or delete an alias of a prompt.",
            subcommands = {ModelsCommand.SetAlias.class, ModelsCommand.DeleteAlias.class})
    static final class Alias extends Group {}
}
