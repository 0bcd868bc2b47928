package dev.skein.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * llm-gateway-service through the public gateway, as MLflow's deployments client and OpenAI's SDKs call it: the
 * endpoints listed and described, an invocation and an OpenAI-style call answered by the local provider with the
 * endpoint's own key (the client's credential never reaches it), a stream relayed chunk by chunk as the provider
 * sends it, and a client leaving mid-stream stopping the provider's call.
 */
@ExtendWith(Suite.class)
class LlmGatewayIT {

    private static final String CLIENT_KEY = "Bearer the-clients-own-openai-key";

    private static OpenAiProvider provider;

    @BeforeAll
    static void startProvider() {
        provider = OpenAiProvider.start(Suite.LLM_PROVIDER_PORT);
    }

    @AfterAll
    static void stopProvider() {
        provider.close();
    }

    @Test
    void shouldListAndDescribeTheEndpointsThroughTheGateway() {
        String listing = given().get(Suite.url() + "/api/2.0/endpoints/")
                .then()
                .statusCode(200)
                .body("endpoints.name", hasItems("chat", "embeddings"))
                .extract()
                .asString();
        assertThat(listing).doesNotContain(Suite.LLM_PROVIDER_KEY);
        given().get(Suite.url() + "/api/2.0/endpoints/chat")
                .then()
                .statusCode(200)
                .body("endpoint_type", equalTo("llm/v1/chat"))
                .body("model.provider", equalTo("openai"));
        given().get(Suite.url() + "/api/2.0/endpoints/nope").then().statusCode(404);
    }

    @Test
    void shouldInvokeWithTheEndpointsKeyNeverTheClients() {
        given().header("Authorization", CLIENT_KEY)
                .contentType("application/json")
                .body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi there\"}]}")
                .post(Suite.url() + "/endpoints/chat/invocations")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("You said: Hi there"))
                .body("usage.total_tokens", equalTo(8));
        assertThat(provider.last.get("authorization")).isEqualTo("Bearer " + Suite.LLM_PROVIDER_KEY);
        JsonObject sent = (JsonObject) provider.last.get("body");
        assertThat(sent.getString("model")).isEqualTo("gpt-e2e");

        given().header("Authorization", CLIENT_KEY)
                .contentType("application/json")
                .body("{\"model\":\"embeddings\",\"input\":\"Hi\"}")
                .post(Suite.url() + "/v1/embeddings")
                .then()
                .statusCode(200)
                .body("data[0].embedding[1]", equalTo(-0.25f));
    }

    @Test
    void shouldInvokeThroughMlflowsUiProxy() {
        given().contentType("application/json")
                .body("{\"gateway_path\": \"gateway/chat/invocations\","
                        + " \"json_data\": {\"messages\": [{\"role\": \"user\", \"content\": \"from the UI\"}]}}")
                .post(Suite.url() + "/ajax-api/2.0/mlflow/gateway-proxy")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("You said: from the UI"));
    }

    /**
     * A second llm-gateway-service replica on the suite's database and broker: the endpoint's limit holds over
     * both, and each call is one usage event and one row of the summary, whichever replica served it.
     */
    @Test
    void shouldHoldALimitAcrossReplicasAndRecordEveryCallOnce() throws Exception {
        Process replica = llmReplica();
        try {
            String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
            int calls = Suite.LLM_LIMITED_CALLS;
            for (int i = 0; i < calls; i++) {
                if (i % 2 == 0) {
                    given().contentType("application/json")
                            .body(chat)
                            .post(Suite.url() + "/endpoints/" + Suite.LLM_LIMITED + "/invocations")
                            .then()
                            .statusCode(200);
                } else {
                    replicaCall(chat).then().statusCode(200);
                }
            }
            replicaCall(chat)
                    .then()
                    .statusCode(429)
                    .body("error", equalTo("Rate limit exceeded: " + calls + " calls per 1 year for the endpoint"));
            given().contentType("application/json")
                    .body("{\"model\":\"" + Suite.LLM_LIMITED
                            + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                    .post(Suite.url() + "/v1/chat/completions")
                    .then()
                    .statusCode(429)
                    .body("error.code", equalTo("rate_limit_exceeded"));

            List<JsonObject> events = TopicReader.readMatching(
                            TestInfra.kafkaBootstrap(),
                            "skein.gateway.usage.v1",
                            // call events are keyed by call id: matched by the endpoint they name
                            e -> e.value() != null
                                    && e.value().startsWith("{")
                                    && Suite.LLM_LIMITED.equals(new JsonObject(e.value()).getString("endpoint")),
                            calls + 2,
                            Duration.ofSeconds(60),
                            Duration.ofSeconds(3))
                    .stream()
                    .map(e -> new JsonObject(e.value()))
                    .toList();
            assertThat(events).hasSize(calls + 2);
            assertThat(events).extracting(e -> e.getString("callId")).doesNotHaveDuplicates();
            assertThat(events).extracting(e -> e.getInteger("status")).containsOnly(200, 429);
            assertThat(events)
                    .filteredOn(e -> e.getInteger("status") == 200)
                    .hasSize(calls)
                    .allSatisfy(e -> {
                        assertThat(e.getString("inputTokens")).isEqualTo("5");
                        assertThat(e.getString("outputTokens")).isEqualTo("3");
                    });
            assertThat(events.toString()).doesNotContain(Suite.LLM_PROVIDER_KEY);

            // the summary through the public gateway: both replicas' calls
            JsonObject summary = new JsonObject(given().queryParam("endpoint", Suite.LLM_LIMITED)
                    .get(Suite.url() + "/api/2.0/skein/llm/usage")
                    .then()
                    .statusCode(200)
                    .extract()
                    .asString());
            long requests = 0;
            long errors = 0;
            for (Object row : summary.getJsonArray("usage")) {
                requests += ((JsonObject) row).getLong("requests");
                errors += ((JsonObject) row).getLong("errors");
            }
            assertThat(requests).isEqualTo(calls + 2);
            assertThat(errors).isEqualTo(2);

            storedEndpointServedByEveryReplica();
        } finally {
            AuthGateway.stop(replica);
        }
    }

    /**
     * MLflow 3.x's configuration API through the public gateway: a secret, a model definition and an endpoint made on
     * one replica are served by the other within its poll interval, the key never shown.
     */
    private static void storedEndpointServedByEveryReplica() throws InterruptedException {
        String api = Suite.url() + "/api/3.0/mlflow/gateway/";
        String secret = given().contentType("application/json")
                .body(new JsonObject()
                        .put("secret_name", "e2e-stored-key")
                        .put("secret_value", new JsonObject().put("api_key", Suite.LLM_PROVIDER_KEY))
                        .put(
                                "auth_config",
                                new JsonObject().put("api_base", "http://127.0.0.1:" + Suite.LLM_PROVIDER_PORT + "/v1"))
                        .encode())
                .post(api + "secrets/create")
                .then()
                .statusCode(200)
                .extract()
                .path("secret.secret_id");
        String definition = given().contentType("application/json")
                .body(new JsonObject()
                        .put("name", "e2e-stored-model")
                        .put("secret_id", secret)
                        .put("provider", "openai")
                        .put("model_name", "gpt-e2e")
                        .encode())
                .post(api + "model-definitions/create")
                .then()
                .statusCode(200)
                .extract()
                .path("model_definition.model_definition_id");
        given().contentType("application/json")
                .body(new JsonObject()
                        .put("name", "e2e-stored")
                        .put(
                                "model_configs",
                                new io.vertx.core.json.JsonArray()
                                        .add(new JsonObject()
                                                .put("model_definition_id", definition)
                                                .put("linkage_type", "PRIMARY")
                                                .put("weight", 1)))
                        .encode())
                .post(api + "endpoints/create")
                .then()
                .statusCode(200);
        String listed = given().get(api + "secrets/list")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(listed).contains("e2e-stored-key").doesNotContain(Suite.LLM_PROVIDER_KEY);
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"stored\"}]}";
        given().contentType("application/json")
                .body(chat)
                .post(Suite.url() + "/gateway/e2e-stored/mlflow/invocations")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("You said: stored"));
        TestInfra.await(
                "the other replica serves the stored endpoint",
                Duration.ofSeconds(30),
                () -> given().header("Authorization", "Bearer " + Suite.INTERNAL_TOKEN)
                                .contentType("application/json")
                                .body(chat)
                                .post("http://127.0.0.1:" + REPLICA_PORT + "/gateway/e2e-stored/mlflow/invocations")
                                .statusCode()
                        == 200);
    }

    static final int REPLICA_PORT = 18185;

    private static io.restassured.response.Response replicaCall(String body) {
        return given().header("Authorization", "Bearer " + Suite.INTERNAL_TOKEN)
                .contentType("application/json")
                .body(body)
                .post("http://127.0.0.1:" + REPLICA_PORT + "/endpoints/" + Suite.LLM_LIMITED + "/invocations");
    }

    /** llm-gateway-service's build started as a second replica of the suite's. */
    private static Process llmReplica() throws Exception {
        Path root = TestInfra.repoRoot();
        Path jar = root.resolve("llm-gateway-service/target/quarkus-app/quarkus-run.jar");
        Path log = root.resolve("deploy/e2e/target/llm-gateway-replica.log");
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m",
                        "-XX:+UseSerialGC",
                        "-jar",
                        jar.toString())
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(name -> name.startsWith("SKEIN_") || name.startsWith("QUARKUS_"));
        env.putAll(Map.of(
                "QUARKUS_HTTP_PORT",
                Integer.toString(REPLICA_PORT),
                "QUARKUS_MANAGEMENT_PORT",
                Integer.toString(REPLICA_PORT + 1000),
                "SKEIN_INTERNAL_TOKEN",
                Suite.INTERNAL_TOKEN,
                "SKEIN_LLM_GATEWAY_CONFIG_FILE",
                root.resolve(".skein/e2e/llm-endpoints.yaml").toString(),
                "SKEIN_DB_HOST",
                TestInfra.DB_HOST,
                "SKEIN_DB_PORT",
                Integer.toString(TestInfra.DB_PORT),
                "SKEIN_DB_USER",
                TestInfra.DB_USER,
                "SKEIN_DB_PASSWORD",
                TestInfra.DB_PASSWORD,
                "SKEIN_DB_NAME",
                Suite.DATABASE,
                "KAFKA_BOOTSTRAP_SERVERS",
                TestInfra.kafkaBootstrap()));
        env.put("SKEIN_LLM_GATEWAY_STORE_SECRETS_KEY", Suite.LLM_SECRETS_KEY);
        Process started = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroy));
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            if (!started.isAlive()) {
                throw new IllegalStateException("The second llm-gateway-service exited with " + started.exitValue()
                        + ":\n" + AuthGateway.tail(log, 60));
            }
            try {
                if (given().header("Authorization", "Bearer " + Suite.INTERNAL_TOKEN)
                                .get("http://127.0.0.1:" + REPLICA_PORT + "/health")
                                .statusCode()
                        == 200) {
                    return started;
                }
            } catch (Exception notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                AuthGateway.stop(started);
                throw new IllegalStateException(
                        "The second llm-gateway-service was not ready in 90 s:\n" + AuthGateway.tail(log, 60));
            }
            Thread.sleep(250);
        }
    }

    @Test
    void shouldAnswerOpenAisErrorShapeThroughTheGateway() {
        given().contentType("application/json")
                .body("{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post(Suite.url() + "/v1/chat/completions")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("model_not_found"));
    }

    @Test
    void shouldRelayAStreamAsTheProviderSendsIt() throws Exception {
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(Suite.url() + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .header("Authorization", CLIENT_KEY)
                .timeout(Duration.ofSeconds(60)) // a bound, not an assertion
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"step\"}]}"))
                .build();
        HttpResponse<Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        List<String> events = new ArrayList<>();
        try (Stream<String> lines = response.body()) {
            Iterator<String> it = lines.filter(l -> l.startsWith("data: ")).iterator();
            // the provider holds its other chunks until this one has reached the client: nothing is buffered
            events.add(it.next());
            assertThat(events.get(0)).contains("\"content\":\"first\"");
            provider.release.countDown();
            it.forEachRemaining(events::add);
        }
        assertThat(events).hasSize(4);
        assertThat(events.get(1)).contains("\"content\":\" second\"");
        assertThat(events.get(2)).contains("\"finish_reason\":\"stop\"");
        assertThat(events.get(3)).isEqualTo("data: [DONE]");
        assertThat(provider.last.get("authorization")).isEqualTo("Bearer " + Suite.LLM_PROVIDER_KEY);
    }

    @Test
    void shouldStopTheProvidersCallWhenTheClientLeavesMidStream() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hold\"}],\"stream\":true}";
        try (Socket socket = new Socket("127.0.0.1", Suite.GATEWAY_PORT)) {
            socket.setSoTimeout(60_000); // a bound, not an assertion
            socket.getOutputStream()
                    .write(("POST /endpoints/chat/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    + "Content-Type: application/json\r\nContent-Length: " + body.length()
                                    + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.UTF_8));
            BufferedReader reader =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String status = reader.readLine();
            assertThat(status).isEqualTo("HTTP/1.1 200 OK");
            String line;
            while ((line = reader.readLine()) != null && !line.startsWith("data: ")) {
                // headers and the first chunk's size
            }
            assertThat(line).contains("\"content\":\"first\"");
            assertThat(provider.holdClosed).isNotDone();
        }
        // the provider never ends this stream: only the gateways letting go of the call completes this
        provider.holdClosed.get(60, TimeUnit.SECONDS);
    }
}
