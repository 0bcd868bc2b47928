package dev.skein.evaluation.audit;

import java.util.Optional;

/**
 * A validation rule MLflow would not accept. The message is MLflow's where MLflow has one ({@code Could not
 * instantiate MetricThreshold class: ...}); the error code is MLflow's {@code INVALID_PARAMETER_VALUE}, so the
 * service edge turns it into that MLflow error unchanged.
 */
public final class MetricThresholdException extends IllegalArgumentException {

    /** MLflow's error code for every refusal here (HTTP 400). */
    public static final String ERROR_CODE = "INVALID_PARAMETER_VALUE";

    private final String metric;

    MetricThresholdException(String metric, String message) {
        super(metric == null ? message : "validation rule for metric '" + metric + "': " + message);
        this.metric = metric;
    }

    /** MLflow's {@code MetricThresholdClassException}: the constructor refused a value. */
    static MetricThresholdException invalid(String mlflowReason) {
        return new MetricThresholdException(null, "Could not instantiate MetricThreshold class: " + mlflowReason);
    }

    MetricThresholdException forMetric(String name) {
        return new MetricThresholdException(name, getMessage());
    }

    public String errorCode() {
        return ERROR_CODE;
    }

    /** The metric whose rule was refused, when the rule came from a map of rules. */
    public Optional<String> metric() {
        return Optional.ofNullable(metric);
    }
}
