package dev.skein.evaluation.metrics;

/** The rows cannot be evaluated: none, NaN or infinite values, mixed label types, wrong probability columns. */
public final class InvalidInputException extends EvaluationException {

    public InvalidInputException(String message) {
        super(message);
    }
}
