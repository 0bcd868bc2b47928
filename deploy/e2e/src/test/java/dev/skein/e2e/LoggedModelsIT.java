package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.error;
import static dev.skein.e2e.Http.getRun;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.newRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static dev.skein.e2e.Http.send;
import static dev.skein.e2e.Http.versionOfLoggedModel;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * MLflow 3's logged models against the running suite, in MLflow 3's wire format, through the
 * gateway: the calls a 3.x {@code log_model} with autologging makes (create the model for the run,
 * log metrics against it and a dataset, record it as the run's output, upload its files, finalize
 * it, register it from {@code models:/m-…}), then reading it back, searching, tagging and deleting it.
 */
@ExtendWith(Suite.class)
class LoggedModelsIT {

    private static JsonObject createModel(JsonObject body) {
        return ok(post("logged-models", body)).getJsonObject("model");
    }

    private static Response getModel(String modelId) {
        return api().get("/api/2.0/mlflow/logged-models/" + modelId);
    }

    private static Map<String, String> pairs(JsonArray entries) {
        return entries == null
                ? Map.of()
                : entries.stream()
                        .map(JsonObject.class::cast)
                        .collect(Collectors.toMap(t -> t.getString("key"), t -> t.getString("value")));
    }

    private static JsonObject metric(String key, double value, long step, String modelId) {
        return new JsonObject()
                .put("key", key)
                .put("value", value)
                .put("timestamp", 1_700_000_000_000L + step)
                .put("step", step)
                .put("model_id", modelId)
                .put("dataset_name", "iris-eval")
                .put("dataset_digest", "abc123");
    }

    @Test
    void shouldServeAnAutologShapedLogModelSequence() {
        String exp = newExperiment();
        String run = newRun(exp);

        // 1. log_model creates the model for the active run, PENDING
        JsonObject model = createModel(new JsonObject()
                .put("experiment_id", exp)
                .put("name", "sk-model")
                .put("source_run_id", run)
                .put("model_type", "sklearn")
                .put(
                        "params",
                        new JsonArray().add(new JsonObject().put("key", "C").put("value", "1.0")))
                .put(
                        "tags",
                        new JsonArray()
                                .add(new JsonObject().put("key", "mlflow.user").put("value", "me"))));
        JsonObject info = model.getJsonObject("info");
        String id = info.getString("model_id");
        assertThat(id).matches("m-[0-9a-f]{32}");
        assertThat(info.getString("status")).isEqualTo("LOGGED_MODEL_PENDING");
        assertThat(info.getString("experiment_id")).isEqualTo(exp);
        assertThat(info.getString("source_run_id")).isEqualTo(run);
        assertThat(info.getString("artifact_uri"))
                .isEqualTo("mlflow-artifacts:/" + exp + "/models/" + id + "/artifacts");
        assertThat(info.getString("creation_timestamp_ms")).matches("\\d+"); // int64 as a JSON string, as MLflow's

        // 2. autolog's metrics, logged with the model's id and the evaluation dataset
        ok(post(
                "runs/log-batch",
                new JsonObject()
                        .put("run_id", run)
                        .put(
                                "metrics",
                                new JsonArray()
                                        .add(metric("accuracy", 0.93, 0, id))
                                        .add(metric("f1", 0.91, 0, id)))));

        // 3. the run records the model as its output
        ok(post(
                "runs/outputs",
                new JsonObject()
                        .put("run_id", run)
                        .put(
                                "models",
                                new JsonArray()
                                        .add(new JsonObject()
                                                .put("model_id", id)
                                                .put("step", 0)))));

        // 4. the model's files, uploaded through the artifact proxy under its location
        byte[] mlmodel = ("artifact_path: model\nmodel_id: " + id + "\nflavors: {}\n").getBytes(StandardCharsets.UTF_8);
        String files = "/api/2.0/mlflow-artifacts/artifacts/" + exp + "/models/" + id + "/artifacts/";
        api().contentType("application/octet-stream")
                .body(mlmodel)
                .put(files + "MLmodel")
                .then()
                .statusCode(200);

        // 5. the upload done, the model is finalized READY
        JsonObject ready = ok(send(
                        "PATCH",
                        "logged-models/" + id,
                        new JsonObject().put("model_id", id).put("status", "LOGGED_MODEL_READY")))
                .getJsonObject("model");
        assertThat(ready.getJsonObject("info").getString("status")).isEqualTo("LOGGED_MODEL_READY");

        // the model shows its params and the metrics logged against it
        JsonObject read = ok(getModel(id)).getJsonObject("model");
        assertThat(pairs(read.getJsonObject("data").getJsonArray("params"))).containsExactly(Map.entry("C", "1.0"));
        assertThat(pairs(read.getJsonObject("info").getJsonArray("tags"))).containsEntry("mlflow.user", "me");
        JsonArray metrics = read.getJsonObject("data").getJsonArray("metrics");
        assertThat(metrics).hasSize(2);
        JsonObject accuracy = metrics.getJsonObject(0);
        assertThat(accuracy.getString("key")).isEqualTo("accuracy");
        assertThat(accuracy.getDouble("value")).isEqualTo(0.93);
        assertThat(accuracy.getString("run_id")).isEqualTo(run);
        assertThat(accuracy.getString("model_id")).isEqualTo(id);
        assertThat(accuracy.getString("dataset_name")).isEqualTo("iris-eval");
        assertThat(accuracy.getString("dataset_digest")).isEqualTo("abc123");

        // search finds it by a metric on its dataset, as the UI's model list asks
        JsonObject found = ok(post(
                "logged-models/search",
                new JsonObject()
                        .put("experiment_ids", new JsonArray().add(exp))
                        .put("filter", "metrics.accuracy > 0.9 AND name = 'sk-model'")
                        .put("datasets", new JsonArray().add(new JsonObject().put("dataset_name", "iris-eval")))
                        .put(
                                "order_by",
                                new JsonArray()
                                        .add(new JsonObject()
                                                .put("field_name", "metrics.accuracy")
                                                .put("ascending", false)
                                                .put("dataset_name", "iris-eval")))));
        assertThat(found.getJsonArray("models")).hasSize(1);
        assertThat(found.getJsonArray("models")
                        .getJsonObject(0)
                        .getJsonObject("info")
                        .getString("model_id"))
                .isEqualTo(id);
        assertThat(found.containsKey("next_page_token")).isFalse();

        // the run shows the model as its output, and keeps the metrics as its own
        JsonObject runJson = getRun(run);
        JsonArray outputs = runJson.getJsonObject("outputs").getJsonArray("model_outputs");
        assertThat(outputs).hasSize(1);
        assertThat(outputs.getJsonObject(0).getString("model_id")).isEqualTo(id);
        assertThat(runJson.getJsonObject("data").getJsonArray("metrics")).hasSize(2);

        // 6. registered from models:/<model_id>, as log_model(registered_model_name=…) does: the
        // version's run and files are the logged model's, and the model lists the version
        String name = "autolog-" + id;
        ok(post("registered-models/create", new JsonObject().put("name", name)));
        JsonObject version = ok(post("model-versions/create", versionOfLoggedModel(name, id)))
                .getJsonObject("model_version");
        assertThat(version.getString("run_id")).isEqualTo(run);
        assertThat(version.getString("model_id")).isEqualTo(id);
        assertThat(api().queryParam("name", name)
                        .queryParam("version", version.getString("version"))
                        .queryParam("path", "MLmodel")
                        .get("/model-versions/get-artifact")
                        .then()
                        .statusCode(200)
                        .extract()
                        .asByteArray())
                .isEqualTo(mlmodel);
        assertThat(pairs(ok(getModel(id))
                        .getJsonObject("model")
                        .getJsonObject("info")
                        .getJsonArray("tags")))
                .containsEntry("mlflow.modelVersions", "[{\"name\": \"" + name + "\", \"version\": 1}]");
    }

    @Test
    void shouldTagLogParamsPageAndDeleteAsMLflowDoes() {
        String exp = newExperiment();
        String a = createModel(new JsonObject().put("experiment_id", exp).put("name", "a"))
                .getJsonObject("info")
                .getString("model_id");
        String b = createModel(new JsonObject().put("experiment_id", exp))
                .getJsonObject("info")
                .getString("model_id");
        assertThat(ok(getModel(b)).getJsonObject("model").getJsonObject("info").getString("name"))
                .isNotBlank();

        ok(send(
                "PATCH",
                "logged-models/" + a + "/tags",
                new JsonObject()
                        .put(
                                "tags",
                                new JsonArray()
                                        .add(new JsonObject()
                                                .put("key", "stage")
                                                .put("value", "dev")))));
        ok(post(
                "logged-models/" + a + "/params",
                new JsonObject()
                        .put("model_id", a)
                        .put(
                                "params",
                                new JsonArray()
                                        .add(new JsonObject().put("key", "lr").put("value", "0.1")))));
        JsonObject m = ok(getModel(a)).getJsonObject("model");
        assertThat(pairs(m.getJsonObject("info").getJsonArray("tags"))).containsExactly(Map.entry("stage", "dev"));
        assertThat(pairs(m.getJsonObject("data").getJsonArray("params"))).containsExactly(Map.entry("lr", "0.1"));

        ok(api().delete("/api/2.0/mlflow/logged-models/" + a + "/tags/stage"));
        assertThat(ok(getModel(a)).getJsonObject("model").getJsonObject("info").getJsonArray("tags"))
                .isNullOrEmpty();
        assertThat(error(api().delete("/api/2.0/mlflow/logged-models/" + a + "/tags/stage")))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");

        // one per page: a token, then the last page without one
        JsonObject search =
                new JsonObject().put("experiment_ids", new JsonArray().add(exp)).put("max_results", 1);
        JsonObject first = ok(post("logged-models/search", search));
        assertThat(first.getJsonArray("models")).hasSize(1);
        JsonObject second =
                ok(post("logged-models/search", search.copy().put("page_token", first.getString("next_page_token"))));
        assertThat(second.getJsonArray("models")).hasSize(1);
        assertThat(second.containsKey("next_page_token")).isFalse();
        assertThat(error(post(
                        "logged-models/search",
                        search.copy()
                                .put("filter", "name = 'a'")
                                .put("page_token", first.getString("next_page_token")))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");

        ok(api().delete("/api/2.0/mlflow/logged-models/" + a));
        Response gone = getModel(a);
        assertThat(error(gone)).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(new JsonObject(gone.asString()).getString("message"))
                .isEqualTo("Logged model with ID '" + a + "' not found.");
        assertThat(ok(api().queryParam("allow_deleted", "true").get("/api/2.0/mlflow/logged-models/" + a))
                        .getJsonObject("model")
                        .getJsonObject("info")
                        .getString("model_id"))
                .isEqualTo(a);
        assertThat(ok(post("logged-models/search", new JsonObject().put("experiment_ids", new JsonArray().add(exp))))
                        .getJsonArray("models"))
                .hasSize(1);
    }

    @Test
    void shouldRefuseBadInputWithMLflowErrors() {
        assertThat(error(post("logged-models", new JsonObject()))).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(error(post("logged-models", new JsonObject().put("experiment_id", "99999999"))))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(error(getModel("m-0123456789abcdef0123456789abcdef"))).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        String exp = newExperiment();
        String id = createModel(new JsonObject().put("experiment_id", exp))
                .getJsonObject("info")
                .getString("model_id");
        assertThat(error(send("PATCH", "logged-models/" + id, new JsonObject().put("model_id", id))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(error(post(
                        "logged-models/search",
                        new JsonObject()
                                .put("experiment_ids", new JsonArray().add(exp))
                                .put("order_by", new JsonArray().add(new JsonObject().put("field_name", "tags.x"))))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        String run = newRun(exp);
        assertThat(error(post(
                        "runs/log-batch",
                        new JsonObject()
                                .put("run_id", run)
                                .put("metrics", new JsonArray().add(metric("acc", 1, 0, "m-unknown"))))))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(error(post("runs/outputs", new JsonObject().put("run_id", run))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
    }
}
