package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.CHAT;
import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static dev.skein.llmgateway.LlmGatewayApiTest.events;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Rate limits, budgets and usage: counted in the shared database (real PostgreSQL), every call one event on
 * {@code skein.gateway.usage.v1} (real Kafka), metrics on the management port, the usage summary API.
 */
@QuarkusTest
class LlmGovernanceTest {

    static final String TOPIC = "skein.gateway.usage.v1";

    /** The management port of the service under test (quarkus.management.test-port, which a test run may move). */
    static int managementPort() {
        return org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getOptionalValue("quarkus.management.test-port", Integer.class)
                .orElse(18385);
    }

    static RequestSpecification as(String caller) {
        return api().header("skein-actor", caller);
    }

    static Response invoke(String caller, String endpoint) {
        return as(caller).body(CHAT).post("/endpoints/" + endpoint + "/invocations");
    }

    /** Calls until one is refused (usage is counted once it is written, a moment after each call). */
    static Response untilRefused(String caller, String endpoint) throws InterruptedException {
        AtomicReference<Response> last = new AtomicReference<>();
        TestInfra.await(endpoint + " refuses " + caller, Duration.ofSeconds(30), () -> {
            last.set(invoke(caller, endpoint));
            assertThat(last.get().statusCode()).isIn(200, 429);
            return last.get().statusCode() == 429;
        });
        return last.get();
    }

    /** Whether a usage event is about {@code endpoint} (call events are keyed by call id, not endpoint). */
    static boolean about(TopicReader.Event event, String endpoint) {
        try {
            return endpoint.equals(new JsonObject(event.value()).getString("endpoint"));
        } catch (RuntimeException notJson) {
            return false;
        }
    }

    static List<JsonObject> usageEvents(String endpoint, String type, int expected) {
        return TopicReader.readMatching(
                        TestInfra.kafkaBootstrap(),
                        TOPIC,
                        e -> LlmGovernanceTest.about(e, endpoint),
                        expected,
                        Duration.ofSeconds(60),
                        Duration.ofSeconds(2))
                .stream()
                .filter(e -> type.equals(e.header("ce_type")))
                .map(e -> new JsonObject(e.value()))
                .toList();
    }

    @Test
    void mlflowsLimitCountsEachCallersCallsInItsWindow() {
        invoke("alice", "limited").then().statusCode(200);
        invoke("alice", "limited").then().statusCode(200);
        Response refused = invoke("alice", "limited");
        refused.then()
                .statusCode(429)
                .body("error", equalTo("Rate limit exceeded: 2 calls per 1 year for each caller"));
        long retryAfter = Long.parseLong(refused.header("Retry-After"));
        assertThat(retryAfter).isBetween(1L, 366L * 86_400);
        // another caller has a window of its own
        invoke("bob", "limited").then().statusCode(200);
        // OpenAI's route counts in the same window, answered in OpenAI's shape
        Response openAi = as("alice")
                .body("{\"model\":\"limited\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions");
        openAi.then()
                .statusCode(429)
                .body("error.code", equalTo("rate_limit_exceeded"))
                .body("error.type", equalTo("requests"));
        // the same window's end, a moment later (the seconds left are rounded up at each answer)
        assertThat(Long.parseLong(openAi.header("Retry-After"))).isBetween(retryAfter - 5, retryAfter);
        // a refused call is not counted: bob still has his second call
        invoke("bob", "limited").then().statusCode(200);
        invoke("bob", "limited").then().statusCode(429);
        List<JsonObject> calls = usageEvents("limited", "dev.skein.gateway.call.completed.v1", 7);
        assertThat(calls)
                .extracting(e -> e.getString("caller") + ":" + e.getInteger("status"))
                .containsExactlyInAnyOrder(
                        "alice:200", "alice:200", "alice:429", "bob:200", "alice:429", "bob:200", "bob:429");
        assertThat(calls)
                .filteredOn(e -> e.getInteger("status") == 429)
                .allSatisfy(e -> assertThat(e.getString("errorCode")).isEqualTo("rate_limited"));
    }

    @Test
    void aTokenLimitRefusesEveryoneOnceTheWindowsTokensAreSpent() throws InterruptedException {
        invoke("carol", "tokenlimited").then().statusCode(200); // 21 tokens of 10
        untilRefused("carol", "tokenlimited")
                .then()
                .body("error", equalTo("Rate limit exceeded: 10 tokens per year for the endpoint"));
        invoke("dan", "tokenlimited").then().statusCode(429);
    }

    @Test
    void aRejectBudgetRefusesACallersCallsOnceItsCostReachedTheBudget() throws InterruptedException {
        // each call costs 0.000033 USD of a 0.00005 budget: the third is refused, once the second is counted
        invoke("erin", "budgeted").then().statusCode(200);
        invoke("erin", "budgeted").then().statusCode(200);
        untilRefused("erin", "budgeted")
                .then()
                .body("error", containsString("Budget exceeded: a budget of 0.00005 USD per month for each caller"));
        as("erin")
                .body("{\"model\":\"budgeted\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(429)
                .body("error.code", equalTo("insufficient_quota"));
        invoke("frank", "budgeted").then().statusCode(200); // a budget per caller
    }

    @Test
    void anAlertBudgetSendsOneEventAndKeepsServing() {
        for (int i = 0; i < 4; i++) {
            invoke("gina", "alerted").then().statusCode(200);
        }
        List<JsonObject> alerts = usageEvents("alerted", "dev.skein.gateway.budget.exceeded.v1", 1);
        assertThat(alerts).hasSize(1);
        JsonObject alert = alerts.get(0);
        assertThat(alert.getString("scope")).isEqualTo("ENDPOINT");
        assertThat(alert.getString("action")).isEqualTo("ALERT");
        assertThat(alert.getString("window")).isEqualTo("month");
        assertThat(alert.getDouble("budgetUsd")).isEqualTo(0.00005);
        assertThat(alert.getDouble("spentUsd")).isGreaterThanOrEqualTo(0.00005);
        assertThat(alert.getString("eventId")).isNotBlank();
    }

    @Test
    void everyCallIsOneUsageEventWithItsTokensCostAndTimes() {
        // a JSON answer, an MLflow stream (the gateway asks the provider for the usage; the client sees no usage
        // chunk), and an OpenAI stream whose client asked for the usage
        invoke("hank", "metered").then().statusCode(200);
        String mlflowStream = as("hank")
                .body("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}")
                .post("/endpoints/metered/invocations")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        JsonObject sent = OpenAiMockResource.LAST.get("gpt-normal").getJsonObject("body");
        assertThat(sent.getJsonObject("stream_options").getBoolean("include_usage"))
                .isTrue();
        assertThat(events(mlflowStream)).isNotEmpty().allSatisfy(e -> assertThat(new JsonObject(e).containsKey("usage"))
                .isFalse());
        String openAiStream = as("hank")
                .body("{\"model\":\"metered\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        List<String> chunks = events(openAiStream);
        assertThat(chunks.get(chunks.size() - 1)).isEqualTo("[DONE]");
        JsonObject usageChunk = new JsonObject(chunks.get(chunks.size() - 2));
        assertThat(usageChunk.getJsonArray("choices")).isEmpty();
        assertThat(usageChunk.getJsonObject("usage").getInteger("completion_tokens"))
                .isEqualTo(3);

        List<JsonObject> calls = usageEvents("metered", "dev.skein.gateway.call.completed.v1", 3).stream()
                .filter(e -> "hank".equals(e.getString("caller")))
                .toList();
        assertThat(calls).hasSize(3);
        JsonObject json = calls.stream()
                .filter(e -> !e.getBoolean("streamed", false))
                .findFirst()
                .orElseThrow();
        assertThat(json.getString("caller")).isEqualTo("hank");
        assertThat(json.getString("provider")).isEqualTo("openai");
        assertThat(json.getString("model")).isEqualTo("gpt-normal");
        assertThat(json.getString("endpointType")).isEqualTo("llm/v1/chat");
        assertThat(json.getInteger("status")).isEqualTo(200);
        assertThat(json.getString("inputTokens")).isEqualTo("9");
        assertThat(json.getString("outputTokens")).isEqualTo("12");
        assertThat(json.getDouble("costUsd")).isCloseTo(0.000033, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(json.getBoolean("usageReported")).isTrue();
        assertThat(calls)
                .filteredOn(e -> e.getBoolean("streamed", false))
                .hasSize(2)
                .allSatisfy(e -> {
                    assertThat(e.getString("inputTokens")).isEqualTo("9");
                    assertThat(e.getString("outputTokens")).isEqualTo("3");
                    assertThat(e.getValue("timeToFirstTokenMs")).isNotNull();
                    assertThat(e.getBoolean("usageEstimated", false)).isFalse(); // the provider's count
                });
        assertThat(calls).extracting(e -> e.getString("api")).containsExactlyInAnyOrder("MLFLOW", "MLFLOW", "OPENAI");
        assertThat(calls).extracting(e -> e.getString("eventId")).doesNotHaveDuplicates();

        // the summary: one row for the day, the endpoint and the caller
        JsonObject summary = new JsonObject(api().header("skein-usage-scope", "all")
                .queryParam("endpoint", "metered")
                .queryParam("caller", "hank")
                .get("/api/2.0/skein/llm/usage")
                .then()
                .statusCode(200)
                .extract()
                .asString());
        JsonArray rows = summary.getJsonArray("usage");
        assertThat(rows).hasSize(1);
        JsonObject row = rows.getJsonObject(0);
        assertThat(row.getLong("requests")).isEqualTo(3);
        assertThat(row.getLong("errors")).isZero();
        assertThat(row.getLong("input_tokens")).isEqualTo(27);
        assertThat(row.getLong("output_tokens")).isEqualTo(18);
        assertThat(row.getDouble("cost_usd"))
                .isCloseTo(0.000033 + 2 * 0.000015, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(row.getString("date")).matches("\\d{4}-\\d{2}-\\d{2}");

        // metrics on the management port (the other tests call this endpoint too: at least these calls)
        String metrics = given().port(managementPort())
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(metric(metrics, "skein_llm_requests_total{endpoint=\"metered\",provider=\"openai\",status=\"200\"}"))
                .isGreaterThanOrEqualTo(3);
        assertThat(metric(metrics, "skein_llm_tokens_total{endpoint=\"metered\",kind=\"output\",provider=\"openai\"}"))
                .isGreaterThanOrEqualTo(18);
        assertThat(metric(
                        metrics,
                        "skein_llm_time_to_first_token_seconds_count{endpoint=\"metered\",provider=\"openai\"}"))
                .isGreaterThanOrEqualTo(3);
        assertThat(metrics).contains("skein_llm_latency_seconds_bucket{endpoint=\"metered\"");
    }

    /** The value of a Prometheus sample, by its name and labels as printed. */
    static double metric(String metrics, String sample) {
        return metrics.lines()
                .filter(l -> l.startsWith(sample + " "))
                .mapToDouble(
                        l -> Double.parseDouble(l.substring(sample.length() + 1).strip()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no sample " + sample + " in the metrics"));
    }

    @Test
    void usagePastItsRetentionAndCountersOfEndedWindowsAreDeleted() throws Exception {
        try (var db = TestInfra.connect(dev.skein.common.testing.ServiceTestResource.TEST_DATABASE);
                var st = db.createStatement()) {
            st.execute("INSERT INTO llmgateway.usage (call_id, endpoint, endpoint_type, provider, caller, api,"
                    + " streamed, status, started_at, latency_ms) VALUES (gen_random_uuid(), 'old', 'llm/v1/chat',"
                    + " 'openai', 'zed', 'MLFLOW', false, 200, now() - interval '500 days', 1),"
                    + " (gen_random_uuid(), 'old', 'llm/v1/chat', 'openai', 'zed', 'MLFLOW', false, 200,"
                    + " now() - interval '10 days', 1)");
            st.execute("INSERT INTO llmgateway.counters (counter, window_start, window_end, requests) VALUES"
                    + " ('old|endpoint|minute', now() - interval '2 minutes', now() - interval '1 minute', 3)");
            TestInfra.await("the old rows are deleted", Duration.ofSeconds(30), () -> {
                try (var rs = st.executeQuery("SELECT (SELECT count(*) FROM llmgateway.usage WHERE endpoint = 'old'),"
                        + " (SELECT count(*) FROM llmgateway.counters WHERE counter = 'old|endpoint|minute')")) {
                    rs.next();
                    // the row of 10 days ago is within the default retention (400 days): kept
                    return rs.getLong(1) == 1 && rs.getLong(2) == 0;
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    @Test
    void theUsageSummaryPagesAndRefusesBadParameters() throws InterruptedException {
        for (String caller : List.of("ivan", "jane", "kim")) {
            invoke(caller, "metered").then().statusCode(200);
        }
        // usage is written a moment after each call
        TestInfra.await(
                "the three calls are recorded", Duration.ofSeconds(30), () -> api().header("skein-usage-scope", "all")
                        .queryParam("endpoint", "metered")
                        .get("/api/2.0/skein/llm/usage")
                        .jsonPath()
                        .getList("usage.caller")
                        .containsAll(List.of("ivan", "jane", "kim")));
        // pages of one row, in order of day, endpoint and caller; the callers of the other test may be there too
        JsonObject first = new JsonObject(api().header("skein-usage-scope", "all")
                .queryParam("endpoint", "metered")
                .queryParam("max_results", "1")
                .get("/api/2.0/skein/llm/usage")
                .then()
                .statusCode(200)
                .extract()
                .asString());
        assertThat(first.getJsonArray("usage")).hasSize(1);
        assertThat(first.getString("next_page_token")).isNotBlank();
        // without gateway-service's "all", a caller sees only their own usage, whatever the query asks
        List<String> own = as("kim")
                .queryParam("endpoint", "metered")
                .queryParam("caller", "ivan")
                .get("/api/2.0/skein/llm/usage")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("usage.caller");
        assertThat(own).containsExactly("kim");
        api().queryParam("start_time", "yesterday")
                .get("/api/2.0/skein/llm/usage")
                .then()
                .statusCode(400)
                .body("detail", containsString("start_time must be a time in epoch milliseconds"));
        api().queryParam("max_results", "0")
                .get("/api/2.0/skein/llm/usage")
                .then()
                .statusCode(400);
        api().queryParam("page_token", "bm90IGEgdG9rZW4=")
                .get("/api/2.0/skein/llm/usage")
                .then()
                .statusCode(400);
        api().queryParam("start_time", "0")
                .get("/api/2.0/skein/llm/usage")
                .then()
                .statusCode(400)
                .body("detail", containsString("at most 366 days"));
        given().get("/api/2.0/skein/llm/usage").then().statusCode(401);
    }
}
