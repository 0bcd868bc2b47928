package dev.skein.e2e;

import static dev.skein.e2e.Http.admin;
import static dev.skein.e2e.Http.adminPost;
import static dev.skein.e2e.Http.adminSend;
import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.error;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.newRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static dev.skein.e2e.Http.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mlflow.api.proto.ModelRegistry.ModelVersion;
import org.mlflow.api.proto.ModelRegistry.RegisteredModel;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowHttpException;
import org.mlflow.tracking.Page;

/**
 * The model registry through the gateway: the official MLflow Java client's registry calls, raw
 * HTTP for every write (the client has none), lineage with tracking-service, webhooks and the audit API.
 */
@ExtendWith(Suite.class)
class RegistryIT {

    static MlflowClient client;

    @BeforeAll
    static void connect() {
        client = new MlflowClient(Suite.url());
    }

    @AfterAll
    static void close() {
        client.close();
    }

    private static String newModel() {
        String name = "e2e-model-" + UUID.randomUUID();
        ok(post(
                "registered-models/create",
                new JsonObject()
                        .put("name", name)
                        .put("description", "an e2e model")
                        .put(
                                "tags",
                                new JsonArray()
                                        .add(new JsonObject().put("key", "team").put("value", "ml")))));
        return name;
    }

    private static JsonObject newVersion(String model, String source, String runId) {
        JsonObject body = new JsonObject().put("name", model).put("source", source);
        if (runId != null) {
            body.put("run_id", runId);
        }
        return ok(post("model-versions/create", body)).getJsonObject("model_version");
    }

    @Test
    void theJavaClientReadsWhatRawHttpWrote() {
        String model = newModel();
        String run = newRun(newExperiment());
        JsonObject v1 = newVersion(model, "runs:/" + run + "/model", run);
        assertThat(v1.getString("version")).isEqualTo("1");
        assertThat(v1.getString("status")).isEqualTo("READY");
        newVersion(model, "s3://bucket/" + model + "/2", null);
        ok(post(
                "model-versions/transition-stage",
                new JsonObject()
                        .put("name", model)
                        .put("version", "1")
                        .put("stage", "Production")
                        .put("archive_existing_versions", false)));
        ok(post(
                "model-versions/transition-stage",
                new JsonObject()
                        .put("name", model)
                        .put("version", "2")
                        .put("stage", "Staging")
                        .put("archive_existing_versions", false)));

        RegisteredModel rm = client.getRegisteredModel(model);
        assertThat(rm.getName()).isEqualTo(model);
        assertThat(rm.getDescription()).isEqualTo("an e2e model");
        assertThat(rm.getLatestVersionsCount()).isEqualTo(2);

        ModelVersion mv = client.getModelVersion(model, "1");
        assertThat(mv.getRunId()).isEqualTo(run);
        assertThat(mv.getCurrentStage()).isEqualTo("Production");
        assertThat(client.getLatestVersions(model))
                .extracting(ModelVersion::getVersion)
                .containsExactlyInAnyOrder("1", "2");
        assertThat(client.getLatestVersions(model, List.of("Staging")))
                .extracting(ModelVersion::getVersion)
                .containsExactly("2");
        // a runs:/ source is the download URI as given, as MLflow answers (clients resolve it to the run's artifacts)
        assertThat(client.getModelVersionDownloadUri(model, "1")).isEqualTo("runs:/" + run + "/model");
        assertThat(client.getModelVersionDownloadUri(model, "2")).isEqualTo("s3://bucket/" + model + "/2");

        assertThat(client.searchModelVersions("name = '" + model + "'").getItems())
                .extracting(ModelVersion::getVersion)
                .containsExactly("2", "1");
        List<String> paged = new ArrayList<>();
        Page<ModelVersion> page = client.searchModelVersions("name='" + model + "'", 1, List.of("version_number ASC"));
        while (true) {
            page.getItems().forEach(v -> paged.add(v.getVersion()));
            if (!page.hasNextPage()) {
                break;
            }
            page = page.getNextPage();
        }
        assertThat(paged).containsExactly("1", "2");
    }

    @Test
    void everyWriteOverRawHttp() {
        String model = newModel();
        newVersion(model, "s3://bucket/a", null);
        newVersion(model, "s3://bucket/b", null);
        String renamed = model + "-renamed";
        assertThat(ok(post(
                                "registered-models/rename",
                                new JsonObject().put("name", model).put("new_name", renamed)))
                        .getJsonObject("registered_model")
                        .getString("name"))
                .isEqualTo(renamed);
        ok(send(
                "PATCH",
                "registered-models/update",
                new JsonObject().put("name", renamed).put("description", "new")));
        ok(post(
                "registered-models/set-tag",
                new JsonObject().put("name", renamed).put("key", "k").put("value", "v")));
        ok(send(
                "DELETE",
                "registered-models/delete-tag",
                new JsonObject().put("name", renamed).put("key", "k")));
        ok(post(
                "registered-models/alias",
                new JsonObject().put("name", renamed).put("alias", "champion").put("version", "2")));
        JsonObject byAlias = ok(api().queryParam("name", renamed)
                .queryParam("alias", "champion")
                .get("/api/2.0/mlflow/registered-models/alias"));
        assertThat(byAlias.getJsonObject("model_version").getString("version")).isEqualTo("2");
        ok(send(
                "DELETE",
                "registered-models/alias",
                new JsonObject().put("name", renamed).put("alias", "champion")));
        ok(send(
                "PATCH",
                "model-versions/update",
                new JsonObject().put("name", renamed).put("version", "1").put("description", "first")));
        ok(post(
                "model-versions/set-tag",
                new JsonObject()
                        .put("name", renamed)
                        .put("version", "1")
                        .put("key", "t")
                        .put("value", "x")));
        ok(send(
                "DELETE",
                "model-versions/delete-tag",
                new JsonObject().put("name", renamed).put("version", "1").put("key", "t")));
        ok(post(
                "model-versions/transition-stage",
                new JsonObject()
                        .put("name", renamed)
                        .put("version", "2")
                        .put("stage", "Production")
                        .put("archive_existing_versions", true)));
        ok(send(
                "DELETE",
                "model-versions/delete",
                new JsonObject().put("name", renamed).put("version", "1")));

        RegisteredModel rm = client.getRegisteredModel(renamed);
        assertThat(rm.getDescription()).isEqualTo("new");
        assertThat(rm.getTagsList()).extracting(t -> t.getKey()).containsExactly("team");
        assertThat(rm.getAliasesList()).isEmpty();
        assertThat(client.getLatestVersions(renamed))
                .extracting(ModelVersion::getVersion)
                .containsExactly("2");
        assertThat(ok(api().queryParam("filter", "name LIKE '" + renamed + "%'")
                                .get("/api/2.0/mlflow/registered-models/search"))
                        .getJsonArray("registered_models"))
                .hasSize(1);

        ok(send("DELETE", "registered-models/delete", new JsonObject().put("name", renamed)));
        MlflowHttpException gone =
                catchThrowableOfType(MlflowHttpException.class, () -> client.getRegisteredModel(renamed));
        assertThat(gone.getStatusCode()).isEqualTo(404);
        assertThat(gone.getBodyMessage()).contains("RESOURCE_DOES_NOT_EXIST");
    }

    @Test
    void mlflowErrorsForMissingModelsDuplicateNamesBadAliasesAndRuns() {
        String model = newModel();
        newVersion(model, "s3://bucket/x", null);
        assertThat(error(post("registered-models/create", new JsonObject().put("name", model))))
                .isEqualTo("400 RESOURCE_ALREADY_EXISTS");
        assertThat(error(api().queryParam("name", "missing-" + UUID.randomUUID())
                        .get("/api/2.0/mlflow/registered-models/get")))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(error(api().queryParam("name", model)
                        .queryParam("version", "7")
                        .get("/api/2.0/mlflow/model-versions/get")))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(error(api().queryParam("name", model)
                        .queryParam("version", "seven")
                        .get("/api/2.0/mlflow/model-versions/get")))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        for (String alias : List.of("latest", "v1", "bad alias")) {
            assertThat(error(post(
                            "registered-models/alias",
                            new JsonObject()
                                    .put("name", model)
                                    .put("alias", alias)
                                    .put("version", "1"))))
                    .as(alias)
                    .isEqualTo("400 INVALID_PARAMETER_VALUE");
        }
        // a run that does not exist is recorded as given, as MLflow does (RegistryParityIT has the rest)
        assertThat(ok(post(
                                "model-versions/create",
                                new JsonObject()
                                        .put("name", model)
                                        .put("source", "s3://bucket/y")
                                        .put("run_id", "0123456789abcdef0123456789abcdef")))
                        .getJsonObject("model_version")
                        .getString("run_id"))
                .isEqualTo("0123456789abcdef0123456789abcdef");
        assertThat(error(post(
                        "registered-models/set-tag",
                        new JsonObject().put("name", model).put("key", "k").put("value", "v".repeat(5001)))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(error(api().queryParam("filter", "name = ").get("/api/2.0/mlflow/model-versions/search")))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        MlflowHttpException missing = catchThrowableOfType(
                MlflowHttpException.class, () -> client.getModelVersion("missing-" + UUID.randomUUID(), "1"));
        assertThat(missing.getStatusCode()).isEqualTo(404);
    }

    @Test
    void webhookManagementNeedsTheAdminToken() {
        JsonObject hook = new JsonObject()
                .put("name", "e2e-guarded")
                .put("url", "http://127.0.0.1:9/never")
                .put(
                        "events",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("entity", "MODEL_VERSION")
                                        .put("action", "CREATED")));
        assertThat(error(post("webhooks", hook))).isEqualTo("401 UNAUTHENTICATED");
        assertThat(error(api().header("Authorization", "Bearer wrong-token")
                        .contentType("application/json")
                        .body(hook.encode())
                        .post("/api/2.0/mlflow/webhooks")))
                .isEqualTo("401 UNAUTHENTICATED");
        assertThat(error(api().get("/api/2.0/mlflow/webhooks"))).isEqualTo("401 UNAUTHENTICATED");
        assertThat(ok(admin().get("/api/2.0/mlflow/webhooks")).encode()).doesNotContain("e2e-guarded");

        String id = ok(adminPost("webhooks", hook)).getJsonObject("webhook").getString("webhook_id");
        assertThat(error(api().get("/api/2.0/mlflow/webhooks/" + id))).isEqualTo("401 UNAUTHENTICATED");
        assertThat(error(send("DELETE", "webhooks/" + id, new JsonObject()))).isEqualTo("401 UNAUTHENTICATED");
        assertThat(error(post("webhooks/" + id + "/test", new JsonObject()))).isEqualTo("401 UNAUTHENTICATED");
        assertThat(ok(admin().get("/api/2.0/mlflow/webhooks/" + id))
                        .getJsonObject("webhook")
                        .getString("name"))
                .isEqualTo("e2e-guarded");
        ok(adminSend("DELETE", "webhooks/" + id, new JsonObject()));
    }

    @Test
    void webhooksAndTheAuditTrailThroughTheGateway() {
        JsonObject created = ok(admin().contentType("application/json")
                        .body(new JsonObject()
                                .put("name", "e2e-hook")
                                .put("url", "http://127.0.0.1:9/never")
                                .put("secret", "top-secret")
                                .put(
                                        "events",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("entity", "MODEL_VERSION")
                                                        .put("action", "CREATED")))
                                .encode())
                        .post("/api/2.0/mlflow/webhooks"))
                .getJsonObject("webhook");
        assertThat(created.encode()).doesNotContain("top-secret");
        String id = created.getString("webhook_id");
        JsonObject got = ok(admin().get("/api/2.0/mlflow/webhooks/" + id)).getJsonObject("webhook");
        assertThat(got.getJsonArray("events").getJsonObject(0).getString("entity"))
                .isEqualTo("MODEL_VERSION");
        JsonObject patched = ok(adminSend("PATCH", "webhooks/" + id, new JsonObject().put("status", "DISABLED")))
                .getJsonObject("webhook");
        assertThat(patched.getString("status")).isEqualTo("DISABLED");
        JsonObject test =
                ok(adminPost("webhooks/" + id + "/test", new JsonObject())).getJsonObject("result");
        assertThat(test.getBoolean("success")).isFalse();
        assertThat(ok(admin().get("/api/2.0/mlflow/webhooks"))
                        .getJsonArray("webhooks")
                        .encode())
                .contains(id);
        ok(adminSend("DELETE", "webhooks/" + id, new JsonObject()));
        assertThat(error(admin().get("/api/2.0/mlflow/webhooks/" + id))).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(error(adminPost(
                        "webhooks",
                        new JsonObject()
                                .put("name", "metadata")
                                .put("url", "http://169.254.169.254/latest")
                                .put(
                                        "events",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("entity", "MODEL_VERSION")
                                                        .put("action", "CREATED"))))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(error(adminPost(
                        "webhooks",
                        new JsonObject()
                                .put("name", "self")
                                .put(
                                        "url",
                                        "http://127.0.0.1:" + Suite.GATEWAY_PORT + "/api/2.0/mlflow/experiments/create")
                                .put(
                                        "events",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("entity", "MODEL_VERSION")
                                                        .put("action", "CREATED"))))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");

        String model = newModel();
        newVersion(model, "s3://bucket/audited", null);
        JsonArray trail = ok(api().queryParam("model", model).get("/api/2.0/skein/audit/events"))
                .getJsonArray("events");
        assertThat(trail).hasSize(2);
        JsonObject first = trail.getJsonObject(0);
        assertThat(first.getString("type")).isEqualTo("dev.skein.registry.registered_model.created.v1");
        assertThat(first.getJsonObject("change").getString("actor")).isEqualTo("unknown");
        assertThat(first.getJsonObject("change")
                        .getJsonObject("model_after")
                        .getJsonObject("tags")
                        .getString("team"))
                .isEqualTo("ml");
        assertThat(trail.getJsonObject(1).getJsonObject("change").getInteger("model_sequence"))
                .isEqualTo(2);
        Response since = api().queryParam("model", model)
                .queryParam("since", System.currentTimeMillis() + 60_000)
                .get("/api/2.0/skein/audit/events");
        assertThat(ok(since).containsKey("events")).isFalse();
    }
}
