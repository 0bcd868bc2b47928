package dev.skein.evaluation.metrics;

import static dev.skein.evaluation.metrics.MetricKeys.EXAMPLE_COUNT;
import static dev.skein.evaluation.metrics.MetricKeys.MAX_ERROR;
import static dev.skein.evaluation.metrics.MetricKeys.MEAN_ABSOLUTE_ERROR;
import static dev.skein.evaluation.metrics.MetricKeys.MEAN_ABSOLUTE_PERCENTAGE_ERROR;
import static dev.skein.evaluation.metrics.MetricKeys.MEAN_ON_TARGET;
import static dev.skein.evaluation.metrics.MetricKeys.MEAN_SQUARED_ERROR;
import static dev.skein.evaluation.metrics.MetricKeys.R2;
import static dev.skein.evaluation.metrics.MetricKeys.ROOT_MEAN_SQUARED_ERROR;
import static dev.skein.evaluation.metrics.MetricKeys.SUM_ON_TARGET;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * MLflow 2.17.2's default evaluator for {@code model_type="regressor"} ({@code _get_regressor_metrics}),
 * fed one row at a time in constant memory: sums, a maximum and a weighted running mean and sum of squared
 * deviations of the target (West's algorithm) for r2's denominator.
 *
 * <p>Either every row has a sample weight or none. As in MLflow, weights reach mean_absolute_error,
 * mean_squared_error, root_mean_squared_error, r2_score and mean_absolute_percentage_error; with weights
 * {@code sum_on_target} is Σ y·w, and {@code mean_on_target} is always sum_on_target / row count (not / Σ w).
 * {@code max_error} ignores weights.
 *
 * <p>Not thread-safe: one accumulator per evaluation.
 */
public final class RegressorAccumulator {

    /** numpy's float64 eps: sklearn's MAPE divides by max(|y|, eps). */
    static final double EPS = Math.ulp(1.0);

    private long rows;
    private Boolean weighted;
    private double weightSum;
    private double absoluteError;
    private double squaredError;
    private double percentageError;
    private double maxError;
    private double targetSum;
    private double targetMean;
    private double targetWeight;
    private double targetSquaredDeviation;

    public void add(double target, double prediction) {
        add(target, prediction, false, 1.0);
    }

    public void add(double target, double prediction, double sampleWeight) {
        add(target, prediction, true, sampleWeight);
    }

    private void add(double y, double yHat, boolean hasWeight, double w) {
        if (weighted == null) {
            weighted = hasWeight;
        } else if (weighted != hasWeight) {
            throw new InvalidInputException("either every row has a sample weight or none does");
        }
        if (!Double.isFinite(y) || !Double.isFinite(yHat) || !Double.isFinite(w)) {
            throw new InvalidInputException("a target, prediction or sample weight is NaN or infinite (Input contains "
                    + (Double.isNaN(y) || Double.isNaN(yHat) || Double.isNaN(w) ? "NaN" : "infinity") + ")");
        }
        double error = Math.abs(yHat - y);
        rows++;
        weightSum += w;
        absoluteError += w * error;
        squaredError += w * ((y - yHat) * (y - yHat));
        percentageError += w * (error / Math.max(Math.abs(y), EPS));
        maxError = Math.max(maxError, error);
        // Python's sum(y) adds left to right; with weights MLflow sums y * w
        targetSum += hasWeight ? y * w : y;
        if (w != 0) {
            targetWeight += w;
            double delta = y - targetMean;
            targetMean += delta * (w / targetWeight);
            targetSquaredDeviation += w * delta * (y - targetMean);
        }
    }

    public long rows() {
        return rows;
    }

    /** The metrics, keys exactly as MLflow's and in its order; the accumulator can take more rows afterwards. */
    public Map<String, Double> compute() {
        if (rows == 0) {
            throw new InvalidInputException("no rows to evaluate (Found array with 0 sample(s))");
        }
        if (weightSum == 0) {
            throw new InvalidInputException(
                    "the sample weights sum to zero (Weights sum to zero, can't be normalized)");
        }
        Map<String, Double> m = new LinkedHashMap<>();
        double mse = squaredError / weightSum;
        m.put(EXAMPLE_COUNT, (double) rows);
        m.put(MEAN_ABSOLUTE_ERROR, absoluteError / weightSum);
        m.put(MEAN_SQUARED_ERROR, mse);
        m.put(ROOT_MEAN_SQUARED_ERROR, Math.sqrt(mse));
        m.put(SUM_ON_TARGET, targetSum);
        m.put(MEAN_ON_TARGET, targetSum / rows);
        m.put(R2, r2());
        m.put(MAX_ERROR, maxError);
        m.put(MEAN_ABSOLUTE_PERCENTAGE_ERROR, percentageError / weightSum);
        return Collections.unmodifiableMap(m);
    }

    /**
     * sklearn 1.2.1's r2_score (force_finite): NaN below two rows (MLflow logs it as NaN); with a constant
     * target 1.0 for a perfect prediction and 0.0 otherwise; else 1 − SS_res / SS_tot.
     */
    private double r2() {
        if (rows < 2) {
            return Double.NaN;
        }
        double numerator = squaredError;
        double denominator = targetSquaredDeviation;
        if (numerator == 0) {
            return 1.0;
        }
        if (denominator == 0) {
            return 0.0;
        }
        return 1 - numerator / denominator;
    }

    @Override
    public String toString() {
        return "RegressorAccumulator[rows=" + rows + ", weighted=" + Boolean.TRUE.equals(weighted) + "]";
    }
}
