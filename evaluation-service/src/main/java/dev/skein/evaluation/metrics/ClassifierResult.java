package dev.skein.evaluation.metrics;

import java.util.List;
import java.util.Map;

/**
 * A classifier evaluation's numbers.
 *
 * @param binary true when the sorted union of targets and predictions has two labels
 * @param labels MLflow's {@code label_list}: the sorted union of targets and predictions
 * @param positiveLabel a binary evaluation's positive label ({@code pos_label} or the last label); null
 *     for multiclass
 * @param metrics the logged metrics, keys exactly as MLflow's, in MLflow's order
 * @param perClassMetrics the rows of {@code per_class_metrics.csv} (multiclass only; empty for binary)
 */
public record ClassifierResult(
        boolean binary,
        List<Label> labels,
        Label positiveLabel,
        Map<String, Double> metrics,
        List<PerClassMetrics> perClassMetrics) {

    /**
     * One row of {@code per_class_metrics.csv}: the class against the rest. {@code metrics} holds the
     * columns after {@code positive_class}, in MLflow's order: true_negatives, false_positives,
     * false_negatives, true_positives, example_count, accuracy_score, recall_score, precision_score,
     * f1_score and, with probabilities, roc_auc and precision_recall_auc.
     */
    public record PerClassMetrics(Label positiveClass, Map<String, Double> metrics) {}
}
