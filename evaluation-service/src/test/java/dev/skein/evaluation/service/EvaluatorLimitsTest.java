package dev.skein.evaluation.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.evaluation.metrics.InvalidInputException;
import dev.skein.evaluation.output.Artifact;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an evaluation refuses before its memory grows with the table (every limit a clear reason), and how a
 * classifier's curves past their memory budget are computed from disk instead.
 */
class EvaluatorLimitsTest {

    private static EvaluationSpec.Builder classifier() {
        return EvaluationSpec.newBuilder()
                .setData("t.csv")
                .setModelType("classifier")
                .setTargets("y")
                .setPredictions("p");
    }

    private static ByteArrayInputStream csv(StringBuilder text) {
        return new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRefuseARegressorsValuesGivenAsAClassifiersLabels() {
        StringBuilder t = new StringBuilder("y,p\n");
        for (int i = 0; i < 1500; i++) {
            t.append(i).append(',').append(i * 0.5).append('\n');
        }
        assertThatThrownBy(() -> new Evaluator(1 << 30).evaluate(classifier().build(), "t.csv", csv(t)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("distinct labels");
    }

    @Test
    void shouldEvaluateAClassifierWhoseCurvesPassTheMemoryBudgetFromDisk(@TempDir Path parent) throws IOException {
        StringBuilder t = new StringBuilder("y,p,proba\n");
        for (int i = 0; i < 2000; i++) {
            t.append(i % 2)
                    .append(',')
                    .append(i % 2)
                    .append(",0.")
                    .append(i % 10)
                    .append('\n');
        }
        EvaluationSpec spec = classifier().addProbabilities("proba").build();
        // 2,000 rows keep 12 bytes each for the curves, twelve times that at their peak: 288,000 bytes, past a
        // budget of 20,000 (chunks of 138 rows); the metrics are those of the rows kept in memory
        Map<String, Double> inMemory;
        try (Evaluator.Outcome outcome = new Evaluator(1 << 20, 1 << 20, parent).evaluate(spec, "t.csv", csv(t))) {
            inMemory = outcome.metrics();
        }
        try (Evaluator.Outcome outcome = new Evaluator(1 << 20, 20_000, parent).evaluate(spec, "t.csv", csv(t))) {
            assertThat(outcome.rows()).isEqualTo(2000);
            assertThat(outcome.metrics()).isEqualTo(inMemory);
            assertThat(outcome.metrics()).containsKeys("roc_auc", "precision_recall_auc", "log_loss");
            assertThat(outcome.artifacts())
                    .extracting(Artifact::path)
                    .containsExactly(
                            "roc_curve_plot.png",
                            "precision_recall_curve_plot.png",
                            "lift_curve_plot.png",
                            "confusion_matrix.png");
        }
        try (Stream<Path> left = Files.list(parent)) {
            assertThat(left).as("temporary files left").isEmpty();
        }
    }

    @Test
    void shouldRemoveTheSpilledRowsWhenTheTableFailsMidway(@TempDir Path parent) throws IOException {
        StringBuilder t = new StringBuilder("y,p,proba\n");
        for (int i = 0; i < 2000; i++) {
            t.append(i % 2)
                    .append(',')
                    .append(i % 2)
                    .append(",0.")
                    .append(i % 10)
                    .append('\n');
        }
        t.append("1,1,1.5\n"); // after several chunks went to disk, a probability outside [0, 1]
        EvaluationSpec spec = classifier().addProbabilities("proba").build();
        assertThatThrownBy(() -> new Evaluator(1 << 20, 20_000, parent).evaluate(spec, "t.csv", csv(t)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("outside [0, 1]");
        try (Stream<Path> left = Files.list(parent)) {
            assertThat(left).as("temporary files left").isEmpty();
        }
    }

    @Test
    void shouldRemoveTheSpilledRowsWhenAMetricIsUndefined(@TempDir Path parent) throws IOException {
        // three labels, one probability column: refused once every row is on disk, when the metrics are computed
        StringBuilder t = new StringBuilder("y,p,proba\n");
        for (int i = 0; i < 2000; i++) {
            t.append(i % 3)
                    .append(',')
                    .append(i % 3)
                    .append(",0.")
                    .append(i % 10)
                    .append('\n');
        }
        EvaluationSpec spec = classifier().addProbabilities("proba").build();
        assertThatThrownBy(() -> new Evaluator(1 << 20, 20_000, parent).evaluate(spec, "t.csv", csv(t)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("multiclass needs one per class");
        try (Stream<Path> left = Files.list(parent)) {
            assertThat(left).as("temporary files left").isEmpty();
        }
    }

    @Test
    void shouldShowControlCharactersOfAReasonAsReplacementCharacters() {
        assertThat(EvaluationJob.printable("bad cell 'a\u0000b'\n\tnext")).isEqualTo("bad cell 'a\uFFFDb'\n\tnext");
    }
}
