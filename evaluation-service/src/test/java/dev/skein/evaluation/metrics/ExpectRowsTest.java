package dev.skein.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A declared row count sizes the kept arrays once; what is computed does not depend on it. */
class ExpectRowsTest {

    private static ClassifierAccumulator feed(ClassifierAccumulator acc, int rows, boolean weighted) {
        Random random = new Random(16);
        for (int i = 0; i < rows; i++) {
            // labels first seen out of their sorted order: the targets are mapped to sorted indices
            Label target = Label.of(i == 0 ? 1 : random.nextInt(2));
            Label prediction = Label.of(random.nextInt(2));
            double[] p = {random.nextDouble()};
            if (weighted) {
                acc.add(target, prediction, p, 0.5 + random.nextDouble());
            } else {
                acc.add(target, prediction, p);
            }
        }
        return acc;
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 999, 5000, 5001, 1_000_000, Long.MAX_VALUE})
    void shouldComputeTheSameWhateverRowCountWasDeclared(long declared) {
        for (boolean weighted : new boolean[] {false, true}) {
            ClassifierAccumulator plain = feed(new ClassifierAccumulator(), 5000, weighted);
            ClassifierAccumulator expecting = new ClassifierAccumulator();
            expecting.expectRows(declared);
            feed(expecting, 5000, weighted);

            assertThat(expecting.compute(ClassifierOptions.defaults()).metrics())
                    .isEqualTo(plain.compute(ClassifierOptions.defaults()).metrics());
            Curves a = expecting.curves(ClassifierOptions.defaults()).get(0);
            Curves b = plain.curves(ClassifierOptions.defaults()).get(0);
            assertThat(a.fpr()).containsExactly(b.fpr());
            assertThat(a.precision()).containsExactly(b.precision());
            if (!weighted) {
                assertThat(expecting.liftCurve().orElseThrow().secondClassLift())
                        .containsExactly(plain.liftCurve().orElseThrow().secondClassLift());
            }
        }
    }

    @Test
    void shouldReserveNothingPastTheBudgetAndSpillTheRowsInstead(@TempDir Path parent) {
        // 100 rows' curves fit in the budget; a billion declared rows do not, so none are reserved for
        try (ClassifierAccumulator acc =
                new ClassifierAccumulator().memoryBudget(12 * 12 * 100).spillTo(parent)) {
            acc.expectRows(1_000_000_000);
            feed(acc, 1000, false);
            assertThat(acc.spilled()).isTrue();
            ClassifierAccumulator plain = feed(new ClassifierAccumulator(), 1000, false);
            assertThat(acc.compute(ClassifierOptions.defaults()).metrics())
                    .isEqualTo(plain.compute(ClassifierOptions.defaults()).metrics());
        }
    }

    @Test
    void shouldComputeTheSameAfterMoreRowsThanTheMemoIsFor() {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        acc.expectRows(3000);
        feed(acc, 3000, false);
        acc.compute(ClassifierOptions.defaults()); // the memo of 3,000 rows
        ClassifierAccumulator more = feed(new ClassifierAccumulator(), 3000, false);
        Label one = Label.of(1);
        acc.add(one, one, new double[] {0.25});
        more.add(one, one, new double[] {0.25});
        assertThat(acc.compute(ClassifierOptions.defaults()).metrics())
                .isEqualTo(more.compute(ClassifierOptions.defaults()).metrics());
    }
}
