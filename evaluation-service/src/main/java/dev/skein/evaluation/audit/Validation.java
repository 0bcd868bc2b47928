package dev.skein.evaluation.audit;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * MLflow 2.17.2's model validation ({@code mlflow.models.evaluation.base._validate}): each rule against the
 * candidate's metrics and, for the change checks, the baseline's.
 *
 * <p>MLflow's rules, reproduced: a metric the candidate lacks fails and nothing else is checked for it; the
 * threshold is checked before the baseline; a baseline that lacks the metric fails the change checks (the
 * threshold result still stands); with a baseline of 0 (or -0.0) {@code min_relative_change} falls back to
 * "better by 1e-10"; the relative change divides by the baseline as it is, so a negative baseline flips its
 * sign (greater is better, baseline -1, candidate -0.5: change -0.5, fails) exactly as MLflow computes it.
 *
 * <p>Where MLflow does not give a verdict, Skein fails the rule: no baseline at all for a rule with a change
 * check ({@link Check#NO_BASELINE}; MLflow refuses the whole call up front, and with {@code
 * min_relative_change=0.0} crashes instead); a baseline without the metric while it has others (MLflow raises a
 * KeyError; Skein reports MLflow's own missing-baseline message). NaN values fail every check they take part in
 * (a comparison with NaN is false): MLflow agrees for {@code threshold}, raises from {@code Decimal} for {@code
 * min_absolute_change} and for the zero-baseline fallback, and lets a NaN relative change pass (its test is
 * {@code change < min}); Skein's is {@code !(change >= min)}, the same for every non-NaN change. A {@code null}
 * value in a metrics map is a missing metric.
 */
public final class Validation {

    /** MLflow's margin for "better than a baseline of 0". */
    static final double ZERO_BASELINE_MARGIN = 1e-10;

    private Validation() {}

    /**
     * @param candidate the candidate model's metrics
     * @param baseline the baseline model's metrics; {@code null} or empty when there is no baseline model
     * @param rules the rules by metric name, checked in the map's order
     */
    public static ValidationResult check(
            Map<String, Double> candidate, Map<String, Double> baseline, Map<String, MetricThreshold> rules) {
        Objects.requireNonNull(candidate, "candidate");
        Objects.requireNonNull(rules, "rules");
        boolean hasBaseline = baseline != null && !baseline.isEmpty();
        List<RuleResult> results = new ArrayList<>(rules.size());
        rules.forEach((metric, rule) -> results.add(checkOne(
                metric,
                Objects.requireNonNull(rule, metric),
                candidate.get(metric),
                hasBaseline,
                hasBaseline ? baseline.get(metric) : null)));
        return new ValidationResult(results);
    }

    private static RuleResult checkOne(
            String metric, MetricThreshold rule, Double value, boolean hasBaseline, Double base) {
        Set<Check> failed = EnumSet.noneOf(Check.class);
        if (value == null) {
            failed.add(Check.MISSING_CANDIDATE);
            return result(metric, rule, null, base, failed);
        }
        boolean greater = rule.greaterIsBetter();
        if (rule.threshold() != null && !better(value, rule.threshold(), greater)) {
            failed.add(Check.THRESHOLD);
        }
        if (rule.needsBaseline()) {
            if (!hasBaseline) {
                failed.add(Check.NO_BASELINE);
            } else if (base == null) {
                failed.add(Check.MISSING_BASELINE);
            } else {
                if (rule.minAbsoluteChange() != null
                        && !better(value, shift(base, rule.minAbsoluteChange(), greater), greater)) {
                    failed.add(Check.MIN_ABSOLUTE_CHANGE);
                }
                if (rule.minRelativeChange() != null && !relativeChangeHolds(value, base, rule)) {
                    failed.add(Check.MIN_RELATIVE_CHANGE);
                }
            }
        }
        return result(metric, rule, value, base, failed);
    }

    /** {@code value >= bound} when greater is better, else {@code value <= bound}; false with a NaN. */
    private static boolean better(double value, double bound, boolean greater) {
        return greater ? value >= bound : value <= bound;
    }

    private static double shift(double base, double by, boolean greater) {
        return greater ? base + by : base - by;
    }

    private static boolean relativeChangeHolds(double value, double base, MetricThreshold rule) {
        boolean greater = rule.greaterIsBetter();
        if (base == 0) {
            return better(value, shift(base, ZERO_BASELINE_MARGIN, greater), greater);
        }
        return relativeChange(value, base, greater) >= rule.minRelativeChange();
    }

    static double relativeChange(double value, double base, boolean greater) {
        return greater ? (value - base) / base : (base - value) / base;
    }

    private static RuleResult result(
            String metric, MetricThreshold rule, Double value, Double base, Set<Check> failed) {
        return new RuleResult(metric, rule, value, base, failed, message(metric, rule, value, base, failed));
    }

    /** MLflow's {@code str(_MetricValidationResult)}, plus Skein's sentence for {@link Check#NO_BASELINE}. */
    private static String message(String m, MetricThreshold rule, Double value, Double base, Set<Check> failed) {
        if (failed.isEmpty()) {
            return "Metric " + m + " passed the validation.";
        }
        if (failed.contains(Check.MISSING_CANDIDATE)) {
            return "Metric validation failed: metric " + m
                    + " was missing from the evaluation result of the candidate model.";
        }
        List<String> parts = new ArrayList<>();
        String candidate = "candidate model " + m + " = " + py(value);
        String baseline = "baseline model " + m + " = " + py(base);
        if (failed.contains(Check.THRESHOLD)) {
            parts.add("Metric " + m + " value threshold check failed: " + candidate + ", " + m + " threshold = "
                    + py(rule.threshold()) + ".");
        }
        if (failed.contains(Check.NO_BASELINE)) {
            parts.add("Model comparison failed: metric " + m
                    + " has a min_absolute_change or min_relative_change threshold and no baseline model was"
                    + " given.");
        }
        if (failed.contains(Check.MISSING_BASELINE)) {
            parts.add("Model comparison failed: metric " + m
                    + " was missing from the evaluation result of the baseline model.");
        }
        if (failed.contains(Check.MIN_ABSOLUTE_CHANGE)) {
            parts.add("Metric " + m + " minimum absolute change check failed: " + candidate + ", " + baseline + ", " + m
                    + " minimum absolute change threshold = " + py(rule.minAbsoluteChange()) + ".");
        }
        if (failed.contains(Check.MIN_RELATIVE_CHANGE)) {
            parts.add("Metric " + m + " minimum relative change check failed: " + candidate + ", " + baseline + ", " + m
                    + " minimum relative change threshold = " + py(rule.minRelativeChange()) + ".");
        }
        return String.join(" ", parts);
    }

    /** One short phrase per failed check, for {@link ValidationResult#summary()}. */
    static List<String> shortReasons(RuleResult r) {
        String m = r.metric();
        MetricThreshold rule = r.rule();
        boolean greater = rule.greaterIsBetter();
        List<String> reasons = new ArrayList<>();
        if (r.failed().contains(Check.MISSING_CANDIDATE)) {
            return List.of(m + " missing");
        }
        double value = r.candidate();
        if (r.failed().contains(Check.THRESHOLD)) {
            reasons.add(m + " " + py(value) + " " + worse(value, rule.threshold(), greater) + " threshold "
                    + py(rule.threshold()));
        }
        if (r.failed().contains(Check.NO_BASELINE)) {
            reasons.add(m + " needs a baseline, none given");
        }
        if (r.failed().contains(Check.MISSING_BASELINE)) {
            reasons.add(m + " missing from the baseline");
        }
        if (r.failed().contains(Check.MIN_ABSOLUTE_CHANGE)) {
            double base = r.baseline();
            reasons.add(
                    m + " " + py(value) + " " + worse(value, shift(base, rule.minAbsoluteChange(), greater), greater)
                            + " baseline " + py(base) + (greater ? " + " : " - ") + py(rule.minAbsoluteChange()));
        }
        if (r.failed().contains(Check.MIN_RELATIVE_CHANGE)) {
            double base = r.baseline();
            if (base == 0) {
                reasons.add(m + " " + py(value) + " not " + (greater ? "above" : "below") + " baseline " + py(base));
            } else {
                double change = relativeChange(value, base, greater);
                reasons.add(m + " relative change " + py(change) + " " + worse(change, rule.minRelativeChange(), true)
                        + " " + py(rule.minRelativeChange()) + " (baseline " + py(base) + ")");
            }
        }
        return reasons;
    }

    /** The failed comparison as a reader expects it: {@code <} or {@code >}, or {@code not >=} with a NaN. */
    private static String worse(double value, double bound, boolean greater) {
        if (Double.isNaN(value) || Double.isNaN(bound)) {
            return greater ? "not >=" : "not <=";
        }
        return greater ? "<" : ">";
    }

    private static String py(Double d) {
        return d == null ? "None" : PythonFloats.repr(d);
    }
}
