package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static dev.skein.llmgateway.LlmGatewayApiTest.events;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.skein.common.testing.TestInfra;
import io.restassured.builder.ResponseSpecBuilder;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import io.restassured.specification.ResponseSpecification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the providers' contract tests share: a chat saying Hi on MLflow's and OpenAI's routes, the failures every
 * provider answers alike (a malformed answer, silence, a stream cut short, a 429 retried), the usage a caller's calls
 * left, the streamed text.
 */
final class ProviderTests {

    static final String HI = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private ProviderTests() {}

    /** A chat saying Hi to {@code endpoint} on MLflow's route. */
    static ValidatableResponse invoke(String endpoint) {
        return api().body(HI).post("/endpoints/" + endpoint + "/invocations").then();
    }

    /** A streamed chat saying Hi to {@code endpoint} on MLflow's route. */
    static ValidatableResponse invokeStreaming(String endpoint) {
        return api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}")
                .post("/endpoints/" + endpoint + "/invocations")
                .then();
    }

    /** A chat saying Hi to {@code model} on OpenAI's route. */
    static ValidatableResponse chat(String model) {
        return api().body("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then();
    }

    /** A streamed chat saying Hi to {@code model} on OpenAI's route. */
    static ValidatableResponse chatStreaming(String model) {
        return api().body("{\"model\":\"" + model
                        + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then();
    }

    /**
     * An MLflow chat answer: 200, one assistant message saying {@code content} that finished with {@code stop}, and
     * its usage (prompt, completion, and their total).
     */
    static ResponseSpecification chatAnswer(String content, int promptTokens, int completionTokens) {
        return new ResponseSpecBuilder()
                .expectStatusCode(200)
                .expectBody("object", equalTo("chat.completion"))
                .expectBody("choices[0].message.role", equalTo("assistant"))
                .expectBody("choices[0].message.content", equalTo(content))
                .expectBody("choices[0].finish_reason", equalTo("stop"))
                .expectBody("usage.prompt_tokens", equalTo(promptTokens))
                .expectBody("usage.completion_tokens", equalTo(completionTokens))
                .expectBody("usage.total_tokens", equalTo(promptTokens + completionTokens))
                .build();
    }

    /**
     * A chat streamed on MLflow's route: server-sent events carrying {@code deltas} in order, no {@code [DONE]}, no
     * usage in any chunk, the last chunk finished with {@code stop}. Returns the events.
     */
    static List<String> assertMlflowStream(String endpoint, Object... deltas) {
        String body = invokeStreaming(endpoint)
                .statusCode(200)
                .contentType(containsString("text/event-stream"))
                .extract()
                .asString();
        List<String> events = events(body);
        assertThat(deltas(events)).containsExactly(deltas);
        assertThat(events).doesNotContain("[DONE]");
        assertThat(events).allSatisfy(e -> assertThat(new JsonObject(e).containsKey("usage"))
                .isFalse());
        assertThat(last(events).getJsonArray("choices").getJsonObject(0).getString("finish_reason"))
                .isEqualTo("stop");
        return events;
    }

    /** A chat streamed on OpenAI's route asking for its usage: it ends with {@code [DONE]}; its last chunk, returned. */
    static JsonObject streamWithUsage(String model) {
        return streamWithUsage(model, null);
    }

    /** The same, sent as {@code actor} (whose usage it then records). */
    static JsonObject streamWithUsage(String model, String actor) {
        RequestSpecification request = actor == null ? api() : api().header("skein-actor", actor);
        String body = request.body(
                        "{\"model\":\"" + model + "\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        List<String> data = events(body);
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        return last(data);
    }

    /** A chat saying Hi to {@code endpoint} on MLflow's route fails with {@code status} and {@code detail}. */
    static ValidatableResponse assertMlflowError(String endpoint, int status, String detail) {
        return invoke(endpoint).statusCode(status).body("detail", equalTo(detail));
    }

    /**
     * A 429 keeps its {@code Retry-After} on both routes, MLflow's saying {@code detail}; OpenAI's answer is returned
     * for the checks of its body.
     */
    static ValidatableResponse assertRateLimited(String endpoint, String retryAfter, String detail) {
        assertMlflowError(endpoint, 429, detail).header("Retry-After", retryAfter);
        return chat(endpoint).statusCode(429).header("Retry-After", retryAfter);
    }

    /** An answer that is not JSON is a 502; a stream event that is not JSON ends the stream with the error event. */
    static void assertMalformedIs502AndEndsTheStreamWithTheErrorEvent(String endpoint) {
        invoke(endpoint).statusCode(502).body("detail", containsString("not valid JSON"));
        invokeStreaming(endpoint).statusCode(200).body(containsString("\"code\":\"stream_interrupted\""));
    }

    /** A provider silent before its first byte is a 504 on MLflow's route and on OpenAI's, streamed. */
    static void assertSilenceIs504(String endpoint) {
        assertMlflowError(endpoint, 504, "The provider sent nothing for longer than 2 s");
        chatStreaming(endpoint).statusCode(504).body("error.code", equalTo("upstream_timeout"));
    }

    /**
     * A stream the provider cuts after {@code before} relays those deltas, then the error event, and no
     * {@code [DONE]}.
     */
    static void assertCutStreamEndsWithTheErrorEvent(String model, Object... before) {
        ValidatableResponse response = chatStreaming(model).statusCode(200);
        List<String> events = events(response.extract().asString());
        assertThat(events).hasSize(before.length + 1).doesNotContain("[DONE]");
        assertThat(deltas(events.subList(0, before.length))).containsExactly(before);
        JsonObject error = new JsonObject(events.get(before.length)).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("stream_interrupted");
        assertThat(error.getString("message")).contains("connection was lost");
    }

    /** A {@code -flaky} endpoint's 429 is retried: two calls reach {@code provider}, the client sees the answer. */
    static void assertA429IsRetried(String provider, String endpoint) {
        int before = ProviderMocks.CALLS
                .computeIfAbsent(provider, k -> new AtomicInteger())
                .get();
        invoke(endpoint).statusCode(200).body("choices[0].message.content", equalTo("At last"));
        assertThat(ProviderMocks.CALLS.get(provider).get() - before).isEqualTo(2);
    }

    /** The usage row of {@code caller} on {@code endpoint} once it has {@code requests} calls (waits for the flush). */
    static JsonObject usage(String endpoint, String caller, int requests) throws InterruptedException {
        JsonObject[] row = {null};
        TestInfra.await(caller + "'s usage of " + endpoint, Duration.ofSeconds(30), () -> {
            JsonArray rows = new JsonObject(api().header("skein-usage-scope", "all")
                            .queryParam("endpoint", endpoint)
                            .queryParam("caller", caller)
                            .get("/api/2.0/skein/llm/usage")
                            .asString())
                    .getJsonArray("usage");
            row[0] = rows.isEmpty() ? null : rows.getJsonObject(0);
            return row[0] != null && row[0].getLong("requests") >= requests;
        });
        return row[0];
    }

    /** The content of every chunk's first choice's delta, in order (null where it had none). */
    static List<Object> deltas(List<String> events) {
        return events.stream()
                .filter(e -> !e.equals("[DONE]"))
                .map(e -> new JsonObject(e)
                        .getJsonArray("choices")
                        .getJsonObject(0)
                        .getJsonObject("delta")
                        .getValue("content"))
                .toList();
    }

    /** The stream's last event before any {@code [DONE]}. */
    static JsonObject last(List<String> events) {
        List<String> chunks = events.stream().filter(e -> !e.equals("[DONE]")).toList();
        return new JsonObject(chunks.get(chunks.size() - 1));
    }

    static void assertNoKey(String body, String key) {
        assertThat(body).doesNotContain(key);
    }
}
