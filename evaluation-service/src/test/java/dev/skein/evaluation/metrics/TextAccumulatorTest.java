package dev.skein.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.skein.evaluation.metrics.TextAccumulator.ModelType;
import org.junit.jupiter.api.Test;

/**
 * What MLflow logs for its text model types, given each row's scores: the keys, the aggregates, the per-row
 * columns, and the metrics it drops. The scorers here are simple functions of the text (the real ones, tiktoken's
 * and textstat's, have their own golden tests), so the expected aggregates can be worked out by hand.
 */
class TextAccumulatorTest {

    /** tokens: words; grade: the text's length; ari: twice that. */
    private static final TextAccumulator.Scorers SCORERS =
            new TextAccumulator.Scorers(s -> s.split(" ").length, String::length, s -> 2.0 * s.length());

    @Test
    void shouldLogReadabilityAggregatesAndExactMatchForQuestionAnswering() {
        TextAccumulator acc = new TextAccumulator(ModelType.QUESTION_ANSWERING, true, SCORERS);
        acc.add("a", "a");
        acc.add("bb", "b");
        acc.add("cccc", "cccc");
        acc.add("dddddddd", "x");
        TextResult result = acc.compute();

        // lengths 1, 2, 4, 8: mean 3.75, population variance 7.1875, p90 at virtual index 2.7 → 4 + 0.7 * 4
        assertThat(result.metrics())
                .containsOnlyKeys(
                        "flesch_kincaid_grade_level/v1/mean",
                        "flesch_kincaid_grade_level/v1/variance",
                        "flesch_kincaid_grade_level/v1/p90",
                        "ari_grade_level/v1/mean",
                        "ari_grade_level/v1/variance",
                        "ari_grade_level/v1/p90",
                        "exact_match/v1");
        assertThat(result.metrics().keySet()).first().isEqualTo("flesch_kincaid_grade_level/v1/mean");
        assertThat(result.metrics().get("flesch_kincaid_grade_level/v1/mean")).isCloseTo(3.75, within(1e-12));
        assertThat(result.metrics().get("flesch_kincaid_grade_level/v1/variance"))
                .isCloseTo(7.1875, within(1e-12));
        assertThat(result.metrics().get("flesch_kincaid_grade_level/v1/p90")).isCloseTo(6.8, within(1e-12));
        assertThat(result.metrics().get("ari_grade_level/v1/mean")).isCloseTo(7.5, within(1e-12));
        assertThat(result.metrics().get("exact_match/v1")).isEqualTo(0.5);
        assertThat(result.scores().keySet())
                .containsExactly("token_count", "flesch_kincaid_grade_level/v1/score", "ari_grade_level/v1/score");
        assertThat(result.scores().get("flesch_kincaid_grade_level/v1/score")).containsExactly(1, 2, 4, 8);
        assertThat(result.unavailable()).containsOnlyKeys("toxicity/v1");
        assertThat(result.unavailable().get("toxicity/v1")).contains("does not run in Skein");
    }

    @Test
    void shouldDropReadabilityForTheWholeTableWhenOnePredictionIsNotAString() {
        TextAccumulator acc = new TextAccumulator(ModelType.TEXT, false, SCORERS);
        acc.add("one two", null);
        acc.add(42L, null);
        acc.add("three", null);
        TextResult result = acc.compute();

        assertThat(result.metrics()).isEmpty();
        assertThat(result.scores().get("token_count")).containsExactly(2, Double.NaN, 1);
        assertThat(result.unavailable())
                .containsOnlyKeys("toxicity/v1", "flesch_kincaid_grade_level/v1", "ari_grade_level/v1");
        assertThat(result.unavailable().get("ari_grade_level/v1"))
                .isEqualTo("row 2: the prediction is the number 42, not a string");
    }

    @Test
    void shouldAggregateRougeForSummariesAndDropItWithoutTargets() {
        TextAccumulator acc = new TextAccumulator(ModelType.TEXT_SUMMARIZATION, true, SCORERS);
        acc.add("the cat sat", "the cat sat");
        acc.add("a dog", "the cat sat");
        TextResult result = acc.compute();
        assertThat(result.metrics().get("rouge1/v1/mean")).isCloseTo(0.5, within(1e-12));
        assertThat(result.metrics().get("rouge1/v1/variance")).isCloseTo(0.25, within(1e-12));
        assertThat(result.metrics().get("rouge1/v1/p90")).isCloseTo(0.9, within(1e-12));
        assertThat(result.metrics()).containsKeys("rouge2/v1/mean", "rougeL/v1/p90", "rougeLsum/v1/variance");
        assertThat(result.scores().get("rougeLsum/v1/score")).containsExactly(1.0, 0.0);

        TextAccumulator untargeted = new TextAccumulator(ModelType.TEXT_SUMMARIZATION, false, SCORERS);
        untargeted.add("a summary", null);
        TextResult without = untargeted.compute();
        assertThat(without.metrics()).doesNotContainKey("rouge1/v1/mean");
        assertThat(without.unavailable().get("rougeL/v1")).isEqualTo("rougeL needs targets (spec.targets)");
    }

    @Test
    void shouldDropExactMatchWhenStringsAndNumbersMix() {
        TextAccumulator acc = new TextAccumulator(ModelType.QUESTION_ANSWERING, true, SCORERS);
        acc.add("4", "4");
        acc.add("five", 5L);
        TextResult result = acc.compute();
        assertThat(result.metrics()).doesNotContainKey("exact_match/v1");
        assertThat(result.unavailable().get("exact_match/v1")).startsWith("row 2:");
    }

    @Test
    void shouldRefuseAnEmptyTable() {
        TextAccumulator acc = new TextAccumulator(ModelType.TEXT, false, SCORERS);
        assertThatThrownBy(acc::compute)
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("no rows to evaluate");
    }
}
