package dev.skein.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every retriever case in {@code golden/retriever.json} (MLflow's per-row functions restated in generate.py on
 * sklearn's ndcg_score and numpy's aggregations): the same nine keys in the same order, each value and each
 * row's score within 1e-9, with and without retained scores; MLflow's refusal where it logs nothing.
 */
class RetrieverGoldenFilesTest {

    private static final double TOLERANCE = 1e-9;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> shouldMatchMlflowOnEveryRetrieverCase() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/golden/retriever.json")) {
            List<JsonNode> cases = new ArrayList<>();
            JSON.readTree(in).get("cases").forEach(cases::add);
            assertThat(cases).hasSizeGreaterThan(10);
            return cases.stream().map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
        }
    }

    private static void check(JsonNode c) {
        int k = c.get("k").asInt();
        if (c.has("error")) {
            assertThatThrownBy(() -> feed(c, new RetrieverAccumulator(k, true)))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("must be strings or integers");
            return;
        }
        RetrieverResult retained = feed(c, new RetrieverAccumulator(k, true)).compute();
        JsonNode expected = c.get("metrics");
        assertThat(retained.metrics().keySet()).containsExactlyElementsOf(() -> expected.fieldNames());
        expected.fields().forEachRemaining(e -> assertThat(retained.metrics().get(e.getKey()))
                .as(e.getKey())
                .isCloseTo(e.getValue().asDouble(), org.assertj.core.api.Assertions.within(TOLERANCE)));
        Map<String, double[]> scores = retained.scores().orElseThrow();
        assertThat(scores.keySet())
                .containsExactlyElementsOf(() -> c.get("scores").fieldNames());
        c.get("scores").fields().forEachRemaining(e -> {
            double[] actual = scores.get(e.getKey());
            assertThat(actual).as(e.getKey()).hasSize(e.getValue().size());
            for (int i = 0; i < actual.length; i++) {
                assertThat(actual[i])
                        .as(e.getKey() + " row " + i)
                        .isCloseTo(e.getValue().get(i).asDouble(), org.assertj.core.api.Assertions.within(TOLERANCE));
            }
        });
        RetrieverResult bounded = feed(c, new RetrieverAccumulator(k, false)).compute();
        assertThat(bounded.metrics()).isEqualTo(retained.metrics());
        assertThat(bounded.scores()).isEmpty();
        assertThat(bounded.rows()).isEqualTo(c.get("targets").size());
    }

    private static RetrieverAccumulator feed(JsonNode c, RetrieverAccumulator acc) {
        JsonNode targets = c.get("targets");
        JsonNode predictions = c.get("predictions");
        for (int i = 0; i < targets.size(); i++) {
            acc.add(ids(targets.get(i)), ids(predictions.get(i)));
        }
        return acc;
    }

    /** As Jackson reads a table's JSON array: Integer, Long, Double or String items. */
    @SuppressWarnings("unchecked")
    private static List<Object> ids(JsonNode node) {
        return JSON.convertValue(node, List.class);
    }
}
