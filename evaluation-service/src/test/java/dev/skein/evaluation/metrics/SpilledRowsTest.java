package dev.skein.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.skein.evaluation.metrics.ClassifierResult.PerClassMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A classifier's rows past the memory budget, written to disk in chunks and merged back, give what the same rows
 * kept in memory give: every metric (to the last bit without weights; to rounding with them, their totals being
 * summed in another order), the lift curves and the plotted curves at the points they keep. Scores are rounded
 * to two decimals, so most of them are tied, across chunks too.
 */
class SpilledRowsTest {

    static final int ROWS = 20_000;
    /** About 170 rows a chunk with one probability column: over a hundred chunks. */
    static final long BUDGET = 12 * 12 * 170;

    @TempDir
    Path parent;

    /** Labels "a" < "b" (first seen out of order), P("b") tied in runs, and the classes overlapping. */
    private static void binary(ClassifierAccumulator acc, boolean weighted, boolean twoColumns) {
        Random random = new Random(16);
        for (int i = 0; i < ROWS; i++) {
            boolean b = i == 0 || random.nextInt(3) == 0;
            double p =
                    Math.round(Math.min(1, Math.max(0, (b ? 0.6 : 0.4) + random.nextGaussian() * 0.25)) * 100) / 100.0;
            Label target = Label.of(b ? "b" : "a");
            Label prediction = Label.of(p >= 0.5 ? "b" : "a");
            double[] probabilities = twoColumns ? new double[] {1 - p, p} : new double[] {p};
            if (weighted) {
                // some rows weigh nothing: their scores are no thresholds
                acc.add(target, prediction, probabilities, random.nextInt(10) == 0 ? 0.0 : 0.5 + random.nextInt(4));
            } else {
                acc.add(target, prediction, probabilities);
            }
        }
    }

    /** Four classes, each row's probabilities summing to 1, tied in runs. */
    private static void multiclass(ClassifierAccumulator acc, boolean weighted) {
        Random random = new Random(17);
        for (int i = 0; i < ROWS; i++) {
            int t = random.nextInt(4);
            double[] p = new double[4];
            int high = random.nextInt(3) == 0 ? random.nextInt(4) : t;
            for (int j = 0; j < 4; j++) {
                p[j] = j == high ? 0.7 : 0.1;
            }
            if (random.nextBoolean()) {
                p[high] = 0.4;
                p[(high + 1) % 4] = 0.4;
            }
            Label target = Label.of(t);
            Label prediction = Label.of(high);
            if (weighted) {
                acc.add(target, prediction, p, 0.25 + random.nextInt(8));
            } else {
                acc.add(target, prediction, p);
            }
        }
    }

    private ClassifierAccumulator spilling() {
        return new ClassifierAccumulator().memoryBudget(BUDGET).spillTo(parent);
    }

    private void assertNothingLeft() throws IOException {
        try (Stream<Path> left = Files.list(parent)) {
            assertThat(left).as("temporary files left").isEmpty();
        }
    }

    @ParameterizedTest(name = "weighted {0}, two columns {1}, pos_label {2}")
    @CsvSource({"false, false, b", "false, true, b", "false, false, a", "true, false, b", "true, true, a"})
    void shouldGiveABinaryClassifiersMetricsAsInMemory(boolean weighted, boolean twoColumns, String posLabel)
            throws IOException {
        ClassifierOptions options = ClassifierOptions.defaults().withPosLabel(Label.of(posLabel));
        ClassifierAccumulator kept = new ClassifierAccumulator();
        binary(kept, weighted, twoColumns);
        try (ClassifierAccumulator spilled = spilling()) {
            binary(spilled, weighted, twoColumns);
            assertThat(spilled.spilled()).isTrue();
            assertThat(kept.spilled()).isFalse();
            assertSameMetrics(
                    spilled.compute(options).metrics(), kept.compute(options).metrics(), weighted);
            assertCurvesKeepOnlyTheirPoints(spilled.curves(options), kept.curves(options));
            assertLiftKeepsOnlyItsPoints(
                    spilled.liftCurve().orElseThrow(), kept.liftCurve().orElseThrow());
        }
        assertNothingLeft();
    }

    @ParameterizedTest(name = "weighted {0}, average {1}")
    @CsvSource({"false, weighted", "false, macro", "true, weighted", "false, micro"})
    void shouldGiveAMulticlassClassifiersMetricsAndPerClassAucsAsInMemory(boolean weighted, String average)
            throws IOException {
        ClassifierOptions options = ClassifierOptions.defaults().withAverage(Average.parse(average));
        ClassifierAccumulator kept = new ClassifierAccumulator();
        multiclass(kept, weighted);
        try (ClassifierAccumulator spilled = spilling()) {
            multiclass(spilled, weighted);
            assertThat(spilled.spilled()).isTrue();
            ClassifierResult a = spilled.compute(options);
            ClassifierResult b = kept.compute(options);
            assertSameMetrics(a.metrics(), b.metrics(), weighted);
            assertThat(a.perClassMetrics()).hasSize(4);
            for (int i = 0; i < 4; i++) {
                PerClassMetrics x = a.perClassMetrics().get(i);
                PerClassMetrics y = b.perClassMetrics().get(i);
                assertThat(x.positiveClass()).isEqualTo(y.positiveClass());
                assertThat(x.metrics()).containsKey(MetricKeys.ROC_AUC);
                assertSameMetrics(x.metrics(), y.metrics(), weighted);
            }
            assertCurvesKeepOnlyTheirPoints(spilled.curves(options), kept.curves(options));
            assertThat(spilled.liftCurve()).isEmpty();
        }
        assertNothingLeft();
    }

    @Test
    void shouldRemoveItsFilesWhenAMetricCannotBeComputed() throws IOException {
        // four labels, three probability columns: refused when the metrics are asked for, every row on disk
        try (ClassifierAccumulator spilled = spilling()) {
            for (int i = 0; i < 1000; i++) {
                spilled.add(Label.of(i % 4), Label.of(i % 4), new double[] {0.2, 0.3, 0.5});
            }
            assertThat(spilled.spilled()).isTrue();
            assertThat(spilled.spillDirectory()).isPresent();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> spilled.compute(ClassifierOptions.defaults()))
                    .isInstanceOf(InvalidInputException.class);
        }
        assertNothingLeft();
    }

    @Test
    void shouldRefuseRowsPastTheDiskLimitWithAReasonAndRemoveItsFiles() throws IOException {
        // 36 bytes a row on disk with one probability column: 500 rows fit in 18,000 bytes, the next chunk not
        try (ClassifierAccumulator spilled = spilling().limitDiskBytes(36 * 500)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> binary(spilled, false, false))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("bytes of temporary files, more than the limit of 18000 bytes");
            assertThat(spilled.rows()).isLessThan(ROWS);
        }
        assertNothingLeft();
    }

    @Test
    void shouldRefuseNegativeWeightsOnceTheRowsGoToDisk() throws IOException {
        try (ClassifierAccumulator spilled = spilling()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
                        for (int i = 0; i < 1000; i++) {
                            spilled.add(Label.of(i % 2), Label.of(i % 2), new double[] {0.5}, i % 3 == 0 ? -1 : 1);
                        }
                    })
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("negative sample weights");
        }
        assertNothingLeft();
    }

    @Test
    void shouldRefuseMoreProbabilitiesThanLabelsBeforeKeepingAnything() {
        ClassifierAccumulator acc = spilling();
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> acc.add(Label.of(0), Label.of(0), new double[ClassifierAccumulator.MAX_LABELS + 1]))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("at most " + ClassifierAccumulator.MAX_LABELS);
        assertThat(acc.spilled()).isFalse();
    }

    private static void assertSameMetrics(Map<String, Double> spilled, Map<String, Double> kept, boolean weighted) {
        assertThat(spilled.keySet()).containsExactlyElementsOf(kept.keySet());
        if (!weighted) {
            assertThat(spilled).isEqualTo(kept);
            return;
        }
        kept.forEach((key, value) ->
                assertThat(spilled.get(key)).as(key).isCloseTo(value, within(1e-12 * Math.max(1, Math.abs(value)))));
    }

    /** The thinned curves hold only points of the full ones, in order, with the same ends. */
    private static void assertCurvesKeepOnlyTheirPoints(List<Curves> spilled, List<Curves> kept) {
        assertThat(spilled).hasSameSizeAs(kept);
        for (int i = 0; i < kept.size(); i++) {
            Curves a = spilled.get(i);
            Curves b = kept.get(i);
            assertThat(a.positiveClass()).isEqualTo(b.positiveClass());
            assertSubsequence(a.fpr(), a.tpr(), b.fpr(), b.tpr());
            assertSubsequence(a.recall(), a.precision(), b.recall(), b.precision());
        }
    }

    private static void assertLiftKeepsOnlyItsPoints(LiftCurve spilled, LiftCurve kept) {
        assertThat(spilled.classes()).isEqualTo(kept.classes());
        assertSubsequence(
                spilled.firstClassPercentages(),
                spilled.firstClassLift(),
                kept.firstClassPercentages(),
                kept.firstClassLift());
        assertSubsequence(
                spilled.secondClassPercentages(),
                spilled.secondClassLift(),
                kept.secondClassPercentages(),
                kept.secondClassLift());
        assertThat(spilled.secondClassLift().length).isLessThan(kept.secondClassLift().length);
    }

    private static void assertSubsequence(double[] ax, double[] ay, double[] bx, double[] by) {
        int j = 0;
        for (int i = 0; i < ax.length; i++) {
            while (j < bx.length && !(same(ax[i], bx[j]) && same(ay[i], by[j]))) {
                assertThat(i).as("the first point is kept").isPositive();
                j++;
            }
            assertThat(j)
                    .as("point " + i + " (" + ax[i] + ", " + ay[i] + ") is one of the full curve's")
                    .isLessThan(bx.length);
            j++;
        }
        assertThat(j).as("the last point is kept").isEqualTo(bx.length);
    }

    private static boolean same(double a, double b) {
        return Double.isNaN(b) ? Double.isNaN(a) : Math.abs(a - b) <= 1e-12;
    }
}
