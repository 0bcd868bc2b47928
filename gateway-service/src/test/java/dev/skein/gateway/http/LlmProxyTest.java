package dev.skein.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.trust.InternalConfig;
import dev.skein.common.trust.InternalCredential;
import dev.skein.gateway.auth.Permission;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * llm-gateway-service's routes on a real HTTP server, against a stand-in llm-gateway-service that records what
 * reaches it: the credential swapped, the caller named, paths that would route elsewhere refused, llm-gateway
 * refusing the gateway's credential or out of reach answered in each route's shape.
 */
class LlmProxyTest {

    private static final String INTERNAL = "internal-credential-of-this-test-0123";

    private final Vertx vertx = Vertx.vertx();
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final Map<String, JsonObject> seen = new ConcurrentHashMap<>();
    private int port;

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static InternalCredential credential() {
        return new InternalCredential(new InternalConfig() {
            @Override
            public Optional<String> token() {
                return Optional.of(INTERNAL);
            }

            @Override
            public Optional<List<String>> acceptedTokens() {
                return Optional.empty();
            }
        });
    }

    /** A stand-in llm-gateway-service: echoes what it got; 401 on {@code /endpoints/denied/invocations}. */
    private int llmGateway() throws Exception {
        HttpServer server = vertx.createHttpServer()
                .requestHandler(req -> req.body().onSuccess(body -> {
                    JsonObject got = new JsonObject()
                            .put("path", req.path())
                            .put("query", req.query())
                            .put("scope", req.getHeader("skein-usage-scope"))
                            .put("authorization", req.getHeader("Authorization"))
                            .put("actor", req.getHeader("skein-actor"))
                            .put("cookie", req.getHeader("Cookie"))
                            .put("body", body.toString());
                    seen.put(req.path(), got);
                    if (req.path().equals("/endpoints/denied/invocations")) {
                        req.response().setStatusCode(401).end("{\"detail\":\"internal credential missing or wrong\"}");
                    } else if (req.path().equals("/endpoints/thinking/invocations")) {
                        // a model that thinks longer than the gateway's idle timeout before it answers
                        vertx.setTimer(2500, id -> req.response()
                                .putHeader("Content-Type", "application/json")
                                .end(got.toBuffer()));
                    } else if (req.path().equals("/api/2.0/endpoints/")) {
                        req.response()
                                .putHeader("Content-Type", "application/json")
                                .end(new JsonObject()
                                        .put(
                                                "endpoints",
                                                new io.vertx.core.json.JsonArray()
                                                        .add(new JsonObject().put("name", "chat"))
                                                        .add(new JsonObject().put("name", "hidden"))
                                                        .add(new JsonObject().put("name", "doc")))
                                        .put("next_page_token", "eyJpbmRleCI6IDN9")
                                        .toBuffer());
                    } else if (req.path().equals("/api/3.0/mlflow/gateway/endpoints/get")) {
                        req.response()
                                .putHeader("Content-Type", "application/json")
                                .end(new JsonObject()
                                        .put(
                                                "endpoint",
                                                new JsonObject()
                                                        .put("endpoint_id", "e-1")
                                                        .put("name", "hidden"))
                                        .toBuffer());
                    } else if (req.path().equals("/endpoints/missing/invocations")) {
                        req.response().setStatusCode(404).end("{\"detail\":\"Not Found\"}");
                    } else {
                        req.response()
                                .putHeader("Content-Type", "application/json")
                                .end(got.toBuffer());
                    }
                }));
        return server.listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .actualPort();
    }

    /** The gateway serving only llm-gateway-service's routes, that service at {@code llmPort}. */
    private void gateway(int llmPort) throws Exception {
        RequestBodies bodies =
                new RequestBodies(new BodyBudget(1 << 20), 1 << 20, Duration.ofSeconds(30), Duration.ofMinutes(2));
        LlmProxy llm = new LlmProxy(vertx, "127.0.0.1", llmPort, 4, credential(), bodies, 64 * 1024);
        Router router = Router.router(vertx);
        router.route().handler(ctx -> {
            LlmProxy.EndpointGrants grants = grants(ctx.request().getHeader("X-Test-Grants"));
            if (ctx.request().path().equals(GatewayProxy.PATH)) {
                if (ctx.request().method().name().equals("POST")) {
                    bodies.read(ctx, 64 * 1024, body -> GatewayProxy.answer(ctx, body, llm, "alice é", grants));
                } else {
                    GatewayProxy.answer(
                            ctx, Map.of("gateway_path", ctx.queryParam("gateway_path")), llm, "alice é", grants);
                }
            } else if (!llm.handle(ctx, "alice é", ctx.request().getHeader("X-Test-Admin") != null, grants)) {
                ctx.response().setStatusCode(418).end();
            }
        });
        port = vertx.createHttpServer(new io.vertx.core.http.HttpServerOptions()
                        .setIdleTimeout(1)
                        .setIdleTimeoutUnit(TimeUnit.SECONDS))
                .requestHandler(router)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .actualPort();
    }

    /**
     * The caller's grants as header {@code X-Test-Grants} lists them ({@code chat=USE,doc=READ}), READ (MLflow's
     * default permission) on any other endpoint; without the header nothing is checked, as for an administrator.
     */
    private static LlmProxy.EndpointGrants grants(String header) {
        if (header == null) {
            return null;
        }
        Map<String, Permission> own = new java.util.HashMap<>();
        for (String grant : header.split(",")) {
            String[] pair = grant.split("=");
            own.put(pair[0], Permission.valueOf(pair[1]));
        }
        return endpoints -> {
            Map<String, Permission> found = new java.util.HashMap<>();
            endpoints.forEach(e -> found.put(e, own.getOrDefault(e, Permission.READ)));
            return Uni.createFrom().item(found);
        };
    }

    private HttpResponse<String> send(String path, String grants, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("X-Test-Grants", grants)
                .timeout(Duration.ofSeconds(30)); // a bound, not an assertion
        if (body != null) {
            request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldInvokeAnEndpointOnlyWithTheUsePermission() throws Exception {
        gateway(llmGateway());
        String grants = "chat=USE,doc=READ";
        assertThat(send("/endpoints/chat/invocations", grants, "{}").statusCode())
                .isEqualTo(200);
        // READ, MLflow's default permission, reads an endpoint but does not invoke it, by any path
        for (String path : List.of(
                "/endpoints/doc/invocations",
                "/gateway/doc/invocations",
                "/gateway/doc/mlflow/invocations",
                "/endpoints/d%6Fc/invocations",
                "/endpoints/other/invocations")) {
            HttpResponse<String> refused = send(path, grants, "{\"messages\":[]}");
            assertThat(refused.statusCode()).as(path).isEqualTo(403);
            JsonObject error = new JsonObject(refused.body());
            assertThat(error.getString("error_code")).isEqualTo("PERMISSION_DENIED");
            assertThat(error.getString("message")).contains("needs the USE permission");
        }
        // OpenAI's routes name the endpoint in the body's model; a refusal is in OpenAI's shape
        HttpResponse<String> openAi = send("/v1/chat/completions", grants, "{\"model\":\"doc\",\"messages\":[]}");
        assertThat(openAi.statusCode()).isEqualTo(403);
        JsonObject error = new JsonObject(openAi.body()).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("permission_denied");
        assertThat(error.getString("message")).contains("'doc'");
        assertThat(send("/v1/embeddings", grants, "{\"model\":\"chat\",\"input\":\"x\"}")
                        .statusCode())
                .isEqualTo(200);
        HttpResponse<String> noModel = send("/v1/completions", grants, "{\"prompt\":\"x\"}");
        assertThat(noModel.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(noModel.body()).getJsonObject("error").getString("type"))
                .isEqualTo("invalid_request_error");
        assertThat(send("/v1/chat/completions", grants, "[1]").statusCode()).isEqualTo(400);
        HttpResponse<String> passthrough =
                send("/gateway/mlflow/v1/chat/completions", grants, "{\"model\":\"doc\",\"messages\":[]}");
        assertThat(passthrough.statusCode()).isEqualTo(403);
        // in OpenAI's shape, as llm-gateway-service answers that route
        assertThat(new JsonObject(passthrough.body()).getJsonObject("error").getString("code"))
                .isEqualTo("permission_denied");
        // and through MLflow's UI proxy
        HttpResponse<String> viaUi = send(
                GatewayProxy.PATH,
                grants,
                "{\"gateway_path\": \"gateway/doc/invocations\", \"json_data\": {\"messages\": []}}");
        assertThat(viaUi.statusCode()).isEqualTo(403);
        assertThat(seen.keySet())
                .as("only what was allowed reached llm-gateway-service")
                .containsExactlyInAnyOrder("/endpoints/chat/invocations", "/v1/embeddings");
        // an administrator (nothing checked) invokes any
        assertThat(post("/endpoints/doc/invocations", "{}").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldShowAnEndpointsConfigurationOnlyToThoseWhoMayReadIt() throws Exception {
        gateway(llmGateway());
        String grants = "hidden=NO_PERMISSIONS";
        HttpResponse<String> listed = send("/api/2.0/endpoints/", grants, null);
        assertThat(listed.statusCode()).isEqualTo(200);
        JsonObject page = new JsonObject(listed.body());
        assertThat(page.getJsonArray("endpoints").stream()
                        .map(e -> ((JsonObject) e).getString("name"))
                        .toList())
                .containsExactly("chat", "doc");
        assertThat(page.getString("next_page_token"))
                .as("the next page still follows this one")
                .isEqualTo("eyJpbmRleCI6IDN9");
        HttpResponse<String> viaUi = send(GatewayProxy.PATH + "?gateway_path=api/2.0/endpoints/", grants, null);
        assertThat(new JsonObject(viaUi.body()).getJsonArray("endpoints")).hasSize(2);
        assertThat(send("/api/2.0/endpoints/doc", grants, null).statusCode()).isEqualTo(200);
        for (String path : List.of(
                "/api/2.0/endpoints/hidden",
                "/api/2.0/endpoints/hidden/",
                "/api/2.0/endpoints/h%69dden",
                "/api/2.0/skein/llm/endpoints/get?name=hidden",
                "/api/2.0/skein/llm/endpoints/get?name=h%69dden",
                "/api/3.0/mlflow/gateway/endpoints/get?endpoint_id=e-1")) {
            HttpResponse<String> refused = send(path, grants, null);
            assertThat(refused.statusCode()).as(path).isEqualTo(403);
            assertThat(new JsonObject(refused.body()).getString("error_code")).isEqualTo("PERMISSION_DENIED");
        }
        assertThat(send("/api/3.0/mlflow/gateway/endpoints/get?endpoint_id=e-1", "hidden=READ", null)
                        .statusCode())
                .isEqualTo(200);
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("Authorization", "Bearer the-clients-own-key")
                        .header("Cookie", "skein_session=abc")
                        .header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(30)) // a bound, not an assertion
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldSendTheInternalCredentialInPlaceOfTheClientsAndNameTheCaller() throws Exception {
        gateway(llmGateway());
        HttpResponse<String> answer = post("/v1/chat/completions", "{\"model\":\"chat\"}");
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonObject got = seen.get("/v1/chat/completions");
        assertThat(got.getString("authorization")).isEqualTo("Bearer " + INTERNAL);
        assertThat(got.getString("actor")).isEqualTo("alice+%C3%A9");
        assertThat(got.getString("cookie")).isNull();
        assertThat(got.getString("body")).isEqualTo("{\"model\":\"chat\"}");
        assertThat(answer.body()).doesNotContain("the-clients-own-key");
    }

    @Test
    void shouldHoldTheIdleTimeoutWhileAnAnswerIsAwaitedAndRestoreItAfter() throws Exception {
        gateway(llmGateway());
        // the gateway closes connections idle for 1 s; the model answers after 2.5 s of silence
        HttpResponse<String> answer = post("/endpoints/thinking/invocations", "{\"messages\":[]}");
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(answer.body()).getString("path")).isEqualTo("/endpoints/thinking/invocations");
        // afterwards an idle connection is closed again: a raw client that sends nothing more sees the close
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000); // a bound, not an assertion
            byte[] request = ("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 2\r\n\r\n{}")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            socket.getOutputStream().write(request);
            java.io.InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            int total = 0;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                total += n; // the answer, then the end of the stream when the idle timeout closes the connection
            }
            assertThat(total).isPositive();
        }
    }

    @Test
    void shouldLetOnlyAnAdministratorChangeTheGatewaysConfiguration() throws Exception {
        gateway(llmGateway());
        String create = "/api/3.0/mlflow/gateway/secrets/create";
        HttpResponse<String> refused = post(create, "{\"secret_name\":\"k\",\"secret_value\":{\"api_key\":\"sk\"}}");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(new JsonObject(refused.body()).getString("error_code")).isEqualTo("PERMISSION_DENIED");
        assertThat(seen).doesNotContainKey(create);
        // model definitions and endpoints are anyone's to read; secrets, even masked, an administrator's
        HttpResponse<String> list = client.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + port + "/ajax-api/3.0/mlflow/gateway/model-definitions/list"))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(list.statusCode()).isEqualTo(200);
        HttpResponse<String> secrets = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/3.0/mlflow/gateway/secrets/list"))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(secrets.statusCode()).isEqualTo(403);
        assertThat(seen).doesNotContainKey("/api/3.0/mlflow/gateway/secrets/list");
        // nor spelt with percent-encoded letters, which llm-gateway-service's router would decode
        for (String spelt :
                List.of("/api/3.0/mlflow/gateway/%73ecrets/list", "/%61jax-api/3.0/mlflow/gateway/secret%73/list")) {
            HttpResponse<String> encoded = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + spelt))
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(encoded.statusCode()).as(spelt).isIn(403, 404);
            assertThat(seen.keySet()).noneMatch(path -> path.contains("ecret"));
        }
        // an administrator's change reaches it, a DELETE with its JSON body as MLflow sends it
        HttpResponse<String> deleted = client.send(
                HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/api/3.0/mlflow/gateway/secrets/delete"))
                        .header("X-Test-Admin", "yes")
                        .header("Content-Type", "application/json")
                        .method("DELETE", HttpRequest.BodyPublishers.ofString("{\"secret_id\":\"s1\"}"))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(seen.get("/api/3.0/mlflow/gateway/secrets/delete").getString("body"))
                .isEqualTo("{\"secret_id\":\"s1\"}");
        // MLflow's UI proxy does not reach the configuration API
        HttpResponse<String> viaUi = post(
                GatewayProxy.PATH,
                "{\"gateway_path\": \"api/3.0/mlflow/gateway/secrets/create\", \"json_data\": {\"secret_name\": \"x\"}}");
        assertThat(viaUi.statusCode()).isEqualTo(404);
        assertThat(seen).doesNotContainKey(create);
        HttpResponse<String> viaUiEncoded = post(
                GatewayProxy.PATH,
                "{\"gateway_path\": \"%61pi/3.0/mlflow/gateway/secrets/create\", \"json_data\": {\"secret_name\": \"x\"}}");
        assertThat(viaUiEncoded.statusCode()).isEqualTo(404);
        assertThat(seen.keySet()).noneMatch(path -> path.contains("create") || path.contains("%"));
    }

    @Test
    void shouldShowAUserOnlyTheirOwnUsageAndAnAdministratorEveryones() throws Exception {
        gateway(llmGateway());
        HttpResponse<String> own = client.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + port + "/api/2.0/skein/llm/usage?endpoint=chat&caller=bob"))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(own.statusCode()).isEqualTo(200);
        // llm-gateway-service answers only the caller's own usage unless told "all"
        assertThat(new JsonObject(own.body()).getString("scope")).isNull();
        assertThat(new JsonObject(own.body()).getString("actor")).isEqualTo("alice+%C3%A9");
        HttpResponse<String> all = client.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + port + "/api/2.0/skein/llm/usage?endpoint=chat&caller=bob"))
                        .header("X-Test-Admin", "yes")
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(new JsonObject(all.body()).getString("scope")).isEqualTo("all");
        assertThat(new JsonObject(all.body()).getString("query")).isEqualTo("endpoint=chat&caller=bob");
        // MLflow's UI proxy never carries the administrator's scope
        HttpResponse<String> viaUi = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + GatewayProxy.PATH
                                + "?gateway_path=api%2F2.0%2Fskein%2Fllm%2Fusage%3Fcaller%3Dbob"))
                        .header("X-Test-Admin", "yes")
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(viaUi.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(viaUi.body()).getString("scope")).isNull();
    }

    @Test
    void shouldReachLlmGatewayThroughMlflowsUiProxy() throws Exception {
        gateway(llmGateway());
        HttpResponse<String> listing = client.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + port + GatewayProxy.PATH + "?gateway_path=api/2.0/endpoints/"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(listing.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(listing.body()).getJsonArray("endpoints")).hasSize(3);
        assertThat(seen.get("/api/2.0/endpoints/").getString("authorization")).isEqualTo("Bearer " + INTERNAL);

        HttpResponse<String> invocation = post(
                GatewayProxy.PATH,
                "{\"gateway_path\": \"gateway/chat/invocations\", \"json_data\": {\"messages\": []}}");
        assertThat(invocation.statusCode()).isEqualTo(200);
        assertThat(seen.get("/gateway/chat/invocations").getString("body")).isEqualTo("{\"messages\":[]}");

        HttpResponse<String> missing =
                post(GatewayProxy.PATH, "{\"gateway_path\": \"endpoints/missing/invocations\", \"json_data\": {}}");
        assertThat(missing.statusCode()).isEqualTo(404);
        JsonObject error = new JsonObject(missing.body());
        assertThat(error.getString("error_code")).isEqualTo("RESOURCE_DOES_NOT_EXIST");
        assertThat(error.getString("message"))
                .isEqualTo(
                        "Deployments proxy request failed with error code 404. Error message: {\"detail\":\"Not Found\"}");

        // not one of llm-gateway-service's paths, or one that would resolve elsewhere: never sent
        seen.clear();
        for (String path : List.of("api/2.0/mlflow/runs/search", "endpoints/../../health", "v1/traces", "\u0000")) {
            HttpResponse<String> refused = post(
                    GatewayProxy.PATH,
                    new JsonObject().put("gateway_path", path).encode());
            assertThat(refused.statusCode()).as(path).isEqualTo(404);
        }
        assertThat(seen).isEmpty();
        assertThat(post(GatewayProxy.PATH, "{}").statusCode()).isEqualTo(400);
    }

    @Test
    void shouldForwardAnEndpointsConfigurationToLlmGateway() throws Exception {
        gateway(llmGateway());
        HttpResponse<String> detail = client.send(
                HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/api/2.0/skein/llm/endpoints/get?name=chat"))
                        .header("Authorization", "Bearer the-clients-own-key")
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(detail.statusCode()).isEqualTo(200);
        JsonObject got = new JsonObject(detail.body());
        assertThat(got.getString("path")).isEqualTo("/api/2.0/skein/llm/endpoints/get");
        assertThat(got.getString("query")).isEqualTo("name=chat");
        assertThat(got.getString("authorization")).isEqualTo("Bearer " + INTERNAL);
        assertThat(got.getString("actor")).isEqualTo("alice+%C3%A9");
        // the same through MLflow's UI proxy
        HttpResponse<String> viaUi = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + GatewayProxy.PATH
                                + "?gateway_path=api%2F2.0%2Fskein%2Fllm%2Fendpoints%2Fget%3Fname%3Dchat"))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(viaUi.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(viaUi.body()).getString("query")).isEqualTo("name=chat");
        // only that path of skein/llm: the gateway's own skein/ APIs stay its own
        assertThat(LlmProxy.serves("/api/2.0/skein/llm/endpoints/list")).isFalse();
        assertThat(LlmProxy.serves("/api/2.0/skein/session")).isFalse();
    }

    @Test
    void shouldRefusePathsLlmGatewayWouldRouteElsewhere() throws Exception {
        gateway(llmGateway());
        for (String path : List.of(
                "/endpoints/a/../../v1/embeddings",
                "/endpoints/a/%2e%2e/%2e%2e/health",
                "/endpoints//chat/invocations",
                "/api/2.0/endpoints/%2F..%2Fhealth")) {
            assertThat(post(path, "{}").statusCode()).as(path).isEqualTo(404);
        }
        assertThat(seen).as("none of them reached llm-gateway-service").isEmpty();
        assertThat(LlmProxy.serves("/v1/traces"))
                .as("OTLP's, not llm-gateway-service's")
                .isFalse();
    }

    @Test
    void shouldAnswer502WhenLlmGatewayRefusesTheGatewaysCredential() throws Exception {
        gateway(llmGateway());
        HttpResponse<String> answer = post("/endpoints/denied/invocations", "{}");
        assertThat(answer.statusCode()).isEqualTo(502);
        assertThat(new JsonObject(answer.body()).getString("error_code")).isEqualTo("INTERNAL_ERROR");
        assertThat(answer.body()).doesNotContain("internal credential missing");
    }

    @Test
    void shouldAnswer503InEachRoutesShapeWhenLlmGatewayIsOutOfReach() throws Exception {
        int nothing;
        try (ServerSocket free = new ServerSocket(0)) {
            nothing = free.getLocalPort();
        }
        gateway(nothing);
        HttpResponse<String> openAi = post("/v1/chat/completions", "{\"model\":\"chat\"}");
        assertThat(openAi.statusCode()).isEqualTo(503);
        assertThat(openAi.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(new JsonObject(openAi.body()).getJsonObject("error").getString("code"))
                .isEqualTo("llm_gateway_unavailable");
        HttpResponse<String> mlflow = post("/endpoints/chat/invocations", "{}");
        assertThat(mlflow.statusCode()).isEqualTo(503);
        assertThat(new JsonObject(mlflow.body()).getString("error_code")).isEqualTo("TEMPORARILY_UNAVAILABLE");
    }
}
