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

import dev.skein.common.testing.TestInfra;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
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
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.keys.HmacKey;
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
 *
 * <p>Then the other ways in: access tokens (read-only, limited to experiments or models, revoked at
 * once on every replica, expired, kept only as a digest, unable to manage users, permissions or
 * tokens; service accounts), JWTs of the identity provider ({@link FakeIdp}: users made at first sight,
 * groups giving administrators and a default permission, every kind of untrustworthy token refused,
 * keys rotated without a restart), the web UI's session cookie (its header against cross-site
 * requests, sign-out, the sign-in limit), browser sign-in at the provider (authorization code with
 * PKCE, followed step by step), and a replica's request limit per user. Last, the suite's LLM endpoint by MLflow 3's
 * USE permission: invoked only with USE, read with READ, its grants made through MLflow 3's REST API.
 */
@ExtendWith({Suite.class, AuthGateway.class})
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
    /** An evaluation of the run, read by the run's experiment. */
    static String evaluation;

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
    static void makeUsersAndResourcesOnTheSharedGateway() {
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

        // an evaluation of the run (its data never found: it fails, and is read all the same)
        evaluation = ok(as(OWNER)
                        .contentType(ContentType.JSON)
                        .body(new JsonObject()
                                .put("run_id", run)
                                .put(
                                        "spec",
                                        new JsonObject()
                                                .put("data", "eval/absent.csv")
                                                .put("model_type", "regressor")
                                                .put("targets", "y")
                                                .put("predictions", "y_hat"))
                                .encode())
                        .post("/api/2.0/skein/evaluations"))
                .getJsonObject("evaluation")
                .getString("evaluation_id");
    }

    @AfterAll
    static void stopTheReplica() {
        AuthGateway.stop(replica);
        replica = null;
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

        // evaluation-service: a run's evaluations by its experiment, rules and audits by their model
        ops.add(op("skein/evaluations/search", Level.READ, u -> as(u).queryParam("run_id", run)
                .get("/api/2.0/skein/evaluations/search")));
        ops.add(op("skein/evaluations/get", Level.READ, u -> as(u).queryParam("evaluation_id", evaluation)
                .get("/api/2.0/skein/evaluations/get")));
        ops.add(op("skein/evaluations/rules/get", Level.READ, u -> as(u).queryParam("name", model)
                .get("/api/2.0/skein/evaluations/rules/get")));
        ops.add(op("skein/evaluations/audits/search", Level.READ, u -> as(u).queryParam("name", model)
                .get("/api/2.0/skein/evaluations/audits/search")));
        ops.add(op("skein/evaluations (start)", Level.UPDATE, u -> as(u).contentType(ContentType.JSON)
                .body(new JsonObject()
                        .put("run_id", run)
                        .put(
                                "spec",
                                new JsonObject()
                                        .put("data", "eval/absent-" + u + ".csv")
                                        .put("model_type", "regressor")
                                        .put("targets", "y")
                                        .put("predictions", "y_hat"))
                        .encode())
                .post("/api/2.0/skein/evaluations")));
        ops.add(op("skein/evaluations/rules (set none)", Level.UPDATE, u -> as(u).contentType(ContentType.JSON)
                .body(new JsonObject().put("name", model).encode())
                .post("/api/2.0/skein/evaluations/rules")));

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
    void aVersionFromSkeinsStoreComesOnlyFromARunTheUserMayRead() {
        // the stranger's own model and run; the denied user's way in would be another run's files
        String name = "auth-source-" + UUID.randomUUID();
        ok(post(STRANGER, "registered-models/create", new JsonObject().put("name", name)));
        String theirs = newRun(
                STRANGER,
                ok(post(
                                STRANGER,
                                "experiments/create",
                                new JsonObject().put("name", "auth-source-exp-" + UUID.randomUUID())))
                        .getString("experiment_id"));
        String ownRoot = ok(get(STRANGER, "runs/get", "run_id", theirs))
                .getJsonObject("run")
                .getJsonObject("info")
                .getString("artifact_uri");
        String victimRoot = ok(get(ADMIN, "runs/get", "run_id", run))
                .getJsonObject("run")
                .getJsonObject("info")
                .getString("artifact_uri");
        String store = "s3://" + Suite.BUCKET + "/";
        String victimFiles = store + victimRoot.replaceFirst("^mlflow-artifacts:/+", "") + "/model";
        // in the store without a run: refused, whoever's files they are
        assertThat(post(
                                DENIED,
                                "model-versions/create",
                                new JsonObject().put("name", name).put("source", victimFiles))
                        .statusCode())
                .as("a denied user registering another run's files from the store")
                .isEqualTo(403);
        // with a run of one's own, the files must be that run's
        assertThat(post(
                                STRANGER,
                                "model-versions/create",
                                new JsonObject()
                                        .put("name", name)
                                        .put("run_id", theirs)
                                        .put("source", victimFiles))
                        .statusCode())
                .as("another run's files named beside one's own run")
                .isEqualTo(403);
        // the other run itself, through runs:/ or run_id: only if the user may read it
        assertThat(post(
                                DENIED,
                                "model-versions/create",
                                new JsonObject().put("name", name).put("source", "runs:/" + run + "/model"))
                        .statusCode())
                .as("runs:/ of a run the user may not read")
                .isEqualTo(403);
        assertThat(post(
                                DENIED,
                                "model-versions/create",
                                new JsonObject().put("name", name).put("source", "models:/" + model + "/1"))
                        .statusCode())
                .as("models:/ of a model the user may not read")
                .isEqualTo(403);
        // and one's own run's files are fine (as MLflow's clients name them), as is a location
        // outside Skein's store
        ok(post(
                STRANGER,
                "model-versions/create",
                new JsonObject().put("name", name).put("run_id", theirs).put("source", ownRoot + "/model")));
        ok(post(
                STRANGER,
                "model-versions/create",
                new JsonObject().put("name", name).put("source", "s3://team-bucket/models/" + name)));
    }

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
            String actor = event.getJsonObject("change").getString("actor");
            // evaluation-service's audit verdicts on the new versions may be there too, whenever they come
            if (!"evaluation-service".equals(actor)) {
                seen.add(event.getString("type") + " by " + actor);
            }
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

    // --- 8. access tokens ----------------------------------------------------------------------

    static final String TOKENS = "/api/2.0/skein/tokens/";
    static final String SESSION = "/api/2.0/skein/session";
    /** The header the web UI sends with each call; a change made with a session cookie needs it. */
    static final String UI_HEADER = "X-Skein-Requested-With";

    /** A gateway replica, started by the first test that needs two ({@link #replica()}). */
    static Process replica;

    static final int REPLICA_PORT = 18091;
    /** The replica's own request limit per user, a burst of this many (the shared gateway has none). */
    static final int REPLICA_BURST = 5;

    /** A new user with a password of their own (made by the administrator). */
    static String newUser(String prefix) {
        String user = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        String password = user + "-password-" + UUID.randomUUID();
        ok(post(ADMIN, "users/create", new JsonObject().put("username", user).put("password", password)));
        AuthGateway.rememberPassword(user, password);
        return user;
    }

    /** {@code by} makes an access token: the answer of tokens/create. */
    static JsonObject newToken(String by, JsonObject request) {
        JsonObject made = ok(post(by, TOKENS + "create", request));
        assertThat(made.getString("secret")).as("the secret of a new token").matches("skein_[A-Za-z0-9_-]{43}");
        return made;
    }

    static String secret(JsonObject made) {
        return made.getString("secret");
    }

    static String tokenId(JsonObject made) {
        return made.getJsonObject("token").getString("id");
    }

    static Response byToken(String secret, String path, Object... params) {
        return AuthGateway.get(AuthGateway.bearer(secret), path, params);
    }

    static Response byToken(String secret, String method, String path, JsonObject body) {
        return AuthGateway.send(AuthGateway.bearer(secret), method, path, body);
    }

    static Response uploadByToken(String secret, String path, String content) {
        return AuthGateway.bearer(secret)
                .contentType(ContentType.BINARY)
                .body(content.getBytes(StandardCharsets.UTF_8))
                .put(PROXY + path);
    }

    static JsonObject runCreate(String experimentId) {
        return new JsonObject().put("experiment_id", experimentId).put("start_time", System.currentTimeMillis());
    }

    static String runUser(Response created) {
        return ok(created).getJsonObject("run").getJsonObject("info").getString("user_id");
    }

    static List<String> tokenIds(String user, Object... params) {
        return names(ok(get(user, TOKENS + "list", params)).getJsonArray("tokens", new JsonArray()), "id");
    }

    static JsonObject revoke(String id) {
        return new JsonObject().put("token_id", id);
    }

    @Test
    void anAccessTokenActsAsItsUserAndItsSecretIsShownOnce() {
        long before = System.currentTimeMillis();
        JsonObject made = newToken(OWNER, new JsonObject().put("name", "laptop"));
        String secret = secret(made);
        JsonObject token = made.getJsonObject("token");
        assertThat(token.getString("name")).isEqualTo("laptop");
        assertThat(token.getString("username")).isEqualTo(OWNER);
        assertThat(token.getString("prefix")).as("the prefix shown in listings").isEqualTo(secret.substring(0, 12));
        assertThat(token.getBoolean("read_only")).isFalse();
        assertThat(token.containsKey("experiment_ids")).isFalse();
        assertThat(token.getLong("creation_time")).isBetween(before - 60_000, System.currentTimeMillis() + 60_000);
        assertThat(token.getLong("expiry_time") - token.getLong("creation_time"))
                .as("the default life of a token: 90 days")
                .isBetween(
                        Duration.ofDays(90).toMillis() - 120_000,
                        Duration.ofDays(90).toMillis() + 120_000);

        // the token is its user: reads, writes, and what it makes carries the user's name
        assertThat(ok(byToken(secret, "experiments/get", "experiment_id", experiment))
                        .getJsonObject("experiment")
                        .getString("name"))
                .isEqualTo(experimentName);
        assertThat(runUser(byToken(secret, "POST", "runs/create", runCreate(experiment))))
                .as("the user of a run made with the owner's token")
                .isEqualTo(OWNER);
        assertThat(byToken(secret, "/api/2.0/mlflow-artifacts/artifacts/" + artifactPath("a.txt"))
                        .asString())
                .isEqualTo(ARTIFACT);

        // listed without its secret, with when it was last used; nobody else sees it
        JsonObject listed = ok(get(OWNER, TOKENS + "list")).getJsonArray("tokens").stream()
                .map(JsonObject.class::cast)
                .filter(t -> t.getString("id").equals(tokenId(made)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("tokens/list of the owner lacks the new token"));
        assertThat(listed.getString("prefix")).isEqualTo(secret.substring(0, 12));
        assertThat(listed.containsKey("last_used_time"))
                .as("last_used_time after use")
                .isTrue();
        assertThat(ok(get(OWNER, TOKENS + "list")).encode())
                .as("tokens/list never shows a secret")
                .doesNotContain(secret.substring(12))
                .doesNotContain("\"secret\"");
        assertThat(tokenIds(ADMIN, "username", OWNER))
                .as("the administrator lists the owner's tokens")
                .contains(tokenId(made));
        assertDenied(get(READER, TOKENS + "list", "username", OWNER), "reader listing the owner's tokens");
        assertThat(error(post(READER, TOKENS + "revoke", revoke(tokenId(made)))))
                .as("reader revoking the owner's token: as unknown to them as a token that does not exist")
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        ok(byToken(secret, "experiments/get", "experiment_id", experiment));

        // a token's life is bounded
        for (int days : List.of(0, -1, 366)) {
            assertThat(error(post(
                            OWNER,
                            TOKENS + "create",
                            new JsonObject().put("name", "x").put("expires_in_days", days))))
                    .as("expires_in_days " + days)
                    .isEqualTo("400 INVALID_PARAMETER_VALUE");
        }
        assertUnauthenticated(
                AuthGateway.send(AuthGateway.anonymous(), "POST", TOKENS + "create", new JsonObject().put("name", "x")),
                "tokens/create without credentials");
    }

    @Test
    void anAdministratorMakesTokensForOthersAndOnlyAnAdministrator() {
        JsonObject made =
                newToken(ADMIN, new JsonObject().put("name", "for-reader").put("username", READER));
        assertThat(made.getJsonObject("token").getString("username")).isEqualTo(READER);
        String secret = secret(made);
        // the token is the reader's, with the reader's permissions — not the administrator's
        ok(byToken(secret, "experiments/get", "experiment_id", experiment));
        assertDenied(
                byToken(secret, "POST", "runs/create", runCreate(experiment)), "the reader's token creating a run");
        assertDenied(
                byToken(secret, "/api/2.0/skein/audit/events", "model", model),
                "the reader's token reading the audit trail");
        assertThat(tokenIds(READER))
                .as("the reader lists the token made for them")
                .contains(tokenId(made));

        assertDenied(
                post(
                        EDITOR,
                        TOKENS + "create",
                        new JsonObject().put("name", "x").put("username", READER)),
                "editor making a token for reader");
        assertThat(error(post(
                        ADMIN,
                        TOKENS + "create",
                        new JsonObject().put("name", "x").put("username", "nobody-" + UUID.randomUUID()))))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        // the reader revokes it themselves
        assertThat(ok(post(READER, TOKENS + "revoke", revoke(tokenId(made)))).encode())
                .isEqualTo("{}");
        assertUnauthenticated(byToken(secret, "experiments/get", "experiment_id", experiment), "a revoked token");
    }

    @Test
    void aReadOnlyTokenReadsButNeverWrites() {
        JsonObject made =
                newToken(OWNER, new JsonObject().put("name", "read-only").put("read_only", true));
        assertThat(made.getJsonObject("token").getBoolean("read_only")).isTrue();
        String secret = secret(made);

        ok(byToken(secret, "experiments/get", "experiment_id", experiment));
        ok(byToken(secret, "runs/get", "run_id", run));
        ok(byToken(secret, "metrics/get-history", "run_id", run, "metric_key", "loss"));
        assertThat(experimentsFoundBy(secret, "name = '" + experimentName + "'"))
                .containsExactly(experiment);
        assertThat(byToken(secret, "/api/2.0/mlflow-artifacts/artifacts/" + artifactPath("a.txt"))
                        .asString())
                .isEqualTo(ARTIFACT);
        ok(byToken(secret, "registered-models/get", "name", model));

        String name = "auth-readonly-" + UUID.randomUUID();
        assertDenied(
                byToken(secret, "POST", "experiments/create", new JsonObject().put("name", name)),
                "read-only token: experiments/create");
        assertThat(error(get(ADMIN, "experiments/get-by-name", "experiment_name", name)))
                .as("the experiment a read-only token tried to create")
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertDenied(byToken(secret, "POST", "runs/create", runCreate(experiment)), "read-only token: runs/create");
        assertDenied(
                byToken(
                        secret,
                        "POST",
                        "runs/log-metric",
                        new JsonObject()
                                .put("run_id", run)
                                .put("key", "by-read-only")
                                .put("value", 1.0)
                                .put("timestamp", System.currentTimeMillis())),
                "read-only token: runs/log-metric");
        assertDenied(
                byToken(
                        secret,
                        "POST",
                        "experiments/set-experiment-tag",
                        new JsonObject()
                                .put("experiment_id", experiment)
                                .put("key", "read-only")
                                .put("value", "v")),
                "read-only token: set-experiment-tag");
        assertDenied(
                uploadByToken(secret, artifactPath("by-read-only.txt"), "nope"), "read-only token: artifact upload");
        assertThat(download(OWNER, artifactPath("by-read-only.txt")).statusCode())
                .as("the file a read-only token tried to upload")
                .isEqualTo(404);
        assertDenied(
                AuthGateway.bearer(secret).delete(PROXY + artifactPath("a.txt")), "read-only token: artifact delete");
        assertDenied(
                byToken(secret, "POST", "registered-models/create", new JsonObject().put("name", name)),
                "read-only token: registered-models/create");
        assertDenied(
                byToken(
                        secret,
                        "PATCH",
                        "registered-models/update",
                        new JsonObject().put("name", model).put("description", "x")),
                "read-only token: registered-models/update");
        assertThat(ok(get(ADMIN, "runs/get", "run_id", run)).encode()).doesNotContain("by-read-only");
    }

    static List<String> experimentsFoundBy(String secret, String filter) {
        return names(
                ok(byToken(secret, "POST", "experiments/search", new JsonObject().put("filter", filter)))
                        .getJsonArray("experiments", new JsonArray()),
                "experiment_id");
    }

    @Test
    void aTokenForOneExperimentReachesNoOtherExperiment() {
        String other = freshExperiment("auth-scope-");
        String otherRun = newRun(OWNER, other);
        JsonObject made = newToken(
                OWNER,
                new JsonObject().put("name", "one-experiment").put("experiment_ids", new JsonArray().add(experiment)));
        assertThat(made.getJsonObject("token").getJsonArray("experiment_ids")).containsExactly(experiment);
        String secret = secret(made);

        // within its experiment, what the owner may do
        ok(byToken(secret, "experiments/get", "experiment_id", experiment));
        assertThat(runUser(byToken(secret, "POST", "runs/create", runCreate(experiment))))
                .isEqualTo(OWNER);
        // elsewhere nothing, though the owner manages the other experiment
        ok(get(OWNER, "experiments/get", "experiment_id", other));
        assertDenied(byToken(secret, "experiments/get", "experiment_id", other), "scoped token: another experiment");
        assertDenied(byToken(secret, "runs/get", "run_id", otherRun), "scoped token: a run of another experiment");
        assertDenied(
                byToken(secret, "POST", "runs/create", runCreate(other)), "scoped token: a run in another experiment");
        assertDenied(
                byToken(secret, "/api/2.0/mlflow-artifacts/artifacts/" + other + "/" + otherRun + "/artifacts"),
                "scoped token: another experiment's artifacts");
        // searches show its experiment only
        assertThat(experimentsFoundBy(secret, "name LIKE 'auth-%'"))
                .as("experiments/search with a token for one experiment")
                .containsExactly(experiment);
        List<String> runExperiments = new ArrayList<>();
        ok(byToken(
                        secret,
                        "POST",
                        "runs/search",
                        new JsonObject()
                                .put(
                                        "experiment_ids",
                                        new JsonArray().add(experiment).add(other))))
                .getJsonArray("runs", new JsonArray())
                .forEach(r -> runExperiments.add(
                        ((JsonObject) r).getJsonObject("info").getString("experiment_id")));
        assertThat(runExperiments)
                .as("runs/search over both experiments")
                .isNotEmpty()
                .containsOnly(experiment);

        // a token for one registered model, likewise
        String otherModel = freshModel("auth-scope-model-");
        String forModel = secret(newToken(
                OWNER,
                new JsonObject().put("name", "one-model").put("registered_model_names", new JsonArray().add(model))));
        ok(byToken(forModel, "registered-models/get", "name", model));
        assertDenied(
                byToken(forModel, "registered-models/get", "name", otherModel), "model-scoped token: another model");
        assertDenied(
                byToken(
                        forModel,
                        "PATCH",
                        "registered-models/update",
                        new JsonObject().put("name", otherModel).put("description", "x")),
                "model-scoped token: updating another model");
        assertThat(names(
                        ok(byToken(forModel, "registered-models/search", "filter", "name LIKE 'auth-%'"))
                                .getJsonArray("registered_models", new JsonArray()),
                        "name"))
                .as("registered-models/search with a token for one model")
                .containsExactly(model);
    }

    /**
     * A token limited to some experiments (or models) acts within them only: making a new experiment
     * (or model) is acting outside them too.
     */
    @Test
    void aTokenForSomeExperimentsOrModelsCannotCreateOthers() {
        String forExperiment = secret(newToken(
                OWNER,
                new JsonObject()
                        .put("name", "one-experiment-create")
                        .put("experiment_ids", new JsonArray().add(experiment))));
        String forModel = secret(newToken(
                OWNER,
                new JsonObject()
                        .put("name", "one-model-create")
                        .put("registered_model_names", new JsonArray().add(model))));
        String name = "auth-scope-create-" + UUID.randomUUID();
        Response experimentCreated =
                byToken(forExperiment, "POST", "experiments/create", new JsonObject().put("name", name));
        Response modelCreated =
                byToken(forModel, "POST", "registered-models/create", new JsonObject().put("name", name));
        String outcome = "experiments/create with a token for experiment " + experiment + " answered "
                + experimentCreated.statusCode() + " (the experiment exists after: "
                + (get(ADMIN, "experiments/get-by-name", "experiment_name", name)
                                .statusCode()
                        == 200)
                + "); registered-models/create with a token for model " + model + " answered "
                + modelCreated.statusCode() + " (the model exists after: "
                + (get(ADMIN, "registered-models/get", "name", name).statusCode() == 200) + ")";
        assertDenied(experimentCreated, outcome);
        assertDenied(modelCreated, outcome);
    }

    @Test
    void aRevokedTokenIsRefusedAtOnce() {
        JsonObject made = newToken(EDITOR, new JsonObject().put("name", "to-revoke"));
        String secret = secret(made);
        ok(byToken(secret, "experiments/get", "experiment_id", experiment));
        assertThat(ok(post(EDITOR, TOKENS + "revoke", revoke(tokenId(made)))).encode())
                .isEqualTo("{}");
        assertUnauthenticated(
                byToken(secret, "experiments/get", "experiment_id", experiment), "the request right after revocation");
        assertUnauthenticated(
                byToken(secret, "POST", "runs/create", runCreate(experiment)), "a change right after revocation");
        assertThat(tokenIds(EDITOR)).as("tokens/list after revocation").doesNotContain(tokenId(made));
        assertThat(error(post(EDITOR, TOKENS + "revoke", revoke(tokenId(made)))))
                .as("revoking it again")
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
    }

    /**
     * Another gateway process like the shared one (same database, configuration, identity provider),
     * with a request limit of its own: {@value #REPLICA_BURST} at once, then 6 a minute per user.
     */
    static synchronized Process replica() throws Exception {
        if (replica == null || !replica.isAlive()) {
            replica = AuthGateway.replica(
                    REPLICA_PORT,
                    TestInfra.repoRoot().resolve("deploy/e2e/target/auth-gateway-replica.log"),
                    Map.of(
                            "SKEIN_AUTH_RATE_LIMIT_PER_MINUTE",
                            "6",
                            "SKEIN_AUTH_RATE_LIMIT_BURST",
                            Integer.toString(REPLICA_BURST)));
        }
        return replica;
    }

    @Test
    void aTokenRevokedOnOneReplicaIsRefusedByAnotherAtOnce() throws Exception {
        replica();
        String user = newUser("replicas");
        JsonObject first = newToken(user, new JsonObject().put("name", "first"));
        ok(AuthGateway.get(
                AuthGateway.at(REPLICA_PORT).header("Authorization", "Bearer " + secret(first)),
                "experiments/get",
                "experiment_id",
                experiment));
        ok(post(user, TOKENS + "revoke", revoke(tokenId(first))));
        assertUnauthenticated(
                AuthGateway.get(
                        AuthGateway.at(REPLICA_PORT).header("Authorization", "Bearer " + secret(first)),
                        "experiments/get",
                        "experiment_id",
                        experiment),
                "the other replica, right after the token was revoked on the first");

        // and the other way round
        JsonObject second = newToken(user, new JsonObject().put("name", "second"));
        ok(byToken(secret(second), "experiments/get", "experiment_id", experiment));
        ok(AuthGateway.send(
                AuthGateway.at(REPLICA_PORT)
                        .header("Authorization", AuthGateway.basic(user, AuthGateway.password(user))),
                "POST",
                TOKENS + "revoke",
                revoke(tokenId(second))));
        assertUnauthenticated(
                byToken(secret(second), "experiments/get", "experiment_id", experiment),
                "the first replica, right after the token was revoked on the other");
    }

    @Test
    void eachReplicaLimitsEachUsersRequests() throws Exception {
        replica();
        String busy = newUser("busy");
        String calm = newUser("calm");
        Function<String, RequestSpecification> onReplica = user -> AuthGateway.at(REPLICA_PORT)
                .header("Authorization", AuthGateway.basic(user, AuthGateway.password(user)));
        List<Integer> statuses = new ArrayList<>();
        Response limited = null;
        for (int i = 0; i < REPLICA_BURST + 3 && limited == null; i++) {
            Response r = AuthGateway.get(onReplica.apply(busy), "experiments/get", "experiment_id", experiment);
            statuses.add(r.statusCode());
            if (r.statusCode() == 429) {
                limited = r;
            }
        }
        assertThat(limited)
                .as("a 429 after a burst of " + REPLICA_BURST + " requests: " + statuses)
                .isNotNull();
        assertThat(statuses.subList(0, REPLICA_BURST)).as("the burst").containsOnly(200);
        assertThat(new JsonObject(limited.asString()).getString("error_code")).isEqualTo("REQUEST_LIMIT_EXCEEDED");
        assertThat(Integer.parseInt(limited.header("Retry-After")))
                .as("Retry-After")
                .isBetween(1, 60);
        // refused before any work: nothing is created
        String name = "auth-limited-" + UUID.randomUUID();
        assertThat(AuthGateway.send(
                                onReplica.apply(busy), "POST", "experiments/create", new JsonObject().put("name", name))
                        .statusCode())
                .isEqualTo(429);
        assertThat(error(get(ADMIN, "experiments/get-by-name", "experiment_name", name)))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        // per user, and per replica
        ok(AuthGateway.get(onReplica.apply(calm), "experiments/get", "experiment_id", experiment));
        ok(get(busy, "experiments/get", "experiment_id", experiment));
    }

    static Connection database() throws SQLException {
        return TestInfra.connect(Suite.DATABASE);
    }

    @Test
    void anExpiredTokenIsRefused() throws SQLException {
        JsonObject made =
                newToken(EDITOR, new JsonObject().put("name", "one-day").put("expires_in_days", 1));
        JsonObject token = made.getJsonObject("token");
        assertThat(token.getLong("expiry_time") - token.getLong("creation_time"))
                .as("a token for one day")
                .isBetween(
                        Duration.ofDays(1).toMillis() - 120_000,
                        Duration.ofDays(1).toMillis() + 120_000);
        String secret = secret(made);
        ok(byToken(secret, "experiments/get", "experiment_id", experiment));
        // a day later
        try (Connection c = database();
                PreparedStatement update = c.prepareStatement(
                        "UPDATE gateway.tokens SET expires_at = now() - interval '1 second' WHERE id = ?")) {
            update.setLong(1, Long.parseLong(tokenId(made)));
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
        assertUnauthenticated(byToken(secret, "experiments/get", "experiment_id", experiment), "an expired token");
        assertUnauthenticated(byToken(secret, "POST", "runs/create", runCreate(experiment)), "an expired token (POST)");
    }

    static byte[] sha256(String s) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The tables of schema {@code gateway} with a row whose text holds {@code secret}. */
    static List<String> tablesHolding(String secret) throws SQLException {
        List<String> holding = new ArrayList<>();
        try (Connection c = database()) {
            List<String> tables = new ArrayList<>();
            try (PreparedStatement q = c.prepareStatement(
                            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'gateway'");
                    ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            assertThat(tables).contains("users", "tokens", "sessions");
            for (String table : tables) {
                try (PreparedStatement q = c.prepareStatement(
                        "SELECT count(*) FROM gateway.\"" + table + "\" t WHERE strpos(t::text, ?) > 0")) {
                    q.setString(1, secret);
                    try (ResultSet rs = q.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) > 0) {
                            holding.add(table);
                        }
                    }
                }
            }
        }
        return holding;
    }

    @Test
    void theDatabaseKeepsNoSecretNorPassword() throws Exception {
        JsonObject made = newToken(OWNER, new JsonObject().put("name", "at-rest"));
        String secret = secret(made);
        try (Connection c = database();
                PreparedStatement q =
                        c.prepareStatement("SELECT secret_sha256, prefix FROM gateway.tokens WHERE id = ?")) {
            q.setLong(1, Long.parseLong(tokenId(made)));
            try (ResultSet rs = q.executeQuery()) {
                assertThat(rs.next()).as("the token's row").isTrue();
                assertThat(rs.getBytes(1))
                        .as("secret_sha256: SHA-256 of the secret")
                        .hasSize(32)
                        .isEqualTo(sha256(secret));
                assertThat(rs.getString(2)).as("the prefix kept").isEqualTo(secret.substring(0, 12));
            }
        }
        assertThat(tablesHolding(secret.substring(12)))
                .as("tables holding the token's secret")
                .isEmpty();

        String user = newUser("at-rest");
        String password = AuthGateway.password(user);
        try (Connection c = database();
                PreparedStatement q =
                        c.prepareStatement("SELECT password_hash FROM gateway.users WHERE username = ?")) {
            q.setString(1, user);
            try (ResultSet rs = q.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1))
                        .as("password_hash")
                        .startsWith("pbkdf2-sha256$600000$")
                        .doesNotContain(password);
            }
        }
        assertThat(tablesHolding(password))
                .as("tables holding a user's password")
                .isEmpty();

        String cookie = sessionCookie(signIn(user, password));
        try (Connection c = database();
                PreparedStatement q =
                        c.prepareStatement("SELECT count(*) FROM gateway.sessions WHERE secret_sha256 = ?")) {
            q.setBytes(1, sha256(cookie));
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1))
                        .as("sessions kept as the SHA-256 of their cookie")
                        .isEqualTo(1);
            }
        }
        assertThat(tablesHolding(cookie))
                .as("tables holding a session's cookie")
                .isEmpty();
        // nor does the gateway log them
        String logged = String.join("\n", AuthGateway.logFrom(0));
        assertThat(logged.contains(secret.substring(12)))
                .as("the gateway's log holds a token's secret")
                .isFalse();
        assertThat(logged.contains(password))
                .as("the gateway's log holds a password")
                .isFalse();
        assertThat(logged.contains(cookie))
                .as("the gateway's log holds a session cookie")
                .isFalse();
    }

    @Test
    void aTokenCannotMintTokensChangePasswordsNorGrantPermissions() {
        String owners = secret(newToken(OWNER, new JsonObject().put("name", "leaky")));
        String admins = secret(newToken(ADMIN, new JsonObject().put("name", "leaky-admin")));
        JsonObject anotherToken = new JsonObject().put("name", "minted");
        for (Map.Entry<String, String> t :
                Map.of("owner's token", owners, "administrator's token", admins).entrySet()) {
            String who = t.getKey();
            String secret = t.getValue();
            assertDenied(byToken(secret, "POST", TOKENS + "create", anotherToken), who + ": tokens/create");
            assertDenied(
                    byToken(
                            secret,
                            "POST",
                            TOKENS + "create",
                            anotherToken.copy().put("username", READER)),
                    who + ": tokens/create for another user");
            assertDenied(
                    byToken(
                            secret,
                            "PATCH",
                            "users/update-password",
                            new JsonObject().put("username", OWNER).put("password", "taken-over")),
                    who + ": users/update-password");
            assertDenied(
                    byToken(
                            secret,
                            "POST",
                            "experiments/permissions/create",
                            new JsonObject()
                                    .put("experiment_id", experiment)
                                    .put("username", STRANGER)
                                    .put("permission", "MANAGE")),
                    who + ": experiments/permissions/create");
            assertDenied(
                    byToken(
                            secret,
                            "POST",
                            "registered-models/permissions/create",
                            new JsonObject()
                                    .put("name", model)
                                    .put("username", STRANGER)
                                    .put("permission", "MANAGE")),
                    who + ": registered-models/permissions/create");
            // reading is allowed
            ok(byToken(secret, TOKENS + "list"));
        }
        assertDenied(
                byToken(
                        admins,
                        "POST",
                        "users/create",
                        new JsonObject()
                                .put("username", "minted-" + UUID.randomUUID())
                                .put("password", "p")),
                "administrator's token: users/create");
        assertDenied(
                byToken(
                        admins,
                        "PATCH",
                        "users/update-admin",
                        new JsonObject().put("username", STRANGER).put("is_admin", true)),
                "administrator's token: users/update-admin");
        assertDenied(
                byToken(
                        admins,
                        "POST",
                        "/api/2.0/skein/service-accounts/create",
                        new JsonObject().put("username", "minted-" + UUID.randomUUID())),
                "administrator's token: service-accounts/create");
        // nothing changed: the owner's password still works, the stranger got nothing
        ok(get(OWNER, "experiments/get", "experiment_id", experiment));
        assertThat(error(get(OWNER, "experiments/permissions/get", "experiment_id", experiment, "username", STRANGER)))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(ok(get(ADMIN, "users/get", "username", STRANGER))
                        .getJsonObject("user")
                        .getBoolean("is_admin"))
                .isFalse();
    }

    @Test
    void aServiceAccountCannotSignInButTheTokensAnAdministratorMakesForItWork() {
        String account = "svc-" + UUID.randomUUID().toString().substring(0, 8);
        assertDenied(
                post(OWNER, "/api/2.0/skein/service-accounts/create", new JsonObject().put("username", account)),
                "owner making a service account");
        JsonObject created = ok(post(
                        ADMIN, "/api/2.0/skein/service-accounts/create", new JsonObject().put("username", account)))
                .getJsonObject("user");
        assertThat(created.getString("username")).isEqualTo(account);
        assertThat(created.getBoolean("service_account")).isTrue();
        assertThat(created.getBoolean("is_admin")).isFalse();
        assertThat(ok(get(ADMIN, "/api/2.0/skein/users/list")).getJsonArray("users").stream()
                        .map(JsonObject.class::cast)
                        .filter(u -> u.getString("username").equals(account))
                        .map(u -> u.getBoolean("service_account"))
                        .toList())
                .as("users/list shows the service account as one")
                .containsExactly(true);

        for (String password : List.of("", "!", "x", "anything")) {
            assertUnauthenticated(
                    AuthGateway.withAuthorization(AuthGateway.basic(account, password))
                            .queryParam("experiment_id", experiment)
                            .get("/api/2.0/mlflow/experiments/get"),
                    "the service account with Basic and password '" + password + "'");
            assertThat(AuthGateway.send(
                                    AuthGateway.anonymous(),
                                    "POST",
                                    SESSION + "/sign-in",
                                    new JsonObject().put("username", account).put("password", password))
                            .statusCode())
                    .as("the service account signing in to the web UI with password '" + password + "'")
                    .isEqualTo(password.isEmpty() ? 400 : 401);
        }

        String secret =
                secret(newToken(ADMIN, new JsonObject().put("name", "ci").put("username", account)));
        String exp = ok(byToken(
                        secret,
                        "POST",
                        "experiments/create",
                        new JsonObject().put("name", "auth-svc-" + UUID.randomUUID())))
                .getString("experiment_id");
        assertThat(runUser(byToken(secret, "POST", "runs/create", runCreate(exp))))
                .isEqualTo(account);
        ok(byToken(secret, "experiments/get", "experiment_id", experiment));
        assertDenied(
                byToken(secret, "POST", "runs/create", runCreate(experiment)),
                "the service account in the owner's experiment");
    }

    @Test
    void theMlflowJavaClientWorksWithAnAccessToken() {
        String secret = secret(newToken(OWNER, new JsonObject().put("name", "java-client")));
        try (MlflowClient client = new MlflowClient(new BasicMlflowHostCreds(AuthGateway.url(), secret))) {
            RunInfo created = client.createRun(experiment);
            client.logMetric(created.getRunId(), "f1", 0.75);
            assertThat(client.getRun(created.getRunId()).getInfo().getUserId()).isEqualTo(OWNER);
            assertThat(client.getRun(created.getRunId()).getData().getMetricsList())
                    .extracting(Metric::getKey, Metric::getValue)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("f1", 0.75));
        }
        String readOnly =
                secret(newToken(OWNER, new JsonObject().put("name", "java-ro").put("read_only", true)));
        try (MlflowClient client = new MlflowClient(new BasicMlflowHostCreds(AuthGateway.url(), readOnly))) {
            assertThat(client.getExperiment(experiment).getName()).isEqualTo(experimentName);
            MlflowHttpException e = catchThrowableOfType(MlflowHttpException.class, () -> client.createRun(experiment));
            assertThat(e)
                    .as("a read-only token creating a run through the Java client")
                    .isNotNull();
            assertThat(e.getStatusCode()).isEqualTo(403);
        }
        try (MlflowClient client = new MlflowClient(new BasicMlflowHostCreds(AuthGateway.url(), "skein_not-a-token"))) {
            MlflowHttpException e = catchThrowableOfType(MlflowHttpException.class, () -> client.getRun(run));
            assertThat(e.getStatusCode()).isEqualTo(401);
        }
    }

    // --- 9. tokens of the identity provider ----------------------------------------------------

    static FakeIdp idp() {
        return AuthGateway.idp();
    }

    static String jwtUser(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void aProvidersTokenSignsInItsUserWhoIsMadeAtFirstSight() {
        String user = jwtUser("jwt-ada");
        assertThat(error(get(ADMIN, "users/get", "username", user)))
                .as("before their first request")
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        String jwt = idp().sign(FakeIdp.claims(user));
        assertThat(ok(byToken(jwt, "experiments/get", "experiment_id", experiment))
                        .getJsonObject("experiment")
                        .getString("name"))
                .isEqualTo(experimentName);
        JsonObject made = ok(get(ADMIN, "users/get", "username", user)).getJsonObject("user");
        assertThat(made.getBoolean("is_admin")).isFalse();
        // the default permission, READ: no run in the owner's experiment; their own experiment is theirs
        assertDenied(
                byToken(jwt, "POST", "runs/create", runCreate(experiment)),
                "a provider's user without groups creating a run");
        String own = ok(byToken(
                        jwt,
                        "POST",
                        "experiments/create",
                        new JsonObject().put("name", "auth-jwt-" + UUID.randomUUID())))
                .getString("experiment_id");
        assertThat(runUser(byToken(jwt, "POST", "runs/create", runCreate(own)))).isEqualTo(user);
        // a second token of the same user is the same user
        ok(byToken(idp().sign(FakeIdp.claims(user)), "experiments/get", "experiment_id", own));
        assertThat(ok(get(ADMIN, "users/get", "username", user))
                        .getJsonObject("user")
                        .getLong("id"))
                .isEqualTo(made.getLong("id"));
        // permissions are granted to them by name like to anyone
        grant(OWNER, "experiments", "experiment_id", experiment, user, "EDIT");
        ok(byToken(jwt, "POST", "runs/create", runCreate(experiment)));
    }

    @Test
    void aProvidersGroupsMakeAdministratorsAndGiveADefaultPermission() {
        String boss = jwtUser("jwt-boss");
        String bossToken = idp().sign(FakeIdp.claims(boss, "ml-admins", "staff"));
        assertThat(ok(byToken(bossToken, "/api/2.0/skein/audit/events", "model", model))
                        .getJsonArray("events"))
                .as("the audit trail, for a member of ml-admins")
                .isNotEmpty();
        ok(byToken(bossToken, "/api/2.0/skein/users/list"));
        ok(byToken(
                bossToken,
                "POST",
                "experiments/set-experiment-tag",
                new JsonObject()
                        .put("experiment_id", experiment)
                        .put("key", "tagged-by-group-admin")
                        .put("value", "v")));
        // membership makes the administrator, not a flag kept on the user: a token without the group is not
        assertThat(ok(get(ADMIN, "users/get", "username", boss))
                        .getJsonObject("user")
                        .getBoolean("is_admin"))
                .isFalse();
        assertDenied(
                byToken(idp().sign(FakeIdp.claims(boss)), "/api/2.0/skein/audit/events", "model", model),
                "the same user with a token that names no group");

        String editor = jwtUser("jwt-editor");
        String editorToken = idp().sign(FakeIdp.claims(editor, "ml-editors"));
        assertDenied(
                post(STRANGER, "runs/create", runCreate(experiment)), "stranger (the default, READ) creating a run");
        assertThat(runUser(byToken(editorToken, "POST", "runs/create", runCreate(experiment))))
                .as("a member of ml-editors (EDIT by default) creating a run where a stranger may only read")
                .isEqualTo(editor);
        String deletable = freshExperiment("auth-group-");
        assertDenied(
                byToken(editorToken, "POST", "experiments/delete", new JsonObject().put("experiment_id", deletable)),
                "a member of ml-editors deleting an experiment (EDIT is not MANAGE)");
        assertDenied(
                byToken(editorToken, "/api/2.0/skein/audit/events", "model", model),
                "a member of ml-editors reading the audit trail");
        // a permission of their own wins over the group's default
        String closed = freshExperiment("auth-closed-");
        grant(OWNER, "experiments", "experiment_id", closed, editor, "NO_PERMISSIONS");
        assertDenied(
                byToken(editorToken, "experiments/get", "experiment_id", closed),
                "ml-editors member with NO_PERMISSIONS of their own");
    }

    /** The token's payload with one claim changed, its signature kept. */
    static String tampered(String jwt, String claim, String value) {
        String[] parts = jwt.split("\\.");
        JsonObject payload =
                new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        payload.put(claim, value);
        return parts[0] + "."
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(payload.encode().getBytes(StandardCharsets.UTF_8))
                + "." + parts[2];
    }

    @Test
    void tokensTheGatewayMustNotTrustAreRefusedWithMlflowsAnswer() throws Exception {
        int logged = AuthGateway.logFrom(0).size();
        String user = jwtUser("jwt-mallory");
        RsaJsonWebKey key = idp().signingKey();
        Map<String, String> refused = new LinkedHashMap<>();
        JwtClaims expired = FakeIdp.claims(user);
        expired.setExpirationTimeMinutesInTheFuture(-5);
        refused.put("an expired token", idp().sign(expired));
        JwtClaims noExpiry = FakeIdp.claims(user);
        noExpiry.unsetClaim("exp");
        refused.put("a token without expiry", idp().sign(noExpiry));
        JwtClaims notYet = FakeIdp.claims(user);
        notYet.setNotBeforeMinutesInThePast(-10);
        refused.put("a token valid only in ten minutes", idp().sign(notYet));
        JwtClaims otherAudience = FakeIdp.claims(user);
        otherAudience.setAudience("some-other-service");
        refused.put("a token for another audience", idp().sign(otherAudience));
        JwtClaims noAudience = FakeIdp.claims(user);
        noAudience.unsetClaim("aud");
        refused.put("a token without audience", idp().sign(noAudience));
        JwtClaims otherIssuer = FakeIdp.claims(user);
        otherIssuer.setIssuer("http://127.0.0.1:1/evil");
        refused.put("a token of another issuer (signed with the provider's key)", idp().sign(otherIssuer));
        JwtClaims noIssuer = FakeIdp.claims(user);
        noIssuer.unsetClaim("iss");
        refused.put("a token without issuer", idp().sign(noIssuer));
        RsaJsonWebKey unknown = FakeIdp.newKey();
        refused.put(
                "a token signed by a key the provider never published",
                FakeIdp.sign(
                        FakeIdp.claims(user),
                        unknown.getPrivateKey(),
                        unknown.getKeyId(),
                        AlgorithmIdentifiers.RSA_USING_SHA256));
        refused.put(
                "a token signed by an unknown key under the provider's kid",
                FakeIdp.sign(
                        FakeIdp.claims(user),
                        unknown.getPrivateKey(),
                        key.getKeyId(),
                        AlgorithmIdentifiers.RSA_USING_SHA256));
        refused.put(
                "an unsigned token (alg none)",
                FakeIdp.sign(FakeIdp.claims(user), null, key.getKeyId(), AlgorithmIdentifiers.NONE));
        refused.put(
                "an unsigned token (alg none) without kid",
                FakeIdp.sign(FakeIdp.claims(user), null, null, AlgorithmIdentifiers.NONE));
        refused.put(
                "HS256 with the provider's public key as the secret",
                FakeIdp.sign(
                        FakeIdp.claims(user),
                        new HmacKey(key.getPublicKey().getEncoded()),
                        key.getKeyId(),
                        AlgorithmIdentifiers.HMAC_SHA256));
        refused.put(
                "HS256 with the provider's JWKS entry as the secret",
                FakeIdp.sign(
                        FakeIdp.claims(user),
                        new HmacKey(key.toJson(org.jose4j.jwk.JsonWebKey.OutputControlLevel.PUBLIC_ONLY)
                                .getBytes(StandardCharsets.UTF_8)),
                        key.getKeyId(),
                        AlgorithmIdentifiers.HMAC_SHA256));
        refused.put(
                "a token whose user was changed after signing",
                tampered(idp().sign(FakeIdp.claims(user)), "preferred_username", ADMIN));
        JwtClaims nameless = FakeIdp.claims(user);
        nameless.unsetClaim("preferred_username");
        refused.put("a token naming no user", idp().sign(nameless));
        refused.put("garbage a.b.c", "a.b.c");
        refused.put("three empty parts", "..");
        refused.put("a JWT header with no payload", "eyJhbGciOiJSUzI1NiJ9..");
        for (Map.Entry<String, String> c : refused.entrySet()) {
            assertUnauthenticated(byToken(c.getValue(), "experiments/get", "experiment_id", experiment), c.getKey());
            assertUnauthenticated(
                    byToken(c.getValue(), "POST", "runs/create", runCreate(experiment)), c.getKey() + " (POST)");
        }
        assertThat(error(get(ADMIN, "users/get", "username", user)))
                .as("a user named only by refused tokens is not made")
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        // the provider's real tokens still work after all that
        ok(byToken(idp().sign(FakeIdp.claims(user)), "experiments/get", "experiment_id", experiment));
        Thread.sleep(200);
        assertThat(AuthGateway.logFrom(logged).stream()
                        .filter(line -> line.contains(" ERROR "))
                        .toList())
                .as("errors the gateway logged while refusing tokens")
                .isEmpty();
    }

    @Test
    void aKeyTheProviderPublishesLaterIsTrustedWithoutARestart() throws Exception {
        String user = jwtUser("jwt-rotation");
        RsaJsonWebKey next = FakeIdp.newKey();
        String signedWithNext = FakeIdp.sign(
                FakeIdp.claims(user), next.getPrivateKey(), next.getKeyId(), AlgorithmIdentifiers.RSA_USING_SHA256);
        assertUnauthenticated(
                byToken(signedWithNext, "experiments/get", "experiment_id", experiment),
                "a token of a key not published yet");
        int fetches = idp().jwksFetches();
        idp().rotateTo(next);
        // jose4j fetches the key set again for an unknown kid, but not within 300 ms of its last fetch
        Thread.sleep(500);
        ok(byToken(signedWithNext, "experiments/get", "experiment_id", experiment));
        assertThat(idp().jwksFetches())
                .as("the gateway fetched the key set again")
                .isGreaterThan(fetches);
        ok(byToken(idp().sign(FakeIdp.claims(user)), "experiments/get", "experiment_id", experiment));
    }

    // --- 10. web UI sessions ---------------------------------------------------------------------

    static Response signIn(String user, String password) {
        return AuthGateway.send(
                AuthGateway.anonymous(),
                "POST",
                SESSION + "/sign-in",
                new JsonObject().put("username", user).put("password", password));
    }

    /** The Set-Cookie header of a response for {@code name}, or null. */
    static String setCookie(List<String> headers, String name) {
        return headers.stream()
                .filter(h -> h.startsWith(name + "="))
                .findFirst()
                .orElse(null);
    }

    static String setCookie(Response r, String name) {
        return setCookie(r.headers().getValues("Set-Cookie"), name);
    }

    /** The session cookie's value a sign-in set. */
    static String sessionCookie(Response signedIn) {
        assertThat(signedIn.statusCode()).as("sign-in: " + signedIn.asString()).isEqualTo(200);
        String header = setCookie(signedIn, "skein_session");
        assertThat(header).as("the sign-in's session cookie").isNotNull();
        String value = header.substring("skein_session=".length()).split(";", 2)[0];
        assertThat(value).isNotEmpty();
        return value;
    }

    static RequestSpecification withSession(String cookie) {
        return AuthGateway.anonymous().cookie("skein_session", cookie);
    }

    @Test
    void aSignedInBrowserChangesThingsOnlyWithTheUiHeader() {
        String user = newUser("browser");
        Response signedIn = signIn(user, AuthGateway.password(user));
        String cookie = sessionCookie(signedIn);
        assertThat(new JsonObject(signedIn.asString()))
                .isEqualTo(new JsonObject()
                        .put("user", new JsonObject().put("username", user).put("is_admin", false))
                        .put("authentication", true));
        String header = setCookie(signedIn, "skein_session").toLowerCase();
        assertThat(header)
                .as("the session cookie")
                .contains("httponly")
                .contains("samesite=strict")
                .contains("path=/");
        assertThat(header).as("the session cookie over plain HTTP").doesNotContain("secure");

        assertThat(ok(withSession(cookie).get(SESSION)))
                .isEqualTo(new JsonObject()
                        .put("user", new JsonObject().put("username", user).put("is_admin", false))
                        .put("authentication", true));
        ok(AuthGateway.get(withSession(cookie), "experiments/get", "experiment_id", experiment));

        // a change with the cookie alone is what another site's page could make the browser send
        String name = "auth-session-" + UUID.randomUUID();
        assertDenied(
                AuthGateway.send(withSession(cookie), "POST", "experiments/create", new JsonObject().put("name", name)),
                "experiments/create with the session cookie and without " + UI_HEADER);
        assertThat(error(get(ADMIN, "experiments/get-by-name", "experiment_name", name)))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertDenied(
                withSession(cookie)
                        .contentType(ContentType.BINARY)
                        .body("x".getBytes(StandardCharsets.UTF_8))
                        .put(PROXY + artifactPath("csrf.txt")),
                "an artifact upload with the session cookie and without " + UI_HEADER);
        String id = ok(AuthGateway.send(
                        withSession(cookie).header(UI_HEADER, "ui"),
                        "POST",
                        "/ajax-api/2.0/mlflow/experiments/create",
                        new JsonObject().put("name", name)))
                .getString("experiment_id");
        assertThat(ok(get(ADMIN, "experiments/get", "experiment_id", id))
                        .getJsonObject("experiment")
                        .getString("name"))
                .isEqualTo(name);
        // tokens are made in the web UI, with its header
        secret(ok(AuthGateway.send(
                withSession(cookie).header(UI_HEADER, "ui"),
                "POST",
                TOKENS + "create",
                new JsonObject().put("name", "from-ui"))));

        // signing out ends the session at once (and needs the header too)
        assertDenied(
                AuthGateway.send(withSession(cookie), "POST", SESSION + "/sign-out", new JsonObject()),
                "sign-out without " + UI_HEADER);
        Response out = AuthGateway.send(
                withSession(cookie).header(UI_HEADER, "ui"), "POST", SESSION + "/sign-out", new JsonObject());
        assertThat(ok(out).encode()).isEqualTo("{}");
        String cleared = setCookie(out, "skein_session");
        assertThat(cleared).as("the cookie sign-out sets").isNotNull();
        assertThat(cleared.toLowerCase())
                .as("the cookie sign-out sets")
                .startsWith("skein_session=;")
                .contains("max-age=0");
        Response after = withSession(cookie).get(SESSION);
        assertUnauthenticated(after, "the session after sign-out");
        assertThat(new JsonObject(after.asString()).getString("message")).contains("session has ended");
        assertUnauthenticated(
                AuthGateway.get(withSession(cookie), "experiments/get", "experiment_id", experiment),
                "a read after sign-out");

        Response wrong = signIn(user, "not-the-password");
        assertThat(wrong.statusCode()).as("sign-in with a wrong password").isEqualTo(401);
        assertThat(setCookie(wrong, "skein_session"))
                .as("a session cookie for a wrong password")
                .isNull();
    }

    @Test
    void theWebUiGetsNoBasicChallengeSoTheBrowserShowsNoDialog() {
        Response fromUi = AuthGateway.anonymous()
                .header(UI_HEADER, "ui")
                .get("/ajax-api/2.0/mlflow/experiments/get?experiment_id=" + experiment);
        assertThat(fromUi.statusCode()).isEqualTo(401);
        assertThat(fromUi.header("WWW-Authenticate"))
                .as("WWW-Authenticate for the web UI")
                .isNull();
        assertThat(new JsonObject(fromUi.asString()).getString("error_code")).isEqualTo("UNAUTHENTICATED");
        Response ended = withSession("s_not-a-session").header(UI_HEADER, "ui").get("/ajax-api/2.0/skein/session");
        assertThat(ended.statusCode()).isEqualTo(401);
        assertThat(ended.header("WWW-Authenticate"))
                .as("WWW-Authenticate for an unknown session")
                .isNull();
        // MLflow's clients still get the challenge
        assertUnauthenticated(
                AuthGateway.anonymous().get("/ajax-api/2.0/mlflow/experiments/get?experiment_id=" + experiment),
                "without the UI header");
        assertUnauthenticated(withSession("s_not-a-session").get(SESSION), "an unknown session without the UI header");
    }

    @Test
    void signingInIsLimitedToAboutTenTriesAMinutePerUserName() {
        String user = newUser("tries");
        String other = newUser("tries-other");
        List<Integer> statuses = new ArrayList<>();
        Response limited = null;
        for (int i = 0; i < 15 && limited == null; i++) {
            Response r = signIn(user, AuthGateway.password(user));
            statuses.add(r.statusCode());
            if (r.statusCode() == 429) {
                limited = r;
            }
        }
        assertThat(limited).as("sign-ins answered " + statuses).isNotNull();
        assertThat(statuses.size() - 1)
                .as("sign-ins allowed before the limit: " + statuses)
                .isBetween(10, 12);
        assertThat(statuses.subList(0, statuses.size() - 1)).containsOnly(200);
        assertThat(new JsonObject(limited.asString()).getString("error_code")).isEqualTo("REQUEST_LIMIT_EXCEEDED");
        assertThat(Integer.parseInt(limited.header("Retry-After")))
                .as("Retry-After")
                .isBetween(1, 60);
        assertThat(setCookie(limited, "skein_session")).isNull();
        assertThat(signIn(user, "wrong").statusCode())
                .as("a wrong password while limited")
                .isEqualTo(429);
        // per user name: others sign in; the user's own API calls are not sign-ins
        sessionCookie(signIn(other, AuthGateway.password(other)));
        ok(get(user, "experiments/get", "experiment_id", experiment));
    }

    // --- 11. signing in at the identity provider, without a browser -------------------------------

    /** A client that keeps cookies and does not follow redirects, as a browser with its steps visible. */
    static final class Browser {
        final CookieManager cookies = new CookieManager(null, CookiePolicy.ACCEPT_ALL);
        final HttpClient http = HttpClient.newBuilder()
                .cookieHandler(cookies)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10))
                .build();

        HttpResponse<String> get(String url) throws Exception {
            return http.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(60))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        String cookie(String name) {
            return cookies.getCookieStore().getCookies().stream()
                    .filter(c -> c.getName().equals(name))
                    .map(HttpCookie::getValue)
                    .findFirst()
                    .orElse(null);
        }

        /** The start of a sign-in at the provider: the gateway's answer (a redirect to the provider). */
        HttpResponse<String> start() throws Exception {
            return get(AuthGateway.url() + "/ajax-api/2.0/skein/session/oidc/start?provider=" + FakeIdp.NAME);
        }

        /** Starts a sign-in and lets the provider approve it: the callback URL it sends the browser to. */
        String approved() throws Exception {
            HttpResponse<String> start = start();
            assertThat(start.statusCode()).as("oidc/start: " + start.body()).isEqualTo(302);
            HttpResponse<String> authorized = get(location(start));
            assertThat(authorized.statusCode())
                    .as("the provider's /authorize: " + authorized.body())
                    .isEqualTo(302);
            return location(authorized);
        }
    }

    static String location(HttpResponse<?> r) {
        return r.headers().firstValue("Location").orElseThrow(() -> new AssertionError("no Location in " + r));
    }

    /** The reason a failed provider sign-in sends the browser back to the form with. */
    static String signInError(HttpResponse<String> callback) {
        assertThat(callback.statusCode()).as("the callback's answer").isEqualTo(302);
        String location = location(callback);
        assertThat(location).as("where a failed sign-in goes").startsWith("/#/?sign_in_error=");
        assertThat(setCookie(callback.headers().allValues("Set-Cookie"), "skein_session"))
                .as("a session cookie for a failed sign-in")
                .isNull();
        return URLDecoder.decode(location.substring("/#/?sign_in_error=".length()), StandardCharsets.UTF_8);
    }

    @Test
    void signingInAtTheProviderOpensASessionForItsUser() throws Exception {
        assertThat(ok(AuthGateway.anonymous().get(SESSION + "/providers")).getJsonArray("providers"))
                .containsExactly(new JsonObject().put("name", FakeIdp.NAME).put("display_name", FakeIdp.DISPLAY_NAME));
        Browser browser = new Browser();
        HttpResponse<String> start = browser.start();
        assertThat(start.statusCode()).as("oidc/start: " + start.body()).isEqualTo(302);
        URI toProvider = URI.create(location(start));
        assertThat(toProvider.toString()).startsWith(FakeIdp.ISSUER + "/authorize?");
        Map<String, String> asked = FakeIdp.query(toProvider);
        String callback = AuthGateway.url() + "/ajax-api/2.0/skein/session/oidc/callback";
        assertThat(asked)
                .containsEntry("response_type", "code")
                .containsEntry("client_id", FakeIdp.CLIENT_ID)
                .containsEntry("redirect_uri", callback)
                .containsEntry("code_challenge_method", "S256");
        assertThat(asked.get("code_challenge")).as("the PKCE challenge").matches("[A-Za-z0-9_-]{43}");
        assertThat(asked.get("scope")).contains("openid");
        assertThat(asked.get("nonce")).isNotBlank();
        String stateCookie = setCookie(start.headers().allValues("Set-Cookie"), "skein_oidc_state");
        assertThat(stateCookie).as("the state cookie").isNotNull();
        assertThat(stateCookie.toLowerCase()).contains("httponly").contains("samesite=lax");
        assertThat(browser.cookie("skein_oidc_state"))
                .as("the state cookie holds the state sent")
                .isEqualTo(asked.get("state"));

        HttpResponse<String> authorized = browser.get(toProvider.toString());
        assertThat(authorized.statusCode()).isEqualTo(302);
        String back = location(authorized);
        assertThat(back).startsWith(callback + "?code=");
        HttpResponse<String> signedIn = browser.get(back);
        assertThat(signedIn.statusCode()).as("the callback: " + signedIn.body()).isEqualTo(302);
        assertThat(location(signedIn)).as("where a successful sign-in goes").isEqualTo("/#/");
        String session = setCookie(signedIn.headers().allValues("Set-Cookie"), "skein_session");
        assertThat(session).as("the session cookie of the provider's user").isNotNull();
        assertThat(session.toLowerCase()).contains("httponly").contains("samesite=strict");

        HttpResponse<String> who = browser.get(AuthGateway.url() + "/ajax-api/2.0/skein/session");
        assertThat(who.statusCode()).as(who.body()).isEqualTo(200);
        assertThat(new JsonObject(who.body()))
                .as("who is signed in (olga is in ml-admins)")
                .isEqualTo(new JsonObject()
                        .put(
                                "user",
                                new JsonObject().put("username", FakeIdp.USER).put("is_admin", true))
                        .put("authentication", true));
        assertThat(ok(get(ADMIN, "users/get", "username", FakeIdp.USER))
                        .getJsonObject("user")
                        .getString("username"))
                .isEqualTo(FakeIdp.USER);

        // the same return again: its state was taken once
        assertThat(signInError(browser.get(back))).contains("not started in this browser");
    }

    @Test
    void aReturnFromTheProviderThatThisBrowserDidNotStartIsRefused() throws Exception {
        Browser victim = new Browser();
        Browser attacker = new Browser();
        String attackers = attacker.approved();
        // the attacker's own sign-in, delivered to someone else's browser (login CSRF)
        assertThat(signInError(victim.get(attackers))).contains("not started in this browser");
        victim.start();
        assertThat(signInError(victim.get(attackers)))
                .as("a browser with a sign-in of its own under way")
                .contains("not started in this browser");
        // forged parameters, no parameters
        assertThat(signInError(victim.get(
                        AuthGateway.url() + "/ajax-api/2.0/skein/session/oidc/callback?code=forged&state=forged")))
                .contains("not started in this browser");
        assertThat(signInError(victim.get(AuthGateway.url() + "/ajax-api/2.0/skein/session/oidc/callback")))
                .contains("not started in this browser");
        // the provider's refusal comes back as the reason
        Browser refusedAtProvider = new Browser();
        refusedAtProvider.start();
        String state = refusedAtProvider.cookie("skein_oidc_state");
        assertThat(signInError(refusedAtProvider.get(AuthGateway.url()
                        + "/ajax-api/2.0/skein/session/oidc/callback?error=access_denied&state=" + state)))
                .contains("access_denied");
        // the attacker's sign-in was not spent by the refusals: it still completes in the attacker's own browser
        HttpResponse<String> own = attacker.get(attackers);
        assertThat(location(own)).isEqualTo("/#/");
    }

    @Test
    void signingInAtAProviderThatIsNotConfiguredIsABadRequestNotAServerError() {
        for (String query : List.of("?provider=nope", "")) {
            Response r = AuthGateway.anonymous()
                    .redirects()
                    .follow(false)
                    .get("/ajax-api/2.0/skein/session/oidc/start" + query);
            assertThat(r.statusCode() + " " + r.asString())
                    .as("oidc/start" + query)
                    .startsWith("400 ")
                    .contains("\"error_code\":\"INVALID_PARAMETER_VALUE\"");
        }
    }

    @Test
    void aCodeWorksOnceAndOnlyWithTheVerifierOfItsOwnSignIn() throws Exception {
        Browser browser = new Browser();
        String first = browser.approved();
        assertThat(location(browser.get(first))).isEqualTo("/#/");
        String code = FakeIdp.query(URI.create(first)).get("code");

        // the code again, with a new sign-in's state: the provider refuses a replayed code
        browser.start();
        String state = browser.cookie("skein_oidc_state");
        String replay = AuthGateway.url() + "/ajax-api/2.0/skein/session/oidc/callback?code="
                + URLEncoder.encode(code, StandardCharsets.UTF_8) + "&state="
                + URLEncoder.encode(state, StandardCharsets.UTF_8);
        assertThat(signInError(browser.get(replay))).contains("refused the sign-in");
        assertThat(idp().refusals()).as("what the provider refused").contains("/token: code used already");

        // a code of one sign-in with another's state (and so its PKCE verifier): refused
        Browser one = new Browser();
        String unused = FakeIdp.query(URI.create(one.approved())).get("code");
        Browser other = new Browser();
        other.start();
        String otherState = other.cookie("skein_oidc_state");
        assertThat(signInError(other.get(AuthGateway.url() + "/ajax-api/2.0/skein/session/oidc/callback?code="
                        + URLEncoder.encode(unused, StandardCharsets.UTF_8) + "&state="
                        + URLEncoder.encode(otherState, StandardCharsets.UTF_8))))
                .contains("refused the sign-in");
        assertThat(idp().refusals()).contains("/token: code_verifier does not match the code_challenge");

        // an ID token that is not this sign-in's (another nonce) is refused
        idp().tamperWithNextIdToken(claims -> claims.setClaim("nonce", "someone-elses-nonce"));
        Browser nonce = new Browser();
        assertThat(signInError(nonce.get(nonce.approved()))).contains("does not match this sign-in");
        // nor one for another client
        idp().tamperWithNextIdToken(claims -> claims.setAudience("another-client"));
        Browser audience = new Browser();
        assertThat(signInError(audience.get(audience.approved()))).isNotBlank();
    }

    // --- LLM endpoints: MLflow 3's USE ---------------------------------------------------------------

    static final String GATEWAY_PERMISSIONS = "/api/3.0/mlflow/gateway/endpoints/permissions/";

    static Response endpointGrant(String by, String action, String method, JsonObject body) {
        return send(by, method, GATEWAY_PERMISSIONS + action, body);
    }

    static JsonObject endpointGrantOf(String endpoint, String user, String permission) {
        JsonObject body = new JsonObject().put("endpoint_id", endpoint).put("username", user);
        return permission == null ? body : body.put("permission", permission);
    }

    static Response invoke(String user, String endpoint) {
        return as(user).contentType(ContentType.JSON)
                .body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/endpoints/" + endpoint + "/invocations");
    }

    static Response openAiChat(String user, String endpoint) {
        return as(user).contentType(ContentType.JSON)
                .body(new JsonObject()
                        .put("model", endpoint)
                        .put(
                                "messages",
                                new JsonArray()
                                        .add(new JsonObject()
                                                .put("role", "user")
                                                .put("content", "Hi")))
                        .encode())
                .post("/v1/chat/completions");
    }

    static List<String> endpointsListed(String user) {
        return names(ok(as(user).get("/api/2.0/endpoints/")).getJsonArray("endpoints"), "name");
    }

    /**
     * The suite's endpoint {@code chat}: a user with USE invokes it (MLflow's route and OpenAI's), one with READ —
     * granted, or the default — reads its configuration but is refused an invocation, one with NO_PERMISSIONS does
     * neither and does not see it listed; administrators pass; grants made and changed through MLflow 3's REST API
     * take effect at once.
     */
    @Test
    void anAdministratorsReadOnlyTokenCannotChangeTheLlmGatewaysConfiguration() {
        String readOnly =
                secret(newToken(ADMIN, new JsonObject().put("name", "admin-ro").put("read_only", true)));
        Response refused = byToken(
                readOnly,
                "POST",
                "/api/3.0/mlflow/gateway/secrets/create",
                new JsonObject()
                        .put("secret_name", "ro-" + UUID.randomUUID())
                        .put("secret_value", new JsonObject().put("api_key", "sk-not-stored")));
        assertDenied(refused, "an administrator's read-only token creating a secret");
        // nor reading the secrets, even masked, spelt with a percent-encoded letter
        assertDenied(
                AuthGateway.bearer(readOnly).urlEncodingEnabled(false).get("/api/3.0/mlflow/gateway/%73ecrets/list"),
                "an administrator's read-only token listing secrets");
    }

    @Test
    void anLlmEndpointIsInvokedWithUseAndReadWithRead() {
        String user = newUser("llm-use");
        String reader = newUser("llm-read");
        String stranger = newUser("llm-default");
        String denied = newUser("llm-none");
        JsonObject made = ok(endpointGrant(ADMIN, "create", "POST", endpointGrantOf("chat", user, "USE")))
                .getJsonObject("gateway_endpoint_permission");
        assertThat(made.getString("endpoint_id")).isEqualTo("chat");
        assertThat(made.getString("permission")).isEqualTo("USE");
        assertThat(made.getLong("user_id")).isPositive();
        ok(endpointGrant(ADMIN, "create", "POST", endpointGrantOf("chat", reader, "READ")));
        ok(endpointGrant(ADMIN, "create", "POST", endpointGrantOf("chat", denied, "NO_PERMISSIONS")));

        try (OpenAiProvider provider = OpenAiProvider.start(Suite.LLM_PROVIDER_PORT)) {
            for (String caller : List.of(ADMIN, user)) {
                assertThat(invoke(caller, "chat").statusCode()).as(caller).isEqualTo(200);
                assertThat(openAiChat(caller, "chat").statusCode()).as(caller).isEqualTo(200);
                assertThat(as(caller).get("/api/2.0/endpoints/chat").statusCode())
                        .as(caller)
                        .isEqualTo(200);
            }
            for (String caller : List.of(reader, stranger, denied)) {
                assertDenied(invoke(caller, "chat"), caller + " invoking chat");
                assertDenied(
                        as(caller)
                                .contentType(ContentType.JSON)
                                .body("{\"messages\":[]}")
                                .post("/gateway/chat/invocations"),
                        caller + " invoking chat at /gateway/");
                Response openAi = openAiChat(caller, "chat");
                assertThat(openAi.statusCode()).as(caller).isEqualTo(403);
                JsonObject error = new JsonObject(openAi.asString()).getJsonObject("error");
                assertThat(error.getString("code")).as(caller).isEqualTo("permission_denied");
                assertThat(error.getString("message")).as(caller).contains("'chat'");
            }
            for (String caller : List.of(reader, stranger)) {
                assertThat(as(caller).get("/api/2.0/endpoints/chat").statusCode())
                        .as(caller)
                        .isEqualTo(200);
                assertThat(endpointsListed(caller)).as(caller).contains("chat", "embeddings");
            }
            assertDenied(as(denied).get("/api/2.0/endpoints/chat"), "NO_PERMISSIONS reading chat");
            assertDenied(
                    as(denied).queryParam("name", "chat").get("/api/2.0/skein/llm/endpoints/get"),
                    "NO_PERMISSIONS reading chat's configuration");
            assertThat(endpointsListed(denied))
                    .as("the listing leaves out what the caller may not read")
                    .contains("embeddings")
                    .doesNotContain("chat");
            assertUnauthenticated(invoke(ANONYMOUS, "chat"), "anonymous invoking chat");

            // granted USE, the reader invokes at once; back to READ, no longer
            ok(endpointGrant(ADMIN, "update", "PATCH", endpointGrantOf("chat", reader, "USE")));
            assertThat(invoke(reader, "chat").statusCode()).isEqualTo(200);
            ok(endpointGrant(ADMIN, "update", "PATCH", endpointGrantOf("chat", reader, "READ")));
            assertDenied(invoke(reader, "chat"), "reader after the update back to READ");
            // the grant deleted, the user falls back to the default permission: READ does not invoke
            ok(endpointGrant(ADMIN, "delete", "DELETE", endpointGrantOf("chat", user, null)));
            assertDenied(invoke(user, "chat"), "user after the grant was deleted");
        }
    }

    /** MLflow 3's REST API for endpoint permissions: MLflow's answers and errors, MANAGE needed to use it. */
    @Test
    void endpointPermissionsRoundTripThroughMlflowsRestApi() {
        String user = newUser("llm-grant");
        String manager = newUser("llm-manager");
        String endpoint = "grants-" + UUID.randomUUID();
        ok(endpointGrant(ADMIN, "create", "POST", endpointGrantOf(endpoint, user, "USE")));
        JsonObject got = ok(as(ADMIN)
                        .queryParam("endpoint_id", endpoint)
                        .queryParam("username", user)
                        .get(GATEWAY_PERMISSIONS + "get"))
                .getJsonObject("gateway_endpoint_permission");
        assertThat(got.getString("endpoint_id")).isEqualTo(endpoint);
        assertThat(got.getString("permission")).isEqualTo("USE");
        // also under /ajax-api/3.0, as MLflow's web UI calls it
        assertThat(as(ADMIN)
                        .queryParam("endpoint_id", endpoint)
                        .queryParam("username", user)
                        .get("/ajax-api/3.0/mlflow/gateway/endpoints/permissions/get")
                        .statusCode())
                .isEqualTo(200);
        Response again = endpointGrant(ADMIN, "create", "POST", endpointGrantOf(endpoint, user, "READ"));
        assertThat(error(again)).isEqualTo("400 RESOURCE_ALREADY_EXISTS");
        Response unknown = endpointGrant(ADMIN, "update", "PATCH", endpointGrantOf(endpoint, user, "INVOKE"));
        assertThat(error(unknown)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(new JsonObject(unknown.asString()).getString("message")).contains("'USE'");
        assertThat(error(
                        endpointGrant(ADMIN, "create", "POST", endpointGrantOf(endpoint, "nobody-" + endpoint, "USE"))))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");

        // managing an endpoint's permissions needs MANAGE on it: USE is not enough
        assertDenied(
                endpointGrant(user, "create", "POST", endpointGrantOf(endpoint, manager, "USE")),
                "a USE holder granting");
        ok(endpointGrant(ADMIN, "create", "POST", endpointGrantOf(endpoint, manager, "MANAGE")));
        ok(endpointGrant(manager, "update", "PATCH", endpointGrantOf(endpoint, user, "EDIT")));
        assertThat(ok(as(manager)
                                .queryParam("endpoint_id", endpoint)
                                .queryParam("username", user)
                                .get(GATEWAY_PERMISSIONS + "get"))
                        .getJsonObject("gateway_endpoint_permission")
                        .getString("permission"))
                .isEqualTo("EDIT");
        assertThat(ok(as(manager).queryParam("endpoint_names", endpoint).get("/api/2.0/skein/permissions/mine"))
                        .getJsonObject("permissions")
                        .getString(endpoint))
                .isEqualTo("MANAGE");
        ok(endpointGrant(manager, "delete", "DELETE", endpointGrantOf(endpoint, user, null)));
        Response gone = as(ADMIN)
                .queryParam("endpoint_id", endpoint)
                .queryParam("username", user)
                .get(GATEWAY_PERMISSIONS + "get");
        assertThat(error(gone)).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertUnauthenticated(
                endpointGrant(ANONYMOUS, "create", "POST", endpointGrantOf(endpoint, user, "USE")), "anonymous");
    }

    /**
     * An evaluation calls LLM endpoints as its user, so it needs what calling them directly needs: USE of each endpoint
     * it evaluates and of each judge; a prompt evaluation also makes runs in its experiment (UPDATE).
     */
    @Test
    void anEvaluationCallsOnlyTheLlmEndpointsItsUserMayUse() {
        String user = newUser("eval-use");
        String experiment = ok(post(
                        user, "experiments/create", new JsonObject().put("name", "eval-use-" + UUID.randomUUID())))
                .getString("experiment_id");
        String others = freshExperiment("eval-others-");
        ok(endpointGrant(ADMIN, "create", "POST", endpointGrantOf("chat", user, "USE")));

        JsonObject withJudge = promptEvaluation(experiment, "chat", "endpoints:/" + Suite.LLM_JUDGE);
        Response judgeRefused = evaluate(user, withJudge);
        assertDenied(judgeRefused, "a judge without USE");
        assertThat(judgeRefused.asString()).contains("'" + Suite.LLM_JUDGE + "'");
        Response endpointRefused = evaluate(user, promptEvaluation(experiment, Suite.LLM_CHAT_B, null));
        assertDenied(endpointRefused, "an evaluated endpoint without USE");
        assertThat(endpointRefused.asString()).contains("'" + Suite.LLM_CHAT_B + "'");
        assertDenied(evaluate(user, promptEvaluation(others, "chat", null)), "runs in another's experiment");
        assertUnauthenticated(evaluate(ANONYMOUS, promptEvaluation(experiment, "chat", null)), "anonymous");
        // a judge on a run's table of predictions needs USE too
        String run = newRun(user, experiment);
        JsonObject table = new JsonObject()
                .put("run_id", run)
                .put(
                        "spec",
                        new JsonObject()
                                .put("data", "eval/table.csv")
                                .put("model_type", "question-answering")
                                .put("predictions", "outputs")
                                .put(
                                        "judges",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("name", "answer_relevance")
                                                        .put("model", "endpoints:/" + Suite.LLM_JUDGE))));
        assertDenied(evaluate(user, table), "a judge on a table without USE");

        ok(endpointGrant(ADMIN, "create", "POST", endpointGrantOf(Suite.LLM_JUDGE, user, "USE")));
        JsonObject started = ok(evaluate(user, withJudge));
        assertThat(started.getJsonArray("evaluations")).hasSize(1);
        assertThat(ok(evaluate(user, table)).getJsonObject("evaluation").getString("run_id"))
                .isEqualTo(run);
    }

    static Response evaluate(String user, JsonObject request) {
        return post(user, "/api/2.0/skein/evaluations", request);
    }

    /** A prompt evaluation of one endpoint in an experiment, judged by {@code judge} when given. */
    static JsonObject promptEvaluation(String experimentId, String endpoint, String judge) {
        JsonObject spec = new JsonObject()
                .put(
                        "prompt",
                        new JsonObject()
                                .put("experiment_id", experimentId)
                                .put("template", "Say {{word}}")
                                .put("rows", new JsonArray().add(new JsonObject().put("word", "hello")))
                                .put("endpoints", new JsonArray().add(endpoint)));
        if (judge != null) {
            spec.put(
                    "judges",
                    new JsonArray()
                            .add(new JsonObject()
                                    .put("name", "answer_relevance")
                                    .put("model", judge)));
        }
        return new JsonObject().put("spec", spec);
    }
}
