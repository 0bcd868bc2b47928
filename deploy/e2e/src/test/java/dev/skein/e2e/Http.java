package dev.skein.e2e;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonObject;

/** Raw HTTP in MLflow's wire format, as the Python client and curl send it. */
final class Http {

    private Http() {}

    static RequestSpecification api() {
        return given().baseUri(Suite.url()).urlEncodingEnabled(true);
    }

    /** As {@link #api()}, with the admin token: operator endpoints and webhook management need it. */
    static RequestSpecification admin() {
        return api().header("Authorization", "Bearer " + Suite.ADMIN_TOKEN);
    }

    static Response adminPost(String path, JsonObject json) {
        return admin().contentType(ContentType.JSON).body(json.encode()).post("/api/2.0/mlflow/" + path);
    }

    static Response adminSend(String method, String path, JsonObject json) {
        return admin().contentType(ContentType.JSON).body(json.encode()).request(method, "/api/2.0/mlflow/" + path);
    }

    static Response post(String path, String json) {
        return api().contentType(ContentType.JSON).body(json).post("/api/2.0/mlflow/" + path);
    }

    static Response post(String path, JsonObject json) {
        return post(path, json.encode());
    }

    /** PATCH and DELETE carry a JSON body too, as MLflow's registry API uses them. */
    static Response send(String method, String path, JsonObject json) {
        return api().contentType(ContentType.JSON).body(json.encode()).request(method, "/api/2.0/mlflow/" + path);
    }

    /** The MLflow error a failed request answered, as {@code status error_code}. */
    static String error(Response r) {
        return r.statusCode() + " " + new JsonObject(r.asString()).getString("error_code");
    }

    static JsonObject ok(Response r) {
        if (r.statusCode() != 200) {
            throw new AssertionError("expected 200, got " + r.statusCode() + ": " + r.asString());
        }
        return new JsonObject(r.asString());
    }

    static String newExperiment() {
        return ok(post("experiments/create", new JsonObject().put("name", "http-" + java.util.UUID.randomUUID())))
                .getString("experiment_id");
    }

    static String newRun(String experimentId) {
        return ok(post("runs/create", new JsonObject().put("experiment_id", experimentId)))
                .getJsonObject("run")
                .getJsonObject("info")
                .getString("run_id");
    }

    /** {@code model-versions/create}'s body as an MLflow 3 client registers a logged model: from {@code models:/<id>}, with its id. */
    static JsonObject versionOfLoggedModel(String name, String modelId) {
        return new JsonObject()
                .put("name", name)
                .put("source", "models:/" + modelId)
                .put("model_id", modelId);
    }

    static JsonObject getRun(String runId) {
        return ok(api().queryParam("run_id", runId).get("/api/2.0/mlflow/runs/get"))
                .getJsonObject("run");
    }
}
