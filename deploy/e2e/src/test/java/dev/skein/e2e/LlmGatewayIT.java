package dev.skein.e2e;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
