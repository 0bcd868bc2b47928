package dev.skein.cli.recipes;

import java.util.Map;
import java.util.Set;

/**
 * One of the evaluate step's {@code validation_criteria}: the metric must reach the threshold, which means at least it
 * for a score (greater is better) and at most it for an error or a loss, as MLflow's metrics are defined. A metric the
 * evaluation did not compute is a failed criterion.
 */
public record Criterion(String metric, double threshold, boolean greaterIsBetter) {

    /** MLflow's built-in metrics where lower is better. */
    static final Set<String> LOWER_IS_BETTER = Set.of(
            "mean_absolute_error",
            "mean_squared_error",
            "root_mean_squared_error",
            "max_error",
            "mean_absolute_percentage_error",
            "log_loss",
            "false_positives",
            "false_negatives");

    /** MLflow's built-in metrics where greater is better. */
    static final Set<String> GREATER_IS_BETTER = Set.of(
            "r2_score",
            "accuracy_score",
            "recall_score",
            "precision_score",
            "f1_score",
            "roc_auc",
            "precision_recall_auc",
            "true_positives",
            "true_negatives");

    /** Whether greater is better for a built-in metric; null for one MLflow does not define. */
    static Boolean greaterIsBetter(String metric) {
        if (LOWER_IS_BETTER.contains(metric)) {
            return false;
        }
        if (GREATER_IS_BETTER.contains(metric)) {
            return true;
        }
        return null;
    }

    /** The outcome of checking one criterion: the value found (null: none) and a sentence for people. */
    public record Result(Criterion criterion, Double value, boolean passed, String message) {}

    public Result check(Map<String, Double> metrics) {
        Double value = metrics.get(metric);
        String rule = metric + (greaterIsBetter ? " >= " : " <= ") + threshold;
        if (value == null || value.isNaN()) {
            return new Result(this, null, false, rule + ": the evaluation computed no " + metric);
        }
        boolean passed = greaterIsBetter ? value >= threshold : value <= threshold;
        return new Result(this, value, passed, rule + ": " + value + (passed ? " passed" : " failed"));
    }
}
