package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.error;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.newRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static dev.skein.e2e.Http.send;
import static dev.skein.e2e.Http.versionOfLoggedModel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What an MLflow 3 client does with the registry and the artifacts of a logged model, in MLflow 3's
 * wire format (raw HTTP, as the Python client sends it): a model logged, its files uploaded through
 * the artifact proxy under the logged model's location, listed and read back through the
 * logged-model routes, registered from {@code models:/m-…}, and its version's files read; and
 * {@code register_prompt}'s requests.
 */
@ExtendWith(Suite.class)
class RegistryV3IT {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final String PROXY = "/api/2.0/mlflow-artifacts/artifacts/";

    private static HttpResponse<byte[]> raw(String method, String pathAndQuery, byte[] body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(Suite.url() + pathAndQuery))
                        .timeout(Duration.ofMinutes(1))
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A logged model as {@code log_model} creates it first: PENDING, in an experiment, for a run. */
    private static JsonObject newLoggedModel(String experimentId, String runId) {
        return ok(post(
                        "logged-models",
                        new JsonObject()
                                .put("experiment_id", experimentId)
                                .put("name", "model")
                                .put("source_run_id", runId)
                                .put("model_type", "sklearn")))
                .getJsonObject("model")
                .getJsonObject("info");
    }

    private static JsonObject loggedModel(String modelId) {
        return ok(api().get("/api/2.0/mlflow/logged-models/" + modelId))
                .getJsonObject("model")
                .getJsonObject("info");
    }

    private static String newRegisteredModel() {
        String name = "v3-model-" + UUID.randomUUID();
        ok(post("registered-models/create", new JsonObject().put("name", name)));
        return name;
    }

    private static JsonArray files(JsonObject listing) {
        return listing.containsKey("files") ? listing.getJsonArray("files") : new JsonArray();
    }

    @Test
    void aLoggedModelsFilesAreStoredListedReadAndRegisteredAsMlflow3Does() throws Exception {
        String experiment = newExperiment();
        String run = newRun(experiment);
        JsonObject info = newLoggedModel(experiment, run);
        String modelId = info.getString("model_id");
        String location = info.getString("artifact_uri");
        assertThat(modelId).startsWith("m-");
        assertThat(location).startsWith("mlflow-artifacts:/").endsWith("/models/" + modelId + "/artifacts");

        // the client uploads under the model's location through the proxy, as for a run's files
        String root = location.substring("mlflow-artifacts:/".length());
        byte[] mlmodel =
                ("artifact_path: model\nmodel_id: " + modelId + "\nflavors: {}\n").getBytes(StandardCharsets.UTF_8);
        byte[] weights = new byte[300_000];
        new java.util.Random(7).nextBytes(weights);
        byte[] conda = "name: env\n".getBytes(StandardCharsets.UTF_8);
        for (var file : List.of(new Object[] {"MLmodel", mlmodel}, new Object[] {"model.pkl", weights}, new Object[] {
            "env/conda.yaml", conda
        })) {
            HttpResponse<byte[]> put = raw("PUT", PROXY + root + "/" + file[0], (byte[]) file[1]);
            assertThat(put.statusCode()).as(text(put)).isEqualTo(200);
        }
        ok(send(
                "PATCH",
                "logged-models/" + modelId,
                new JsonObject().put("model_id", modelId).put("status", "LOGGED_MODEL_READY")));

        // ListLoggedModelArtifacts: root_uri, the direct children, paths relative to the location
        JsonObject top = ok(api().get("/api/2.0/mlflow/logged-models/" + modelId + "/artifacts/directories"));
        assertThat(top.getString("root_uri")).isEqualTo(location);
        assertThat(top.containsKey("next_page_token")).isFalse();
        assertThat(files(top).stream().map(o -> (JsonObject) o).toList())
                .extracting(f -> f.getString("path"), f -> f.getBoolean("is_dir"), f -> f.getLong("file_size"))
                .containsExactlyInAnyOrder(
                        tuple("MLmodel", false, (long) mlmodel.length),
                        tuple("model.pkl", false, (long) weights.length),
                        tuple("env", true, null));
        JsonObject env = ok(api().queryParam("artifact_directory_path", "env")
                .get("/ajax-api/2.0/mlflow/logged-models/" + modelId + "/artifacts/directories"));
        assertThat(files(env).stream()
                        .map(o -> ((JsonObject) o).getString("path"))
                        .toList())
                .containsExactly("env/conda.yaml");
        Response traversal = api().queryParam("artifact_directory_path", "../..")
                .get("/api/2.0/mlflow/logged-models/" + modelId + "/artifacts/directories");
        assertThat(error(traversal)).isEqualTo("400 INVALID_PARAMETER_VALUE");

        // the web UI's download of one file
        String files = "/ajax-api/2.0/mlflow/logged-models/" + modelId + "/artifacts/files?artifact_file_path=";
        HttpResponse<byte[]> got = raw("GET", files + "MLmodel", null);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.body()).isEqualTo(mlmodel);
        assertThat(got.headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(raw("GET", files + "model.pkl", null).body()).isEqualTo(weights);
        // HEAD as Flask serves it for a GET route: the file's headers, no body
        HttpResponse<byte[]> head = raw("HEAD", files + "model.pkl", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Length")).hasValue(Integer.toString(weights.length));
        assertThat(head.body()).isEmpty();
        assertThat(raw("GET", files + q("env/conda.yaml"), null).body()).isEqualTo(conda);
        HttpResponse<byte[]> missing =
                raw("GET", "/ajax-api/2.0/mlflow/logged-models/" + modelId + "/artifacts/files", null);
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(text(missing)).getString("error_code")).isEqualTo("BAD_REQUEST");
        assertThat(new JsonObject(text(missing)).getString("message"))
                .isEqualTo("Request must include the \"artifact_file_path\" query parameter.");
        HttpResponse<byte[]> escape = raw("GET", files + q("../../secret"), null);
        assertThat(escape.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(text(escape)).getString("message")).isEqualTo("Invalid path");
        HttpResponse<byte[]> unknown = raw(
                "GET",
                "/ajax-api/2.0/mlflow/logged-models/m-00000000000000000000000000000000/artifacts/files"
                        + "?artifact_file_path=MLmodel",
                null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(text(unknown)).getString("error_code")).isEqualTo("RESOURCE_DOES_NOT_EXIST");

        // registered from models:/<model_id> with model_id, as a 3.x client registers it
        String name = newRegisteredModel();
        JsonObject version = ok(post("model-versions/create", versionOfLoggedModel(name, modelId)))
                .getJsonObject("model_version");
        assertThat(version.getString("version")).isEqualTo("1");
        assertThat(version.getString("source")).isEqualTo("models:/" + modelId);
        assertThat(version.getString("model_id")).isEqualTo(modelId);
        // lineage: the version's run is the logged model's
        assertThat(version.getString("run_id")).isEqualTo(run);
        JsonObject read = ok(api().queryParam("name", name)
                        .queryParam("version", "1")
                        .get("/api/2.0/mlflow/model-versions/get"))
                .getJsonObject("model_version");
        assertThat(read.getString("model_id")).isEqualTo(modelId);
        // MLflow 3 answers the logged model's location
        assertThat(ok(api().queryParam("name", name)
                                .queryParam("version", "1")
                                .get("/api/2.0/mlflow/model-versions/get-download-uri"))
                        .getString("artifact_uri"))
                .isEqualTo(location);
        HttpResponse<byte[]> viaVersion =
                raw("GET", "/model-versions/get-artifact?name=" + q(name) + "&version=1&path=model.pkl", null);
        assertThat(viaVersion.statusCode()).isEqualTo(200);
        assertThat(viaVersion.body()).isEqualTo(weights);
        // MLflow's server lists the version on the logged model
        assertThat(loggedModel(modelId).getJsonArray("tags").stream()
                        .map(o -> (JsonObject) o)
                        .filter(t -> t.getString("key").equals("mlflow.modelVersions"))
                        .map(t -> t.getString("value"))
                        .toList())
                .containsExactly("[{\"name\": \"" + name + "\", \"version\": 1}]");
    }

    @Test
    void versionsRegisteredAtOnceFromOneLoggedModelAreAllListedOnIt() throws Exception {
        String experiment = newExperiment();
        String modelId = newLoggedModel(experiment, newRun(experiment)).getString("model_id");
        String name = newRegisteredModel();
        byte[] create = versionOfLoggedModel(name, modelId).encode().getBytes(StandardCharsets.UTF_8);
        int versions = 8;
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < versions; i++) {
            calls.add(HTTP.sendAsync(
                    HttpRequest.newBuilder(URI.create(Suite.url() + "/api/2.0/mlflow/model-versions/create"))
                            .timeout(Duration.ofMinutes(1))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(create))
                            .build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (var call : calls) {
            assertThat(call.get().statusCode()).as(call.get().body()).isEqualTo(200);
        }
        String listed = loggedModel(modelId).getJsonArray("tags").stream()
                .map(o -> (JsonObject) o)
                .filter(t -> t.getString("key").equals("mlflow.modelVersions"))
                .map(t -> t.getString("value"))
                .findFirst()
                .orElseThrow();
        assertThat(new JsonArray(listed)
                        .stream()
                                .map(o -> ((JsonObject) o).getInteger("version"))
                                .sorted()
                                .toList())
                .containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    }

    @Test
    void unknownLoggedModelsAreRefusedWithMlflowsAnswers() {
        String name = newRegisteredModel();
        String unknown = "m-" + UUID.randomUUID().toString().replace("-", "");
        Response fromSource =
                post("model-versions/create", new JsonObject().put("name", name).put("source", "models:/" + unknown));
        assertThat(error(fromSource)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(new JsonObject(fromSource.asString()).getString("message"))
                .startsWith("Unable to fetch model from model URI source artifact location 'models:/" + unknown
                        + "'.Error: ")
                .contains(unknown);
        Response byId = post(
                "model-versions/create",
                new JsonObject()
                        .put("name", name)
                        .put("source", "s3://bucket/m")
                        .put("model_id", unknown));
        assertThat(error(byId)).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(ok(api().queryParam("filter", "name = '" + name + "'").get("/api/2.0/mlflow/model-versions/search"))
                        .containsKey("model_versions"))
                .isFalse();
    }

    @Test
    void registerPromptsRequestsFromAnMlflow3ClientSucceed() {
        String name = "prompt-" + UUID.randomUUID();
        // register_prompt: does the prompt exist? then the model, tagged as a prompt, then its version
        assertThat(error(api().queryParam("name", name).get("/api/2.0/mlflow/registered-models/get")))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        ok(post(
                "registered-models/create",
                new JsonObject()
                        .put("name", name)
                        .put("description", "greeting")
                        .put(
                                "tags",
                                new JsonArray()
                                        .add(new JsonObject()
                                                .put("key", "mlflow.prompt.is_prompt")
                                                .put("value", "true")))));
        JsonObject version = ok(post(
                        "model-versions/create",
                        new JsonObject()
                                .put("name", name)
                                .put("description", "greeting")
                                .put("source", "dummy-source")
                                .put(
                                        "tags",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("key", "mlflow.prompt.is_prompt")
                                                        .put("value", "true"))
                                                .add(new JsonObject()
                                                        .put("key", "mlflow.prompt.text")
                                                        .put("value", "Hello, {{name}}!")))))
                .getJsonObject("model_version");
        assertThat(version.getString("version")).isEqualTo("1");
        assertThat(version.getString("source")).isEqualTo("dummy-source");
        JsonObject model = ok(api().queryParam("name", name).get("/api/2.0/mlflow/registered-models/get"))
                .getJsonObject("registered_model");
        assertThat(model.getJsonArray("tags").stream()
                        .map(o -> ((JsonObject) o).getString("key"))
                        .toList())
                .contains("mlflow.prompt.is_prompt");
        assertThat(ok(api().queryParam("name", name)
                                .queryParam("version", "1")
                                .get("/api/2.0/mlflow/model-versions/get"))
                        .getJsonObject("model_version")
                        .getJsonArray("tags")
                        .stream()
                        .map(o -> ((JsonObject) o).getString("value"))
                        .toList())
                .contains("Hello, {{name}}!");
    }
}
