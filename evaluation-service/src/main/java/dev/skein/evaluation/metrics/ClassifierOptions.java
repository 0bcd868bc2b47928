package dev.skein.evaluation.metrics;

/**
 * MLflow's {@code evaluator_config} for a classifier.
 *
 * @param posLabel {@code pos_label}: the positive label of a binary evaluation, or null for the label that
 *     sorts last. It changes recall, precision, f1 and precision_recall_auc only (reference quirk 1).
 * @param average {@code average} for multiclass evaluations (MLflow's default: weighted)
 * @param maxClassesForMulticlassRocPr {@code max_classes_for_multiclass_roc_pr} (MLflow's default: 10):
 *     above it per_class_metrics.csv has no roc_auc and precision_recall_auc columns
 */
public record ClassifierOptions(Label posLabel, Average average, int maxClassesForMulticlassRocPr) {

    public ClassifierOptions {
        if (average == null) {
            throw new IllegalArgumentException("average is required");
        }
    }

    public static ClassifierOptions defaults() {
        return new ClassifierOptions(null, Average.WEIGHTED, 10);
    }

    public ClassifierOptions withPosLabel(Label label) {
        return new ClassifierOptions(label, average, maxClassesForMulticlassRocPr);
    }

    public ClassifierOptions withAverage(Average value) {
        return new ClassifierOptions(posLabel, value, maxClassesForMulticlassRocPr);
    }
}
