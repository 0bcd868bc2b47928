package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static dev.skein.llmgateway.LlmGatewayApiTest.events;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

import dev.skein.common.testing.TestInfra;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

/**
 * The bedrock provider against {@link BedrockMock}'s local Bedrock runtime: Converse requests as the gateway
 * translates them, signed with SigV4 (the mock recomputes the signature as AWS would), answers and event-stream
 * streams back in MLflow's and OpenAI's shapes, tools both ways, Titan embeddings, its failures, and the secret key
 * kept out of every answer and log line.
 */
@QuarkusTest
class BedrockProviderTest {

    @Test
    void aChatIsSentToConverseSignedWithSigV4AndAnsweredInMlflowsShape() {
        api().body("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":"
                        + "\"Hi\"}],\"temperature\":0.8,\"max_tokens\":100,\"top_p\":0.9,\"stop\":[\"END\"]}")
                .post("/endpoints/bedrock/invocations")
                .then()
                .spec(ProviderTests.chatAnswer("Hello from Bedrock.", 12, 7))
                .body("model", equalTo(BedrockMock.MODEL));
        JsonObject seen = OpenAiMockResource.LAST.get(BedrockMock.MODEL);
        // the model ID's ':' encoded in the path, as the AWS SDK sends it
        assertThat(seen.getString("path")).isEqualTo("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse");
        JsonObject headers = seen.getJsonObject("headers");
        assertThat(headers.getString("authorization"))
                .matches("AWS4-HMAC-SHA256 Credential=" + BedrockMock.ACCESS_KEY_ID
                        + "/\\d{8}/eu-west-3/bedrock/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*,"
                        + " Signature=[0-9a-f]{64}");
        assertThat(headers.getString("x-amz-date")).matches("\\d{8}T\\d{6}Z");
        assertThat(headers.getString("x-amz-security-token")).isNull();
        assertThat(seen.getJsonObject("body"))
                .isEqualTo(new JsonObject("{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hi\"}]}],"
                        + "\"system\":[{\"text\":\"Be brief.\"}],\"inferenceConfig\":{\"maxTokens\":100,"
                        + "\"temperature\":0.4,\"topP\":0.9,\"stopSequences\":[\"END\"]}}"));
    }

    @Test
    void aSignatureAwsCannotVerifyIsTheGatewaysFaultNotTheCallers() {
        // the mock recomputes each signature with the key AWS knows: this endpoint's key is another
        ProviderTests.invoke("bedrock-wrongkey")
                .statusCode(502)
                .body(
                        "detail",
                        equalTo("The provider refused llm-gateway-service's credentials for endpoint"
                                + " 'bedrock-wrongkey' (HTTP 403); an operator must check the endpoint's key"));
    }

    @Test
    void bedrocksTokensAreRecordedForUsageAndLimitsStreamedOrNot() throws InterruptedException {
        LlmGovernanceTest.as("bedrock-user")
                .body(ProviderTests.HI)
                .post("/endpoints/bedrock/invocations")
                .then()
                .statusCode(200);
        LlmGovernanceTest.as("bedrock-user")
                .body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}")
                .post("/endpoints/bedrock/invocations")
                .then()
                .statusCode(200);
        // 12 + 7 tokens answered, 14 + 5 streamed (its usage hidden from the client, counted all the same)
        TestInfra.await("both calls are recorded", Duration.ofSeconds(30), () -> {
            List<Object> rows = api().header("skein-usage-scope", "all")
                    .queryParam("endpoint", "bedrock")
                    .queryParam("caller", "bedrock-user")
                    .get("/api/2.0/skein/llm/usage")
                    .jsonPath()
                    .getList("usage");
            if (rows.size() != 1) {
                return false;
            }
            JsonObject row = JsonObject.mapFrom(rows.get(0));
            return row.getLong("requests") == 2
                    && row.getLong("input_tokens") == 26
                    && row.getLong("output_tokens") == 12;
        });
    }

    @Test
    void aSessionTokenIsSentAndSigned() {
        ProviderTests.invoke("bedrock-session").statusCode(200);
        JsonObject headers = OpenAiMockResource.LAST.get(BedrockMock.MODEL).getJsonObject("headers");
        assertThat(headers.getString("x-amz-security-token")).isEqualTo(BedrockMock.SESSION_TOKEN);
        assertThat(headers.getString("authorization")).contains("x-amz-security-token");
    }

    @Test
    void aCompletionIsOneUserMessageAndOpenAisRouteAnswersInOpenAisShape() {
        api().body("{\"prompt\":\"Say hi\",\"max_tokens\":50}")
                .post("/endpoints/bedrock-completions/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("text_completion"))
                .body("choices[0].text", equalTo("Hello from Bedrock."))
                .body("usage.total_tokens", equalTo(19));
        JsonObject sent = OpenAiMockResource.LAST.get(BedrockMock.MODEL).getJsonObject("body");
        assertThat(sent.getJsonArray("messages").encode())
                .isEqualTo("[{\"role\":\"user\",\"content\":[{\"text\":\"Say hi\"}]}]");
        assertThat(sent.getJsonObject("inferenceConfig").getInteger("maxTokens"))
                .isEqualTo(50);
        ProviderTests.chat("bedrock")
                .statusCode(200)
                .body("choices[0].message.content", equalTo("Hello from Bedrock."))
                .body("usage.total_tokens", equalTo(19));
    }

    @Test
    void aStreamIsDecodedFromEventStreamFramesAndRelayedChunkByChunk() {
        ProviderTests.assertMlflowStream("bedrock", "", "Hello", " from Bedrock.", null);
        JsonObject seen = OpenAiMockResource.LAST.get(BedrockMock.MODEL);
        assertThat(seen.getString("operation")).isEqualTo("converse-stream");
        assertThat(seen.getJsonObject("headers").getString("accept")).isEqualTo("application/vnd.amazon.eventstream");

        JsonObject last = ProviderTests.streamWithUsage("bedrock");
        assertThat(last.getJsonObject("usage").getInteger("prompt_tokens")).isEqualTo(14);
        assertThat(last.getJsonObject("usage").getInteger("completion_tokens")).isEqualTo(5);
        assertThat(last.getJsonArray("choices")).isEmpty();

        String completion = api().body("{\"model\":\"bedrock-completions\",\"prompt\":\"Hi\",\"stream\":true}")
                .post("/v1/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(events(completion))
                .filteredOn(e -> !e.equals("[DONE]"))
                .extracting(e -> new JsonObject(e)
                        .getJsonArray("choices")
                        .getJsonObject(0)
                        .getString("text"))
                .containsExactly("", "Hello", " from Bedrock.", "");
        assertThat(events(completion)).endsWith("[DONE]");
    }

    @Test
    void toolsGoAsToolConfigAndToolUseComesBackAsToolCalls() {
        String request = "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"tooluse_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Lyon\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"tooluse_1\",\"content\":\"12 C\"},"
                + "{\"role\":\"user\",\"content\":\"And Paris?\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}],"
                + "\"tool_choice\":\"required\"}";
        api().body(request)
                .post("/endpoints/bedrock-tools/invocations")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("Let me check."))
                .body("choices[0].message.tool_calls[0].id", equalTo("tooluse_kZJMlvQmRJ6eAyJE5GIl7Q"))
                .body("choices[0].message.tool_calls[0].type", equalTo("function"))
                .body("choices[0].message.tool_calls[0].function.name", equalTo("get_weather"))
                .body("choices[0].message.tool_calls[0].function.arguments", equalTo("{\"city\":\"Paris\"}"))
                .body("choices[0].finish_reason", equalTo("tool_calls"));
        JsonObject sent = OpenAiMockResource.LAST.get("bedrock-tools").getJsonObject("body");
        assertThat(sent.getJsonObject("toolConfig"))
                .isEqualTo(new JsonObject("{\"tools\":[{\"toolSpec\":{\"name\":\"get_weather\",\"description\":"
                        + "\"Weather\",\"inputSchema\":{\"json\":{\"type\":\"object\",\"properties\":{\"city\":"
                        + "{\"type\":\"string\"}}}}}}],\"toolChoice\":{\"any\":{}}}"));
        // the tool result and the next user message are one user turn: Converse wants the roles alternating
        assertThat(sent.getJsonArray("messages"))
                .isEqualTo(new JsonArray("[{\"role\":\"user\",\"content\":[{\"text\":\"Weather in Paris?\"}]},"
                        + "{\"role\":\"assistant\",\"content\":[{\"toolUse\":{\"toolUseId\":\"tooluse_1\",\"name\":"
                        + "\"get_weather\",\"input\":{\"city\":\"Lyon\"}}}]},{\"role\":\"user\",\"content\":["
                        + "{\"toolResult\":{\"toolUseId\":\"tooluse_1\",\"content\":[{\"text\":\"12 C\"}]}},"
                        + "{\"text\":\"And Paris?\"}]}]"));

        String streamed = api().body("{\"model\":\"bedrock-tools\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Weather in Paris?\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        List<JsonObject> chunks = events(streamed).stream()
                .filter(e -> !e.equals("[DONE]"))
                .map(JsonObject::new)
                .toList();
        List<JsonObject> calls = new ArrayList<>();
        StringBuilder arguments = new StringBuilder();
        for (JsonObject chunk : chunks) {
            JsonObject delta = chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
            if (delta.getValue("tool_calls") instanceof JsonArray deltas) {
                JsonObject call = deltas.getJsonObject(0);
                calls.add(call);
                arguments.append(call.getJsonObject("function").getString("arguments"));
            }
        }
        assertThat(calls.get(0).getString("id")).isEqualTo("tooluse_kZJMlvQmRJ6eAyJE5GIl7Q");
        assertThat(calls.get(0).getJsonObject("function").getString("name")).isEqualTo("get_weather");
        assertThat(calls).allSatisfy(c -> assertThat(c.getInteger("index")).isZero());
        assertThat(arguments.toString()).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(chunks.get(chunks.size() - 1)
                        .getJsonArray("choices")
                        .getJsonObject(0)
                        .getString("finish_reason"))
                .isEqualTo("tool_calls");
    }

    @Test
    void titanEmbeddingsAreOneInvokeModelCallPerInput() {
        api().body("{\"input\":[\"hello big world\",\"hi\"]}")
                .post("/endpoints/bedrock-embeddings/invocations")
                .then()
                .statusCode(200)
                .body("object", equalTo("list"))
                .body("data.index", contains(0, 1))
                .body("data[0].embedding", contains(15, 0.5f, -0.25f))
                .body("data[1].embedding", contains(2, 0.5f, -0.25f))
                .body("usage.prompt_tokens", equalTo(4))
                .body("model", equalTo(BedrockMock.TITAN));
        JsonObject seen = OpenAiMockResource.LAST.get(BedrockMock.TITAN);
        assertThat(seen.getString("path")).isEqualTo("/model/amazon.titan-embed-text-v2%3A0/invoke");
        assertThat(seen.getJsonObject("body")).isEqualTo(new JsonObject("{\"inputText\":\"hi\"}"));
    }

    @Test
    void throttlingIsA429WithItsRetryAfterAndIsRetriedWhenTheEndpointRetries() {
        ProviderTests.assertRateLimited("bedrock-throttled", "3", "Too many requests, please wait before trying again.")
                .body("error.message", equalTo("Too many requests, please wait before trying again."));
        int before = BedrockMock.FLAKY.get();
        long start = System.nanoTime();
        ProviderTests.invoke("bedrock-flaky").statusCode(200).body("choices[0].message.content", equalTo("At last."));
        assertThat(BedrockMock.FLAKY.get() - before).isEqualTo(2);
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(1000); // its Retry-After: 1
    }

    @Test
    void failuresAreAnsweredWithTheirStatusOrA502NeverA500OfTheGateway() {
        ProviderTests.assertMlflowError(
                "bedrock-broken", 502, "The provider failed (HTTP 500): The server encountered an internal error.");
        ProviderTests.assertMlflowError("bedrock-malformed", 502, "The provider's answer is not valid JSON");
        ProviderTests.assertMlflowError("bedrock-slow", 504, "The provider sent nothing for longer than 2 s");
        ProviderTests.chatStreaming("bedrock-slow")
                .statusCode(504)
                .body("error.message", equalTo("The provider sent nothing for longer than 2 s"));
        String bad = ProviderTests.chatStreaming("bedrock-malformed")
                .statusCode(200)
                .extract()
                .asString();
        List<String> events = events(bad);
        assertThat(events).hasSize(1).doesNotContain("[DONE]");
        assertThat(new JsonObject(events.get(0)).getJsonObject("error").getString("message"))
                .isEqualTo("The provider sent a stream frame that cannot be read");
        api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"n\":2}")
                .post("/endpoints/bedrock/invocations")
                .then()
                .statusCode(422)
                .body("detail", equalTo("'n' must be '1' for the Amazon Bedrock provider. Received value: '2'."));
    }

    @Test
    void aStreamCutOrFailedMidWayEndsWithAnErrorEventNeverAHang() {
        String cut = ProviderTests.chatStreaming("bedrock-cut")
                .statusCode(200)
                .extract()
                .asString();
        List<String> events = events(cut);
        assertThat(events).hasSize(3).doesNotContain("[DONE]");
        assertThat(new JsonObject(events.get(1))
                        .getJsonArray("choices")
                        .getJsonObject(0)
                        .getJsonObject("delta")
                        .getString("content"))
                .isEqualTo("Hello");
        JsonObject error = new JsonObject(events.get(2)).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("stream_interrupted");
        assertThat(error.getString("message")).startsWith("The provider's stream ended");

        String failed = ProviderTests.invokeStreaming("bedrock-streamerror")
                .statusCode(200)
                .extract()
                .asString();
        List<String> failedEvents = events(failed);
        assertThat(failedEvents).hasSize(2);
        assertThat(new JsonObject(failedEvents.get(1)).getJsonObject("error").getString("message"))
                .isEqualTo("The model stopped: the stream was interrupted");
    }

    @Test
    void theSecretKeyNeverReachesAnAnswerOrALogLine() {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                String message = r instanceof ExtLogRecord e ? e.getFormattedMessage() : r.getMessage();
                lines.add(message + " " + Arrays.toString(r.getParameters()) + " " + r.getThrown());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        List<String> answers = new ArrayList<>();
        try {
            answers.add(ProviderTests.invoke("bedrock-echo")
                    .statusCode(400)
                    .body("detail", equalTo("Malformed input request for key *** and token ***"))
                    .extract()
                    .asString());
            answers.add(
                    ProviderTests.chat("bedrock-echo").statusCode(400).extract().asString());
            for (String name : List.of("bedrock-broken", "bedrock-throttled", "bedrock-malformed")) {
                answers.add(api().body(ProviderTests.HI)
                        .post("/endpoints/" + name + "/invocations")
                        .asString());
            }
            answers.add(api().body("{\"model\":\"bedrock-cut\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                            + "\"content\":\"Hi\"}]}")
                    .post("/v1/chat/completions")
                    .asString());
            answers.add(api().get("/api/2.0/endpoints/bedrock").asString());
            answers.add(api().get("/api/2.0/endpoints/bedrock-session")
                    .then()
                    .body("model.provider", equalTo("bedrock"))
                    .extract()
                    .asString());
        } finally {
            root.removeHandler(capture);
        }
        assertThat(lines).anySatisfy(line -> assertThat(line).contains("bedrock-echo"));
        for (String text : concat(answers, lines)) {
            assertThat(text).doesNotContain(BedrockMock.SECRET_KEY).doesNotContain(BedrockMock.SESSION_TOKEN);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        synchronized (b) {
            all.addAll(b);
        }
        return all;
    }
}
