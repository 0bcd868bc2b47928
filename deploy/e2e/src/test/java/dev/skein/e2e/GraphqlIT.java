package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.newRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * MLflow 2.17's GraphQL endpoint, {@code /graphql}, as its web UI and its server tests query it:
 * MLflow's schema and field names, {@code {"data", "errors"}} with errors as messages (null when
 * none), answered through the same services as the REST API.
 */
@ExtendWith(Suite.class)
class GraphqlIT {

    private static Response graphql(String query, String operationName) {
        JsonObject body = new JsonObject().put("query", query).put("operationName", operationName);
        return api().contentType("application/json; charset=utf-8")
                .body(body.encode())
                .post("/graphql");
    }

    private static JsonObject data(Response response) {
        JsonObject json = ok(response);
        assertThat(json.containsKey("errors")).as("errors is always present").isTrue();
        assertThat(json.getValue("errors")).as(json.encode()).isNull();
        return json.getJsonObject("data");
    }

    @Test
    void echoesTheTestFieldAndMutation() {
        JsonObject data = data(graphql("query testQuery {test(inputString: \"abc\") { output }}", "testQuery"));
        assertThat(data.getJsonObject("test").getString("output")).isEqualTo("abc");
        JsonObject mutated = data(graphql("mutation m {testMutation(inputString: \"xyz\") { output }}", "m"));
        assertThat(mutated.getJsonObject("testMutation").getString("output")).isEqualTo("xyz");
    }

    @Test
    void getsAnExperimentByIdWithItsTagsAndTimesAsStrings() {
        String name = "graphql-" + UUID.randomUUID();
        String id = ok(post("experiments/create", new JsonObject().put("name", name)))
                .getString("experiment_id");
        ok(post(
                "experiments/set-experiment-tag",
                new JsonObject().put("experiment_id", id).put("key", "team").put("value", "vision")));
        JsonObject experiment = data(graphql(
                        "query q {mlflowGetExperiment(input: {experimentId: \"" + id + "\"}) {"
                                + " experiment { experimentId name lifecycleStage creationTime tags { key value } }"
                                + " apiError { code } }}",
                        "q"))
                .getJsonObject("mlflowGetExperiment");
        assertThat(experiment.getValue("apiError")).isNull();
        JsonObject e = experiment.getJsonObject("experiment");
        assertThat(e.getString("experimentId")).isEqualTo(id);
        assertThat(e.getString("name")).isEqualTo(name);
        assertThat(e.getString("lifecycleStage")).isEqualTo("active");
        assertThat(e.getValue("creationTime")).isInstanceOf(String.class);
        assertThat(Long.parseLong(e.getString("creationTime"))).isPositive();
        assertThat(e.getJsonArray("tags").getJsonObject(0).encode())
                .isEqualTo("{\"key\":\"team\",\"value\":\"vision\"}");
    }

    @Test
    void getsARunWithItsExperimentAndModelVersionsUnderTheComponentDirective() {
        String name = "graphql-model-" + UUID.randomUUID();
        ok(post("registered-models/create", new JsonObject().put("name", name)));
        String experimentName = "graphql-" + UUID.randomUUID();
        String experiment = ok(post("experiments/create", new JsonObject().put("name", experimentName)))
                .getString("experiment_id");
        String run = newRun(experiment);
        ok(post(
                "model-versions/create",
                new JsonObject()
                        .put("name", name)
                        .put("source", "runs:/" + run + "/model")
                        .put("run_id", run)));
        JsonObject got = data(graphql(
                        """
                        query testQuery @component(name: "Test") {
                          mlflowGetRun(input: {runId: "%s"}) {
                            run { info { status runId } experiment { name } modelVersions { name version } }
                          }
                        }"""
                                .formatted(run),
                        "testQuery"))
                .getJsonObject("mlflowGetRun")
                .getJsonObject("run");
        assertThat(got.getJsonObject("info").getString("status")).isEqualTo("RUNNING");
        assertThat(got.getJsonObject("info").getString("runId")).isEqualTo(run);
        assertThat(got.getJsonObject("experiment").getString("name")).isEqualTo(experimentName);
        assertThat(got.getJsonArray("modelVersions").getJsonObject(0).encode())
                .isEqualTo(
                        new JsonObject().put("name", name).put("version", "1").encode());
    }

    @Test
    void aMissingRunIsANullFieldAndMlflowsMessageInErrors() {
        JsonObject json = ok(graphql(
                "query q {mlflowGetRun(input: {runId: \"0123456789abcdef0123456789abcdef\"}) { run { info { runId } } }}",
                "q"));
        assertThat(json.getJsonObject("data").getValue("mlflowGetRun")).isNull();
        assertThat(json.getJsonArray("errors").getString(0))
                .contains("Run with id=0123456789abcdef0123456789abcdef not found");
    }

    /**
     * MLflow 2.17's /graphql (graphene on graphql-core) cannot write NaN or ±Infinity as a Float: the
     * value is null and graphql-core's message is in errors, the rest of the run intact. Its REST API
     * writes them as "NaN", "Infinity" (protobuf's JSON), and so does ours.
     */
    @Test
    void nonFiniteMetricValuesAreNullWithGraphqlCoresMessageAsInMlflow() {
        String run = newRun(newExperiment());
        ok(post(
                "runs/log-batch",
                "{\"run_id\": \"" + run + "\", \"metrics\": ["
                        + "{\"key\": \"finite\", \"value\": 1.5, \"timestamp\": 1, \"step\": 0},"
                        + "{\"key\": \"nan\", \"value\": \"NaN\", \"timestamp\": 1, \"step\": 0},"
                        + "{\"key\": \"inf\", \"value\": \"Infinity\", \"timestamp\": 1, \"step\": 0}]}"));
        JsonObject json = ok(graphql(
                "query q {mlflowGetRun(input: {runId: \"" + run
                        + "\"}) { run { info { runId } data { metrics { key value } } } }}",
                "q"));
        JsonObject got =
                json.getJsonObject("data").getJsonObject("mlflowGetRun").getJsonObject("run");
        assertThat(got.getJsonObject("info").getString("runId")).isEqualTo(run);
        JsonArray metrics = got.getJsonObject("data").getJsonArray("metrics");
        java.util.Map<String, Object> byKey = new java.util.HashMap<>();
        for (int i = 0; i < metrics.size(); i++) {
            byKey.put(
                    metrics.getJsonObject(i).getString("key"),
                    metrics.getJsonObject(i).getValue("value"));
        }
        assertThat(byKey)
                .hasSize(3)
                .containsEntry("finite", 1.5)
                .containsEntry("nan", null)
                .containsEntry("inf", null);
        assertThat(json.getJsonArray("errors").getList())
                .containsExactlyInAnyOrder(
                        "Float cannot represent non numeric value: nan",
                        "Float cannot represent non numeric value: inf");
        JsonArray rest = Http.getRun(run).getJsonObject("data").getJsonArray("metrics");
        java.util.Map<String, Object> restByKey = new java.util.HashMap<>();
        for (int i = 0; i < rest.size(); i++) {
            restByKey.put(
                    rest.getJsonObject(i).getString("key"),
                    rest.getJsonObject(i).getValue("value"));
        }
        assertThat(restByKey).containsEntry("nan", "NaN").containsEntry("inf", "Infinity");
    }

    @Test
    void searchesRunsNewestFirstAsAMutation() {
        String experiment = newExperiment();
        String first = newRun(experiment);
        String second = newRun(experiment);
        JsonArray runs = data(graphql(
                        "mutation testMutation { mlflowSearchRuns(input: { experimentIds: [\"" + experiment
                                + "\"] }) { runs { info { runId } } } }",
                        "testMutation"))
                .getJsonObject("mlflowSearchRuns")
                .getJsonArray("runs");
        assertThat(runs.encode())
                .isEqualTo(new JsonArray()
                        .add(new JsonObject().put("info", new JsonObject().put("runId", second)))
                        .add(new JsonObject().put("info", new JsonObject().put("runId", first)))
                        .encode());
    }

    @Test
    void samplesAMetricHistoryInBulk() {
        String run = newRun(newExperiment());
        for (int i = 0; i < 10; i++) {
            ok(post(
                    "runs/log-metric",
                    new JsonObject()
                            .put("run_id", run)
                            .put("key", "metric_0")
                            .put("value", i)
                            .put("timestamp", 1_700_000_000_000L + i)
                            .put("step", i)));
        }
        JsonArray metrics = data(graphql(
                        """
                        query testQuery {
                          mlflowGetMetricHistoryBulkInterval(input: {runIds: ["%s"], metricKey: "metric_0"}) {
                            metrics { key timestamp value step runId }
                          }
                        }"""
                                .formatted(run),
                        "testQuery"))
                .getJsonObject("mlflowGetMetricHistoryBulkInterval")
                .getJsonArray("metrics");
        assertThat(metrics).hasSize(10);
        for (int i = 0; i < 10; i++) {
            JsonObject m = metrics.getJsonObject(i);
            assertThat(m.getString("key")).isEqualTo("metric_0");
            assertThat(m.getDouble("value")).isEqualTo((double) i);
            assertThat(m.getString("step")).isEqualTo(Integer.toString(i));
            assertThat(m.getString("timestamp")).isEqualTo(Long.toString(1_700_000_000_000L + i));
            assertThat(m.getString("runId")).isEqualTo(run);
        }
    }

    @Test
    void listsArtifactsWithFragmentsAndAliases() {
        String experiment = newExperiment();
        String run = newRun(experiment);
        byte[] hello = "hello world".getBytes(StandardCharsets.UTF_8);
        String root = "/api/2.0/mlflow-artifacts/artifacts/" + experiment + "/" + run + "/artifacts";
        assertThat(api().body(hello).put(root + "/test.txt").statusCode()).isEqualTo(200);
        assertThat(api().body(hello).put(root + "/testDir/test.txt").statusCode())
                .isEqualTo(200);
        JsonObject data = data(graphql(
                """
                fragment FilesFragment on MlflowListArtifactsResponse { files { path isDir fileSize } }
                query testQuery {
                  file: mlflowListArtifacts(input: { runId: "%1$s" }) { ...FilesFragment }
                  subdir: mlflowListArtifacts(input: { runId: "%1$s", path: "testDir" }) { ...FilesFragment }
                }"""
                        .formatted(run),
                "testQuery"));
        assertThat(data.getJsonObject("file").getJsonArray("files").encode())
                .isEqualTo(new JsonArray()
                        .add(new JsonObject()
                                .put("path", "test.txt")
                                .put("isDir", false)
                                .put("fileSize", "11"))
                        .add(new JsonObject()
                                .put("path", "testDir")
                                .put("isDir", true)
                                .put("fileSize", "0"))
                        .encode());
        assertThat(data.getJsonObject("subdir").getJsonArray("files").encode())
                .isEqualTo(new JsonArray()
                        .add(new JsonObject()
                                .put("path", "testDir/test.txt")
                                .put("isDir", false)
                                .put("fileSize", "11"))
                        .encode());
    }

    @Test
    void searchesDatasetsOfAnExperiment() {
        String experiment = newExperiment();
        String run = newRun(experiment);
        ok(post(
                "runs/log-inputs",
                """
                {"run_id": "%s", "datasets": [
                  {"tags": [], "dataset": {"name": "test-dataset-1", "digest": "12345", "source_type": "script", "source": "test"}},
                  {"tags": [{"key": "mlflow.data.context", "value": "training"}],
                   "dataset": {"name": "test-dataset-2", "digest": "12346", "source_type": "script", "source": "test"}}]}
                """
                        .formatted(run)));
        JsonArray summaries = data(graphql(
                        "mutation testMutation { mlflowSearchDatasets(input: {experimentIds: [\"" + experiment
                                + "\"]}) { datasetSummaries { experimentId name digest context } } }",
                        "testMutation"))
                .getJsonObject("mlflowSearchDatasets")
                .getJsonArray("datasetSummaries");
        List<JsonObject> sorted = new ArrayList<>();
        summaries.forEach(s -> sorted.add((JsonObject) s));
        sorted.sort(Comparator.comparing(s -> s.getString("digest")));
        assertThat(new JsonArray(new ArrayList<>(sorted)).encode())
                .isEqualTo(new JsonArray()
                        .add(new JsonObject()
                                .put("experimentId", experiment)
                                .put("name", "test-dataset-1")
                                .put("digest", "12345")
                                .put("context", ""))
                        .add(new JsonObject()
                                .put("experimentId", experiment)
                                .put("name", "test-dataset-2")
                                .put("digest", "12346")
                                .put("context", "training"))
                        .encode());
    }

    @Test
    void badRequestsGetMlflowErrorsNotServerErrors() {
        Response noQuery = api().contentType(ContentType.JSON).body("{}").post("/graphql");
        assertThat(noQuery.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(noQuery.asString()).getString("error_code")).isEqualTo("INVALID_PARAMETER_VALUE");
        Response notJson = api().contentType(ContentType.JSON).body("[1,2").post("/graphql");
        assertThat(notJson.statusCode()).isEqualTo(400);
        Response wrongType = api().contentType(ContentType.TEXT)
                .body("{\"query\":\"{test{output}}\"}")
                .post("/graphql");
        assertThat(wrongType.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(wrongType.asString()).getString("message"))
                .contains("Content-Type must be one of ['application/json']");
        // a query the schema refuses is answered as MLflow does: 200, no data, the reason in errors
        JsonObject unknownField = ok(graphql("query q { noSuchField }", "q"));
        assertThat(unknownField.getValue("data")).isNull();
        assertThat(unknownField.getJsonArray("errors").getString(0)).contains("noSuchField");
        // a body past the limit is refused before it is read whole
        String huge = "{\"query\": \"" + "a".repeat(300 * 1024) + "\"}";
        Response tooLarge = api().contentType(ContentType.JSON).body(huge).post("/graphql");
        assertThat(tooLarge.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(tooLarge.asString()).getString("message")).contains("at most");
        // GET with query parameters works too
        JsonObject viaGet = ok(
                api().queryParam("query", "{test(inputString: \"q\") {output}}").get("/graphql"));
        assertThat(viaGet.getJsonObject("data").getJsonObject("test").getString("output"))
                .isEqualTo("q");
    }

    @Test
    void aQueryNeedingMoreServiceCallsThanAllowedIsCutWithAnError() {
        // 201 aliased root fields: each a call; the gateway allows 200 per request by default
        StringBuilder query = new StringBuilder("query q {");
        for (int i = 0; i <= 200; i++) {
            query.append(" e")
                    .append(i)
                    .append(": mlflowGetExperiment(input: {experimentId: \"0\"}) { experiment { name } }");
        }
        query.append(" }");
        JsonObject json = ok(graphql(query.toString(), "q"));
        JsonArray errors = json.getJsonArray("errors");
        assertThat(errors).isNotNull();
        assertThat(errors.getString(0)).contains("more than 200 calls");
        assertThat(json.getJsonObject("data")
                        .getJsonObject("e0")
                        .getJsonObject("experiment")
                        .getString("name"))
                .isEqualTo("Default");
    }
}
