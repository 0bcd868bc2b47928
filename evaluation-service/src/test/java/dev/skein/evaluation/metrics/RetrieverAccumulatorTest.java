package dev.skein.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetrieverAccumulatorTest {

    @Test
    void shouldLogMlflowsKeysForTheDefaultK() {
        RetrieverAccumulator acc = new RetrieverAccumulator();
        acc.add(List.of("a", "b"), List.of("a", "x", "b", "c"));
        RetrieverResult result = acc.compute();
        assertThat(result.k()).isEqualTo(3);
        assertThat(result.metrics().keySet())
                .containsExactly(
                        "precision_at_3/mean",
                        "precision_at_3/variance",
                        "precision_at_3/p90",
                        "recall_at_3/mean",
                        "recall_at_3/variance",
                        "recall_at_3/p90",
                        "ndcg_at_3/mean",
                        "ndcg_at_3/variance",
                        "ndcg_at_3/p90");
        assertThat(result.scores().orElseThrow().keySet())
                .containsExactly("precision_at_3/score", "recall_at_3/score", "ndcg_at_3/score");
    }

    @Test
    void shouldNameTheKeysAfterK() {
        RetrieverAccumulator acc = new RetrieverAccumulator(10, false);
        acc.add(List.of("a"), List.of("a"));
        assertThat(acc.compute().metrics()).containsKeys("precision_at_10/p90", "ndcg_at_10/mean");
    }

    @Test
    void shouldKeepEachRowsScoresInRowOrder() {
        RetrieverAccumulator acc = new RetrieverAccumulator(2, true);
        acc.add(List.of("a"), List.of("a", "b"));
        acc.add(List.of("a"), List.of("b", "c"));
        acc.add(List.of(), List.of());
        Map<String, double[]> scores = acc.compute().scores().orElseThrow();
        assertThat(scores.get("precision_at_2/score")).containsExactly(0.5, 0.0, 0.0);
        assertThat(scores.get("recall_at_2/score")).containsExactly(1.0, 0.0, 1.0);
        assertThat(scores.get("ndcg_at_2/score")).containsExactly(1.0, 0.0, 1.0);
    }

    @Test
    void shouldCompareIdsAsPythonDoesAcrossJavaIntegerTypes() {
        RetrieverAccumulator acc = new RetrieverAccumulator(3, true);
        // 7 read as an Integer in one list and a Long in the other is the same id; "7" is not
        acc.add(List.of(7, 8L), List.of(7L, "8", (short) 9));
        Map<String, Double> m = acc.compute().metrics();
        assertThat(m.get("precision_at_3/mean")).isEqualTo(1.0 / 3);
        assertThat(m.get("recall_at_3/mean")).isEqualTo(0.5);
    }

    @Test
    void shouldRefuseIdsThatAreNotStringsOrIntegersAndAddNothing() {
        RetrieverAccumulator acc = new RetrieverAccumulator();
        assertThatThrownBy(() -> acc.add(List.of("a"), List.of("a", 1.5)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("the retrieved doc ids must be strings or integers; item 1 is Double 1.5");
        assertThatThrownBy(() -> acc.add(java.util.Arrays.asList("a", null), List.of()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("the relevant doc ids must be strings or integers; item 1 is missing");
        assertThat(acc.rows()).isZero();
        assertThatThrownBy(acc::compute)
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("no rows to evaluate");
    }

    @Test
    void shouldRefuseANonPositiveK() {
        assertThatThrownBy(() -> new RetrieverAccumulator(0, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("retriever_k must be a positive integer, found 0");
    }

    @Test
    void shouldScoreMlflowsDuplicateExampleAsItsRenamedEquivalent() {
        // MLflow's ndcg_at_k docstring: relevant [1, 2], retrieved [1, 1, 1, 3] scores as relevant [10, 11, 12, 2],
        // retrieved [10, 11, 12, 3]
        assertThat(RetrieverMetrics.ndcgAtK(List.of(1L, 2L), List.of(1L, 1L, 1L, 3L), 4))
                .isEqualTo(RetrieverMetrics.ndcgAtK(List.of(10L, 11L, 12L, 2L), List.of(10L, 11L, 12L, 3L), 4))
                .isLessThan(1.0);
        // a repeated irrelevant id counts once as irrelevant each time and does not raise the ideal
        assertThat(RetrieverMetrics.ndcgAtK(List.of("a"), List.of("x", "x", "a"), 3))
                .isEqualTo(RetrieverMetrics.ndcgAtK(List.of("a"), List.of("x", "y", "a"), 3));
    }

    @Test
    void shouldKeepTheAggregatesWithoutRetainingRowsOverManyRows() {
        RetrieverAccumulator retained = new RetrieverAccumulator(3, true);
        RetrieverAccumulator bounded = new RetrieverAccumulator(3, false);
        for (int i = 0; i < 50_000; i++) {
            List<Integer> relevant = List.of(i % 7, (i + 1) % 7);
            List<Integer> retrieved = List.of(i % 5, i % 3, i % 11, i % 2);
            retained.add(relevant, retrieved);
            bounded.add(relevant, retrieved);
        }
        RetrieverResult r = retained.compute();
        assertThat(bounded.compute().metrics()).isEqualTo(r.metrics());
        double[] precision = r.scores().orElseThrow().get("precision_at_3/score");
        assertThat(precision).hasSize(50_000);
        double mean = java.util.Arrays.stream(precision).average().orElseThrow();
        assertThat(r.metrics().get("precision_at_3/mean"))
                .isCloseTo(mean, org.assertj.core.api.Assertions.within(1e-12));
    }
}
