package dev.skein.evaluation.metrics;

/**
 * Why metrics could not be computed. Callers act on the subtype: {@link InvalidInputException} is the
 * data's fault (the evaluation fails with the message as its reason), {@link UndefinedMetricException}
 * is a metric that MLflow's default evaluator could not compute either for this data (it fails the
 * whole {@code mlflow.evaluate} call, so Skein fails the evaluation rather than invent a value).
 */
public abstract sealed class EvaluationException extends RuntimeException
        permits InvalidInputException, UndefinedMetricException {

    EvaluationException(String message) {
        super(message);
    }
}
