package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.Output;
import dev.skein.cli.Output.Table;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "endpoints",
        mixinStandardHelpOptions = true,
        description = "The LLM gateway's endpoints: list them, test one with a call.",
        subcommands = {EndpointsCommand.ListEndpoints.class, EndpointsCommand.Test.class})
public final class EndpointsCommand extends Group {

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List the endpoints (MLflow's list_endpoints).")
    static final class ListEndpoints extends Base {
        @Override
        void run() {
            List<JsonNode> endpoints = Pages.collect(
                    (token, want) -> api().get(Api.query("/api/2.0/endpoints/", Api.params("page_token", token))),
                    "endpoints",
                    0,
                    0);
            Table table = new Table("NAME", "TYPE", "PROVIDER", "MODEL", "URL");
            for (JsonNode e : endpoints) {
                table.row(
                        Output.text(e, "name"),
                        Output.text(e, "endpoint_type"),
                        Output.text(e.path("model"), "provider"),
                        Output.text(e.path("model"), "name"),
                        Output.text(e, "endpoint_url"));
            }
            out().print(ModelsCommand.wrap("endpoints", endpoints), table);
        }
    }

    @Command(
            name = "test",
            mixinStandardHelpOptions = true,
            description = "Call an endpoint with a message; print the answer, the tokens used and the latency.")
    static final class Test extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(
                names = {"-m", "--message"},
                required = true,
                description = "The user's message (or the prompt, or the text to embed).")
        String message;

        @Option(names = "--max-tokens", description = "Longest answer, in tokens.")
        Integer maxTokens;

        @Option(names = "--temperature")
        Double temperature;

        @Override
        void run() {
            JsonNode endpoint = api().get("/api/2.0/endpoints/" + Api.encodePath(name));
            String type = endpoint.path("endpoint_type").asText();
            ObjectNode body = Api.object();
            switch (type) {
                case "llm/v1/completions" -> body.put("prompt", message);
                case "llm/v1/embeddings" -> body.put("input", message);
                default ->
                    body.putArray("messages").addObject().put("role", "user").put("content", message);
            }
            if (maxTokens != null && !type.equals("llm/v1/embeddings")) {
                body.put("max_tokens", maxTokens);
            }
            if (temperature != null && !type.equals("llm/v1/embeddings")) {
                body.put("temperature", temperature);
            }
            long start = System.nanoTime();
            JsonNode answer = api().post("/endpoints/" + Api.encodePath(name) + "/invocations", body);
            long latencyMs = (System.nanoTime() - start) / 1_000_000;
            JsonNode usage = answer.path("usage");
            Output out = out();
            if (out.json()) {
                ObjectNode json = Api.object()
                        .put("endpoint", name)
                        .put("endpoint_type", type)
                        .put("latency_ms", latencyMs);
                json.set("response", answer);
                out.printJson(json);
                return;
            }
            Table table = new Table("FIELD", "VALUE");
            table.row("answer", answerText(type, answer));
            table.row("prompt_tokens", Output.text(usage, "prompt_tokens"));
            table.row("completion_tokens", Output.text(usage, "completion_tokens"));
            table.row("total_tokens", Output.text(usage, "total_tokens"));
            table.row("latency_ms", latencyMs);
            out.print(answer, table);
        }

        static String answerText(String type, JsonNode answer) {
            return switch (type) {
                case "llm/v1/completions" -> Output.text(answer.path("choices").path(0), "text");
                case "llm/v1/embeddings" ->
                    "embedding of "
                            + answer.path("data").path(0).path("embedding").size() + " dimensions";
                default -> Output.text(answer.path("choices").path(0).path("message"), "content");
            };
        }
    }
}
