package dev.skein.evaluation.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.skein.evaluation.LlmGatewayFake;
import dev.skein.evaluation.client.LlmGatewayClient;
import dev.skein.proto.evaluation.v1.JudgeExample;
import dev.skein.proto.evaluation.v1.JudgeMetric;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Judges scoring rows through {@link LlmGatewayClient} against a local server speaking llm-gateway-service's wire
 * format: the grading prompt and call as sent, answers read, retries on 429 and 5xx, failures recorded per row.
 */
class JudgeRunnerTest {

    static LlmGatewayFake gateway;
    static LlmGatewayClient client;

    /** The fake judge's rule: the output's length modulo 5, plus 1. */
    static int expected(String output) {
        return output.length() % 5 + 1;
    }

    static String outputOf(String gradingPrompt) {
        int at = gradingPrompt.indexOf("\nOutput:\n") + "\nOutput:\n".length();
        return gradingPrompt.substring(at, gradingPrompt.indexOf('\n', at));
    }

    @BeforeAll
    static void start() throws Exception {
        gateway = new LlmGatewayFake(0)
                .endpoint("judge", LlmGatewayClient.CHAT, (body, nth) -> {
                    String out = outputOf(LlmGatewayFake.text(body));
                    return LlmGatewayFake.chat(
                            "score: " + expected(out) + "\njustification: length " + out.length(), 10, 5);
                })
                .endpoint("judge-json", LlmGatewayClient.COMPLETIONS, (body, nth) -> {
                    String out = outputOf(LlmGatewayFake.text(body));
                    return LlmGatewayFake.completion("{\"score\": " + expected(out) + ", \"justification\": \"json\"}");
                })
                .endpoint(
                        "prose",
                        LlmGatewayClient.CHAT,
                        (body, nth) -> LlmGatewayFake.chat("It reads well to me.", 1, 1))
                .endpoint(
                        "flaky",
                        LlmGatewayClient.CHAT,
                        (body, nth) -> nth == 1
                                ? LlmGatewayFake.error(429, "rate limit of endpoint flaky reached", "0")
                                : LlmGatewayFake.chat("score: 2\njustification: after a retry", 1, 1))
                .endpoint(
                        "down",
                        LlmGatewayClient.CHAT,
                        (body, nth) -> LlmGatewayFake.error(503, "provider unavailable", null))
                .endpoint(
                        "refusing",
                        LlmGatewayClient.CHAT,
                        (body, nth) -> new LlmGatewayFake.Reply(
                                400,
                                null,
                                "{\"error_code\":\"BAD_REQUEST\",\"message\":\"budget of user alice spent\"}"));
        client = new LlmGatewayClient(
                URI.create("http://127.0.0.1:" + gateway.port()),
                LlmGatewayFake.TOKEN,
                new LlmGatewayClient.Settings(
                        4, Duration.ofSeconds(20), 3, Duration.ofMillis(10), Duration.ofSeconds(1), 1 << 20));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static final List<JudgeRunner.Row> ROWS = List.of(
            new JudgeRunner.Row("What is 2+2?", "4", Map.of("targets", "four")),
            new JudgeRunner.Row("Capital of France?", "Paris is the capital", Map.of("targets", "Paris")),
            new JudgeRunner.Row("Colour of the sky?", "blue, mostly", Map.of("targets", "blue")));

    static Judge judge(String name, String endpoint) {
        return Judges.resolve(List.of(JudgeMetric.newBuilder()
                        .setName(name)
                        .setModel("endpoints:/" + endpoint)
                        .build()))
                .get(0);
    }

    @Test
    void shouldScoreEachRowAndAggregateOverThem() {
        int before = gateway.calls.size();
        JudgeRunner.Scored s = new JudgeRunner(client)
                .score(judge("answer_correctness", "judge"), LlmGatewayClient.CHAT, ROWS, "alice smith");
        double[] want = ROWS.stream().mapToDouble(r -> expected(r.output())).toArray();
        assertThat(s.scores()).containsExactly(want);
        assertThat(s.justifications()[1]).isEqualTo("length 20");
        double mean = (want[0] + want[1] + want[2]) / 3;
        double variance = 0;
        for (double w : want) {
            variance += (w - mean) * (w - mean) / 3;
        }
        assertThat(s.metrics())
                .containsOnlyKeys(
                        "answer_correctness/v1/mean", "answer_correctness/v1/variance", "answer_correctness/v1/p90");
        assertThat(s.metrics().get("answer_correctness/v1/mean")).isCloseTo(mean, within(1e-12));
        assertThat(s.metrics().get("answer_correctness/v1/variance")).isCloseTo(variance, within(1e-12));
        assertThat(s.unavailable()).isEmpty();

        var sent = gateway.calls.subList(before, gateway.calls.size());
        assertThat(sent).hasSize(3).allSatisfy(c -> {
            assertThat(c.actor()).isEqualTo("alice+smith");
            assertThat(c.body().path("temperature").asDouble()).isEqualTo(0.0);
            assertThat(c.body().path("max_tokens").asInt()).isEqualTo(200);
            assertThat(c.body().path("messages").get(0).path("role").asText()).isEqualTo("user");
        });
        String prompt = LlmGatewayFake.text(sent.stream()
                .filter(c -> LlmGatewayFake.text(c.body()).contains("France"))
                .findFirst()
                .orElseThrow()
                .body());
        // answer_correctness sees the input and the targets, with its definition and a 1-5 rubric
        assertThat(prompt)
                .contains("Input:\nCapital of France?")
                .contains("Output:\nParis is the capital")
                .contains("key: targets\nvalue:\nParis")
                .contains("Metric definition:\nAnswer correctness")
                .contains("- Score 1:")
                .contains("- Score 5:")
                .contains("score: your whole-number score");
    }

    @Test
    void shouldLeaveTheInputOutForJudgesThatDoNotSeeItAndSendCompletionsAPrompt() {
        int before = gateway.calls.size();
        JudgeRunner.Scored s = new JudgeRunner(client)
                .score(judge("answer_similarity", "judge-json"), LlmGatewayClient.COMPLETIONS, ROWS, "bob");
        assertThat(s.scores())
                .containsExactly(
                        ROWS.stream().mapToDouble(r -> expected(r.output())).toArray());
        assertThat(s.justifications()).containsOnly("json");
        gateway.calls.subList(before, gateway.calls.size()).forEach(c -> {
            assertThat(c.body().has("prompt")).isTrue();
            assertThat(c.body().path("prompt").asText())
                    .doesNotContain("Input:")
                    .contains("key: targets");
        });
    }

    @Test
    void shouldGiveNoScoreForAnUnreadableAnswerAndListTheAggregatesUnavailable() {
        JudgeRunner.Scored s =
                new JudgeRunner(client).score(judge("answer_relevance", "prose"), LlmGatewayClient.CHAT, ROWS, "bob");
        assertThat(java.util.Arrays.stream(s.scores()).allMatch(Double::isNaN)).isTrue();
        assertThat(s.justifications())
                .containsOnly("Failed to extract score and justification. Raw output: It reads well to me.");
        assertThat(s.metrics()).isEmpty();
        assertThat(s.unavailable())
                .containsOnlyKeys(
                        "answer_relevance/v1/mean", "answer_relevance/v1/variance", "answer_relevance/v1/p90");
        assertThat(s.unavailable().get("answer_relevance/v1/mean"))
                .contains("no row has a score")
                .contains("Raw output");
    }

    @Test
    void shouldRetryA429AndRecordACallThatFailsForGood() {
        JudgeRunner.Scored retried =
                new JudgeRunner(client).score(judge("answer_relevance", "flaky"), LlmGatewayClient.CHAT, ROWS, "bob");
        assertThat(retried.scores()).containsExactly(2, 2, 2);
        assertThat(gateway.calls.stream().filter(c -> c.endpoint().equals("flaky")))
                .hasSize(6);

        JudgeRunner.Scored down = new JudgeRunner(client)
                .score(judge("answer_relevance", "down"), LlmGatewayClient.CHAT, ROWS.subList(0, 1), "bob");
        assertThat(down.scores()[0]).isNaN();
        assertThat(down.justifications()[0])
                .isEqualTo(
                        "Failed to score model on payload. Error: endpoint down answered HTTP 503: provider unavailable (after 3 attempts)");
        assertThat(gateway.calls.stream().filter(c -> c.endpoint().equals("down")))
                .hasSize(3);

        // the gateway's refusal (a limit, a budget) is not retried: another try would be refused the same way
        JudgeRunner.Scored refused = new JudgeRunner(client)
                .score(judge("answer_relevance", "refusing"), LlmGatewayClient.CHAT, ROWS.subList(0, 1), "bob");
        assertThat(refused.justifications()[0]).contains("HTTP 400: budget of user alice spent");
        assertThat(gateway.calls.stream().filter(c -> c.endpoint().equals("refusing")))
                .hasSize(1);
    }

    @Test
    void shouldTreatAGatewayThatCannotBeReachedAsAnOutageNotAsRowsLeftUnscored() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        LlmGatewayClient nowhere = new LlmGatewayClient(
                URI.create("http://127.0.0.1:" + closed),
                LlmGatewayFake.TOKEN,
                new LlmGatewayClient.Settings(
                        2, Duration.ofSeconds(20), 2, Duration.ofMillis(10), Duration.ofSeconds(1), 1 << 20));
        // connection refused and still so after the calls: the evaluation is put back on the queue
        assertThatThrownBy(() -> new JudgeRunner(nowhere)
                        .score(judge("answer_relevance", "judge"), LlmGatewayClient.CHAT, ROWS, "bob"))
                .isInstanceOf(dev.skein.evaluation.client.UpstreamUnavailable.class)
                .hasMessageContaining("Cannot read LLM endpoint judge now");
    }

    @Test
    void shouldBuildACustomJudgesPromptFromItsFields() {
        Judge custom = Judges.resolve(List.of(JudgeMetric.newBuilder()
                        .setName("politeness")
                        .setModel("endpoints:/judge")
                        .setDefinition("Politeness is how courteous the output is.")
                        .setGradingPrompt("Score 5 for courteous, 1 for rude.")
                        .addGradingContextColumns("persona")
                        .addExamples(JudgeExample.newBuilder()
                                .setInput("Hi")
                                .setOutput("Go away")
                                .setScore(1)
                                .setJustification("rude")
                                .putGradingContext("persona", "clerk"))
                        .addAggregations("max")
                        .build()))
                .get(0);
        String prompt = GradingPrompt.of(custom, "Hello", "Good day to you", Map.of("persona", "butler"));
        assertThat(prompt)
                .contains("Input:\nHello")
                .contains("Output:\nGood day to you")
                .contains("key: persona\nvalue:\nbutler")
                .contains("Metric definition:\nPoliteness is how courteous the output is.")
                .contains("Grading rubric:\nScore 5 for courteous, 1 for rude.")
                .contains("Examples:\n\nExample input:\nHi\n\nExample output:\nGo away")
                .contains("key: persona\nvalue:\nclerk")
                .contains("Example score: 1\nExample justification: rude");
        JudgeRunner.Scored s = new JudgeRunner(client).score(custom, LlmGatewayClient.CHAT, ROWS, "bob");
        assertThat(s.metrics()).containsOnlyKeys("politeness/v1/max");
        assertThat(s.metrics().get("politeness/v1/max"))
                .isEqualTo(ROWS.stream()
                        .mapToDouble(r -> expected(r.output()))
                        .max()
                        .orElseThrow());
    }
}
