package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.CHAT;
import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static dev.skein.llmgateway.LlmGovernanceTest.metric;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** The endpoints file changed while the service runs: applied whole, or refused with the last good one serving. */
@QuarkusTest
class LlmReloadTest {

    static final String REFUSED = "skein_llm_config_reloads_total{result=\"refused\"}";

    static double refusals() {
        String metrics = given().port(LlmGovernanceTest.managementPort())
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        return metrics.contains(REFUSED + " ") ? metric(metrics, REFUSED) : 0;
    }

    @Test
    void aChangedFileIsAppliedAndARefusedOneLeavesTheLastGoodServing() throws Exception {
        Path file = Path.of(ConfigProvider.getConfig().getValue("skein.llm-gateway.config-file", String.class));
        String original = Files.readString(file, StandardCharsets.UTF_8);
        String base = original.substring(original.indexOf("openai_api_base: ") + "openai_api_base: ".length());
        base = base.substring(0, base.indexOf('\n'));
        String added = original.replace(
                "endpoints:\n",
                "endpoints:\n  - name: reloaded\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n"
                        + "      name: gpt-normal\n      config:\n        openai_api_key: sk-reloaded-123\n"
                        + "        openai_api_base: " + base + "\n");
        try {
            api().get("/api/2.0/endpoints/reloaded").then().statusCode(404);
            Files.writeString(file, added);
            TestInfra.await(
                    "the new endpoint is served",
                    Duration.ofSeconds(30),
                    () -> api().get("/api/2.0/endpoints/reloaded").statusCode() == 200);
            api().body(CHAT).post("/endpoints/reloaded/invocations").then().statusCode(200);

            // a file MLflow would refuse: the last good configuration keeps serving, the refusal counted
            double before = refusals();
            Files.writeString(file, added.replace("endpoint_type: llm/v1/chat", "endpoint_type: llm/v9/nope"));
            TestInfra.await("the refusal is counted", Duration.ofSeconds(30), () -> refusals() > before);
            api().body(CHAT).post("/endpoints/reloaded/invocations").then().statusCode(200);
            api().body(CHAT).post("/endpoints/chat/invocations").then().statusCode(200);
        } finally {
            Files.writeString(file, original);
        }
        TestInfra.await(
                "the original file is served again",
                Duration.ofSeconds(30),
                () -> api().get("/api/2.0/endpoints/reloaded").statusCode() == 404);
        assertThat(api().get("/api/2.0/endpoints/chat").statusCode()).isEqualTo(200);
    }
}
