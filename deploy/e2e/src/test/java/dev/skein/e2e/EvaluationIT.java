package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.getRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.tracking.MlflowClient;

/**
 * evaluation-service in the running suite: a run that the official MLflow Java client finishes with
 * the spec tags is evaluated (metrics, plots and status on the run, an event on
 * skein.evaluation.results.v1); new model versions are audited against the champion and the verdict
 * lands on the version, in the registry's audit trail and on Kafka; bad specs fail cleanly; a
 * redelivered run event changes nothing.
 */
@ExtendWith(Suite.class)
class EvaluationIT {

    static final String RESULTS = "skein.evaluation.results.v1";
    static MlflowClient client;

    @BeforeAll
    static void connect() {
        client = new MlflowClient(Suite.url());
    }

    @AfterAll
    static void close() {
        client.close();
    }

    /** A binary classifier's predictions: label, prediction, probability of class 1; some wrong. */
    record Table(List<int[]> rows, List<Double> probabilities, String csv) {}

    static Table table(long seed, int n) {
        Random random = new Random(seed);
        List<int[]> rows = new ArrayList<>();
        List<Double> probabilities = new ArrayList<>();
        StringBuilder csv = new StringBuilder("label,prediction,proba\n");
        for (int i = 0; i < n; i++) {
            int label = random.nextInt(2);
            double p = Math.round((label * 0.45 + random.nextDouble() * 0.55) * 1000) / 1000.0;
            int prediction = p >= 0.5 ? 1 : 0;
            rows.add(new int[] {label, prediction});
            probabilities.add(p);
            csv.append(label)
                    .append(',')
                    .append(prediction)
                    .append(',')
                    .append(p)
                    .append('\n');
        }
        return new Table(rows, probabilities, csv.toString());
    }

    static void upload(String experimentId, String runId, String path, String content) {
        Response r = api().contentType("text/csv")
                .body(content.getBytes(StandardCharsets.UTF_8))
                .put("/api/2.0/mlflow-artifacts/artifacts/" + experimentId + "/" + runId + "/artifacts/" + path);
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
    }

    static void specTags(String runId, String data) {
        client.setTag(runId, "skein.evaluate.data", data);
        client.setTag(runId, "skein.evaluate.model_type", "classifier");
        client.setTag(runId, "skein.evaluate.targets", "label");
        client.setTag(runId, "skein.evaluate.predictions", "prediction");
        client.setTag(runId, "skein.evaluate.probabilities", "proba");
    }

    static Map<String, String> tags(JsonObject run) {
        Map<String, String> tags = new HashMap<>();
        JsonArray list = run.getJsonObject("data").getJsonArray("tags", new JsonArray());
        for (int i = 0; i < list.size(); i++) {
            tags.put(
                    list.getJsonObject(i).getString("key"),
                    list.getJsonObject(i).getString("value"));
        }
        return tags;
    }

    static Map<String, Double> metrics(JsonObject run) {
        Map<String, Double> metrics = new HashMap<>();
        JsonArray list = run.getJsonObject("data").getJsonArray("metrics", new JsonArray());
        for (int i = 0; i < list.size(); i++) {
            metrics.put(
                    list.getJsonObject(i).getString("key"),
                    list.getJsonObject(i).getDouble("value"));
        }
        return metrics;
    }

    /** The run once its evaluation ended (tag skein.evaluation.status set). */
    static JsonObject evaluated(String runId) throws InterruptedException {
        TestInfra.await("run " + runId + " evaluated", Duration.ofSeconds(90), () -> tags(getRun(runId))
                .containsKey("skein.evaluation.status"));
        return getRun(runId);
    }

    static JsonArray evaluations(String runId) {
        return ok(api().queryParam("run_id", runId).get("/api/2.0/skein/evaluations/search"))
                .getJsonArray("evaluations", new JsonArray());
    }

    /** Starts an evaluation through the API (POST skein/evaluations); its id. */
    static String start(String runId, JsonObject spec) {
        return ok(api().contentType(ContentType.JSON)
                        .body(new JsonObject()
                                .put("run_id", runId)
                                .put("spec", spec)
                                .encode())
                        .post("/api/2.0/skein/evaluations"))
                .getJsonObject("evaluation")
                .getString("evaluation_id");
    }

    /** sklearn's roc_auc for one score per row: the share of (positive, negative) pairs ordered right, ties half. */
    static double rocAuc(Table t) {
        double good = 0;
        long pairs = 0;
        for (int i = 0; i < t.rows().size(); i++) {
            if (t.rows().get(i)[0] != 1) {
                continue;
            }
            for (int j = 0; j < t.rows().size(); j++) {
                if (t.rows().get(j)[0] != 0) {
                    continue;
                }
                pairs++;
                int c = Double.compare(
                        t.probabilities().get(i), t.probabilities().get(j));
                good += c > 0 ? 1 : c == 0 ? 0.5 : 0;
            }
        }
        return good / pairs;
    }

    @Test
    void shouldEvaluateARunWhenTheJavaClientFinishesItWithTheSpecTags() throws Exception {
        String experimentId = client.createExperiment("evaluated-" + UUID.randomUUID());
        String runId = client.createRun(experimentId).getRunId();
        Table t = table(7, 300);
        upload(experimentId, runId, "eval/predictions.csv", t.csv());
        specTags(runId, "eval/predictions.csv");
        client.setTerminated(runId, RunStatus.FINISHED);

        JsonObject run = evaluated(runId);
        Map<String, String> tags = tags(run);
        assertThat(tags).containsEntry("skein.evaluation.status", "SUCCEEDED");
        long tp = 0, tn = 0, fp = 0, fn = 0;
        for (int[] r : t.rows()) {
            if (r[0] == 1) {
                if (r[1] == 1) tp++;
                else fn++;
            } else {
                if (r[1] == 1) fp++;
                else tn++;
            }
        }
        Map<String, Double> metrics = metrics(run);
        assertThat(metrics).containsEntry("example_count", 300.0);
        assertThat(metrics).containsEntry("true_positives", (double) tp);
        assertThat(metrics).containsEntry("true_negatives", (double) tn);
        assertThat(metrics).containsEntry("false_positives", (double) fp);
        assertThat(metrics).containsEntry("false_negatives", (double) fn);
        assertThat(metrics.get("accuracy_score")).isCloseTo((tp + tn) / 300.0, within(1e-12));
        assertThat(metrics.get("precision_score")).isCloseTo(tp / (double) (tp + fp), within(1e-12));
        assertThat(metrics.get("recall_score")).isCloseTo(tp / (double) (tp + fn), within(1e-12));
        assertThat(metrics.get("roc_auc")).isCloseTo(rocAuc(t), within(1e-9));
        assertThat(metrics).containsKeys("f1_score", "log_loss", "precision_recall_auc");
        // logged once, at step 0, with the evaluation's time
        var history = client.getMetricHistory(runId, "accuracy_score");
        assertThat(history).hasSize(1);
        assertThat(history.get(0).getStep()).isZero();

        JsonArray found = evaluations(runId);
        assertThat(found.size()).isEqualTo(1);
        JsonObject evaluation = found.getJsonObject(0);
        assertThat(evaluation.getString("status")).isEqualTo("SUCCEEDED");
        assertThat(evaluation.getString("trigger")).isEqualTo("RUN_FINISHED");
        assertThat(evaluation.getLong("row_count")).isEqualTo(300L);
        assertThat(evaluation.getString("evaluation_id")).isEqualTo(tags.get("skein.evaluation.id"));
        // MLflow's order: _log_binary_classifier_artifacts (roc, precision-recall, lift), then the confusion matrix
        assertThat(evaluation.getJsonArray("artifacts").getList())
                .containsExactly(
                        "roc_curve_plot.png",
                        "precision_recall_curve_plot.png",
                        "lift_curve_plot.png",
                        "confusion_matrix.png");
        byte[] png = api().queryParam("run_id", runId)
                .queryParam("path", "roc_curve_plot.png")
                .get("/get-artifact")
                .asByteArray();
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        JsonObject got = ok(api().queryParam("evaluation_id", evaluation.getString("evaluation_id"))
                        .get("/api/2.0/skein/evaluations/get"))
                .getJsonObject("evaluation");
        assertThat(got.getJsonObject("spec").getString("data")).isEqualTo("eval/predictions.csv");

        List<TopicReader.Event> events = TopicReader.read(
                TestInfra.kafkaBootstrap(), RESULTS, runId::equals, 1, Duration.ofSeconds(30), Duration.ofSeconds(1));
        assertThat(events).hasSize(1);
        assertThat(events.get(0).header("ce_type")).isEqualTo("dev.skein.evaluation.completed.v1");
        JsonObject completed = new JsonObject(events.get(0).value());
        assertThat(completed.getString("status")).isEqualTo("SUCCEEDED");
        assertThat(completed.getJsonObject("metrics").getDouble("accuracy_score"))
                .isEqualTo(metrics.get("accuracy_score"));

        // the same RunUpdated event delivered again: nothing is evaluated or logged twice
        List<TopicReader.Event> runEvents = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                "skein.tracking.runs.v1",
                runId::equals,
                3,
                Duration.ofSeconds(30),
                Duration.ofSeconds(1));
        TopicReader.Event finished = runEvents.stream()
                .filter(e -> "dev.skein.tracking.run.updated.v1".equals(e.header("ce_type"))
                        && e.value().contains("\"terminal\":true"))
                .findFirst()
                .orElseThrow();
        redeliver("skein.tracking.runs.v1", finished);
        // and another update of the ended run (a rename sends RunUpdated again, terminal, a new event)
        ok(post("runs/update", new JsonObject().put("run_id", runId).put("run_name", "renamed-after-evaluation")));
        Thread.sleep(5000); // nothing to wait for: the redelivery must change nothing
        assertThat(evaluations(runId).size()).isEqualTo(1);
        assertThat(client.getMetricHistory(runId, "accuracy_score")).hasSize(1);
        assertThat(TopicReader.read(
                        TestInfra.kafkaBootstrap(), RESULTS, runId::equals, 2, Duration.ofSeconds(5), Duration.ZERO))
                .hasSize(1);
    }

    /** The paths {@code artifacts/list} answers for a run's directory (its root when {@code path} is null). */
    private static List<String> listed(String runId, String path) {
        var request = api().queryParam("run_id", runId);
        if (path != null) {
            request = request.queryParam("path", path);
        }
        JsonArray files = ok(request.get("/api/2.0/mlflow/artifacts/list")).getJsonArray("files", new JsonArray());
        List<String> paths = new ArrayList<>();
        files.forEach(f -> paths.add(((JsonObject) f).getString("path")));
        return paths;
    }

    @Test
    void shouldSaveAPromptlabRunAsMlflowsPromptEngineeringUiDoes() {
        String experimentId = client.createExperiment("promptlab-" + UUID.randomUUID());
        JsonObject request = new JsonObject()
                .put("experiment_id", experimentId)
                .put("run_name", "my_promptlab_run")
                .put("prompt_template", "answer this question: {{question}} using the following context: {{context}}")
                .put(
                        "prompt_parameters",
                        new JsonArray()
                                .add(new JsonObject().put("key", "question").put("value", "my_question"))
                                .add(new JsonObject().put("key", "context").put("value", "my_context")))
                .put("model_route", "chat")
                // the UI sends numbers: logged as Python's str() of them
                .put(
                        "model_parameters",
                        new JsonArray()
                                .add(new JsonObject().put("key", "temperature").put("value", 0.1))
                                .add(new JsonObject().put("key", "max_tokens").put("value", 100)))
                .put("model_input", "answer this question: my_question using the following context: my_context")
                .put("model_output", "my_answer")
                .put(
                        "model_output_parameters",
                        new JsonArray()
                                .add(new JsonObject().put("key", "tokens").put("value", "10"))
                                .add(new JsonObject().put("key", "latency").put("value", "100")))
                .put("mlflow_version", "2.17.2");
        // served under /ajax-api/ only, as MLflow serves it
        api().contentType(ContentType.JSON)
                .body(request.encode())
                .post("/api/2.0/mlflow/runs/create-promptlab-run")
                .then()
                .statusCode(404);
        JsonObject run = ok(api().contentType(ContentType.JSON)
                        .body(request.encode())
                        .post("/ajax-api/2.0/mlflow/runs/create-promptlab-run"))
                .getJsonObject("run");
        String runId = run.getJsonObject("info").getString("run_id");
        assertThat(run.getJsonObject("info").getString("status")).isEqualTo("FINISHED");

        // read back with the official Java client
        var got = client.getRun(runId);
        assertThat(got.getInfo().getStatus()).isEqualTo(RunStatus.FINISHED);
        assertThat(got.getInfo().getRunName()).isEqualTo("my_promptlab_run");
        Map<String, String> params = new HashMap<>();
        got.getData().getParamsList().forEach(p -> params.put(p.getKey(), p.getValue()));
        assertThat(params)
                .containsEntry("prompt_template", request.getString("prompt_template"))
                .containsEntry("model_route", "chat")
                .containsEntry("temperature", "0.1")
                .containsEntry("max_tokens", "100");
        Map<String, String> tags = new HashMap<>();
        got.getData().getTagsList().forEach(t -> tags.put(t.getKey(), t.getValue()));
        assertThat(tags)
                .containsEntry("mlflow.runSourceType", "PROMPT_ENGINEERING")
                .containsEntry(
                        "mlflow.loggedArtifacts", "[{\"path\": \"eval_results_table.json\", \"type\": \"table\"}]")
                .containsKey("mlflow.log-model.history");
        assertThat(new JsonArray(tags.get("mlflow.log-model.history"))
                        .getJsonObject(0)
                        .getString("artifact_path"))
                .isEqualTo("model");
        // listed through MLflow's REST API (the Java client lists mlflow-artifacts:/ through a Python CLI)
        assertThat(listed(runId, null)).contains("eval_results_table.json", "model");
        assertThat(listed(runId, "model"))
                .contains(
                        "model/MLmodel",
                        "model/python_env.yaml",
                        "model/conda.yaml",
                        "model/requirements.txt",
                        "model/input_example.json",
                        "model/parameters.yaml");
        String table = api().queryParam("run_id", runId)
                .queryParam("path", "eval_results_table.json")
                .get("/get-artifact")
                .asString();
        assertThat(new JsonObject(table))
                .isEqualTo(new JsonObject()
                        .put(
                                "columns",
                                new JsonArray(List.of("question", "context", "prompt", "output", "tokens", "latency")))
                        .put(
                                "data",
                                new JsonArray()
                                        .add(new JsonArray(List.of(
                                                "my_question",
                                                "my_context",
                                                request.getString("model_input"),
                                                "my_answer",
                                                "10",
                                                "100")))));

        // MLflow's validation, before anything is written
        request.remove("prompt_template");
        Response refused = api().contentType(ContentType.JSON)
                .body(request.encode())
                .post("/ajax-api/2.0/mlflow/runs/create-promptlab-run");
        refused.then().statusCode(400);
        assertThat(new JsonObject(refused.asString()).getString("error_code")).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(new JsonObject(refused.asString()).getString("message"))
                .isEqualTo("CreatePromptlabRun request must specify prompt_template.");
        assertThat(client.searchRuns(List.of(experimentId), "")).hasSize(1);
    }

    @Test
    void shouldEvaluateSummariesOnDemandWithPerRowScoresAndSayWhatItCannotCompute() throws Exception {
        String experimentId = client.createExperiment("summaries-" + UUID.randomUUID());
        String runId = client.createRun(experimentId).getRunId();
        // row 1 repeats its reference word for word, row 2 shares no word with it
        String table =
                """
                {"article": "a1", "summary": "The cat sat.", "generated": "The cat sat."}
                {"article": "a2", "summary": "Dogs bark loudly at night.", "generated": "Birds sing."}
                """;
        upload(experimentId, runId, "eval/summaries.jsonl", table);
        JsonObject spec = new JsonObject()
                .put("data", "eval/summaries.jsonl")
                .put("model_type", "text-summarization")
                .put("targets", "summary")
                .put("predictions", "generated");
        String id = start(runId, spec);
        JsonObject run = evaluated(runId);
        assertThat(tags(run)).containsEntry("skein.evaluation.status", "SUCCEEDED");
        Map<String, Double> metrics = metrics(run);
        // MLflow's keys: versioned metrics and their aggregates
        assertThat(metrics.get("rouge1/v1/mean")).isCloseTo(0.5, within(1e-12));
        assertThat(metrics.get("rougeLsum/v1/p90")).isCloseTo(0.9, within(1e-12));
        assertThat(metrics)
                .containsKeys(
                        "rouge2/v1/variance",
                        "rougeL/v1/mean",
                        "flesch_kincaid_grade_level/v1/mean",
                        "ari_grade_level/v1/p90");
        assertThat(metrics.keySet()).noneMatch(k -> k.startsWith("toxicity") || k.startsWith("token_count"));
        // listed as mlflow.log_table lists its tables, so MLflow's load_table finds it
        assertThat(tags(run))
                .containsEntry(
                        "mlflow.loggedArtifacts", "[{\"path\": \"eval_results_table.json\", \"type\": \"table\"}]");

        JsonObject evaluation = ok(api().queryParam("evaluation_id", id).get("/api/2.0/skein/evaluations/get"))
                .getJsonObject("evaluation");
        assertThat(evaluation.getLong("row_count")).isEqualTo(2L);
        assertThat(evaluation.getJsonArray("artifacts").getList()).containsExactly("eval_results_table.json");
        JsonArray unavailable = evaluation.getJsonArray("unavailable_metrics");
        assertThat(unavailable.size()).isEqualTo(1);
        assertThat(unavailable.getJsonObject(0).getString("key")).isEqualTo("toxicity/v1");
        assertThat(unavailable.getJsonObject(0).getString("reason")).contains("model");

        JsonObject results = new JsonObject(api().queryParam("run_id", runId)
                .queryParam("path", "eval_results_table.json")
                .get("/get-artifact")
                .asString());
        assertThat(results.getJsonArray("columns").getList())
                .containsExactly(
                        "article",
                        "summary",
                        "generated",
                        "token_count",
                        "flesch_kincaid_grade_level/v1/score",
                        "ari_grade_level/v1/score",
                        "rouge1/v1/score",
                        "rouge2/v1/score",
                        "rougeL/v1/score",
                        "rougeLsum/v1/score");
        JsonArray first = results.getJsonArray("data").getJsonArray(0);
        assertThat(first.getString(0)).isEqualTo("a1");
        // cl100k_base: "The", " cat", " sat", "."
        assertThat(first.getInteger(3)).isEqualTo(4);
        assertThat(first.getDouble(6)).isEqualTo(1.0);
        assertThat(results.getJsonArray("data").getJsonArray(1).getDouble(6)).isEqualTo(0.0);
    }

    static void redeliver(String topic, TopicReader.Event event) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.kafkaBootstrap());
        try (var producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            ProducerRecord<String, String> record = new ProducerRecord<>(topic, event.key(), event.value());
            event.headers().forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
            producer.send(record).get();
        }
    }

    @Test
    void shouldFailABadSpecWithItsReasonOnTheRunAndLogNoMetrics() throws Exception {
        String experimentId = client.createExperiment("bad-spec-" + UUID.randomUUID());
        String runId = client.createRun(experimentId).getRunId();
        upload(experimentId, runId, "eval/predictions.csv", table(3, 20).csv());
        specTags(runId, "eval/predictions.csv");
        client.setTag(runId, "skein.evaluate.targets", "no_such_column");
        client.setTerminated(runId, RunStatus.FINISHED);
        JsonObject run = evaluated(runId);
        assertThat(tags(run)).containsEntry("skein.evaluation.status", "FAILED");
        assertThat(tags(run).get("skein.evaluation.error")).contains("no_such_column");
        assertThat(metrics(run)).isEmpty();
        JsonObject evaluation = evaluations(runId).getJsonObject(0);
        assertThat(evaluation.getString("status")).isEqualTo("FAILED");
        assertThat(evaluation.getString("status_message")).contains("no_such_column");

        // on demand: a file that is not there fails the same way; an incomplete spec is refused at once
        String other = client.createRun(experimentId).getRunId();
        JsonObject spec = new JsonObject()
                .put("data", "eval/missing.csv")
                .put("model_type", "classifier")
                .put("targets", "label")
                .put("predictions", "prediction");
        String id = start(other, spec);
        TestInfra.await("the evaluation ends", Duration.ofSeconds(60), () -> !List.of("PENDING", "RUNNING")
                .contains(ok(api().queryParam("evaluation_id", id).get("/api/2.0/skein/evaluations/get"))
                        .getJsonObject("evaluation")
                        .getString("status")));
        JsonObject failed = ok(api().queryParam("evaluation_id", id).get("/api/2.0/skein/evaluations/get"))
                .getJsonObject("evaluation");
        assertThat(failed.getString("status")).isEqualTo("FAILED");
        assertThat(failed.getString("status_message")).containsIgnoringCase("missing.csv");
        assertThat(tags(getRun(other))).containsEntry("skein.evaluation.status", "FAILED");

        Response refused = api().contentType(ContentType.JSON)
                .body(new JsonObject()
                        .put("run_id", other)
                        .put("spec", spec.copy().put("model_type", "clustering"))
                        .encode())
                .post("/api/2.0/skein/evaluations");
        assertThat(Http.error(refused)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        Response unknownRun = api().contentType(ContentType.JSON)
                .body(new JsonObject()
                        .put("run_id", "0123456789abcdef0123456789abcdef")
                        .put("spec", spec)
                        .encode())
                .post("/api/2.0/skein/evaluations");
        assertThat(Http.error(unknownRun)).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(Http.error(
                        api().queryParam("evaluation_id", UUID.randomUUID().toString())
                                .get("/api/2.0/skein/evaluations/get")))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(Http.error(
                        api().contentType(ContentType.JSON).body("{not json").post("/api/2.0/skein/evaluations")))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
    }

    /** A finished run with these metrics logged. */
    static String finishedRun(String experimentId, double accuracy, boolean finish) {
        String runId = client.createRun(experimentId).getRunId();
        client.logMetric(runId, "accuracy_score", accuracy);
        if (finish) {
            client.setTerminated(runId, RunStatus.FINISHED);
        }
        return runId;
    }

    static String newVersion(String model, String runId) {
        return ok(post(
                        "model-versions/create",
                        new JsonObject()
                                .put("name", model)
                                .put("source", "runs:/" + runId + "/model")
                                .put("run_id", runId)))
                .getJsonObject("model_version")
                .getString("version");
    }

    static Optional<JsonObject> audit(String model, String version) {
        JsonArray audits = ok(api().queryParam("name", model)
                        .queryParam("version", version)
                        .get("/api/2.0/skein/evaluations/audits/search"))
                .getJsonArray("audits", new JsonArray());
        return audits.isEmpty() ? Optional.empty() : Optional.of(audits.getJsonObject(0));
    }

    static JsonObject verdict(String model, String version) throws InterruptedException {
        TestInfra.await("version " + version + " audited", Duration.ofSeconds(90), () -> audit(model, version)
                .map(a -> !a.getString("status").equals("AUDIT_PENDING"))
                .orElse(false));
        return audit(model, version).orElseThrow();
    }

    static Map<String, String> versionTags(String model, String version) {
        JsonArray list = ok(api().queryParam("name", model)
                        .queryParam("version", version)
                        .get("/api/2.0/mlflow/model-versions/get"))
                .getJsonObject("model_version")
                .getJsonArray("tags", new JsonArray());
        Map<String, String> tags = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            tags.put(
                    list.getJsonObject(i).getString("key"),
                    list.getJsonObject(i).getString("value"));
        }
        return tags;
    }

    /** A new registered model with one validation rule. */
    static String modelWithRule(String prefix, JsonObject rule) {
        String model = prefix + UUID.randomUUID();
        ok(post("registered-models/create", new JsonObject().put("name", model)));
        ok(api().contentType(ContentType.JSON)
                .body(new JsonObject()
                        .put("name", model)
                        .put("rules", new JsonArray().add(rule))
                        .encode())
                .post("/api/2.0/skein/evaluations/rules"));
        return model;
    }

    @Test
    void shouldAuditNewVersionsAgainstTheChampionAndRecordTheVerdictInTheRegistry() throws Exception {
        String model = modelWithRule(
                "audited-",
                new JsonObject()
                        .put("metric", "accuracy_score")
                        .put("threshold", 0.6)
                        .put("min_absolute_change", 0.01)
                        .put("greater_is_better", true));
        String experimentId = client.createExperiment("audits-" + UUID.randomUUID());
        String champion = newVersion(model, finishedRun(experimentId, 0.7, true));
        ok(post(
                "registered-models/alias",
                new JsonObject().put("name", model).put("alias", "champion").put("version", champion)));
        verdict(model, champion);

        String better = newVersion(model, finishedRun(experimentId, 0.9, true));
        String marginal = newVersion(model, finishedRun(experimentId, 0.705, true));
        String stillRunning = finishedRun(experimentId, 0.99, false);
        String unfinished = newVersion(model, stillRunning);

        JsonObject passed = verdict(model, better);
        assertThat(passed.getString("status")).isEqualTo("PASSED");
        assertThat(passed.getString("baseline_version")).isEqualTo(champion);
        JsonObject rule = passed.getJsonArray("outcomes").getJsonObject(0);
        assertThat(rule.getString("metric")).isEqualTo("accuracy_score");
        assertThat(rule.getBoolean("passed")).isTrue();
        assertThat(rule.getDouble("candidate_value")).isEqualTo(0.9);
        assertThat(rule.getDouble("baseline_value")).isEqualTo(0.7);

        JsonObject failed = verdict(model, marginal);
        assertThat(failed.getString("status")).isEqualTo("AUDIT_FAILED");
        assertThat(failed.getJsonArray("outcomes").getJsonObject(0).getString("message"))
                .contains("accuracy_score");
        // registered while its run goes on (as log_model(registered_model_name=...) does): judged when it ends
        TestInfra.await("the audit waits for the run", Duration.ofSeconds(60), () -> audit(model, unfinished)
                .map(a -> a.getString("report", "").contains("waiting for source run"))
                .orElse(false));
        assertThat(audit(model, unfinished).orElseThrow().getString("status")).isEqualTo("AUDIT_PENDING");
        client.setTerminated(stillRunning, RunStatus.FINISHED);
        assertThat(verdict(model, unfinished).getString("status")).isEqualTo("PASSED");
        // a run that ended otherwise fails the audit
        String killed = finishedRun(experimentId, 0.95, false);
        client.setTerminated(killed, RunStatus.KILLED);
        String ofKilled = newVersion(model, killed);
        JsonObject notFinished = verdict(model, ofKilled);
        assertThat(notFinished.getString("status")).isEqualTo("AUDIT_FAILED");
        assertThat(notFinished.getString("report")).contains("KILLED, not FINISHED");

        // the registry records each verdict: version tags, set by evaluation-service, in the audit trail
        TestInfra.await(
                "verdicts tagged",
                Duration.ofSeconds(60),
                () -> "failed".equals(versionTags(model, ofKilled).get("skein.audit.status"))
                        && "passed".equals(versionTags(model, unfinished).get("skein.audit.status"))
                        && "passed".equals(versionTags(model, better).get("skein.audit.status"))
                        && "failed".equals(versionTags(model, marginal).get("skein.audit.status")));
        assertThat(versionTags(model, better).get("skein.audit.report")).isEqualTo(passed.getString("report"));
        JsonArray trail = ok(Http.admin().queryParam("model", model).get("/api/2.0/skein/audit/events"))
                .getJsonArray("events");
        long byEvaluation = 0;
        for (int i = 0; i < trail.size(); i++) {
            JsonObject change = trail.getJsonObject(i).getJsonObject("change");
            if ("evaluation-service".equals(change.getString("actor"))
                    && "MODEL_VERSION_TAG_SET".equals(change.getString("kind"))) {
                byEvaluation++;
            }
        }
        assertThat(byEvaluation).as("two tags per verdict, five versions").isEqualTo(10);

        List<TopicReader.Event> verdicts = TopicReader.read(
                TestInfra.kafkaBootstrap(), RESULTS, model::equals, 5, Duration.ofSeconds(30), Duration.ofSeconds(1));
        assertThat(verdicts).hasSize(5);
        assertThat(verdicts)
                .allSatisfy(e -> assertThat(e.header("ce_type")).isEqualTo("dev.skein.evaluation.audit.completed.v1"));
        assertThat(verdicts.stream()
                        .map(e -> new JsonObject(e.value()))
                        .filter(v -> v.getString("version").equals(better))
                        .findFirst()
                        .orElseThrow()
                        .getBoolean("passed"))
                .isTrue();
    }

    @Test
    void shouldAuditAVersionOfARunningRunOnTheMetricsItsOwnEvaluationLogs() throws Exception {
        String model = modelWithRule(
                "evaluated-then-audited-",
                new JsonObject()
                        .put("metric", "accuracy_score")
                        .put("threshold", 0.5)
                        .put("greater_is_better", true));
        String experimentId = client.createExperiment("evaluated-then-audited-" + UUID.randomUUID());
        String runId = client.createRun(experimentId).getRunId();
        upload(experimentId, runId, "eval/predictions.csv", table(11, 200).csv());
        specTags(runId, "eval/predictions.csv");
        // as log_model(registered_model_name=...) does: the version exists before the run ends
        String version = newVersion(model, runId);
        client.setTerminated(runId, RunStatus.FINISHED);
        JsonObject audit = verdict(model, version);
        double accuracy = metrics(evaluated(runId)).get("accuracy_score");
        assertThat(audit.getString("status")).as(audit.encode()).isEqualTo("PASSED");
        assertThat(audit.getJsonArray("outcomes").getJsonObject(0).getDouble("candidate_value"))
                .as("judged on the metric the run's evaluation logged")
                .isEqualTo(accuracy);
    }
}
