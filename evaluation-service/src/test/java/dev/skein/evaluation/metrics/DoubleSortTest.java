package dev.skein.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The radix sort orders every double exactly as Arrays.sort does, bit for bit, small and large. */
class DoubleSortTest {

    private static final double[] SPECIAL = {
        0.0,
        -0.0,
        1.0,
        -1.0,
        Double.MIN_VALUE,
        -Double.MIN_VALUE,
        Double.MAX_VALUE,
        -Double.MAX_VALUE,
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        1 - Math.ulp(1.0),
        Math.ulp(1.0),
        0.5,
        1e-300
    };

    @ParameterizedTest(name = "{0} values")
    @ValueSource(ints = {0, 1, 100, DoubleSort.RADIX_THRESHOLD - 1, DoubleSort.RADIX_THRESHOLD, 300_000})
    void shouldSortAsArraysSortDoes(int n) {
        Random random = new Random(n);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = switch (random.nextInt(5)) {
                case 0 -> SPECIAL[random.nextInt(SPECIAL.length)];
                case 1 -> random.nextGaussian() * 1e6;
                case 2 -> Math.round(random.nextDouble() * 100) / 100.0; // many ties
                default -> random.nextDouble();
            };
        }
        double[] expected = values.clone();
        Arrays.sort(expected);
        DoubleSort.sort(values);
        assertThat(Arrays.equals(values, expected)).isTrue();
    }

    @ParameterizedTest(name = "{0} values")
    @ValueSource(ints = {DoubleSort.RADIX_THRESHOLD, 200_000})
    void shouldSortProbabilitiesThatShareTheirHighBits(int n) {
        Random random = new Random(7);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = 0.5 + random.nextInt(1000) * Math.ulp(0.5); // one exponent, low bits differ
        }
        double[] expected = values.clone();
        Arrays.sort(expected);
        DoubleSort.sort(values);
        assertThat(Arrays.equals(values, expected)).isTrue();
    }
}
