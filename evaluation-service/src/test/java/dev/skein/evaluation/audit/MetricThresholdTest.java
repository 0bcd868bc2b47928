package dev.skein.evaluation.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** MLflow's MetricThreshold constructor checks, with its messages. */
class MetricThresholdTest {

    private static final String PREFIX = "Could not instantiate MetricThreshold class: ";

    private static void refused(Runnable create, String mlflowReason) {
        assertThatThrownBy(create::run)
                .isInstanceOf(MetricThresholdException.class)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(PREFIX + mlflowReason)
                .satisfies(e ->
                        assertThat(((MetricThresholdException) e).errorCode()).isEqualTo("INVALID_PARAMETER_VALUE"));
    }

    @Test
    void shouldRefuseARuleWithoutAnyThreshold() {
        refused(() -> new MetricThreshold(null, null, null, true), "no threshold was specified.");
    }

    @Test
    void shouldRequireGreaterIsBetter() {
        refused(() -> new MetricThreshold(0.5, null, null, null), "`greater_is_better` parameter must be defined.");
    }

    @Test
    void shouldRequireAPositiveAbsoluteChange() {
        refused(
                () -> new MetricThreshold(null, 0.0, null, true),
                "`min_absolute_change` parameter must be a positive number.");
        refused(
                () -> new MetricThreshold(null, -0.1, null, true),
                "`min_absolute_change` parameter must be a positive number.");
        assertThat(new MetricThreshold(null, 1e-9, null, true).minAbsoluteChange())
                .isEqualTo(1e-9);
    }

    @Test
    void shouldRequireARelativeChangeBetweenZeroAndOneInclusive() {
        refused(
                () -> new MetricThreshold(null, null, -0.01, true),
                "`min_relative_change` parameter must be between 0 and 1.");
        refused(
                () -> new MetricThreshold(null, null, 1.01, true),
                "`min_relative_change` parameter must be between 0 and 1.");
        assertThat(new MetricThreshold(null, null, 0.0, true).needsBaseline()).isTrue();
        assertThat(new MetricThreshold(null, null, 1.0, false).minRelativeChange())
                .isEqualTo(1.0);
    }

    @Test
    void shouldRefuseNanAndInfiniteValuesThatCouldNeverDecideAnything() {
        refused(() -> MetricThreshold.atLeast(Double.NaN), "`threshold` parameter must be a number.");
        refused(() -> MetricThreshold.atMost(Double.POSITIVE_INFINITY), "`threshold` parameter must be a number.");
        refused(
                () -> new MetricThreshold(null, Double.NaN, null, true),
                "`min_absolute_change` parameter must be a positive number.");
        refused(
                () -> new MetricThreshold(null, null, Double.NaN, true),
                "`min_relative_change` parameter must be between 0 and 1.");
    }

    @Test
    void shouldDescribeItselfAsMlflowDoes() {
        assertThat(new MetricThreshold(0.8, 0.05, 0.1, true))
                .hasToString("Threshold: 0.8. Minimum Absolute Change: 0.05. Minimum Relative Change: 0.1."
                        + " Higher value is better.");
        assertThat(MetricThreshold.atMost(1e-5)).hasToString("Threshold: 1e-05. Lower value is better.");
    }
}
