package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static dev.skein.llmgateway.LlmGatewayApiTest.assertNoSecret;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/2.0/skein/llm/endpoints/get}: an endpoint's whole configuration as the web UI shows it — provider,
 * model, where calls go, MLflow's limit, Skein's limits, budgets, retries, fallbacks and price, its traffic routes —
 * or a traffic route's split, and never a key, whichever way the key was configured.
 */
@QuarkusTest
class EndpointDetailTest {

    private static final String PATH = "/api/2.0/skein/llm/endpoints/get";

    private static Response detail(String name) {
        return api().queryParam("name", name).get(PATH);
    }

    @Test
    void shouldNeverAnswerAConfiguredKey() {
        List<String> names = new ArrayList<>();
        String token = null;
        do {
            Response page = token == null
                    ? api().get("/api/2.0/endpoints/")
                    : api().queryParam("page_token", token).get("/api/2.0/endpoints/");
            names.addAll(page.jsonPath().getList("endpoints.name"));
            token = page.jsonPath().getString("next_page_token");
        } while (token != null);
        // keys from $ENV, from a file, literal, Azure's and Anthropic's
        assertThat(names).contains("chat", "completions", "embeddings", "azure", "claude");
        for (String name : names) {
            Response answer = detail(name);
            assertThat(answer.statusCode()).as(name).isEqualTo(200);
            assertNoSecret(answer.asString());
        }
        assertNoSecret(detail("canary").asString());
    }

    @Test
    void shouldShowWhereCallsGoButNoHeaderValue() {
        detail("chat")
                .then()
                .statusCode(200)
                .body("endpoint.name", equalTo("chat"))
                .body("endpoint.endpoint_type", equalTo("llm/v1/chat"))
                .body("endpoint.model.name", equalTo("gpt-normal"))
                .body("endpoint.model.provider", equalTo("openai"))
                .body("endpoint.endpoint_url", equalTo("/gateway/chat/invocations"))
                .body("endpoint.provider_config.api_type", equalTo("openai"))
                .body("endpoint.provider_config.api_base", matchesPattern("http://127\\.0\\.0\\.1:\\d+/v1"))
                .body("endpoint.limit", nullValue())
                .body("endpoint.limits", empty())
                .body("endpoint.budgets", empty())
                .body("endpoint.retries.max_attempts", equalTo(1))
                .body("endpoint.fallbacks", empty())
                .body("endpoint.price.input_per_million_tokens", equalTo(1.0f))
                .body("endpoint.price.output_per_million_tokens", equalTo(2.0f));
        // the organisation is sent as a header: not shown
        assertThat(detail("chat").asString()).doesNotContain("org-skein");
        detail("azure")
                .then()
                .statusCode(200)
                .body("endpoint.provider_config.api_type", equalTo("azure"))
                .body("endpoint.provider_config.deployment_name", equalTo("dep1"))
                .body("endpoint.limit.calls", equalTo(10))
                .body("endpoint.limit.renewal_period", equalTo("minute"))
                // MLflow's limit is shown once, as MLflow's
                .body("endpoint.limits", empty());
        detail("claude")
                .then()
                .statusCode(200)
                .body("endpoint.model.provider", equalTo("anthropic"))
                .body("endpoint.provider_config.api_type", equalTo("anthropic"));
        assertThat(detail("claude").asString())
                .doesNotContain("anthropic_version")
                .doesNotContain("2023-06-01");
    }

    @Test
    void shouldShowLimitsBudgetsRetriesAndFallbacks() {
        detail("tokenlimited")
                .then()
                .statusCode(200)
                .body("endpoint.limits.per", contains("endpoint"))
                .body("endpoint.limits.renewal_period", contains("year"))
                .body("endpoint.limits.tokens", contains(10))
                .body("endpoint.limits[0].calls", nullValue());
        detail("limited")
                .then()
                .statusCode(200)
                .body("endpoint.limit.calls", equalTo(2))
                .body("endpoint.limit.renewal_period", equalTo("1 year"))
                .body("endpoint.limits", empty());
        detail("budgeted")
                .then()
                .statusCode(200)
                .body("endpoint.budgets.per", contains("caller"))
                .body("endpoint.budgets.period", contains("month"))
                .body("endpoint.budgets.usd", contains(0.00005f))
                .body("endpoint.budgets.on_exceed", contains("REJECT"))
                .body("endpoint.limits", empty());
        detail("withfallback")
                .then()
                .statusCode(200)
                .body("endpoint.retries.max_attempts", equalTo(2))
                .body("endpoint.retries.initial_backoff", equalTo(0.01f))
                .body("endpoint.retries.max_backoff", equalTo(1.0f))
                .body("endpoint.fallbacks", contains("badkey", "chat"));
    }

    @Test
    void shouldShowATrafficSplitAndTheRoutesToAnEndpoint() {
        detail("canary")
                .then()
                .statusCode(200)
                .body("traffic_route.name", equalTo("canary"))
                .body("traffic_route.task_type", equalTo("llm/v1/chat"))
                .body("traffic_route.routing_strategy", equalTo("TRAFFIC_SPLIT"))
                .body("traffic_route.destinations.name", contains("blue", "green"))
                .body("traffic_route.destinations.traffic_percentage", contains(50, 50));
        detail("blue")
                .then()
                .statusCode(200)
                .body("endpoint.traffic_routes.name", contains("canary"))
                .body("endpoint.traffic_routes.traffic_percentage", contains(50));
    }

    @Test
    void shouldAnswerMlflowsErrors() {
        detail("nope")
                .then()
                .statusCode(404)
                .body("error_code", equalTo("RESOURCE_DOES_NOT_EXIST"))
                .body(
                        "message",
                        equalTo("The endpoint 'nope' is not present or active on the server. Please verify the"
                                + " endpoint name."));
        api().get(PATH).then().statusCode(400).body("error_code", equalTo("INVALID_PARAMETER_VALUE"));
        detail(" ").then().statusCode(400).body("error_code", equalTo("INVALID_PARAMETER_VALUE"));
        given().queryParam("name", "chat").get(PATH).then().statusCode(401);
    }
}
