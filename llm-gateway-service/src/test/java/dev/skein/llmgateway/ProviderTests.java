package dev.skein.llmgateway;

import static dev.skein.llmgateway.LlmGatewayApiTest.api;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;

/** What the providers' contract tests share: the usage a caller's calls left, the streamed text. */
final class ProviderTests {

    private ProviderTests() {}

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
