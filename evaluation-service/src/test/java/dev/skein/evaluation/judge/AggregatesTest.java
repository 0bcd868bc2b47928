package dev.skein.evaluation.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AggregatesTest {

    @Test
    void shouldAggregateAsNumpyDoes() {
        // numpy: mean 3.0, var (population) 2.0, median 3.0, percentile(90, linear) 4.6
        Map<String, Double> a = Aggregates.of(new double[] {5, 1, 3, 2, 4}, Aggregates.NAMES);
        assertThat(a).containsOnlyKeys("min", "max", "mean", "median", "variance", "p90");
        assertThat(a.get("min")).isEqualTo(1.0);
        assertThat(a.get("max")).isEqualTo(5.0);
        assertThat(a.get("mean")).isEqualTo(3.0);
        assertThat(a.get("median")).isEqualTo(3.0);
        assertThat(a.get("variance")).isEqualTo(2.0);
        assertThat(a.get("p90")).isCloseTo(4.6, within(1e-12));
        // two values: median 2.5, p90 = 2 + 0.9 * (3 - 2)
        Map<String, Double> b = Aggregates.of(new double[] {3, 2}, List.of("median", "p90", "variance"));
        assertThat(b.get("median")).isEqualTo(2.5);
        assertThat(b.get("p90")).isCloseTo(2.9, within(1e-12));
        assertThat(b.get("variance")).isEqualTo(0.25);
        assertThat(Aggregates.of(new double[] {4}, List.of("p90", "variance")))
                .containsEntry("p90", 4.0)
                .containsEntry("variance", 0.0);
    }
}
