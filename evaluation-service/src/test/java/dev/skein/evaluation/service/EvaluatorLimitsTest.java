package dev.skein.evaluation.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.evaluation.metrics.InvalidInputException;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What an evaluation refuses before its memory grows with the table: every limit is a clear reason. */
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
    void shouldRefuseToKeepMoreScoresThanTheLimitAllows() {
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
        // 2,000 rows keep 12 bytes each for the curves, ten times that at their peak: 240,000 bytes; the table
        // itself is smaller
        assertThat(new Evaluator(1 << 20).evaluate(spec, "t.csv", csv(t)).rows())
                .isEqualTo(2000);
        assertThatThrownBy(() -> new Evaluator(200_000).evaluate(spec, "t.csv", csv(t)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("bytes of memory, more than the limit of 200000 bytes");
    }

    @Test
    void shouldShowControlCharactersOfAReasonAsReplacementCharacters() {
        assertThat(EvaluationJob.printable("bad cell 'a\u0000b'\n\tnext")).isEqualTo("bad cell 'a\uFFFDb'\n\tnext");
    }
}
