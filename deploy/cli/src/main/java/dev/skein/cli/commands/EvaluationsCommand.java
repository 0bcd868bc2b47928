package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.cli.Api;
import dev.skein.cli.CliException;
import dev.skein.cli.ExitCodes;
import dev.skein.cli.Output;
import dev.skein.cli.Output.Table;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "evaluations",
        mixinStandardHelpOptions = true,
        description = "Skein's evaluations (MLflow's evaluate, done by evaluation-service): start one, show one.",
        subcommands = {EvaluationsCommand.Start.class, EvaluationsCommand.Show.class})
public final class EvaluationsCommand extends Group {

    static final String API = "/api/2.0/skein/evaluations";

    static JsonNode get(Api api, String id) {
        return api.get(Api.query(API + "/get", Api.params("evaluation_id", id)));
    }

    static boolean finished(JsonNode evaluation) {
        String status = evaluation.path("status").asText();
        return status.equals("SUCCEEDED") || status.equals("FAILED");
    }

    static void print(Output out, JsonNode answer, List<JsonNode> evaluations) {
        if (out.json()) {
            out.printJson(answer);
            return;
        }
        PrintWriter w = out.writer();
        boolean first = true;
        for (JsonNode e : evaluations) {
            if (!first) {
                w.println();
            }
            first = false;
            Table head = new Table("FIELD", "VALUE");
            head.row("evaluation_id", Output.text(e, "evaluation_id"));
            head.row("run_id", Output.text(e, "run_id"));
            head.row("status", Output.text(e, "status"));
            if (!Output.text(e, "status_message").isEmpty()) {
                head.row("status_message", Output.text(e, "status_message"));
            }
            head.row("model_type", Output.text(e.path("spec"), "model_type"));
            head.row("rows", Output.text(e, "row_count"));
            head.row("created", Output.time(e.path("creation_time")));
            head.row("ended", Output.time(e.path("end_time")));
            w.print(head.render());
            if (!e.path("metrics").isEmpty()) {
                Table metrics = new Table("METRIC", "VALUE");
                e.path("metrics").forEach(m -> metrics.row(Output.text(m, "key"), Output.text(m, "value")));
                w.println();
                w.print(metrics.render());
            }
            if (!e.path("artifacts").isEmpty()) {
                Table artifacts = new Table("ARTIFACT");
                e.path("artifacts").forEach(a -> artifacts.row(a.asText()));
                w.println();
                w.print(artifacts.render());
            }
        }
        w.flush();
    }

    @Command(
            name = "start",
            mixinStandardHelpOptions = true,
            description = {
                "Start an evaluation (of a run's table of predictions, or of a prompt over LLM endpoints).",
                "The spec comes from --spec (a JSON EvaluationSpec of evaluation.proto: data, model_type, targets,",
                "predictions, probabilities, judges, prompt…) and the flags below, which override its fields.",
                "With --wait, polls until it ends; exit code 5 if it FAILED."
            })
    static final class Start extends Base {
        @Option(names = "--run-id", description = "The run whose table is evaluated (not with a prompt evaluation).")
        String runId;

        @Option(
                names = "--spec",
                paramLabel = "FILE",
                description = "The spec as a JSON file; flags below override its fields.")
        Path specFile;

        @Option(
                names = "--data",
                description = "The table: a path under the run's artifacts, or runs:/… or mlflow-artifacts:/….")
        String data;

        @Option(
                names = "--model-type",
                description = "classifier, regressor, retriever, question-answering, text-summarization, text.")
        String modelType;

        @Option(names = "--targets", description = "Column of true values.")
        String targets;

        @Option(names = "--predictions", description = "Column of predictions.")
        String predictions;

        @Option(names = "--probabilities", split = ",", description = "Probability column(s).")
        List<String> probabilities;

        @Option(names = "--pos-label")
        String posLabel;

        @Option(names = "--wait", description = "Wait until it ends and show the result.")
        boolean await;

        @Option(
                names = "--poll-interval",
                defaultValue = "PT1S",
                description = "How often --wait asks (ISO-8601 duration; default: ${DEFAULT-VALUE}).")
        Duration pollInterval;

        @Option(names = "--timeout", description = "Give --wait up after this long (ISO-8601 duration, e.g. PT10M).")
        Duration timeout;

        @Override
        void run() throws IOException, InterruptedException {
            ObjectNode spec = specFile == null ? Api.object() : readSpec(specFile);
            put(spec, "data", data);
            put(spec, "model_type", modelType);
            put(spec, "targets", targets);
            put(spec, "predictions", predictions);
            put(spec, "pos_label", posLabel);
            if (probabilities != null) {
                probabilities.forEach(spec.putArray("probabilities")::add);
            }
            ObjectNode body = Api.object();
            if (runId != null) {
                body.put("run_id", runId);
            }
            body.set("spec", spec);
            JsonNode answer = api().post(API, body);
            List<JsonNode> evaluations = new ArrayList<>();
            if (answer.has("evaluation")) {
                evaluations.add(answer.get("evaluation"));
            }
            answer.path("evaluations").forEach(evaluations::add);
            if (await) {
                long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
                for (int i = 0; i < evaluations.size(); i++) {
                    JsonNode e = evaluations.get(i);
                    while (!finished(e)) {
                        if (System.nanoTime() > deadline) {
                            throw new CliException("evaluation " + Output.text(e, "evaluation_id") + " is still "
                                    + Output.text(e, "status") + " after " + timeout);
                        }
                        Thread.sleep(pollInterval.toMillis());
                        e = get(api(), Output.text(e, "evaluation_id")).path("evaluation");
                    }
                    evaluations.set(i, e);
                }
                ObjectNode finalAnswer = Api.object();
                if (evaluations.size() == 1 && answer.has("evaluation")) {
                    finalAnswer.set("evaluation", evaluations.get(0));
                } else {
                    evaluations.forEach(finalAnswer.withArray("evaluations")::add);
                }
                answer = finalAnswer;
            }
            print(out(), answer, evaluations);
            if (await
                    && evaluations.stream()
                            .anyMatch(e -> e.path("status").asText().equals("FAILED"))) {
                throw new CliException(ExitCodes.EVALUATION_FAILED, "the evaluation FAILED");
            }
        }

        private static ObjectNode readSpec(Path file) throws IOException {
            JsonNode node;
            try {
                node = Api.JSON.readTree(Files.readString(file));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new CliException(ExitCodes.USAGE, file + " is not JSON: " + e.getOriginalMessage());
            }
            if (!(node instanceof ObjectNode object)) {
                throw new CliException(ExitCodes.USAGE, file + " must hold a JSON object (an EvaluationSpec)");
            }
            return object;
        }

        private static void put(ObjectNode spec, String field, String value) {
            if (value != null) {
                spec.put(field, value);
            }
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "An evaluation's status, metrics and artifacts.")
    static final class Show extends Base {
        @Parameters(paramLabel = "EVALUATION_ID")
        String id;

        @Override
        void run() {
            JsonNode answer = get(api(), id);
            print(out(), answer, List.of(answer.path("evaluation")));
        }
    }
}
