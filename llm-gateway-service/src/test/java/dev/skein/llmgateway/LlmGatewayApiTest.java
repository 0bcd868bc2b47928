package dev.skein.llmgateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every route of the service, through the service, against {@link OpenAiMockResource}'s local provider. */
@QuarkusTest
@QuarkusTestResource(OpenAiMockResource.class)
class LlmGatewayApiTest {

    static final String CREDENTIAL = "Bearer test-internal-credential-0123456789";
    static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    static final List<String> SECRETS = List.of(
            OpenAiMockResource.ENV_KEY,
            OpenAiMockResource.FILE_KEY,
            OpenAiMockResource.LITERAL_KEY,
            OpenAiMockResource.AZURE_KEY,
            OpenAiMockResource.ANTHROPIC_KEY,
            ProviderMocks.MISTRAL_KEY,
            ProviderMocks.GEMINI_KEY,
            ProviderMocks.COHERE_KEY);

    static RequestSpecification api() {
        return given().header("Authorization", CREDENTIAL).contentType("application/json");
    }

    static void assertNoSecret(String body) {
        for (String secret : SECRETS) {
            assertThat(body).doesNotContain(secret);
        }
    }

    /** The data of each server-sent event, in order. */
    static List<String> events(String body) {
        List<String> data = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            if (event.startsWith("data: ")) {
                data.add(event.substring("data: ".length()));
            }
        }
        return data;
    }

    static byte[] request(String path, String body) {
        return ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + CREDENTIAL
                        + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8);
    }

    /** A stream of {@code endpoint} opened on a raw socket, read up to its first event. */
    static Socket openStream(String endpoint) throws Exception {
        Socket socket = new Socket("127.0.0.1", RestAssured.port);
        socket.setSoTimeout(60_000); // a bound, not an assertion: a broken gateway fails instead of hanging
        socket.getOutputStream()
                .write(request(
                        "/endpoints/" + endpoint + "/invocations",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}"));
        BufferedReader reader =
                new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null && !line.contains("data: ")) {
            assertThat(line).doesNotStartWith("HTTP/1.1 5").doesNotStartWith("HTTP/1.1 4");
        }
        assertThat(line).as("the first event").isNotNull();
        return socket;
    }

    // --- trust and health

    @Test
    void shouldRefuseCallsWithoutTheInternalCredential() {
        given().get("/health").then().statusCode(401).body("detail", containsString("gateway-service"));
        given().header("Authorization", "Bearer not-the-internal-credential")
                .contentType("application/json")
                .body("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(401)
                .header("Connection", "close")
                .body("error.type", equalTo("authentication_error"));
    }

    @Test
    void shouldAnswerHealthAsMlflow() {
        api().get("/health").then().statusCode(200).body("status", equalTo("OK"));
    }

    // --- listing

    @Test
    void shouldPageEndpointsAsMlflowWithPageTokens() {
        Response first = api().get("/api/2.0/endpoints/");
        first.then()
                .statusCode(200)
                .body("endpoints", hasSize(4))
                .body("endpoints.name", contains("chat", "completions", "embeddings", "tools"))
                .body(
                        "next_page_token",
                        equalTo(Base64.getEncoder().encodeToString("{\"index\": 4}".getBytes(StandardCharsets.UTF_8))));
        List<String> names = new ArrayList<>(first.jsonPath().getList("endpoints.name"));
        String token = first.jsonPath().getString("next_page_token");
        while (token != null) {
            Response page = api().queryParam("page_token", token).get("/api/2.0/endpoints/");
            page.then().statusCode(200);
            names.addAll(page.jsonPath().getList("endpoints.name"));
            token = page.jsonPath().getString("next_page_token");
        }
        assertThat(names)
                .containsExactly(
                        "chat",
                        "completions",
                        "embeddings",
                        "tools",
                        "ratelimited",
                        "broken",
                        "badkey",
                        "malformed",
                        "html",
                        "slow",
                        "cut",
                        "hold",
                        "nochoices",
                        "trickle",
                        "drip",
                        "stall",
                        "huge",
                        "redirect",
                        "echokey",
                        "shortkey",
                        "park",
                        "bigevent",
                        "firehose",
                        "doneopen",
                        "azure",
                        "limited",
                        "tokenlimited",
                        "budgeted",
                        "alerted",
                        "metered",
                        "flaky",
                        "withfallback",
                        "lastresort",
                        "guarded",
                        "spillover",
                        "impatient",
                        "claude",
                        "claude-completions",
                        "claude-overloaded",
                        "claude-ratelimited",
                        "bedrock",
                        "bedrock-completions",
                        "bedrock-session",
                        "bedrock-embeddings",
                        "bedrock-tools",
                        "bedrock-throttled",
                        "bedrock-broken",
                        "bedrock-malformed",
                        "bedrock-slow",
                        "bedrock-cut",
                        "bedrock-streamerror",
                        "bedrock-echo",
                        "bedrock-wrongkey",
                        "bedrock-flaky",
                        "serving-chat",
                        "serving-completions",
                        "serving-embeddings",
                        "serving-dict",
                        "serving-missing",
                        "serving-throttled",
                        "serving-broken",
                        "serving-malformed",
                        "serving-slow",
                        "serving-cut",
                        "blue",
                        "green",
                        "mistral",
                        "mistral-completions",
                        "mistral-embeddings",
                        "mistral-tools",
                        "mistral-ratelimited",
                        "mistral-broken",
                        "mistral-malformed",
                        "mistral-slow",
                        "mistral-cut",
                        "mistral-echokey",
                        "mistral-flaky",
                        "mistral-payment",
                        "gemini",
                        "gemini-completions",
                        "gemini-embeddings",
                        "gemini-tools",
                        "gemini-ratelimited",
                        "gemini-broken",
                        "gemini-malformed",
                        "gemini-slow",
                        "gemini-cut",
                        "gemini-echokey",
                        "gemini-badkey",
                        "gemini-blocked",
                        "gemini-flaky",
                        "cohere",
                        "cohere-completions",
                        "cohere-embeddings",
                        "cohere-tools",
                        "cohere-ratelimited",
                        "cohere-broken",
                        "cohere-malformed",
                        "cohere-slow",
                        "cohere-cut",
                        "cohere-echokey",
                        "cohere-flaky");
    }

    @Test
    void shouldRefuseABadPageToken() {
        api().queryParam("page_token", "not-base64!")
                .get("/api/2.0/endpoints/")
                .then()
                .statusCode(400)
                .body("detail", containsString("Invalid SearchRoutes token"));
        String negative = Base64.getEncoder().encodeToString("{\"index\": -1}".getBytes(StandardCharsets.UTF_8));
        api().queryParam("page_token", negative)
                .get("/api/2.0/endpoints/")
                .then()
                .statusCode(400)
                .body("detail", containsString("cannot be negative"));
    }

    @Test
    void shouldDescribeAnEndpointWithoutItsConfig() {
        api().get("/api/2.0/endpoints/azure")
                .then()
                .statusCode(200)
                .body("name", equalTo("azure"))
                .body("endpoint_type", equalTo("llm/v1/chat"))
                .body("model.name", equalTo("gpt-normal"))
                .body("model.provider", equalTo("openai"))
                .body("endpoint_url", equalTo("/gateway/azure/invocations"))
                .body("limit.calls", equalTo(10))
                .body("limit.renewal_period", equalTo("minute"))
                .body("model.config", nullValue());
        api().get("/api/2.0/endpoints/chat").then().statusCode(200).body("limit", nullValue());
        api().get("/api/2.0/endpoints/nope")
                .then()
                .statusCode(404)
                .body(
                        "detail",
                        equalTo(
                                "The endpoint 'nope' is not present or active on the server. Please verify the endpoint name."));
    }

    @Test
    void shouldNeverReturnAKeyFromTheListing() {
        String listing = api().queryParam("page_token", "eyJpbmRleCI6IDB9")
                .get("/api/2.0/endpoints/")
                .asString();
        assertNoSecret(listing);
        for (String name : List.of("chat", "completions", "embeddings", "azure")) {
            assertNoSecret(api().get("/api/2.0/endpoints/" + name).asString());
        }
    }

    // --- MLflow invocations

    @Test
    void shouldChatAsMlflowAndSendTheEnvKeyAndTheEndpointsModel() {
        api().body(CHAT)
                .post("/endpoints/chat/invocations")
                .then()
                .statusCode(200)
                .body("id", equalTo("chatcmpl-123"))
                .body("object", equalTo("chat.completion"))
                .body("created", equalTo(1700000000))
                .body("model", equalTo("gpt-4o-mini-2024-07-18"))
                .body("choices[0].index", equalTo(0))
                .body("choices[0].message.role", equalTo("assistant"))
                .body("choices[0].message.content", equalTo("Hello!"))
                .body("choices[0].finish_reason", equalTo("stop"))
                .body("usage.prompt_tokens", equalTo(9))
                .body("usage.completion_tokens", equalTo(12))
                .body("usage.total_tokens", equalTo(21))
                .body("system_fingerprint", nullValue());
        JsonObject seen = OpenAiMockResource.LAST.get("gpt-normal");
        assertThat(seen.getString("path")).isEqualTo("/v1/chat/completions");
        assertThat(seen.getJsonObject("headers").getString("authorization"))
                .isEqualTo("Bearer " + OpenAiMockResource.ENV_KEY);
        assertThat(seen.getJsonObject("headers").getString("openai-organization"))
                .isEqualTo("org-skein");
        // MLflow's defaults are sent on: temperature 0.0 and n 1
        assertThat(seen.getJsonObject("body").getDouble("temperature")).isEqualTo(0.0);
        assertThat(seen.getJsonObject("body").getInteger("n")).isEqualTo(1);
        assertThat(seen.getJsonObject("body").getString("model")).isEqualTo("gpt-normal");
    }

    @Test
    void shouldServeMlflowsGatewayPathToo() {
        api().body(CHAT)
                .post("/gateway/chat/invocations")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("Hello!"));
    }

    @Test
    void shouldCompleteThroughChatWithTheFileKey() {
        api().body("{\"prompt\":\"Say hello\",\"max_tokens\":5}")
                .post("/endpoints/completions/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("text_completion"))
                .body("choices[0].text", equalTo("Hello!"))
                .body("choices[0].finish_reason", equalTo("stop"))
                .body("usage.total_tokens", equalTo(21));
        JsonObject seen = OpenAiMockResource.LAST.get("gpt-normal");
        assertThat(seen.getJsonObject("headers").getString("authorization"))
                .isEqualTo("Bearer " + OpenAiMockResource.FILE_KEY);
        assertThat(seen.getJsonObject("body").getJsonArray("messages"))
                .isEqualTo(
                        new JsonArray().add(new JsonObject().put("role", "user").put("content", "Say hello")));
        assertThat(seen.getJsonObject("body").containsKey("prompt")).isFalse();
    }

    @Test
    void shouldEmbedWithTheLiteralKey() {
        api().body("{\"input\":[\"a\",\"b\"]}")
                .post("/endpoints/embeddings/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("list"))
                .body("data", hasSize(2))
                .body("data[1].object", equalTo("embedding"))
                .body("data[1].index", equalTo(1))
                .body("data[1].embedding[0]", equalTo(1.25f))
                .body("model", equalTo("text-embedding-3-small"))
                .body("usage.prompt_tokens", equalTo(8));
        JsonObject seen = OpenAiMockResource.LAST.get("text-embedding-normal");
        assertThat(seen.getString("path")).isEqualTo("/v1/embeddings");
        assertThat(seen.getJsonObject("headers").getString("authorization"))
                .isEqualTo("Bearer " + OpenAiMockResource.LITERAL_KEY);
    }

    @Test
    void shouldCallAzureByDeploymentWithItsApiKeyHeader() {
        api().body(CHAT).post("/endpoints/azure/invocations").then().statusCode(200);
        JsonObject seen = OpenAiMockResource.LAST.get("azure");
        assertThat(seen.getString("path")).isEqualTo("/openai/deployments/dep1/chat/completions");
        assertThat(seen.getString("query")).isEqualTo("api-version=2024-02-01");
        assertThat(seen.getJsonObject("headers").getString("api-key")).isEqualTo(OpenAiMockResource.AZURE_KEY);
        assertThat(seen.getJsonObject("headers").containsKey("authorization")).isFalse();
        assertThat(seen.getJsonObject("body").containsKey("model")).isFalse();
    }

    @Test
    void shouldPassToolCallsThroughBothWays() {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_0\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_0\",\"content\":\"sunny\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]}";
        api().body(body)
                .post("/endpoints/tools/invocations")
                .then()
                .statusCode(200)
                .body("choices[0].finish_reason", equalTo("tool_calls"))
                .body("choices[0].message.content", nullValue())
                .body("choices[0].message.tool_calls[0].id", equalTo("call_abc123"))
                .body("choices[0].message.tool_calls[0].type", equalTo("function"))
                .body("choices[0].message.tool_calls[0].function.name", equalTo("get_weather"))
                .body("choices[0].message.tool_calls[0].function.arguments", equalTo("{\"city\":\"Paris\"}"));
        JsonObject sent = OpenAiMockResource.LAST.get("gpt-tools").getJsonObject("body");
        assertThat(sent.getJsonArray("tools")
                        .getJsonObject(0)
                        .getJsonObject("function")
                        .getString("name"))
                .isEqualTo("get_weather");
        assertThat(sent.getJsonArray("messages").getJsonObject(2).getString("tool_call_id"))
                .isEqualTo("call_0");
    }

    @Test
    void shouldStreamChatInMlflowsChunkFormat() {
        Response response = api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}")
                .post("/endpoints/chat/invocations");
        response.then().statusCode(200).contentType(containsString("text/event-stream"));
        List<String> events = events(response.asString());
        assertThat(events).hasSize(4).doesNotContain("[DONE]");
        JsonObject first = new JsonObject(events.get(0));
        assertThat(first.getString("object")).isEqualTo("chat.completion.chunk");
        assertThat(first.getJsonArray("choices")
                        .getJsonObject(0)
                        .getJsonObject("delta")
                        .getString("role"))
                .isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        for (String e : events) {
            Object content = new JsonObject(e)
                    .getJsonArray("choices")
                    .getJsonObject(0)
                    .getJsonObject("delta")
                    .getValue("content");
            text.append(content == null ? "" : content);
        }
        assertThat(text.toString()).isEqualTo("Hello!");
        JsonObject last = new JsonObject(events.get(3)).getJsonArray("choices").getJsonObject(0);
        assertThat(last.getString("finish_reason")).isEqualTo("stop");
        assertThat(last.containsKey("logprobs")).isFalse();
        assertThat(OpenAiMockResource.LAST
                        .get("gpt-normal")
                        .getJsonObject("body")
                        .getBoolean("stream"))
                .isTrue();
    }

    @Test
    void shouldStreamCompletionsAsTextCompletionChunks() {
        Response response =
                api().body("{\"prompt\":\"Hi\",\"stream\":true}").post("/endpoints/completions/invocations");
        response.then().statusCode(200);
        List<String> events = events(response.asString());
        assertThat(events).hasSize(4);
        JsonObject second = new JsonObject(events.get(1));
        assertThat(second.getString("object")).isEqualTo("text_completion_chunk");
        assertThat(second.getJsonArray("choices")
                        .getJsonObject(0)
                        .getJsonObject("delta")
                        .getString("content"))
                .isEqualTo("Hel");
    }

    @Test
    void shouldStreamToolCallDeltas() {
        Response response = api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}],\"stream\":true}")
                .post("/endpoints/tools/invocations");
        List<String> events = events(response.asString());
        assertThat(events).hasSize(3);
        JsonObject delta = new JsonObject(events.get(1))
                .getJsonArray("choices")
                .getJsonObject(0)
                .getJsonObject("delta");
        assertThat(delta.getJsonArray("tool_calls")
                        .getJsonObject(0)
                        .getJsonObject("function")
                        .getString("arguments"))
                .isEqualTo("{\"city\":\"Paris\"}");
        assertThat(new JsonObject(events.get(2))
                        .getJsonArray("choices")
                        .getJsonObject(0)
                        .getString("finish_reason"))
                .isEqualTo("tool_calls");
    }

    // --- provider failures

    @Test
    void shouldKeepRetryAfterOnA429() {
        api().body(CHAT)
                .post("/endpoints/ratelimited/invocations")
                .then()
                .statusCode(429)
                .header("Retry-After", "7")
                .body("detail", equalTo("Rate limit reached for gpt-ratelimited"));
        api().body("{\"model\":\"ratelimited\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(429)
                .header("Retry-After", "7")
                .body("error.message", equalTo("Rate limit reached for gpt-ratelimited"))
                .body("error.code", equalTo("rate_limit_exceeded"));
        api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}")
                .post("/endpoints/ratelimited/invocations")
                .then()
                .statusCode(429)
                .header("Retry-After", "7")
                .contentType(containsString("application/json"));
    }

    @Test
    void shouldKeepTheProvidersServerErrorStatus() {
        api().body(CHAT)
                .post("/endpoints/broken/invocations")
                .then()
                .statusCode(500)
                .body("detail", equalTo("The server had an error while processing your request."));
    }

    @Test
    void shouldAnswer502WhenTheProviderRefusesTheGatewaysKey() {
        // the client's own credential was fine: a 401 would tell it otherwise
        String mlflow = api().body(CHAT)
                .post("/endpoints/badkey/invocations")
                .then()
                .statusCode(502)
                .body("detail", containsString("refused llm-gateway-service's credentials for endpoint 'badkey'"))
                .extract()
                .asString();
        assertNoSecret(mlflow);
        String openAi = api().body("{\"model\":\"badkey\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(502)
                .body("error.code", equalTo("upstream_auth_failed"))
                .body("error.type", equalTo("upstream_error"))
                .extract()
                .asString();
        assertNoSecret(openAi);
        assertThat(openAi).doesNotContain("Incorrect API key");
    }

    @Test
    void shouldAnswer502ForAProviderRedirect() {
        api().body("{\"model\":\"redirect\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(502)
                .body("error.code", equalTo("upstream_redirect"))
                .body("error.message", not(containsString("elsewhere.example")));
    }

    @Test
    void shouldNeverEchoAKeyAProviderRepeatsInAnyField() {
        String openAi = api().body("{\"model\":\"echokey\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.message", equalTo("Invalid request for ***: message too long"))
                .body("error.param", equalTo("***"))
                .body("error.details[0]", equalTo("seen ***"))
                .extract()
                .asString();
        assertNoSecret(openAi);
        api().body(CHAT)
                .post("/endpoints/echokey/invocations")
                .then()
                .statusCode(400)
                .body("detail", equalTo("Invalid request for ***: message too long"));
    }

    @Test
    void shouldScrubAShortKeyWithoutBreakingTheErrorsShape() {
        // "ge" is inside "message": a text replace over the JSON would rename the field or break the document
        api().body("{\"model\":\"shortkey\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.message", equalTo("Invalid request for ***: messa*** too long"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("***"));
    }

    @Test
    void shouldAnswer502ForAMalformedProviderBody() {
        api().body(CHAT)
                .post("/endpoints/malformed/invocations")
                .then()
                .statusCode(502)
                .body("detail", containsString("not valid JSON"));
        api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}")
                .post("/endpoints/malformed/invocations")
                .then()
                .statusCode(200)
                .body(containsString("\"code\":\"stream_interrupted\""));
        api().body(CHAT)
                .post("/endpoints/html/invocations")
                .then()
                .statusCode(502)
                .body(
                        "detail",
                        equalTo(
                                "The returned data type from the route service is not supported. Received content type: text/html"));
    }

    @Test
    void shouldAnswer502ForAProviderAnswerWithoutChoices() {
        api().body(CHAT)
                .post("/endpoints/nochoices/invocations")
                .then()
                .statusCode(502)
                .body("detail", equalTo("The provider's answer could not be read (choices)"));
    }

    @Test
    void shouldTimeOutASlowProviderWith504() {
        api().body(CHAT)
                .post("/endpoints/slow/invocations")
                .then()
                .statusCode(504)
                .body("detail", equalTo("The provider sent nothing for longer than 2 s"));
        api().body("{\"model\":\"slow\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(504)
                .body("error.type", equalTo("upstream_error"))
                .body("error.code", equalTo("upstream_timeout"));
    }

    @Test
    void shouldTimeOutAProviderSilentAfterItsHeaders() {
        // the HttpClient's own idle timeout stops at the headers: this silence comes after them
        api().body(CHAT)
                .post("/endpoints/stall/invocations")
                .then()
                .statusCode(504)
                .body("detail", equalTo("The provider sent nothing for longer than 2 s"));
        Response stream = api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}")
                .post("/endpoints/stall/invocations");
        stream.then().statusCode(200);
        List<String> events = events(stream.asString());
        assertThat(events).hasSize(2);
        JsonObject error = new JsonObject(events.get(1)).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("stream_interrupted");
        assertThat(error.getString("message")).isEqualTo("The provider sent nothing for longer than 2 s");
    }

    @Test
    void shouldEndACallThatOutlastsTheCallTimeoutEvenWhileBytesArrive() {
        api().body(CHAT)
                .post("/endpoints/drip/invocations")
                .then()
                .statusCode(504)
                .body("detail", equalTo("The provider did not finish its answer within 4 s"));
    }

    @Test
    void shouldRefuseAnAnswerLargerThanTheLimitWithoutReadingItAll() {
        api().body("{\"model\":\"huge\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(502)
                .body("error.code", equalTo("upstream_answer_too_large"))
                .body("error.message", equalTo("The provider's answer is larger than 1048576 bytes"));
    }

    @Test
    void shouldEndAStreamWhoseEventIsLargerThanTheLimit() {
        Response response = api().body(
                        "{\"model\":\"bigevent\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions");
        response.then().statusCode(200);
        List<String> events = events(response.asString());
        assertThat(events).hasSize(1).doesNotContain("[DONE]");
        assertThat(new JsonObject(events.get(0)).getJsonObject("error").getString("message"))
                .isEqualTo("The provider sent an event larger than 65536 bytes");
    }

    @Test
    void shouldAnswer503WhenEveryConnectionToTheProviderIsBusy() throws Exception {
        // max-connections is 6 in the tests: six streams that never end hold them all
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                held.add(openStream("park"));
            }
            api().body(CHAT)
                    .post("/endpoints/chat/invocations")
                    .then()
                    .statusCode(503)
                    .header("Retry-After", "1")
                    .body("detail", containsString("no free connection to the provider of endpoint 'chat' (all 6"));
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        // the connections are let go with their clients: calls go through again (bounded wait, not a timing)
        int status = 0;
        for (int i = 0; i < 100 && status != 200; i++) {
            status = api().body(CHAT).post("/endpoints/chat/invocations").statusCode();
            if (status != 200) {
                Thread.sleep(100);
            }
        }
        assertThat(status).isEqualTo(200);
    }

    @Test
    void shouldCloseAStreamItsClientLeavesUnreadAndFreeTheProvider() throws Exception {
        // a client that opens a stream and reads nothing more: after client-stall-timeout (6 s in the tests) the
        // gateway lets go of the provider's call and of the client
        try (Socket socket = openStream("firehose")) {
            OpenAiMockResource.FIREHOSE_CUT.get(60, TimeUnit.SECONDS);
            try {
                socket.getInputStream().readAllBytes(); // what was in flight, then the end
            } catch (java.net.SocketException reset) {
                // a reset is as good an end as a close
            }
        }
    }

    @Test
    void shouldLetGoOfAProviderThatNeverEndsItsAnswerAfterDone() throws Exception {
        Response response = api().body(
                        "{\"model\":\"doneopen\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions");
        response.then().statusCode(200);
        assertThat(events(response.asString())).hasSize(5).endsWith("[DONE]");
        // the client has its whole answer; the provider's connection must not stay out of the pool for ever
        OpenAiMockResource.DONEOPEN_CLOSED.get(60, TimeUnit.SECONDS);
    }

    @Test
    void shouldKeepAQuietStreamAliveWithComments() throws Exception {
        // the provider sends only comments of its own after its first chunk (never relayed): the client gets
        // keep-alive comments (every 500 ms in the tests), so that no proxy in between takes the stream for dead
        try (Socket socket = openStream("park")) {
            BufferedReader reader =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null && !line.equals(": keep-alive")) {
                assertThat(line).doesNotContain("still here"); // the provider's own comments stay here
            }
            assertThat(line).isEqualTo(": keep-alive");
        }
    }

    @Test
    void shouldNotCountTheTimeASlowClientHoldsTheProviderBack() throws Exception {
        // 16 MiB of chunks against a client that reads nothing for longer than the silence limit (2 s, under the
        // 6 s client-stall-timeout): the provider is held back by this client's pace, not silent
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}";
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", RestAssured.port));
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(request("/endpoints/firehose/invocations", body));
            var in = socket.getInputStream();
            byte[] first = new byte[64];
            assertThat(in.read(first)).isPositive();
            Thread.sleep(3000);
            byte[] rest = in.readAllBytes();
            String text = new String(rest, StandardCharsets.UTF_8);
            assertThat(text).doesNotContain("stream_interrupted");
            int chunks = text.split(OpenAiMockResource.FIREHOSE_TEXT, -1).length - 1;
            assertThat(chunks).isEqualTo(OpenAiMockResource.FIREHOSE_CHUNKS);
        }
    }

    @Test
    void shouldEndACutStreamWithAnErrorEventAndNoDone() {
        Response response = api().body(
                        "{\"model\":\"cut\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions");
        response.then().statusCode(200);
        List<String> events = events(response.asString());
        assertThat(events).hasSize(3).doesNotContain("[DONE]");
        assertThat(new JsonObject(events.get(1))
                        .getJsonArray("choices")
                        .getJsonObject(0)
                        .getJsonObject("delta")
                        .getString("content"))
                .isEqualTo("Hel");
        JsonObject error = new JsonObject(events.get(2)).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("stream_interrupted");
        assertThat(error.getString("message")).contains("connection was lost");
        api().body(CHAT)
                .post("/endpoints/cut/invocations")
                .then()
                .statusCode(502)
                .body("detail", containsString("could not be reached"));
    }

    @Test
    void shouldCancelTheProvidersCallWhenTheClientLeavesAndCountItsEstimatedTokens() throws Exception {
        // 31 characters of prompt
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi! How many legs has a spider?\"}],"
                + "\"stream\":true}";
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(60_000); // a bound, not an assertion: a broken gateway fails instead of hanging
            socket.getOutputStream()
                    .write(("POST /endpoints/hold/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    + "Authorization: " + CREDENTIAL + "\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.UTF_8));
            BufferedReader reader =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            StringBuilder seen = new StringBuilder();
            while ((line = reader.readLine()) != null && !line.contains("data: ")) {
                seen.append(line).append('\n'); // headers and the chunk size, up to the first event
                assertThat(seen.toString()).doesNotContain("HTTP/1.1 5").doesNotContain("HTTP/1.1 4");
            }
            assertThat(line).contains("chat.completion.chunk");
            assertThat(OpenAiMockResource.HOLD_CLOSED).isNotDone();
        }
        // the provider never ends this stream: only the gateway closing its call completes this
        OpenAiMockResource.HOLD_CLOSED.get(60, TimeUnit.SECONDS);
        // the provider's count never came (it is in the last chunk): the call is recorded with an estimate, about
        // four characters a token of the prompt and of the answer the client got ("Hel"), so a client leaving early
        // does not escape token limits and budgets
        List<JsonObject> calls = LlmGovernanceTest.usageEvents("hold", "dev.skein.gateway.call.completed.v1", 1);
        assertThat(calls).hasSize(1);
        JsonObject call = calls.get(0);
        assertThat(call.getInteger("status")).isEqualTo(499);
        assertThat(call.getString("errorCode")).isEqualTo("client_closed");
        assertThat(call.getBoolean("usageEstimated")).isTrue();
        assertThat(call.getBoolean("usageReported")).isTrue();
        assertThat(call.getString("inputTokens")).isEqualTo("8");
        assertThat(call.getString("outputTokens")).isEqualTo("1");
    }

    @Test
    void shouldCancelTheProvidersCallWhenTheClientLeavesBeforeTheAnswer() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        OpenAiMockResource.LAST.remove("gpt-trickle");
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.getOutputStream()
                    .write(("POST /endpoints/trickle/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    + "Authorization: " + CREDENTIAL + "\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.UTF_8));
            // wait (bounded) until the provider has the call, then leave
            for (int i = 0; i < 600 && !OpenAiMockResource.LAST.containsKey("gpt-trickle"); i++) {
                Thread.sleep(100);
            }
            assertThat(OpenAiMockResource.LAST).containsKey("gpt-trickle");
            assertThat(OpenAiMockResource.TRICKLE_CLOSED).isNotDone();
        }
        // the provider never ends this answer: only the gateway closing its call completes this
        OpenAiMockResource.TRICKLE_CLOSED.get(60, TimeUnit.SECONDS);
        // the provider read the prompt: counted by an estimate ("Hi", one token), no output bound was asked
        List<JsonObject> calls = LlmGovernanceTest.usageEvents("trickle", "dev.skein.gateway.call.completed.v1", 1);
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).getInteger("status")).isEqualTo(499);
        assertThat(calls.get(0).getBoolean("usageEstimated")).isTrue();
        assertThat(calls.get(0).getString("inputTokens")).isEqualTo("1");
        assertThat(calls.get(0).getString("outputTokens")).isEqualTo("0");
    }

    @Test
    void aQueryStringThatCannotBeDecodedIsTheClientsError() throws Exception {
        // sent as written (HTTP clients refuse to send a malformed %-escape): the HTTP server refuses it before any
        // route reads a parameter — a 400, never a 500 with a stack trace
        assertThat(rawGet("/api/2.0/endpoints/?page_token=%zz")).startsWith("HTTP/1.1 400");
        assertThat(rawGet("/api/3.0/mlflow/gateway/endpoints/get?endpoint_id=%zz"))
                .startsWith("HTTP/1.1 400");
    }

    /** The whole answer to a GET sent byte for byte as {@code target} is written. */
    private static String rawGet(String target) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(60_000); // a bound, not an assertion
            socket.getOutputStream()
                    .write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + CREDENTIAL
                                    + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.UTF_8));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    // --- OpenAI-compatible routes

    @Test
    void shouldChatOnOpenAisRouteWithTheEndpointAsModel() {
        api().body("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .body("object", equalTo("chat.completion"))
                .body("choices[0].message.content", equalTo("Hello!"));
        assertThat(OpenAiMockResource.LAST
                        .get("gpt-normal")
                        .getJsonObject("body")
                        .getString("model"))
                .isEqualTo("gpt-normal");
    }

    @Test
    void openAisRouteTakesOneStopSequenceAsAString() {
        api().body("{\"model\":\"chat\",\"stop\":\"END\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);
        assertThat(OpenAiMockResource.LAST
                        .get("gpt-normal")
                        .getJsonObject("body")
                        .getJsonArray("stop"))
                .containsExactly("END");
    }

    @Test
    void shouldStreamOnOpenAisRouteEndingWithDone() {
        Response response = api().body(
                        "{\"model\":\"chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions");
        response.then().statusCode(200).contentType(containsString("text/event-stream"));
        List<String> events = events(response.asString());
        assertThat(events).hasSize(5);
        assertThat(events.get(4)).isEqualTo("[DONE]");
    }

    @Test
    void shouldStreamCompletionsOnOpenAisRouteInOpenAisChunkShape() {
        Response response = api().body("{\"model\":\"completions\",\"prompt\":\"Hi\",\"stream\":true}")
                .post("/v1/completions");
        response.then().statusCode(200);
        List<String> events = events(response.asString());
        assertThat(events).hasSize(5);
        assertThat(events.get(4)).isEqualTo("[DONE]");
        JsonObject second = new JsonObject(events.get(1));
        assertThat(second.getString("object")).isEqualTo("text_completion");
        JsonObject choice = second.getJsonArray("choices").getJsonObject(0);
        assertThat(choice.getString("text")).isEqualTo("Hel");
        assertThat(choice.containsKey("logprobs")).isTrue();
        assertThat(choice.containsKey("delta")).isFalse();
        assertThat(new JsonObject(events.get(3))
                        .getJsonArray("choices")
                        .getJsonObject(0)
                        .getString("finish_reason"))
                .isEqualTo("stop");
    }

    @Test
    void shouldLeaveAbsentParametersToTheProviderOnOpenAisRoutes() {
        api().body("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);
        JsonObject sent = OpenAiMockResource.LAST.get("gpt-normal").getJsonObject("body");
        assertThat(sent.containsKey("temperature")).isFalse();
        assertThat(sent.containsKey("n")).isFalse();
    }

    @Test
    void shouldCompleteAndEmbedOnOpenAisRoutes() {
        api().body("{\"model\":\"completions\",\"prompt\":\"Hi\"}")
                .post("/v1/completions")
                .then()
                .statusCode(200)
                .body("choices[0].text", equalTo("Hello!"));
        api().body("{\"model\":\"embeddings\",\"input\":\"Hi\"}")
                .post("/v1/embeddings")
                .then()
                .statusCode(200)
                .body("data", hasSize(1));
    }

    // --- bad input

    @Test
    void shouldRefuseUnknownEndpoints() {
        api().body(CHAT)
                .post("/endpoints/nope/invocations")
                .then()
                .statusCode(404)
                .body("detail", equalTo("Not Found"));
        api().body("{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("model_not_found"))
                .body("error.param", equalTo("model"))
                .body("error.type", equalTo("invalid_request_error"));
        api().body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.message", equalTo("you must provide a model parameter"));
    }

    @Test
    void shouldRefuseTheWrongEndpointTypeForTheRoute() {
        api().body("{\"model\":\"chat\",\"input\":\"Hi\"}")
                .post("/v1/embeddings")
                .then()
                .statusCode(400)
                .body("error.message", equalTo("Endpoint 'chat' is not an embeddings endpoint."));
        api().body("{\"model\":\"embeddings\",\"prompt\":\"Hi\"}")
                .post("/v1/completions")
                .then()
                .statusCode(400)
                .body("error.message", equalTo("Endpoint 'embeddings' is not a completions endpoint."));
        // an invocation is checked against its endpoint's own schema: a chat body to an embeddings endpoint
        api().body(CHAT)
                .post("/endpoints/embeddings/invocations")
                .then()
                .statusCode(422)
                .body("detail[0].loc", contains("body", "input"));
    }

    @Test
    void shouldRefuseMalformedJson() {
        api().body("{\"messages\": [")
                .post("/endpoints/chat/invocations")
                .then()
                .statusCode(422)
                .body("detail[0].msg", equalTo("JSON decode error"));
        api().body("[1,2]")
                .post("/endpoints/chat/invocations")
                .then()
                .statusCode(422)
                .body("detail[0].type", equalTo("type_error.dict"));
        api().body("{\"model\": \"chat\", ")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.type", equalTo("invalid_request_error"));
    }

    @Test
    void shouldRefuseBodiesMlflowsSchemasRefuse() {
        api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":3}")
                .post("/endpoints/chat/invocations")
                .then()
                .statusCode(422)
                .body("detail[0].loc", contains("body", "temperature"));
        api().body("{\"messages\":[]}")
                .post("/endpoints/chat/invocations")
                .then()
                .statusCode(422)
                .body("detail[0].loc", contains("body", "messages"));
        api().body("{\"messages\":[{\"content\":\"Hi\"}]}")
                .post("/endpoints/chat/invocations")
                .then()
                .statusCode(422)
                .body("detail[0].loc", contains("body", "messages", 0, "role"))
                .body("detail[0].msg", equalTo("field required"));
        api().body("{\"model\":\"gpt-4\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/endpoints/chat/invocations")
                .then()
                .statusCode(422)
                .body("detail", containsString("The parameter 'model' is not permitted"));
        api().body("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"n\":0}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.param", equalTo("n"));
    }

    @Test
    void shouldRefuseAnOversizeBodyWith413BeforeCallingTheProvider() {
        String big = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(70_000) + "\"}]}";
        OpenAiMockResource.LAST.remove("gpt-normal");
        api().body(big)
                .post("/endpoints/chat/invocations")
                .then()
                .statusCode(413)
                .body("detail", containsString("more than 65536 bytes"));
        api().body(big)
                .post("/v1/chat/completions")
                .then()
                .statusCode(413)
                .body("error.code", equalTo("request_too_large"));
        assertThat(OpenAiMockResource.LAST.get("gpt-normal")).isNull();
    }

    @Test
    void shouldNeverAnswerAStackTrace() {
        api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stop\":\"END\"}")
                .post("/endpoints/chat/invocations")
                .then()
                .statusCode(422)
                .body(not(containsString("Exception")))
                .body(not(containsString("\tat ")));
    }
}
