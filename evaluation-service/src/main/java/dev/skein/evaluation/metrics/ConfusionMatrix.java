package dev.skein.evaluation.metrics;

import java.util.List;

/**
 * The confusion matrix MLflow plots: rows are targets, columns predictions, each row normalised to sum to
 * 1 (a target that never occurs gives a row of zeros), sample weights applied.
 *
 * @param labels MLflow's {@code label_list} in plotting order (binary: {@code pos_label} last)
 * @param normalized {@code normalized[target][prediction]}; the array is this record's own, do not modify it
 */
public record ConfusionMatrix(List<Label> labels, double[][] normalized) {}
