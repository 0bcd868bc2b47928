package dev.skein.evaluation.metrics;

/**
 * A metric scikit-learn refuses for these rows (ROC AUC with one class in the targets, multiclass
 * probabilities that do not sum to 1), which makes MLflow 2.17.2's {@code mlflow.evaluate} fail.
 */
public final class UndefinedMetricException extends EvaluationException {

    private final String metric;

    public UndefinedMetricException(String metric, String message) {
        super(metric + ": " + message);
        this.metric = metric;
    }

    /** The MLflow metric key that could not be computed. */
    public String metric() {
        return metric;
    }
}
