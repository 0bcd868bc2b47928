package dev.skein.evaluation.audit;

/**
 * MLflow's {@code mlflow.models.MetricThreshold}: when a candidate model's metric passes validation.
 *
 * <ul>
 *   <li>{@code threshold} (optional): the value must be {@code >= threshold} when greater is better, else {@code
 *       <= threshold}.
 *   <li>{@code minAbsoluteChange} (optional, positive): the value must be {@code >= baseline + change} (greater is
 *       better) or {@code <= baseline - change}.
 *   <li>{@code minRelativeChange} (optional, in [0, 1]): {@code (value - baseline) / baseline >= change} (greater
 *       is better) or {@code (baseline - value) / baseline >= change}; with a baseline of 0, the value must
 *       beat it by 1e-10.
 *   <li>{@code greaterIsBetter} (required).
 * </ul>
 *
 * At least one of the three must be given. The constructor refuses what MLflow's refuses, with MLflow's messages,
 * and (Skein's choice, where MLflow accepts a float) NaN and infinite values, which could never pass or never
 * fail.
 */
public record MetricThreshold(
        Double threshold, Double minAbsoluteChange, Double minRelativeChange, Boolean greaterIsBetter) {

    public MetricThreshold {
        if (threshold != null && !Double.isFinite(threshold)) {
            throw MetricThresholdException.invalid("`threshold` parameter must be a number.");
        }
        if (minAbsoluteChange != null && !(Double.isFinite(minAbsoluteChange) && minAbsoluteChange > 0)) {
            throw MetricThresholdException.invalid("`min_absolute_change` parameter must be a positive number.");
        }
        if (minRelativeChange != null && !(minRelativeChange >= 0 && minRelativeChange <= 1)) {
            throw MetricThresholdException.invalid("`min_relative_change` parameter must be between 0 and 1.");
        }
        if (greaterIsBetter == null) {
            throw MetricThresholdException.invalid("`greater_is_better` parameter must be defined.");
        }
        if (threshold == null && minAbsoluteChange == null && minRelativeChange == null) {
            throw MetricThresholdException.invalid("no threshold was specified.");
        }
    }

    public static MetricThreshold atLeast(double threshold) {
        return new MetricThreshold(threshold, null, null, true);
    }

    public static MetricThreshold atMost(double threshold) {
        return new MetricThreshold(threshold, null, null, false);
    }

    public MetricThreshold withMinAbsoluteChange(double change) {
        return new MetricThreshold(threshold, change, minRelativeChange, greaterIsBetter);
    }

    public MetricThreshold withMinRelativeChange(double change) {
        return new MetricThreshold(threshold, minAbsoluteChange, change, greaterIsBetter);
    }

    /** Whether the rule compares with a baseline model (MLflow then requires one). */
    public boolean needsBaseline() {
        return minAbsoluteChange != null || minRelativeChange != null;
    }

    /** As MLflow's {@code str(MetricThreshold)}: {@code Threshold: 0.8. Higher value is better.} */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        if (threshold != null) {
            s.append("Threshold: ").append(PythonFloats.repr(threshold)).append(". ");
        }
        if (minAbsoluteChange != null) {
            s.append("Minimum Absolute Change: ")
                    .append(PythonFloats.repr(minAbsoluteChange))
                    .append(". ");
        }
        if (minRelativeChange != null) {
            s.append("Minimum Relative Change: ")
                    .append(PythonFloats.repr(minRelativeChange))
                    .append(". ");
        }
        return s.append(greaterIsBetter ? "Higher value is better." : "Lower value is better.")
                .toString();
    }
}
