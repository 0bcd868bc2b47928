package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.CHAT;
import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static dev.skein.llmgateway.LlmGatewayApiTest.events;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Retries with backoff and ordered fallbacks, against {@link OpenAiMockResource}'s failing models. */
@QuarkusTest
class LlmResilienceTest {

    static List<JsonObject> calls(String endpoint, int expected) {
        return TopicReader.readMatching(
                        TestInfra.kafkaBootstrap(),
                        "skein.gateway.usage.v1",
                        e -> LlmGovernanceTest.about(e, endpoint),
                        expected,
                        Duration.ofSeconds(60),
                        Duration.ofSeconds(2))
                .stream()
                .map(e -> new JsonObject(e.value()))
                .toList();
    }

    @Test
    void aRetriedCallIsAnsweredAfterA503AndACutConnection() {
        OpenAiMockResource.FLAKY.set(0);
        api().body(CHAT)
                .post("/endpoints/flaky/invocations")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("At last"));
        // a stream is retried too, before its first byte
        String stream = api().body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}")
                .post("/endpoints/flaky/invocations")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(String.join("", events(stream))).contains("Hel").contains("lo!");
        assertThat(OpenAiMockResource.FLAKY.get()).isEqualTo(6);
        List<JsonObject> events = calls("flaky", 2);
        assertThat(events).hasSize(2).allSatisfy(e -> {
            assertThat(e.getInteger("status")).isEqualTo(200);
            assertThat(e.getInteger("attempts")).isEqualTo(3);
            assertThat(e.getString("servedBy")).isEqualTo("flaky");
        });
    }

    @Test
    void aFailingEndpointFallsBackInOrderToTheFirstThatAnswers() {
        // withfallback (500, tried twice) → badkey (the provider refuses its key) → chat (answers)
        api().body(CHAT)
                .post("/endpoints/withfallback/invocations")
                .then()
                .statusCode(200)
                .body("choices[0].message.content", equalTo("Hello!"));
        String stream = api().body("{\"model\":\"withfallback\",\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        List<String> chunks = events(stream);
        assertThat(chunks.get(chunks.size() - 1)).isEqualTo("[DONE]");
        List<JsonObject> events = calls("withfallback", 2);
        assertThat(events).hasSize(2).allSatisfy(e -> {
            assertThat(e.getInteger("status")).isEqualTo(200);
            assertThat(e.getString("servedBy")).isEqualTo("chat");
            assertThat(e.getInteger("attempts")).isEqualTo(4);
            assertThat(e.getString("outputTokens")).isNotNull();
        });
    }

    @Test
    void aFallbackAtItsOwnLimitIsPassedOverForTheNext() {
        // spillover (500) → guarded (1 call a year for each caller) → chat: the first call is guarded's one call
        api().body(CHAT).post("/endpoints/spillover/invocations").then().statusCode(200);
        api().body(CHAT).post("/endpoints/spillover/invocations").then().statusCode(200);
        List<JsonObject> events = calls("spillover", 2);
        // call events are keyed by call id: read in any order
        assertThat(events).extracting(e -> e.getString("servedBy")).containsExactlyInAnyOrder("guarded", "chat");
        // the call that fell back to guarded counted in guarded's window: the caller has none left there
        api().body(CHAT)
                .post("/endpoints/guarded/invocations")
                .then()
                .statusCode(429)
                .body("error", equalTo("Rate limit exceeded: 1 calls per 1 year for each caller"));
    }

    @Test
    void aTrafficRouteSendsCallsToItsDestinationsByWeight() {
        int calls = 30;
        for (int i = 0; i < calls; i++) {
            if (i % 2 == 0) {
                api().body(CHAT).post("/gateway/canary/invocations").then().statusCode(200);
            } else {
                api().body("{\"model\":\"canary\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                        .post("/v1/chat/completions")
                        .then()
                        .statusCode(200);
            }
        }
        // 50/50: both get some (all 30 on one side would happen about twice in a billion runs)
        List<JsonObject> blue = calls("blue", 1);
        List<JsonObject> green = calls("green", 1);
        assertThat(blue).isNotEmpty();
        assertThat(green).isNotEmpty();
        assertThat(blue.size() + green.size()).isEqualTo(calls);
    }

    @Test
    void whenEveryFallbackFailsTheLastFailureIsAnswered() {
        api().body(CHAT)
                .post("/endpoints/lastresort/invocations")
                .then()
                .statusCode(500)
                .body("detail", equalTo("The server had an error while processing your request."));
    }

    @Test
    void aRetryAfterLongerThanTheBackoffAllowsIsNotWaitedFor() {
        // the provider asks for 7 s, max_backoff is 1 s: answered with the provider's 429, not tried again
        api().body(CHAT)
                .post("/endpoints/impatient/invocations")
                .then()
                .statusCode(429)
                .header("Retry-After", equalTo("7"));
        List<JsonObject> events = calls("impatient", 1);
        assertThat(events).hasSize(1);
        assertThat(events.get(0).getInteger("attempts")).isEqualTo(1);
        assertThat(events.get(0).getInteger("status")).isEqualTo(429);
    }
}
