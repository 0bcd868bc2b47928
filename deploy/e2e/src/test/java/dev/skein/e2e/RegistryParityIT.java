package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.error;
import static dev.skein.e2e.Http.getRun;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.newRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static dev.skein.e2e.Http.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The model registry against MLflow 2.17.2's own server tests ({@code tests/tracking/test_model_registry.py}
 * and the model-version-create cases of {@code test_rest_tracking.py}), in raw HTTP through the gateway.
 */
@ExtendWith(Suite.class)
class RegistryParityIT {

    private static final String LOCAL = "To use a local path as a model version";
    private static final String RELATIVE = "If supplying a source as an http, https,";

    private static String newModel() {
        String name = "parity-" + UUID.randomUUID();
        ok(post("registered-models/create", new JsonObject().put("name", name)));
        return name;
    }

    private static Response create(String name, String source, String runId) {
        JsonObject body = new JsonObject().put("name", name).put("source", source);
        if (runId != null) {
            body.put("run_id", runId);
        }
        return post("model-versions/create", body);
    }

    private static JsonObject created(String name, String source, String runId) {
        return ok(create(name, source, runId)).getJsonObject("model_version");
    }

    private static String message(Response r) {
        return new JsonObject(r.asString()).getString("message");
    }

    private static Response get(String path, String name, String version) {
        return api().queryParam("name", name).queryParam("version", version).get("/api/2.0/mlflow/" + path);
    }

    private static JsonObject version(String name, String version) {
        return ok(get("model-versions/get", name, version)).getJsonObject("model_version");
    }

    private static JsonObject model(String name) {
        return ok(api().queryParam("name", name).get("/api/2.0/mlflow/registered-models/get"))
                .getJsonObject("registered_model");
    }

    private static JsonObject transition(String name, String version, String stage) {
        return ok(post(
                        "model-versions/transition-stage",
                        new JsonObject()
                                .put("name", name)
                                .put("version", version)
                                .put("stage", stage)
                                .put("archive_existing_versions", false)))
                .getJsonObject("model_version");
    }

    /** Waits until the clock has passed {@code millis}, so the next change gets a later time. */
    private static void afterMillisecond(long millis) {
        while (System.currentTimeMillis() <= millis) {
            Thread.onSpinWait();
        }
    }

    /** Every version a search finds, all pages followed, as "name/version". */
    private static List<String> searchAll(String filter, List<String> orderBy, int maxResults) {
        List<String> found = new ArrayList<>();
        String token = null;
        do {
            var request = api().queryParam("filter", filter).queryParam("max_results", maxResults);
            for (String o : orderBy) {
                request = request.queryParam("order_by", o);
            }
            if (token != null) {
                request = request.queryParam("page_token", token);
            }
            JsonObject page = ok(request.get("/api/2.0/mlflow/model-versions/search"));
            JsonArray versions = page.getJsonArray("model_versions", new JsonArray());
            for (int i = 0; i < versions.size(); i++) {
                JsonObject v = versions.getJsonObject(i);
                found.add(v.getString("name") + "/" + v.getString("version"));
            }
            token = page.getString("next_page_token");
        } while (token != null && !token.isEmpty());
        return found;
    }

    // --- test_rest_tracking.py: test_create_model_version_with_path_source / _with_file_uri -------

    @Test
    void shouldRefuseLocalSourcesOutsideTheRunsLocalArtifactDirectory() {
        String name = newModel();
        String run = newRun(newExperiment());
        String artifacts = getRun(run).getJsonObject("info").getString("artifact_uri");
        // Skein's artifacts are never on the server's disk: a local path is outside any run's artifacts
        String localPath = "/" + artifacts.substring(artifacts.indexOf(':') + 1).replaceFirst("^/+", "");
        for (String local : List.of(localPath, "/tmp", "file:///tmp", "relative/model")) {
            Response withRun = create(name, local, run);
            assertThat(error(withRun)).as(local).isEqualTo("400 INVALID_PARAMETER_VALUE");
            assertThat(message(withRun)).contains(LOCAL);
            Response withoutRun = create(name, local, null);
            assertThat(error(withoutRun)).as(local).isEqualTo("400 INVALID_PARAMETER_VALUE");
            assertThat(message(withoutRun)).contains(LOCAL);
        }
        // the run of a local source is looked up, as MLflow's get_run does
        Response missingRun = create(name, "/tmp", "0123456789abcdef0123456789abcdef");
        assertThat(error(missingRun)).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(message(missingRun)).contains("Run with id=0123456789abcdef0123456789abcdef not found");
        // MLflow answers this one with a 500; Skein with a 400 and MLflow's words
        Response remoteFile = create(name, "file://123.456.789.123/path/to/source", run);
        assertThat(error(remoteFile)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(message(remoteFile)).contains("is not a valid remote uri");
        // the run's own artifact URI is a remote source here, and fine
        assertThat(created(name, artifacts, run).getString("version")).isEqualTo("1");
        assertThat(created(name, artifacts + "/model", run).getString("version"))
                .isEqualTo("2");
    }

    // --- test_rest_tracking.py: test_create_model_version_with_non_local_source -------------------

    @Test
    void shouldAcceptAbsoluteRemoteSourcesAndRefuseRelativeOnesHoweverEncoded() {
        String name = newModel();
        String run = newRun(newExperiment());
        for (String good : List.of(
                "mlflow-artifacts:/models",
                "mlflow-artifacts:/models/",
                "mlflow-artifacts:/models///",
                "mlflow-artifacts:/models/foo///bar",
                "mlflow-artifacts://host:9000/models",
                "mlflow-artifacts://host:9000/models/artifact/..../")) {
            assertThat(created(name, good, run).getString("source")).isEqualTo(good);
        }
        for (String bad : List.of(
                "mlflow-artifacts://host:9000/models/../../../",
                "http://host:9000/models/../../../",
                "https://host/api/2.0/mlflow-artifacts/artifacts/../../../",
                "s3a://my_bucket/api/2.0/mlflow-artifacts/artifacts/../../../",
                "ftp://host:8888/api/2.0/mlflow-artifacts/artifacts/../../../",
                "mlflow-artifacts://host:9000/models/..%2f..%2fartifacts",
                "mlflow-artifacts://host:9000/models/artifact%00",
                "mlflow-artifacts://host:9000/models/%252e%252e%252f%252e%252e%252fartifacts",
                "runs:/" + run + "/..%2F..%2Fother",
                "s3://bucket/models/./m")) {
            Response r = create(name, bad, run);
            assertThat(error(r)).as(bad).isEqualTo("400 INVALID_PARAMETER_VALUE");
            assertThat(message(r)).as(bad).contains(RELATIVE);
        }
        Response dbfs = create(name, "dbfs:/" + run + "/artifacts/a%3f/../../../../../../../../../../", run);
        assertThat(error(dbfs)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(message(dbfs)).contains("Invalid model version source");
        assertThat(ok(api().queryParam("filter", "name = '" + name + "'").get("/api/2.0/mlflow/model-versions/search"))
                        .getJsonArray("model_versions"))
                .hasSize(6);
    }

    // --- runs that do not exist: MLflow records the link; runs:/ download URIs ----------------------

    @Test
    void shouldRecordRunsThatDoNotExistAndKeepRunsSourcesAsGiven() {
        String name = newModel();
        JsonObject v1 = created(name, "runs:/run_id/model", "run_id_1");
        assertThat(v1.getString("run_id")).isEqualTo("run_id_1");
        assertThat(v1.getString("source")).isEqualTo("runs:/run_id/model");
        assertThat(ok(get("model-versions/get-download-uri", name, "1")).getString("artifact_uri"))
                .isEqualTo("runs:/run_id/model");
        JsonObject v2 = created(name, "s3://bucket/" + name, "no-such-run");
        assertThat(v2.getString("run_id")).isEqualTo("no-such-run");

        String run = newRun(newExperiment());
        created(name, "runs:/" + run + "/model", run);
        assertThat(ok(get("model-versions/get-download-uri", name, "3")).getString("artifact_uri"))
                .isEqualTo("runs:/" + run + "/model");
        // test_copy_model_version_flow: a models:/ source points where the version it names points
        String copy = newModel();
        created(copy, "models:/" + name + "/3", null);
        assertThat(ok(get("model-versions/get-download-uri", copy, "1")).getString("artifact_uri"))
                .isEqualTo("runs:/" + run + "/model");
        Response missing = create(copy, "models:/" + name + "/9", null);
        assertThat(error(missing)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(message(missing))
                .contains("Unable to fetch model from model URI source artifact location 'models:/" + name + "/9'");
    }

    // --- test_model_registry.py: 404s exactly where MLflow answers them -----------------------------

    @Test
    void shouldAnswerResourceDoesNotExistForMissingModelsAndVersions() {
        String name = newModel();
        created(name, "runs:/run_id/model", "run_id_1");
        created(name, "runs:/run_id/another_model", "run_id_1");
        created(name, "runs:/run_id_2/a/b/c", "run_id_2");
        ok(send(
                "DELETE",
                "model-versions/delete",
                new JsonObject().put("name", name).put("version", "1")));
        String notFound = "Model Version (name=" + name + ", version=1) not found";
        List<Response> answers = List.of(
                send(
                        "DELETE",
                        "model-versions/delete",
                        new JsonObject().put("name", name).put("version", "1")),
                send(
                        "PATCH",
                        "model-versions/update",
                        new JsonObject().put("name", name).put("version", "1").put("description", "Test model")),
                post(
                        "model-versions/transition-stage",
                        new JsonObject()
                                .put("name", name)
                                .put("version", "1")
                                .put("stage", "Staging")
                                .put("archive_existing_versions", false)),
                get("model-versions/get", name, "1"),
                get("model-versions/get-download-uri", name, "1"));
        for (Response r : answers) {
            assertThat(error(r)).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
            assertThat(message(r)).contains(notFound);
        }
        Response noModel = create("no-such-model-" + UUID.randomUUID(), "runs:/run_id/model", "run_id");
        assertThat(error(noModel)).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(message(noModel)).contains("Registered Model with name=no-such-model-");
        ok(send(
                "DELETE",
                "model-versions/delete",
                new JsonObject().put("name", name).put("version", "3")));
        assertThat(searchAll("name = '" + name + "'", List.of(), 10)).containsExactly(name + "/2");
        assertThat(created(name, "runs:/run_id_2/a/b/c", "run_id_2").getString("version"))
                .isEqualTo("4");
    }

    // --- test_update_model_version_flow / test_delete_model_version_flow: the model's update time ---

    @Test
    void shouldUpdateTheModelOnStageTransitionsAndVersionDeletesNotOnDescriptions() {
        String name = newModel();
        long v1 = created(name, "runs:/run_id/model", "run_id_1").getLong("last_updated_timestamp");
        assertThat(model(name).getLong("last_updated_timestamp")).isEqualTo(v1);
        created(name, "runs:/run_id/another_model", "run_id_1");
        long before = model(name).getLong("last_updated_timestamp");

        afterMillisecond(before);
        JsonObject staged = transition(name, "1", "Staging");
        long transitioned = staged.getLong("last_updated_timestamp");
        assertThat(transitioned).isGreaterThan(before);
        assertThat(model(name).getLong("last_updated_timestamp")).isEqualTo(transitioned);

        afterMillisecond(transitioned);
        JsonObject described = ok(send(
                        "PATCH",
                        "model-versions/update",
                        new JsonObject()
                                .put("name", name)
                                .put("version", "1")
                                .put("description", "This is a test model")))
                .getJsonObject("model_version");
        assertThat(described.getLong("last_updated_timestamp")).isGreaterThan(transitioned);
        assertThat(model(name).getLong("last_updated_timestamp")).isEqualTo(transitioned);

        long describedAt = described.getLong("last_updated_timestamp");
        afterMillisecond(describedAt);
        ok(send(
                "DELETE",
                "model-versions/delete",
                new JsonObject().put("name", name).put("version", "2")));
        assertThat(model(name).getLong("last_updated_timestamp")).isGreaterThan(describedAt);
    }

    // --- test_search_model_versions_order_by / _max_results -----------------------------------------

    @Test
    void shouldOrderVersionsAsMlflowDoesByDefaultAndOnRequest() {
        String run = "parity-run-" + UUID.randomUUID();
        String prefix = "parity-order-" + UUID.randomUUID() + "-";
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            names.add(prefix + i);
            ok(post("registered-models/create", new JsonObject().put("name", prefix + i)));
        }
        List<JsonObject> versions = new ArrayList<>();
        for (String name : names) {
            versions.add(created(name, "runs:/run_id/model", run));
        }
        for (String name : names.subList(0, 2)) {
            versions.add(created(name, "runs:/run_id/model", run));
        }
        long last = versions.stream()
                .mapToLong(v -> v.getLong("last_updated_timestamp"))
                .max()
                .orElseThrow();
        afterMillisecond(last);
        JsonObject moved = transition(names.get(3), "1", "Staging");
        versions.removeIf(v -> v.getString("name").equals(names.get(3)));
        versions.add(moved);
        String filter = "run_id = '" + run + "'";

        List<String> byDefault = searchAll(filter, List.of(), 3);
        assertThat(byDefault.get(0)).isEqualTo(names.get(3) + "/1");
        assertThat(byDefault)
                .containsExactlyElementsOf(versions.stream()
                        .sorted(Comparator.comparingLong((JsonObject v) -> -v.getLong("last_updated_timestamp"))
                                .thenComparing(v -> v.getString("name"))
                                .thenComparing(v -> -Integer.parseInt(v.getString("version"))))
                        .map(v -> v.getString("name") + "/" + v.getString("version"))
                        .toList());
        assertThat(searchAll(filter, List.of("name DESC"), 2))
                .containsExactly(
                        prefix + "4/1",
                        prefix + "3/1",
                        prefix + "2/1",
                        prefix + "1/2",
                        prefix + "1/1",
                        prefix + "0/2",
                        prefix + "0/1");
        assertThat(searchAll(filter, List.of("version_number DESC"), 4))
                .containsExactly(
                        prefix + "0/2",
                        prefix + "1/2",
                        prefix + "0/1",
                        prefix + "1/1",
                        prefix + "2/1",
                        prefix + "3/1",
                        prefix + "4/1");
    }

    // --- test_latest_models --------------------------------------------------------------------------

    @Test
    void shouldAnswerTheLatestVersionOfEachStage() {
        String name = newModel();
        List<String> stages = List.of("None", "Production", "Staging", "Archived", "Production", "Staging", "None");
        for (int i = 0; i < stages.size(); i++) {
            created(name, "runs:/run_id/model", "run_id");
            if (!stages.get(i).equals("None")) {
                transition(name, String.valueOf(i + 1), stages.get(i));
            }
        }
        assertThat(latest(name, List.of("None"))).containsExactly("None=7");
        assertThat(latest(name, List.of("Staging"))).containsExactly("Staging=6");
        assertThat(latest(name, List.of("None", "Staging"))).containsExactlyInAnyOrder("None=7", "Staging=6");
        assertThat(latest(name, List.of()))
                .containsExactlyInAnyOrder("Production=5", "Staging=6", "Archived=4", "None=7");
    }

    private static List<String> latest(String name, List<String> stages) {
        JsonObject body = new JsonObject().put("name", name).put("stages", new JsonArray(stages));
        JsonArray found =
                ok(post("registered-models/get-latest-versions", body)).getJsonArray("model_versions");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < found.size(); i++) {
            JsonObject v = found.getJsonObject(i);
            out.add(v.getString("current_stage") + "=" + v.getString("version"));
        }
        return out;
    }
}
