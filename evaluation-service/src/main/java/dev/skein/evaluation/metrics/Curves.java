package dev.skein.evaluation.metrics;

/**
 * One class's curves as scikit-learn 1.2.1 computes them for MLflow's plots: {@code roc_curve(...,
 * drop_intermediate=True)} (fpr, tpr and thresholds, the first threshold being the highest score + 1) and
 * {@code precision_recall_curve} (precision and recall one longer than their thresholds, ending at
 * precision 1, recall 0). The arrays are this record's own; do not modify them.
 *
 * @param positiveClass the class taken as positive: a binary evaluation's {@code pos_label}, or the class
 *     a multiclass one-vs-rest curve is drawn for
 */
public record Curves(
        Label positiveClass,
        double[] fpr,
        double[] tpr,
        double[] rocThresholds,
        double[] precision,
        double[] recall,
        double[] precisionRecallThresholds) {}
