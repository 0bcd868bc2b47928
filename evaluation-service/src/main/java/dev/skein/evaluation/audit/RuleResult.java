package dev.skein.evaluation.audit;

import java.util.Objects;
import java.util.Set;

/**
 * The verdict on one metric's rule.
 *
 * @param metric the metric's name
 * @param rule the rule
 * @param candidate the candidate's value, {@code null} when missing
 * @param baseline the baseline's value, {@code null} when there is no baseline or it lacks the metric
 * @param failed the checks that failed, empty when the rule passed
 * @param message what MLflow prints for this metric: {@code Metric accuracy_score passed the validation.} or
 *     its failure message (several failed checks joined by a space, as MLflow joins them)
 */
public record RuleResult(
        String metric, MetricThreshold rule, Double candidate, Double baseline, Set<Check> failed, String message) {

    public RuleResult {
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(rule, "rule");
        failed = Set.copyOf(failed);
        Objects.requireNonNull(message, "message");
    }

    public boolean passed() {
        return failed.isEmpty();
    }
}
