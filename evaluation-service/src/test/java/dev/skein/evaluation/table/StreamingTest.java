package dev.skein.evaluation.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.metrics.ClassifierOptions;
import dev.skein.evaluation.metrics.ClassifierResult;
import dev.skein.evaluation.metrics.Curves;
import dev.skein.evaluation.output.Artifact;
import dev.skein.evaluation.output.ClassifierOutputs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A table far larger than any buffer, generated as it is read: never materialised. */
class StreamingTest {

    static final int ROWS = 2_000_000;

    /** "target,prediction,comment" then ROWS rows, produced on demand; with probabilities a "proba" column too. */
    static final class GeneratedCsv extends InputStream {
        private final int rows;
        private final boolean probabilities;
        private int row = -1;
        private byte[] line;
        private int pos;

        GeneratedCsv(int rows) {
            this(rows, false);
        }

        GeneratedCsv(int rows, boolean probabilities) {
            this.rows = rows;
            this.probabilities = probabilities;
            this.line = ("target,prediction,comment" + (probabilities ? ",proba" : "") + "\n")
                    .getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public int read() {
            if (pos == line.length && !advance()) {
                return -1;
            }
            return line[pos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (pos == line.length && !advance()) {
                return -1;
            }
            int n = Math.min(len, line.length - pos);
            System.arraycopy(line, pos, b, off, n);
            pos += n;
            return n;
        }

        private boolean advance() {
            if (++row >= rows) {
                return false;
            }
            int target = row % 3 == 0 ? 1 : 0;
            int prediction = row % 5 == 0 ? 1 - target : target;
            String text = target + "," + prediction + ",\"row " + row + ", quoted\"";
            if (probabilities) {
                // rows 0-2 of every ten are positive, scored 0, 0.4 and 0.7 (7·r mod 10, tenths); the negatives
                // score 0.1 … 0.9 but not those: a positive outscores 8 of the 21 pairs, so roc_auc is 8/21
                int r = row % 10;
                target = r < 3 ? 1 : 0;
                prediction = (7 * r) % 10 >= 5 ? 1 : 0;
                text = target + "," + prediction + ",\"row " + row + ", quoted\"," + (7 * r) % 10 / 10.0;
            }
            line = (text + "\n").getBytes(StandardCharsets.UTF_8);
            pos = 0;
            return true;
        }
    }

    @Test
    void shouldReadTwoMillionRowsOneAtATime() {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        try (TableReader table = TableReader.open(new GeneratedCsv(ROWS), Format.CSV)) {
            assertThat(Columns.of("target", "prediction").feed(table, acc)).isEqualTo(ROWS);
            assertThat(table.rowsRead()).isEqualTo(ROWS);
        }
        assertThat(acc.compute(ClassifierOptions.defaults()).metrics().get("example_count"))
                .isEqualTo((double) ROWS);
    }

    static final int RANKED_ROWS = 3_000_000;

    /**
     * A classifier's table with probabilities, its curves far past the memory budget (4 MiB: chunks of some
     * 29,000 rows, a hundred of them), evaluated from disk: metrics and the four plots. It passes under
     * {@code -Xmx48m} (see the README), where keeping its rows would take 36 MB and its curves 430 MB.
     */
    @Test
    void shouldEvaluateThreeMillionRankedRowsFromDisk(@TempDir Path parent) throws IOException {
        ClassifierOptions options = ClassifierOptions.defaults();
        try (ClassifierAccumulator acc =
                new ClassifierAccumulator().memoryBudget(4 << 20).spillTo(parent)) {
            try (TableReader table = TableReader.open(new GeneratedCsv(RANKED_ROWS, true), Format.CSV)) {
                assertThat(Columns.of("target", "prediction")
                                .withProbabilities("proba")
                                .feed(table, acc))
                        .isEqualTo(RANKED_ROWS);
            }
            assertThat(acc.spilled()).isTrue();
            ClassifierResult result = acc.compute(options);
            assertThat(result.metrics().get("example_count")).isEqualTo((double) RANKED_ROWS);
            assertThat(result.metrics().get("roc_auc")).isCloseTo(8.0 / 21, within(1e-12));
            // the same as ten rows a period kept in memory: the ranking metrics depend on the proportions only
            ClassifierAccumulator period = new ClassifierAccumulator();
            try (TableReader table = TableReader.open(new GeneratedCsv(1000, true), Format.CSV)) {
                Columns.of("target", "prediction").withProbabilities("proba").feed(table, period);
            }
            Map<String, Double> expected = period.compute(options).metrics();
            for (String key : List.of("precision_recall_auc", "log_loss", "accuracy_score", "f1_score")) {
                assertThat(result.metrics().get(key)).as(key).isCloseTo(expected.get(key), within(1e-9));
            }
            List<Artifact> artifacts = ClassifierOutputs.of(acc, result, options);
            assertThat(artifacts)
                    .extracting(Artifact::path)
                    .containsExactly(
                            "roc_curve_plot.png",
                            "precision_recall_curve_plot.png",
                            "lift_curve_plot.png",
                            "confusion_matrix.png");
            Curves curves = acc.curves(options).get(0);
            assertThat(curves.precision().length).isLessThanOrEqualTo(4 * 3840 + 1);
            assertThat(acc.liftCurve().orElseThrow().secondClassLift().length).isLessThanOrEqualTo(4 * 3840);
        }
        try (Stream<Path> left = Files.list(parent)) {
            assertThat(left).as("temporary files left").isEmpty();
        }
    }
}
