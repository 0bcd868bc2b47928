package dev.skein.e2e;

import static dev.skein.e2e.AuthGateway.ADMIN;
import static dev.skein.e2e.AuthGateway.ANONYMOUS;
import static dev.skein.e2e.AuthGateway.as;
import static dev.skein.e2e.AuthGateway.get;
import static dev.skein.e2e.AuthGateway.post;
import static dev.skein.e2e.AuthGateway.send;
import static dev.skein.e2e.Http.error;
import static dev.skein.e2e.Http.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mlflow.api.proto.Service.Experiment;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowHttpException;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;

/**
 * Authentication and MLflow's permission model at the gateway, against the running suite: a second
 * gateway with authentication on ({@link AuthGateway}) in front of the suite's services, its users
 * made through MLflow's auth REST API and signing in with HTTP Basic as MLflow's clients do.
 *
 * <p>{@code owner} makes an experiment with a run, a metric and an artifact, and a registered model
 * with a version; {@code reader} gets READ on both, {@code editor} EDIT, {@code denied} NO_PERMISSIONS,
 * {@code stranger} nothing (the default, READ); {@code admin} is the administrator the gateway made
 * from its configuration.
 */
@ExtendWith(Suite.class)
class AuthIT {

    static final String OWNER = "owner";
    static final String READER = "reader";
    static final String EDITOR = "editor";
    static final String DENIED = "denied";
    static final String STRANGER = "stranger";
    static final List<String> USERS = List.of(ADMIN, OWNER, READER, EDITOR, DENIED, STRANGER);
    static final List<String> NOT_ADMINS = List.of(OWNER, READER, EDITOR, DENIED, STRANGER);
    static final String PROXY = "/api/2.0/mlflow-artifacts/artifacts/";
    static final String ARTIFACT = "hello from the owner";
    static final String MLMODEL = "artifact_path: model\nflavors: {}\n";

    /** The owner's experiment, its run and the registered model: the resources of the permission table. */
    static String experiment;

    static String experimentName;
    static String run;
    static String model;

    private static final AtomicBoolean LOG_PRINTED = new AtomicBoolean();

    @RegisterExtension
    static final TestWatcher GATEWAY_LOG_ON_FAILURE = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (AuthGateway.log() != null && LOG_PRINTED.compareAndSet(false, true)) {
                System.err.println("--- the authenticating gateway's log (" + AuthGateway.log() + "), its end:\n"
                        + AuthGateway.tail(80));
            }
        }
    };

    @BeforeAll
    static void startTheGatewayAndMakeUsersAndResources() throws Exception {
        AuthGateway.start();
        try {
            makeUsersAndResources();
        } catch (RuntimeException | AssertionError e) {
            System.err.println("--- the authenticating gateway's log, its end:\n" + AuthGateway.tail(80));
            throw e;
        }
    }

    static void makeUsersAndResources() {
        for (String user : NOT_ADMINS) {
            String password = user + "-" + UUID.randomUUID();
            JsonObject created = ok(post(
                            ADMIN,
                            "users/create",
                            new JsonObject().put("username", user).put("password", password)))
                    .getJsonObject("user");
            assertThat(created.getString("username")).isEqualTo(user);
            assertThat(created.getBoolean("is_admin")).isFalse();
            assertThat(created.getLong("id")).isPositive();
            assertThat(created.getJsonArray("experiment_permissions")).isEmpty();
            assertThat(created.getJsonArray("registered_model_permissions")).isEmpty();
            AuthGateway.rememberPassword(user, password);
        }

        experimentName = "auth-" + UUID.randomUUID();
        experiment = ok(post(OWNER, "experiments/create", new JsonObject().put("name", experimentName)))
                .getString("experiment_id");
        run = newRun(OWNER, experiment);
        ok(post(
                OWNER,
                "runs/log-metric",
                new JsonObject()
                        .put("run_id", run)
                        .put("key", "loss")
                        .put("value", 0.25)
                        .put("timestamp", System.currentTimeMillis())
                        .put("step", 0)));
        assertThat(upload(OWNER, artifactPath("a.txt"), ARTIFACT).statusCode()).isEqualTo(200);
        assertThat(upload(OWNER, artifactPath("model/MLmodel"), MLMODEL).statusCode())
                .isEqualTo(200);
        grantExperiment(experiment);

        model = "auth-model-" + UUID.randomUUID();
        ok(post(OWNER, "registered-models/create", new JsonObject().put("name", model)));
        // version 1 is the run's model, as MLflow's clients register one
        ok(post(
                OWNER,
                "model-versions/create",
                new JsonObject()
                        .put("name", model)
                        .put("source", "runs:/" + run + "/model")
                        .put("run_id", run)));
        ok(post(
                OWNER,
                "registered-models/alias",
                new JsonObject().put("name", model).put("alias", "champion").put("version", "1")));
        grantModel(model);
    }

    @AfterAll
    static void stopTheGateway() throws InterruptedException {
        AuthGateway.stop();
    }

    // --- helpers -----------------------------------------------------------------------------

    static String newRun(String user, String experimentId) {
        return ok(post(
                        user,
                        "runs/create",
                        new JsonObject()
                                .put("experiment_id", experimentId)
                                .put("start_time", System.currentTimeMillis())))
                .getJsonObject("run")
                .getJsonObject("info")
                .getString("run_id");
    }

    static String newVersion(String user, String name) {
        return ok(post(
                        user,
                        "model-versions/create",
                        new JsonObject().put("name", name).put("source", "s3://bucket/auth/" + name)))
                .getJsonObject("model_version")
                .getString("version");
    }

    static String artifactPath(String file) {
        return experiment + "/" + run + "/artifacts/" + file;
    }

    static Response upload(String user, String path, String content) {
        return as(user).contentType(ContentType.BINARY)
                .body(content.getBytes(StandardCharsets.UTF_8))
                .put(PROXY + path);
    }

    static Response download(String user, String path) {
        return as(user).get(PROXY + path);
    }

    /** The permissions of the table: stranger has none, so the default (READ) is theirs. */
    static final Map<String, String> TABLE_GRANTS = Map.of(READER, "READ", EDITOR, "EDIT", DENIED, "NO_PERMISSIONS");

    /** As the owner, the table's permissions on an experiment. */
    static void grantExperiment(String id) {
        TABLE_GRANTS.forEach((user, permission) -> grant(OWNER, "experiments", "experiment_id", id, user, permission));
    }

    /** As the owner, the table's permissions on a registered model. */
    static void grantModel(String name) {
        TABLE_GRANTS.forEach((user, permission) -> grant(OWNER, "registered-models", "name", name, user, permission));
    }

    static JsonObject grant(String by, String kind, String field, String resource, String user, String permission) {
        return ok(post(
                by,
                kind + "/permissions/create",
                new JsonObject().put(field, resource).put("username", user).put("permission", permission)));
    }

    static String freshExperiment(String prefix) {
        return ok(post(OWNER, "experiments/create", new JsonObject().put("name", prefix + UUID.randomUUID())))
                .getString("experiment_id");
    }

    static String freshModel(String prefix) {
        String name = prefix + UUID.randomUUID();
        ok(post(OWNER, "registered-models/create", new JsonObject().put("name", name)));
        return name;
    }

    /** What a user may do with the table's resources: MLflow's READ, EDIT, MANAGE, NO_PERMISSIONS. */
    enum Level {
        READ,
        UPDATE,
        DELETE,
        MANAGE
    }

    static boolean allowed(String user, Level level) {
        return switch (user) {
            case ADMIN, OWNER -> true; // the administrator passes; the creator holds MANAGE
            case EDITOR -> level == Level.READ || level == Level.UPDATE;
            case READER, STRANGER -> level == Level.READ; // granted READ; the default READ
            default -> false; // NO_PERMISSIONS
        };
    }

    static void assertUnauthenticated(Response r, String what) {
        assertThat(r.statusCode()).as(what + ": " + r.asString()).isEqualTo(401);
        assertThat(r.header("WWW-Authenticate")).as(what).isEqualTo("Basic realm=\"mlflow\"");
        JsonObject body = new JsonObject(r.asString());
        assertThat(body.getString("error_code")).as(what).isEqualTo("UNAUTHENTICATED");
        assertThat(body.getString("message")).as(what).isNotBlank();
    }

    static void assertDenied(Response r, String what) {
        assertThat(r.statusCode()).as(what + ": " + r.asString()).isEqualTo(403);
        JsonObject body = new JsonObject(r.asString());
        assertThat(body.getString("error_code")).as(what).isEqualTo("PERMISSION_DENIED");
        assertThat(body.getString("message")).as(what).isNotBlank();
    }

    // --- 1. the permission table ---------------------------------------------------------------

    /**
     * One operation of the table: the user's requests (a pair when the second undoes the first), and
     * what the owner then finds, given whether the user was allowed.
     */
    record Op(
            String name,
            Level level,
            Function<String, List<Response>> call,
            BiConsumer<String, Boolean> effect,
            String body) {

        Op(String name, Level level, Function<String, List<Response>> call, BiConsumer<String, Boolean> effect) {
            this(name, level, call, effect, null);
        }

        @Override
        public String toString() {
            return name + " (" + level + ")";
        }
    }

    static Op op(String name, Level level, Function<String, Response> call) {
        return new Op(name, level, user -> List.of(call.apply(user)), null);
    }

    static List<Op> operations() {
        List<Op> ops = new ArrayList<>();
        // READ
        ops.add(op("experiments/get", Level.READ, u -> get(u, "experiments/get", "experiment_id", experiment)));
        ops.add(op(
                "experiments/get-by-name",
                Level.READ,
                u -> get(u, "experiments/get-by-name", "experiment_name", experimentName)));
        ops.add(op("runs/get", Level.READ, u -> get(u, "runs/get", "run_id", run)));
        ops.add(op(
                "metrics/get-history",
                Level.READ,
                u -> get(u, "metrics/get-history", "run_id", run, "metric_key", "loss")));
        ops.add(op("artifacts/list", Level.READ, u -> get(u, "artifacts/list", "run_id", run)));
        ops.add(new Op(
                "get-artifact",
                Level.READ,
                u -> List.of(as(u).queryParam("run_id", run)
                        .queryParam("path", "a.txt")
                        .get("/get-artifact")),
                null,
                ARTIFACT));
        ops.add(new Op(
                "mlflow-artifacts download",
                Level.READ,
                u -> List.of(download(u, artifactPath("a.txt"))),
                null,
                ARTIFACT));
        ops.add(new Op(
                "model-versions/get-artifact",
                Level.READ,
                u -> List.of(as(u).queryParam("name", model)
                        .queryParam("version", "1")
                        .queryParam("path", "MLmodel")
                        .get("/model-versions/get-artifact")),
                null,
                MLMODEL));
        ops.add(op("mlflow-artifacts list", Level.READ, u -> as(u).queryParam(
                        "path", experiment + "/" + run + "/artifacts")
                .get(PROXY.substring(0, PROXY.length() - 1))));
        ops.add(op("registered-models/get", Level.READ, u -> get(u, "registered-models/get", "name", model)));
        ops.add(op("model-versions/get", Level.READ, u -> get(u, "model-versions/get", "name", model, "version", "1")));
        ops.add(op(
                "registered-models/alias (get)",
                Level.READ,
                u -> get(u, "registered-models/alias", "name", model, "alias", "champion")));
        ops.add(op(
                "model-versions/get-download-uri",
                Level.READ,
                u -> get(u, "model-versions/get-download-uri", "name", model, "version", "1")));

        // UPDATE
        ops.add(new Op(
                "experiments/set-experiment-tag",
                Level.UPDATE,
                u -> List.of(post(
                        u,
                        "experiments/set-experiment-tag",
                        new JsonObject()
                                .put("experiment_id", experiment)
                                .put("key", "tag-" + u)
                                .put("value", "set by " + u))),
                (u, allowed) -> {
                    JsonArray tags = ok(get(ADMIN, "experiments/get", "experiment_id", experiment))
                            .getJsonObject("experiment")
                            .getJsonArray("tags", new JsonArray());
                    boolean there = tags.stream().map(JsonObject.class::cast).anyMatch(t -> t.getString("key")
                            .equals("tag-" + u));
                    assertThat(there).as("the experiment has the tag of " + u).isEqualTo(allowed);
                }));
        ops.add(op(
                "runs/create",
                Level.UPDATE,
                u -> post(u, "runs/create", new JsonObject().put("experiment_id", experiment))));
        ops.add(op(
                "runs/log-batch",
                Level.UPDATE,
                u -> post(
                        u,
                        "runs/log-batch",
                        new JsonObject()
                                .put("run_id", run)
                                .put(
                                        "metrics",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("key", "batch")
                                                        .put("value", 1.0)
                                                        .put("timestamp", System.currentTimeMillis())
                                                        .put("step", 0))))));
        ops.add(op(
                "runs/set-tag",
                Level.UPDATE,
                u -> post(
                        u,
                        "runs/set-tag",
                        new JsonObject()
                                .put("run_id", run)
                                .put("key", "tag-" + u)
                                .put("value", "v"))));
        ops.add(new Op(
                "mlflow-artifacts upload",
                Level.UPDATE,
                u -> List.of(upload(u, artifactPath("x-" + u + ".txt"), "from " + u)),
                (u, allowed) -> assertThat(
                                download(OWNER, artifactPath("x-" + u + ".txt")).statusCode())
                        .as("the owner finds the file " + u + " uploaded")
                        .isEqualTo(allowed ? 200 : 404)));
        ops.add(op(
                "registered-models/update",
                Level.UPDATE,
                u -> send(
                        u,
                        "PATCH",
                        "registered-models/update",
                        new JsonObject().put("name", model).put("description", "described by " + u))));
        ops.add(op(
                "model-versions/create",
                Level.UPDATE,
                u -> post(
                        u,
                        "model-versions/create",
                        new JsonObject().put("name", model).put("source", "s3://bucket/auth/" + u))));
        ops.add(op(
                "registered-models/alias (set)",
                Level.UPDATE,
                u -> post(
                        u,
                        "registered-models/alias",
                        new JsonObject()
                                .put("name", model)
                                .put("alias", "a_" + u)
                                .put("version", "1"))));

        // DELETE: each on something made for it, so that the order of the table does not matter
        ops.add(new Op(
                "runs/delete + runs/restore",
                Level.DELETE,
                u -> {
                    String fresh = newRun(OWNER, experiment);
                    JsonObject body = new JsonObject().put("run_id", fresh);
                    return List.of(post(u, "runs/delete", body), post(u, "runs/restore", body));
                },
                null));
        ops.add(new Op(
                "experiments/delete + experiments/restore",
                Level.DELETE,
                u -> {
                    String fresh = freshExperiment("auth-delete-");
                    grantExperiment(fresh);
                    JsonObject body = new JsonObject().put("experiment_id", fresh);
                    return List.of(post(u, "experiments/delete", body), post(u, "experiments/restore", body));
                },
                null));
        ops.add(new Op(
                "registered-models/delete",
                Level.DELETE,
                u -> {
                    String name = "auth-delete-" + u + "-" + UUID.randomUUID();
                    ok(post(OWNER, "registered-models/create", new JsonObject().put("name", name)));
                    grantModel(name);
                    Response r = send(u, "DELETE", "registered-models/delete", new JsonObject().put("name", name));
                    int after =
                            get(ADMIN, "registered-models/get", "name", name).statusCode();
                    assertThat(after)
                            .as("the model " + u + " deleted is gone")
                            .isEqualTo(r.statusCode() == 200 ? 404 : 200);
                    return List.of(r);
                },
                null));
        ops.add(op("model-versions/delete", Level.DELETE, u -> {
            String version = newVersion(OWNER, model);
            return send(
                    u,
                    "DELETE",
                    "model-versions/delete",
                    new JsonObject().put("name", model).put("version", version));
        }));
        ops.add(op("model-versions/delete-tag", Level.DELETE, u -> {
            JsonObject tag =
                    new JsonObject().put("name", model).put("version", "1").put("key", "tag-" + u);
            ok(post(OWNER, "model-versions/set-tag", tag.copy().put("value", "v")));
            return send(u, "DELETE", "model-versions/delete-tag", tag);
        }));
        ops.add(op("registered-models/alias (delete)", Level.DELETE, u -> {
            ok(post(
                    OWNER,
                    "registered-models/alias",
                    new JsonObject().put("name", model).put("alias", "d_" + u).put("version", "1")));
            return send(
                    u,
                    "DELETE",
                    "registered-models/alias",
                    new JsonObject().put("name", model).put("alias", "d_" + u));
        }));

        // MANAGE: permissions, and deleting artifacts (MLflow's artifact proxy asks can_manage)
        ops.add(op("experiments/permissions/create", Level.MANAGE, u -> {
            // for the administrator, whose own permissions never matter: nothing else in the table changes
            JsonObject grant = new JsonObject().put("experiment_id", experiment).put("username", ADMIN);
            Response r = post(u, "experiments/permissions/create", grant.copy().put("permission", "READ"));
            send(ADMIN, "DELETE", "experiments/permissions/delete", grant);
            return r;
        }));
        ops.add(op(
                "experiments/permissions/get",
                Level.MANAGE,
                u -> get(u, "experiments/permissions/get", "experiment_id", experiment, "username", READER)));
        ops.add(op("registered-models/permissions/create", Level.MANAGE, u -> {
            JsonObject grant = new JsonObject().put("name", model).put("username", ADMIN);
            Response r =
                    post(u, "registered-models/permissions/create", grant.copy().put("permission", "READ"));
            send(ADMIN, "DELETE", "registered-models/permissions/delete", grant);
            return r;
        }));
        ops.add(new Op(
                "mlflow-artifacts delete",
                Level.MANAGE,
                u -> {
                    String path = artifactPath("delete-" + u + ".txt");
                    assertThat(upload(OWNER, path, "to delete").statusCode()).isEqualTo(200);
                    return List.of(as(u).delete(PROXY + path));
                },
                (u, allowed) -> assertThat(download(OWNER, artifactPath("delete-" + u + ".txt"))
                                .statusCode())
                        .as("the owner still finds the file " + u + " tried to delete")
                        .isEqualTo(allowed ? 404 : 200)));
        return ops;
    }

    static Stream<Arguments> permissionTable() {
        List<String> callers = new ArrayList<>(USERS);
        callers.add(ANONYMOUS);
        return callers.stream().flatMap(user -> operations().stream().map(op -> Arguments.of(user, op)));
    }

    @ParameterizedTest(name = "{0} × {1}")
    @MethodSource("permissionTable")
    void everyUserMayDoExactlyWhatTheirPermissionAllows(String user, Op op) {
        String what = user + " × " + op.name();
        List<Response> answers = op.call().apply(user);
        boolean allowed = !user.equals(ANONYMOUS) && allowed(user, op.level());
        for (Response r : answers) {
            if (user.equals(ANONYMOUS)) {
                assertUnauthenticated(r, what);
            } else if (allowed) {
                assertThat(r.statusCode()).as(what + ": " + r.asString()).isEqualTo(200);
            } else {
                assertDenied(r, what);
            }
        }
        if (allowed && op.body() != null) {
            assertThat(answers.get(0).asString()).as(what).isEqualTo(op.body());
        }
        if (op.effect() != null) {
            op.effect().accept(user, allowed);
        }
    }

    // --- 2. searches never leak ------------------------------------------------------------------

    static List<String> experimentsFound(String user, boolean byPost, String filter) {
        Response r = byPost
                ? post(user, "experiments/search", new JsonObject().put("filter", filter))
                : get(user, "experiments/search", "filter", filter);
        return names(ok(r).getJsonArray("experiments", new JsonArray()), "experiment_id");
    }

    static List<String> names(JsonArray items, String field) {
        List<String> names = new ArrayList<>();
        items.forEach(i -> names.add(((JsonObject) i).getString(field)));
        return names;
    }

    @Test
    void searchesNeverShowWhatTheCallerMayNotRead() {
        String other = freshExperiment("auth-other-");
        String otherRun = newRun(OWNER, other);
        String byName = "name = '" + experimentName + "'";
        for (boolean byPost : List.of(false, true)) {
            String how = byPost ? "POST experiments/search" : "GET experiments/search";
            assertThat(experimentsFound(DENIED, byPost, byName)).as(how).isEmpty();
            assertThat(experimentsFound(READER, byPost, byName)).as(how).containsExactly(experiment);
            assertThat(experimentsFound(STRANGER, byPost, byName)).as(how).containsExactly(experiment);
            // nor among everything the caller may see
            assertThat(experimentsFound(DENIED, byPost, "name LIKE 'auth-%'"))
                    .as(how)
                    .contains(other)
                    .doesNotContain(experiment);
        }
        String modelByName = "name = '" + model + "'";
        assertThat(ok(get(DENIED, "registered-models/search", "filter", modelByName))
                        .getJsonArray("registered_models", new JsonArray()))
                .isEmpty();
        assertThat(names(
                        ok(get(READER, "registered-models/search", "filter", modelByName))
                                .getJsonArray("registered_models", new JsonArray()),
                        "name"))
                .containsExactly(model);
        assertThat(ok(get(DENIED, "model-versions/search", "filter", modelByName))
                        .getJsonArray("model_versions", new JsonArray()))
                .isEmpty();
        assertThat(names(
                        ok(get(READER, "model-versions/search", "filter", modelByName))
                                .getJsonArray("model_versions", new JsonArray()),
                        "name"))
                .isNotEmpty()
                .containsOnly(model);
        // nor among every model the caller may see
        assertThat(names(
                        ok(get(DENIED, "registered-models/search", "filter", "name LIKE 'auth-model-%'"))
                                .getJsonArray("registered_models", new JsonArray()),
                        "name"))
                .doesNotContain(model);

        // runs: only the experiments the caller may read are searched
        JsonObject both = new JsonObject()
                .put("experiment_ids", new JsonArray().add(experiment).add(other));
        List<String> found = new ArrayList<>();
        ok(post(DENIED, "runs/search", both))
                .getJsonArray("runs", new JsonArray())
                .forEach(r -> found.add(((JsonObject) r).getJsonObject("info").getString("experiment_id")));
        assertThat(found).isNotEmpty().containsOnly(other);
        assertThat(ok(post(DENIED, "runs/search", both))
                        .getJsonArray("runs")
                        .getJsonObject(0)
                        .getJsonObject("info")
                        .getString("run_id"))
                .isEqualTo(otherRun);
        Response onlyE =
                post(DENIED, "runs/search", new JsonObject().put("experiment_ids", new JsonArray().add(experiment)));
        assertThat(onlyE.statusCode()).isEqualTo(200);
        assertThat(onlyE.asString()).isEqualTo("{}");
        assertThat(ok(post(
                                READER,
                                "runs/search",
                                new JsonObject().put("experiment_ids", new JsonArray().add(experiment))))
                        .getJsonArray("runs", new JsonArray()))
                .isNotEmpty();
    }

    /** Every page of a search, token after token, as (page sizes, item names in order). */
    record Pages(List<Integer> sizes, List<String> names) {}

    static Pages allPages(Function<String, Response> page, String items, String field) {
        List<Integer> sizes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        String token = null;
        do {
            JsonObject answer = ok(page.apply(token));
            JsonArray found = answer.getJsonArray(items, new JsonArray());
            sizes.add(found.size());
            names.addAll(names(found, field));
            token = answer.getString("next_page_token");
            assertThat(sizes).as("pages so far: " + names).hasSizeLessThan(50);
        } while (token != null && !token.isEmpty());
        return new Pages(sizes, names);
    }

    @Test
    void pagesOfAFilteredSearchHoldEveryReadableItemExactlyOnce() {
        String prefix = "auth-page-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<String> experimentNames = new ArrayList<>();
        List<String> readable = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String name = prefix + i;
            String id = ok(post(OWNER, "experiments/create", new JsonObject().put("name", name)))
                    .getString("experiment_id");
            ok(post(OWNER, "registered-models/create", new JsonObject().put("name", name)));
            newVersion(OWNER, name);
            experimentNames.add(name);
            // unreadable ones between readable ones, and two in a row
            if (i % 3 == 0 || i == 7) {
                readable.add(name);
            } else {
                grant(OWNER, "experiments", "experiment_id", id, DENIED, "NO_PERMISSIONS");
                grant(OWNER, "registered-models", "name", name, DENIED, "NO_PERMISSIONS");
            }
        }
        String filter = "name LIKE '" + prefix + "%'";
        for (int maxResults : List.of(1, 2, 3)) {
            Pages experimentsByPost = allPages(
                    token -> {
                        JsonObject body = new JsonObject()
                                .put("filter", filter)
                                .put("max_results", maxResults)
                                .put("order_by", new JsonArray().add("name ASC"));
                        if (token != null) {
                            body.put("page_token", token);
                        }
                        return post(DENIED, "experiments/search", body);
                    },
                    "experiments",
                    "name");
            assertThat(experimentsByPost.names())
                    .as("POST experiments/search, max_results " + maxResults)
                    .containsExactlyElementsOf(readable);
            assertThat(experimentsByPost.sizes())
                    .allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(maxResults));
            Pages experimentsByGet = allPages(
                    token -> searchPage(DENIED, "experiments/search", filter, maxResults, token),
                    "experiments",
                    "name");
            assertThat(experimentsByGet.names())
                    .as("GET experiments/search, max_results " + maxResults)
                    .containsExactlyElementsOf(readable);
            Pages models = allPages(
                    token -> searchPage(DENIED, "registered-models/search", filter, maxResults, token),
                    "registered_models",
                    "name");
            assertThat(models.names())
                    .as("registered-models/search, max_results " + maxResults)
                    .containsExactlyElementsOf(readable);
            assertThat(models.sizes()).allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(maxResults));
            Pages versions = allPages(
                    token -> searchPage(DENIED, "model-versions/search", filter, maxResults, token),
                    "model_versions",
                    "name");
            assertThat(versions.names())
                    .as("model-versions/search, max_results " + maxResults)
                    .containsExactlyElementsOf(readable);
        }
        // the owner still sees all of them
        assertThat(allPages(
                                token -> searchPage(OWNER, "registered-models/search", filter, 3, token),
                                "registered_models",
                                "name")
                        .names())
                .containsExactlyElementsOf(experimentNames);
    }

    /** One page of a GET search, by name. */
    static Response searchPage(String user, String path, String filter, int maxResults, String token) {
        var request = as(user).queryParam("filter", filter)
                .queryParam("max_results", maxResults)
                .queryParam("order_by", "name ASC");
        if (token != null) {
            request = request.queryParam("page_token", token);
        }
        return request.get("/api/2.0/mlflow/" + path);
    }

    @Test
    void graphqlChecksEachCallAsTheRestEndpointDoes() {
        String query = "query { mlflowGetRun(input: {runId: \"" + run + "\"}) { run { info { runId } } } }";
        JsonObject forReader = ok(graphql(READER, query));
        assertThat(forReader.getValue("errors")).as(forReader.encode()).isNull();
        assertThat(forReader
                        .getJsonObject("data")
                        .getJsonObject("mlflowGetRun")
                        .getJsonObject("run")
                        .getJsonObject("info")
                        .getString("runId"))
                .isEqualTo(run);
        JsonObject forDenied = ok(graphql(DENIED, query));
        assertThat(forDenied.getJsonObject("data").getValue("mlflowGetRun"))
                .as(forDenied.encode())
                .isNull();
        assertThat(forDenied.getJsonArray("errors").getString(0)).contains("Permission denied");

        String experimentQuery =
                "query { mlflowGetExperiment(input: {experimentId: \"" + experiment + "\"}) { experiment { name } } }";
        assertThat(ok(graphql(DENIED, experimentQuery)).encode()).doesNotContain(experimentName);
        assertThat(ok(graphql(READER, experimentQuery)).encode()).contains(experimentName);
        String searchRuns = "mutation { mlflowSearchRuns(input: { experimentIds: [\"" + experiment
                + "\"] }) { runs { info { runId } } } }";
        assertThat(ok(graphql(DENIED, searchRuns)).encode()).doesNotContain(run);
        assertThat(ok(graphql(READER, searchRuns)).encode()).contains(run);
        assertUnauthenticated(graphql(ANONYMOUS, query), "anonymous GraphQL");
    }

    static Response graphql(String user, String query) {
        return as(user).contentType("application/json; charset=utf-8")
                .body(new JsonObject().put("query", query).encode())
                .post("/graphql");
    }

    /** A GET sent byte for byte, its path exactly as given; answers the whole response. */
    static String rawGet(String user, String pathAndQuery) throws Exception {
        return AuthGateway.raw("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                + AuthGateway.basic(user, AuthGateway.password(user)) + "\r\nConnection: close\r\n\r\n");
    }

    @Test
    void noSpellingOfAnArtifactPathReachesAnExperimentTheCallerMayNotRead() throws Exception {
        String plain = artifactPath("a.txt");
        assertThat(rawGet(READER, PROXY + plain)).startsWith("HTTP/1.1 200").endsWith(ARTIFACT);
        List<String> spellings = List.of(
                PROXY + plain,
                PROXY + "./" + plain,
                PROXY + "/" + plain,
                PROXY + "%2e/" + plain,
                PROXY + "%2E%2F" + plain,
                PROXY + "%252e%252f" + plain,
                PROXY + "0/../" + plain,
                PROXY + "0/%2e%2e/" + plain,
                PROXY + ".%5c" + plain.replace("/", "%5c"),
                PROXY + "0" + plain,
                "/ajax-api/2.0/mlflow-artifacts/artifacts/" + plain,
                "//get-artifact?run_id=" + run + "&path=a.txt",
                "/ajax-api/2.0/mlflow/get-artifact?run_uuid=" + run + "&path=a.txt",
                "/get-artifact?run_id=&run_uuid=" + run + "&path=a.txt",
                "/api/2.0/mlflow/artifacts/list?run_uuid=" + run,
                "/api/2.0/mlflow-artifacts/artifacts?path=./" + experiment + "/" + run + "/artifacts");
        for (String spelling : spellings) {
            String answer = rawGet(DENIED, spelling);
            assertThat(answer).as(spelling).doesNotStartWith("HTTP/1.1 200").doesNotContain(ARTIFACT);
            assertThat(answer).as(spelling).doesNotContain("\"files\"").doesNotStartWith("HTTP/1.1 5");
        }
        Response sneaked = as(DENIED)
                .contentType(ContentType.BINARY)
                .body("sneaked in".getBytes(StandardCharsets.UTF_8))
                .put(PROXY + "./" + artifactPath("sneaked.txt"));
        assertThat(sneaked.statusCode()).as(sneaked.asString()).isNotEqualTo(200);
        assertThat(download(OWNER, artifactPath("sneaked.txt")).statusCode()).isEqualTo(404);
    }

    // --- 3. identity -------------------------------------------------------------------------

    @Test
    void whatAUserCreatesCarriesTheirNameWhateverTheRequestSays() {
        JsonObject info = ok(post(
                        EDITOR,
                        "runs/create",
                        new JsonObject().put("experiment_id", experiment).put("user_id", "someone-else")))
                .getJsonObject("run")
                .getJsonObject("info");
        assertThat(info.getString("user_id")).isEqualTo(EDITOR);
        assertThat(ok(get(ADMIN, "runs/get", "run_id", info.getString("run_id")))
                        .getJsonObject("run")
                        .getJsonObject("info")
                        .getString("user_id"))
                .isEqualTo(EDITOR);
        assertThat(ok(get(ADMIN, "runs/get", "run_id", run))
                        .getJsonObject("run")
                        .getJsonObject("info")
                        .getString("user_id"))
                .isEqualTo(OWNER);

        String name = freshModel("auth-identity-");
        grant(OWNER, "registered-models", "name", name, EDITOR, "EDIT");
        newVersion(OWNER, name);
        newVersion(EDITOR, name);
        assertThat(ok(get(READER, "registered-models/get", "name", name))
                        .getJsonObject("registered_model")
                        .getString("user_id"))
                .isEqualTo(OWNER);
        assertThat(ok(get(READER, "model-versions/get", "name", name, "version", "1"))
                        .getJsonObject("model_version")
                        .getString("user_id"))
                .isEqualTo(OWNER);
        assertThat(ok(get(READER, "model-versions/get", "name", name, "version", "2"))
                        .getJsonObject("model_version")
                        .getString("user_id"))
                .isEqualTo(EDITOR);
        JsonArray trail =
                ok(get(ADMIN, "/api/2.0/skein/audit/events", "model", name)).getJsonArray("events");
        List<String> seen = new ArrayList<>();
        trail.forEach(e -> {
            JsonObject event = (JsonObject) e;
            seen.add(event.getString("type") + " by "
                    + event.getJsonObject("change").getString("actor"));
        });
        assertThat(seen)
                .containsExactly(
                        "dev.skein.registry.registered_model.created.v1 by " + OWNER,
                        "dev.skein.registry.model_version.created.v1 by " + OWNER,
                        "dev.skein.registry.model_version.created.v1 by " + EDITOR);

        // the creator of an experiment or a registered model manages it, as users/get shows
        JsonObject owner = ok(get(OWNER, "users/get", "username", OWNER)).getJsonObject("user");
        assertThat(owner.getJsonArray("experiment_permissions").stream()
                        .map(JsonObject.class::cast)
                        .filter(p -> p.getString("experiment_id").equals(experiment))
                        .map(p -> p.getString("permission"))
                        .toList())
                .containsExactly("MANAGE");
        assertThat(owner.getJsonArray("registered_model_permissions").stream()
                        .map(JsonObject.class::cast)
                        .filter(p -> p.getString("name").equals(model))
                        .map(p -> p.getString("permission"))
                        .toList())
                .containsExactly("MANAGE");
        assertThat(owner.getJsonArray("experiment_permissions").getJsonObject(0).getLong("user_id"))
                .isEqualTo(owner.getLong("id"));
    }

    @Test
    void aRenamedModelKeepsItsPermissionsAndADeletedOneLosesThem() {
        String name = freshModel("auth-rename-");
        grant(OWNER, "registered-models", "name", name, READER, "READ");
        grant(OWNER, "registered-models", "name", name, DENIED, "NO_PERMISSIONS");
        assertDenied(get(DENIED, "registered-models/get", "name", name), "denied before the rename");
        String renamed = name + "-renamed";
        ok(post(
                OWNER,
                "registered-models/rename",
                new JsonObject().put("name", name).put("new_name", renamed)));

        assertThat(ok(get(OWNER, "registered-models/permissions/get", "name", renamed, "username", READER))
                        .getJsonObject("registered_model_permission")
                        .getString("permission"))
                .isEqualTo("READ");
        assertThat(ok(get(READER, "registered-models/get", "name", renamed))
                        .getJsonObject("registered_model")
                        .getString("name"))
                .isEqualTo(renamed);
        assertDenied(get(DENIED, "registered-models/get", "name", renamed), "denied after the rename");
        assertThat(error(get(ADMIN, "registered-models/permissions/get", "name", name, "username", READER)))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        // the owner still manages it under its new name
        ok(send(
                OWNER,
                "PATCH",
                "registered-models/permissions/update",
                new JsonObject().put("name", renamed).put("username", READER).put("permission", "EDIT")));

        ok(send(OWNER, "DELETE", "registered-models/delete", new JsonObject().put("name", renamed)));
        for (String user : List.of(OWNER, READER, DENIED)) {
            assertThat(error(get(ADMIN, "registered-models/permissions/get", "name", renamed, "username", user)))
                    .as(user)
                    .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        }
        assertThat(ok(get(OWNER, "users/get", "username", OWNER))
                        .getJsonObject("user")
                        .getJsonArray("registered_model_permissions")
                        .encode())
                .doesNotContain(name); // nor the name it was renamed to, which starts with it
        // a new model of that name inherits nothing: denied reads it (the default), the old owner cannot delete it
        ok(post(EDITOR, "registered-models/create", new JsonObject().put("name", renamed)));
        ok(get(DENIED, "registered-models/get", "name", renamed));
        assertDenied(
                send(OWNER, "DELETE", "registered-models/delete", new JsonObject().put("name", renamed)),
                "the old owner deleting the new model");
        assertThat(ok(get(EDITOR, "registered-models/permissions/get", "name", renamed, "username", EDITOR))
                        .getJsonObject("registered_model_permission")
                        .getString("permission"))
                .isEqualTo("MANAGE");
    }

    // --- 4. administrators ---------------------------------------------------------------------

    static String deletedRun() {
        String exp = ok(post(
                        ADMIN, "experiments/create", new JsonObject().put("name", "auth-purge-" + UUID.randomUUID())))
                .getString("experiment_id");
        String id = newRun(ADMIN, exp);
        ok(post(ADMIN, "runs/delete", new JsonObject().put("run_id", id)));
        return id;
    }

    static Response purge(io.restassured.specification.RequestSpecification request, String runId) {
        return request.contentType(ContentType.JSON)
                .body(new JsonObject()
                        .put("run_ids", new JsonArray().add(runId))
                        .encode())
                .post("/api/2.0/skein/admin/runs/purge");
    }

    @Test
    void operatorEndpointsAreForAdministratorsOnly() {
        String first = deletedRun();
        for (String user : NOT_ADMINS) {
            assertDenied(get(user, "/api/2.0/skein/audit/events", "model", model), user + " audit events");
            assertDenied(as(user).get("/api/2.0/mlflow/webhooks"), user + " webhooks");
            assertDenied(purge(as(user), first), user + " purge");
        }
        assertUnauthenticated(AuthGateway.anonymous().get("/api/2.0/skein/audit/events"), "anonymous audit");
        assertUnauthenticated(AuthGateway.anonymous().get("/api/2.0/mlflow/webhooks"), "anonymous webhooks");
        assertUnauthenticated(purge(AuthGateway.anonymous(), first), "anonymous purge");
        // nobody purged it
        assertThat(ok(get(ADMIN, "runs/get", "run_id", first))
                        .getJsonObject("run")
                        .getJsonObject("info")
                        .getString("lifecycle_stage"))
                .isEqualTo("deleted");

        assertThat(ok(get(ADMIN, "/api/2.0/skein/audit/events", "model", model)).getJsonArray("events"))
                .isNotEmpty();
        ok(as(ADMIN).get("/api/2.0/mlflow/webhooks"));
        assertThat(ok(purge(as(ADMIN), first)).getJsonArray("run_ids")).containsExactly(first);
        assertThat(error(get(ADMIN, "runs/get", "run_id", first))).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");

        // the operator's admin token is an administrator too
        var token = "Bearer " + Suite.ADMIN_TOKEN;
        assertThat(ok(AuthGateway.withAuthorization(token)
                                .queryParam("model", model)
                                .get("/api/2.0/skein/audit/events"))
                        .getJsonArray("events"))
                .isNotEmpty();
        ok(AuthGateway.withAuthorization(token).get("/api/2.0/mlflow/webhooks"));
        String second = deletedRun();
        assertThat(ok(purge(AuthGateway.withAuthorization(token), second)).getJsonArray("run_ids"))
                .containsExactly(second);
    }

    /** A refusal is an answer, not a failure of the gateway: its operator finds no error logged for it. */
    @Test
    void refusingAUserLogsNoErrorInTheGateway() throws InterruptedException {
        int logged = AuthGateway.logFrom(0).size();
        for (String user : NOT_ADMINS) {
            assertDenied(get(user, "/api/2.0/skein/audit/events", "model", model), user + " audit events");
            assertDenied(as(user).get("/api/2.0/mlflow/webhooks"), user + " webhooks");
            assertDenied(
                    post(
                            user,
                            "users/create",
                            new JsonObject().put("username", "x").put("password", "y")),
                    user);
        }
        assertDenied(get(DENIED, "runs/get", "run_id", run), "denied runs/get");
        assertDenied(get(DENIED, "metrics/get-history", "run_id", run, "metric_key", "loss"), "denied history");
        ok(get(ADMIN, "experiments/get", "experiment_id", experiment));
        Thread.sleep(200); // what the gateway logs for a request it may log just after answering it
        assertThat(AuthGateway.logFrom(logged).stream()
                        .filter(line -> line.contains(" ERROR "))
                        .toList())
                .as("errors the gateway logged while refusing users")
                .isEmpty();
    }

    @Test
    void usersManageThemselvesAndOnlyAdministratorsManageUsers() {
        String temp = "temp-" + UUID.randomUUID().toString().substring(0, 8);
        String firstPassword = "first-" + UUID.randomUUID();
        JsonObject newUser = new JsonObject().put("username", temp).put("password", firstPassword);
        for (String user : NOT_ADMINS) {
            assertDenied(post(user, "users/create", newUser), user + " users/create");
        }
        ok(post(ADMIN, "users/create", newUser));
        AuthGateway.rememberPassword(temp, firstPassword);
        assertThat(error(post(ADMIN, "users/create", newUser))).isEqualTo("400 RESOURCE_ALREADY_EXISTS");
        assertThat(error(get(ADMIN, "users/get", "username", "nobody-" + UUID.randomUUID())))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");

        for (String user : NOT_ADMINS) {
            String other = user.equals(READER) ? EDITOR : READER;
            assertDenied(get(user, "users/get", "username", other), user + " users/get of " + other);
            JsonObject self = ok(get(user, "users/get", "username", user)).getJsonObject("user");
            assertThat(self.getString("username")).isEqualTo(user);
            assertThat(self.getBoolean("is_admin")).isFalse();
            assertDenied(
                    send(
                            user,
                            "PATCH",
                            "users/update-admin",
                            new JsonObject().put("username", user).put("is_admin", true)),
                    user + " making themselves an administrator");
            assertDenied(
                    send(user, "DELETE", "users/delete", new JsonObject().put("username", temp)),
                    user + " deleting a user");
            assertDenied(
                    send(
                            user,
                            "PATCH",
                            "users/update-password",
                            new JsonObject().put("username", temp).put("password", "taken-over")),
                    user + " changing another's password");
        }
        ok(get(ADMIN, "users/get", "username", READER));

        // a user changes their own password: the old one stops working at once
        ok(get(temp, "experiments/get", "experiment_id", experiment));
        String secondPassword = "second-" + UUID.randomUUID();
        assertThat(ok(send(
                                temp,
                                "PATCH",
                                "users/update-password",
                                new JsonObject().put("username", temp).put("password", secondPassword)))
                        .encode())
                .isEqualTo("{}");
        assertUnauthenticated(get(temp, "experiments/get", "experiment_id", experiment), "the old password");
        AuthGateway.rememberPassword(temp, secondPassword);
        ok(get(temp, "experiments/get", "experiment_id", experiment));

        // an administrator makes them an administrator, and takes it back
        assertDenied(as(temp).get("/api/2.0/mlflow/webhooks"), "temp before update-admin");
        assertThat(ok(send(
                                ADMIN,
                                "PATCH",
                                "users/update-admin",
                                new JsonObject().put("username", temp).put("is_admin", true)))
                        .encode())
                .isEqualTo("{}");
        ok(as(temp).get("/api/2.0/mlflow/webhooks"));
        ok(get(temp, "users/get", "username", OWNER));
        assertThat(ok(get(ADMIN, "users/get", "username", temp))
                        .getJsonObject("user")
                        .getBoolean("is_admin"))
                .isTrue();
        ok(send(
                ADMIN,
                "PATCH",
                "users/update-admin",
                new JsonObject().put("username", temp).put("is_admin", false)));
        assertDenied(as(temp).get("/api/2.0/mlflow/webhooks"), "temp after update-admin false");

        // deleted, they cannot sign in any more
        assertThat(ok(send(ADMIN, "DELETE", "users/delete", new JsonObject().put("username", temp)))
                        .encode())
                .isEqualTo("{}");
        assertUnauthenticated(get(temp, "experiments/get", "experiment_id", experiment), "a deleted user");
        assertThat(error(get(ADMIN, "users/get", "username", temp))).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(error(send(ADMIN, "DELETE", "users/delete", new JsonObject().put("username", temp))))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
    }

    @Test
    void thePermissionsApiSpeaksMlflowsWords() {
        for (boolean experiments : List.of(true, false)) {
            String kind = experiments ? "experiments" : "registered-models";
            String field = experiments ? "experiment_id" : "name";
            String answer = experiments ? "experiment_permission" : "registered_model_permission";
            String resource = experiments ? freshExperiment("auth-perm-") : freshModel("auth-perm-");
            Function<String, Response> strangerChanges = experiments
                    ? u -> post(
                            u,
                            "experiments/set-experiment-tag",
                            new JsonObject()
                                    .put("experiment_id", resource)
                                    .put("key", "k")
                                    .put("value", "v"))
                    : u -> send(
                            u,
                            "PATCH",
                            "registered-models/update",
                            new JsonObject().put("name", resource).put("description", "d"));
            Function<String, Response> strangerReads = experiments
                    ? u -> get(u, "experiments/get", "experiment_id", resource)
                    : u -> get(u, "registered-models/get", "name", resource);
            JsonObject who = new JsonObject().put(field, resource).put("username", STRANGER);

            assertDenied(strangerChanges.apply(STRANGER), kind + ": stranger changing before any grant");
            JsonObject created = ok(post(
                            OWNER, kind + "/permissions/create", who.copy().put("permission", "EDIT")))
                    .getJsonObject(answer);
            assertThat(created.getString(field)).isEqualTo(resource);
            assertThat(created.getString("permission")).isEqualTo("EDIT");
            assertThat(created.getLong("user_id")).isPositive();
            ok(strangerChanges.apply(STRANGER));
            assertThat(error(
                            post(OWNER, kind + "/permissions/create", who.copy().put("permission", "READ"))))
                    .as(kind)
                    .isEqualTo("400 RESOURCE_ALREADY_EXISTS");
            assertThat(ok(get(OWNER, kind + "/permissions/get", field, resource, "username", STRANGER))
                            .getJsonObject(answer)
                            .getString("permission"))
                    .isEqualTo("EDIT");
            for (String bad : List.of("WRITE", "read", "")) {
                assertThat(error(post(
                                OWNER,
                                kind + "/permissions/create",
                                new JsonObject()
                                        .put(field, resource)
                                        .put("username", READER)
                                        .put("permission", bad))))
                        .as(kind + " create with permission '" + bad + "'")
                        .isEqualTo("400 INVALID_PARAMETER_VALUE");
            }
            assertThat(error(send(
                            OWNER,
                            "PATCH",
                            kind + "/permissions/update",
                            who.copy().put("permission", "ALL"))))
                    .isEqualTo("400 INVALID_PARAMETER_VALUE");

            assertThat(ok(send(
                                    OWNER,
                                    "PATCH",
                                    kind + "/permissions/update",
                                    who.copy().put("permission", "NO_PERMISSIONS")))
                            .encode())
                    .isEqualTo("{}");
            assertDenied(strangerReads.apply(STRANGER), kind + ": stranger reading with NO_PERMISSIONS");

            assertThat(ok(send(OWNER, "DELETE", kind + "/permissions/delete", who))
                            .encode())
                    .isEqualTo("{}");
            ok(strangerReads.apply(STRANGER)); // the default again
            assertDenied(strangerChanges.apply(STRANGER), kind + ": stranger changing after the grant went");
            assertThat(error(get(OWNER, kind + "/permissions/get", field, resource, "username", STRANGER)))
                    .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
            assertThat(error(send(OWNER, "DELETE", kind + "/permissions/delete", who)))
                    .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
            assertThat(error(send(
                            OWNER,
                            "PATCH",
                            kind + "/permissions/update",
                            who.copy().put("permission", "READ"))))
                    .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
            assertThat(error(post(
                            OWNER,
                            kind + "/permissions/create",
                            new JsonObject()
                                    .put(field, resource)
                                    .put("username", "nobody-" + UUID.randomUUID())
                                    .put("permission", "READ"))))
                    .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
            // managing the permissions needs MANAGE: the reader of a resource cannot grant themselves more
            assertDenied(
                    post(STRANGER, kind + "/permissions/create", who.copy().put("permission", "MANAGE")),
                    kind + ": stranger granting themselves MANAGE");
        }
    }

    // --- 5. an installation that ran without authentication ------------------------------------

    @Test
    void experimentsMadeBeforeAuthenticationAreReadableByAllAndChangeableByAdministrators() {
        String name = "auth-before-" + UUID.randomUUID();
        String before = ok(Http.post("experiments/create", new JsonObject().put("name", name)))
                .getString("experiment_id");
        String beforeRun = Http.newRun(before);

        JsonObject tag =
                new JsonObject().put("experiment_id", before).put("key", "k").put("value", "v");
        assertThat(ok(get(ADMIN, "experiments/get", "experiment_id", before))
                        .getJsonObject("experiment")
                        .getString("name"))
                .isEqualTo(name);
        ok(post(ADMIN, "experiments/set-experiment-tag", tag));
        ok(post(
                ADMIN,
                "runs/set-tag",
                new JsonObject().put("run_id", beforeRun).put("key", "k").put("value", "v")));
        for (String user : List.of(STRANGER, OWNER)) {
            ok(get(user, "experiments/get", "experiment_id", before));
            ok(get(user, "runs/get", "run_id", beforeRun));
            assertDenied(post(user, "experiments/set-experiment-tag", tag), user + " tagging the old experiment");
            assertDenied(
                    post(
                            user,
                            "runs/set-tag",
                            new JsonObject()
                                    .put("run_id", beforeRun)
                                    .put("key", "k")
                                    .put("value", "w")),
                    user + " tagging the old run");
            assertDenied(
                    post(user, "runs/create", new JsonObject().put("experiment_id", before)),
                    user + " creating a run in the old experiment");
        }
    }

    // --- 6. bad credentials ----------------------------------------------------------------------

    static String base64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void badCredentialsAreRefusedWithMlflowsChallengeNeverA500() throws Exception {
        ok(get(STRANGER, "experiments/get", "experiment_id", experiment)); // signed in, remembered
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("a wrong password", AuthGateway.basic(STRANGER, "wrong"));
        refused.put("an unknown user", AuthGateway.basic("nobody-" + UUID.randomUUID(), "x"));
        refused.put("Basic !!!", "Basic !!!");
        refused.put("Basic without a colon", "Basic " + base64(STRANGER));
        refused.put("Basic with an empty user name", "Basic " + base64(":" + AuthGateway.password(STRANGER)));
        refused.put("Basic without credentials", "Basic");
        refused.put(
                "Basic of bytes that are not UTF-8",
                "Basic " + Base64.getEncoder().encodeToString(new byte[] {(byte) 0xff, (byte) 0xfe, ':', 'x'}));
        refused.put("Bearer nope", "Bearer nope");
        refused.put("Bearer without a token", "Bearer ");
        refused.put("Negotiate x", "Negotiate x");
        for (Map.Entry<String, String> c : refused.entrySet()) {
            assertUnauthenticated(
                    AuthGateway.withAuthorization(c.getValue())
                            .queryParam("experiment_id", experiment)
                            .get("/api/2.0/mlflow/experiments/get"),
                    c.getKey());
            assertUnauthenticated(
                    AuthGateway.withAuthorization(c.getValue())
                            .contentType(ContentType.JSON)
                            .body(new JsonObject()
                                    .put("experiment_id", experiment)
                                    .encode())
                            .post("/api/2.0/mlflow/runs/create"),
                    c.getKey() + " (POST)");
        }
        String empty = AuthGateway.raw("GET /api/2.0/mlflow/experiments/get?experiment_id=" + experiment
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \r\nConnection: close\r\n\r\n");
        assertThat(empty).as(empty).startsWith("HTTP/1.1 401");
        assertThat(empty.toLowerCase()).contains("www-authenticate: basic realm=\"mlflow\"");
        assertThat(empty).contains("\"error_code\":\"UNAUTHENTICATED\"");
        // the right password still works after all that
        ok(get(STRANGER, "experiments/get", "experiment_id", experiment));
    }

    // --- 7. the official MLflow Java client ----------------------------------------------------

    @Test
    void theMlflowJavaClientSignsInWithBasicCredentials() {
        try (MlflowClient owner =
                new MlflowClient(new BasicMlflowHostCreds(AuthGateway.url(), OWNER, AuthGateway.password(OWNER)))) {
            String name = "auth-java-" + UUID.randomUUID();
            String exp = owner.createExperiment(name);
            RunInfo created = owner.createRun(exp);
            owner.logMetric(created.getRunId(), "accuracy", 0.9);
            assertThat(owner.getRun(created.getRunId()).getInfo().getUserId()).isEqualTo(OWNER);
            assertThat(owner.getRun(created.getRunId()).getData().getMetricsList())
                    .extracting(Metric::getKey, Metric::getValue)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("accuracy", 0.9));
            assertThat(owner.searchRuns(List.of(exp), "metrics.accuracy > 0.5"))
                    .extracting(RunInfo::getRunId)
                    .containsExactly(created.getRunId());
            assertThat(owner.searchExperiments("name = '" + name + "'").getItems())
                    .extracting(Experiment::getExperimentId)
                    .containsExactly(exp);
        }
        try (MlflowClient denied =
                new MlflowClient(new BasicMlflowHostCreds(AuthGateway.url(), DENIED, AuthGateway.password(DENIED)))) {
            MlflowHttpException e = catchThrowableOfType(MlflowHttpException.class, () -> denied.getRun(run));
            assertThat(e).isNotNull();
            assertThat(e.getStatusCode()).isEqualTo(403);
            assertThat(e.getBodyMessage()).contains("PERMISSION_DENIED");
            assertThat(denied.searchExperiments("name = '" + experimentName + "'")
                            .getItems())
                    .isEmpty();
            MlflowHttpException create =
                    catchThrowableOfType(MlflowHttpException.class, () -> denied.createRun(experiment));
            assertThat(create.getStatusCode()).isEqualTo(403);
        }
        try (MlflowClient wrong =
                new MlflowClient(new BasicMlflowHostCreds(AuthGateway.url(), OWNER, "not-the-password"))) {
            MlflowHttpException e = catchThrowableOfType(MlflowHttpException.class, () -> wrong.getRun(run));
            assertThat(e.getStatusCode()).isEqualTo(401);
        }
    }
}
