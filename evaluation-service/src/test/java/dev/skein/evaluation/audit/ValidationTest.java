package dev.skein.evaluation.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** MLflow 2.17.2's {@code _validate}: one test per pass/fail rule, with the message MLflow prints. */
class ValidationTest {

    private static RuleResult one(
            Map<String, Double> candidate, Map<String, Double> baseline, String metric, MetricThreshold rule) {
        ValidationResult result = Validation.check(candidate, baseline, Map.of(metric, rule));
        assertThat(result.rules()).hasSize(1);
        return result.rules().get(0);
    }

    @Test
    void shouldPassAThresholdMetExactlyWhenGreaterIsBetter() {
        RuleResult r = one(Map.of("accuracy_score", 0.8), null, "accuracy_score", MetricThreshold.atLeast(0.8));
        assertThat(r.passed()).isTrue();
        assertThat(r.message()).isEqualTo("Metric accuracy_score passed the validation.");
        assertThat(r.candidate()).isEqualTo(0.8);
    }

    @Test
    void shouldFailAThresholdWithMlflowsMessage() {
        RuleResult r = one(Map.of("accuracy_score", 0.71), null, "accuracy_score", MetricThreshold.atLeast(0.8));
        assertThat(r.failed()).containsExactly(Check.THRESHOLD);
        assertThat(r.message())
                .isEqualTo("Metric accuracy_score value threshold check failed: candidate model accuracy_score = 0.71,"
                        + " accuracy_score threshold = 0.8.");
    }

    @Test
    void shouldCompareWithLessOrEqualWhenLowerIsBetter() {
        MetricThreshold atMost = MetricThreshold.atMost(0.5);
        assertThat(one(Map.of("log_loss", 0.5), null, "log_loss", atMost).passed())
                .isTrue();
        assertThat(one(Map.of("log_loss", 0.4), null, "log_loss", atMost).passed())
                .isTrue();
        assertThat(one(Map.of("log_loss", 0.50001), null, "log_loss", atMost).failed())
                .containsExactly(Check.THRESHOLD);
    }

    @Test
    void shouldFailAMissingCandidateMetricAndCheckNothingElse() {
        MetricThreshold rule = MetricThreshold.atLeast(0.8).withMinAbsoluteChange(0.1);
        RuleResult r = one(Map.of("f1_score", 0.9), Map.of("f1_score", 0.1), "accuracy_score", rule);
        assertThat(r.failed()).containsExactly(Check.MISSING_CANDIDATE);
        assertThat(r.candidate()).isNull();
        assertThat(r.message())
                .isEqualTo("Metric validation failed: metric accuracy_score was missing from the evaluation result of"
                        + " the candidate model.");
    }

    @Test
    void shouldTreatANullCandidateValueAsMissing() {
        Map<String, Double> candidate = new HashMap<>();
        candidate.put("accuracy_score", null);
        assertThat(one(candidate, null, "accuracy_score", MetricThreshold.atLeast(0.1))
                        .failed())
                .containsExactly(Check.MISSING_CANDIDATE);
    }

    @Test
    void shouldRequireTheAbsoluteChangeOverTheBaseline() {
        MetricThreshold rule = new MetricThreshold(null, 0.05, null, true);
        Map<String, Double> base = Map.of("accuracy_score", 0.75);
        assertThat(one(Map.of("accuracy_score", 0.81), base, "accuracy_score", rule)
                        .passed())
                .isTrue();
        RuleResult r = one(Map.of("accuracy_score", 0.79), base, "accuracy_score", rule);
        assertThat(r.failed()).containsExactly(Check.MIN_ABSOLUTE_CHANGE);
        assertThat(r.baseline()).isEqualTo(0.75);
        assertThat(r.message())
                .isEqualTo("Metric accuracy_score minimum absolute change check failed: candidate model accuracy_score"
                        + " = 0.79, baseline model accuracy_score = 0.75, accuracy_score minimum absolute change"
                        + " threshold = 0.05.");
    }

    @Test
    void shouldSubtractTheAbsoluteChangeWhenLowerIsBetter() {
        MetricThreshold rule = new MetricThreshold(null, 0.1, null, false);
        Map<String, Double> base = Map.of("mean_squared_error", 2.0);
        assertThat(one(Map.of("mean_squared_error", 1.9), base, "mean_squared_error", rule)
                        .passed())
                .isTrue();
        assertThat(one(Map.of("mean_squared_error", 1.95), base, "mean_squared_error", rule)
                        .failed())
                .containsExactly(Check.MIN_ABSOLUTE_CHANGE);
    }

    @Test
    void shouldAddTheAbsoluteChangeInDoublesAsMlflowDoes() {
        // MLflow compares Decimal(candidate) with Decimal(baseline + change): the sum is rounded to a double first.
        // 0.1 + 0.2 is 0.30000000000000004, so a candidate of 0.3 does not reach it.
        MetricThreshold rule = new MetricThreshold(null, 0.2, null, true);
        assertThat(one(Map.of("m", 0.3), Map.of("m", 0.1), "m", rule).failed())
                .containsExactly(Check.MIN_ABSOLUTE_CHANGE);
        assertThat(one(Map.of("m", 0.30000000000000004), Map.of("m", 0.1), "m", rule)
                        .passed())
                .isTrue();
    }

    @Test
    void shouldRequireTheRelativeChangeOfTheBaseline() {
        MetricThreshold rule = new MetricThreshold(null, null, 0.1, true);
        Map<String, Double> base = Map.of("accuracy_score", 0.5);
        assertThat(one(Map.of("accuracy_score", 0.56), base, "accuracy_score", rule)
                        .passed())
                .isTrue();
        RuleResult r = one(Map.of("accuracy_score", 0.54), base, "accuracy_score", rule);
        assertThat(r.failed()).containsExactly(Check.MIN_RELATIVE_CHANGE);
        assertThat(r.message())
                .isEqualTo("Metric accuracy_score minimum relative change check failed: candidate model accuracy_score"
                        + " = 0.54, baseline model accuracy_score = 0.5, accuracy_score minimum relative change"
                        + " threshold = 0.1.");
    }

    @Test
    void shouldMeasureTheRelativeChangeDownwardsWhenLowerIsBetter() {
        MetricThreshold rule = new MetricThreshold(null, null, 0.2, false);
        Map<String, Double> base = Map.of("max_error", 10.0);
        assertThat(one(Map.of("max_error", 8.0), base, "max_error", rule).passed())
                .isTrue();
        assertThat(one(Map.of("max_error", 8.5), base, "max_error", rule).failed())
                .containsExactly(Check.MIN_RELATIVE_CHANGE);
    }

    @Test
    void shouldDivideByANegativeBaselineAsItIsAsMlflowDoes() {
        // (candidate - baseline) / baseline = (-0.5 + 1) / -1 = -0.5: an improvement reads as a fall and fails.
        MetricThreshold rule = new MetricThreshold(null, null, 0.05, true);
        assertThat(one(Map.of("r2_score", -0.5), Map.of("r2_score", -1.0), "r2_score", rule)
                        .failed())
                .containsExactly(Check.MIN_RELATIVE_CHANGE);
        // and a worse value passes
        assertThat(one(Map.of("r2_score", -2.0), Map.of("r2_score", -1.0), "r2_score", rule)
                        .passed())
                .isTrue();
    }

    @Test
    void shouldRequireAStrictImprovementOverABaselineOfZero() {
        MetricThreshold greater = new MetricThreshold(null, null, 0.5, true);
        Map<String, Double> zero = Map.of("m", 0.0);
        assertThat(one(Map.of("m", 0.0), zero, "m", greater).failed()).containsExactly(Check.MIN_RELATIVE_CHANGE);
        assertThat(one(Map.of("m", 5e-11), zero, "m", greater).failed()).containsExactly(Check.MIN_RELATIVE_CHANGE);
        // any improvement of at least 1e-10 passes, however far below the 50% asked for
        assertThat(one(Map.of("m", 1e-10), zero, "m", greater).passed()).isTrue();
        MetricThreshold lower = new MetricThreshold(null, null, 0.5, false);
        assertThat(one(Map.of("m", -1e-10), zero, "m", lower).passed()).isTrue();
        assertThat(one(Map.of("m", 0.0), Map.of("m", -0.0), "m", lower).failed())
                .containsExactly(Check.MIN_RELATIVE_CHANGE);
        // a zero relative change asked for still needs the strict improvement from 0
        MetricThreshold none = new MetricThreshold(null, null, 0.0, true);
        assertThat(one(Map.of("m", 0.0), zero, "m", none).failed()).containsExactly(Check.MIN_RELATIVE_CHANGE);
        assertThat(one(Map.of("m", 0.0), Map.of("m", 0.1), "m", none).failed())
                .containsExactly(Check.MIN_RELATIVE_CHANGE);
        assertThat(one(Map.of("m", 0.1), Map.of("m", 0.1), "m", none).passed()).isTrue();
    }

    @Test
    void shouldReportEveryFailedCheckOfARuleInMlflowsOrder() {
        MetricThreshold rule = new MetricThreshold(0.9, 0.05, 0.1, true);
        RuleResult r = one(Map.of("m", 0.5), Map.of("m", 0.6), "m", rule);
        assertThat(r.failed())
                .containsExactlyInAnyOrder(Check.THRESHOLD, Check.MIN_ABSOLUTE_CHANGE, Check.MIN_RELATIVE_CHANGE);
        assertThat(r.message())
                .startsWith("Metric m value threshold check failed: ")
                .contains(" Metric m minimum absolute change check failed: ")
                .endsWith("m minimum relative change threshold = 0.1.");
    }

    @Test
    void shouldFailAChangeRuleWithoutABaselineButStillCheckTheThreshold() {
        MetricThreshold rule = new MetricThreshold(0.8, 0.01, null, true);
        for (Map<String, Double> noBaseline : new Map[] {null, Map.of()}) {
            RuleResult passingThreshold = one(Map.of("m", 0.9), noBaseline, "m", rule);
            assertThat(passingThreshold.failed()).containsExactly(Check.NO_BASELINE);
            assertThat(passingThreshold.message())
                    .isEqualTo("Model comparison failed: metric m has a min_absolute_change or min_relative_change"
                            + " threshold and no baseline model was given.");
            assertThat(one(Map.of("m", 0.7), noBaseline, "m", rule).failed())
                    .containsExactlyInAnyOrder(Check.THRESHOLD, Check.NO_BASELINE);
        }
        // a rule with only a threshold needs no baseline
        assertThat(one(Map.of("m", 0.9), null, "m", MetricThreshold.atLeast(0.8))
                        .passed())
                .isTrue();
    }

    @Test
    void shouldFailAChangeRuleWhenTheBaselineLacksTheMetricWithMlflowsMessage() {
        MetricThreshold rule = new MetricThreshold(0.8, null, 0.05, true);
        RuleResult r = one(Map.of("m", 0.7), Map.of("other", 0.5), "m", rule);
        assertThat(r.failed()).containsExactlyInAnyOrder(Check.THRESHOLD, Check.MISSING_BASELINE);
        assertThat(r.message())
                .isEqualTo("Metric m value threshold check failed: candidate model m = 0.7, m threshold = 0.8. Model"
                        + " comparison failed: metric m was missing from the evaluation result of the baseline"
                        + " model.");
    }

    @Test
    void shouldFailEveryCheckANanValueTakesPartIn() {
        MetricThreshold all = new MetricThreshold(0.5, 0.01, 0.01, true);
        RuleResult nanCandidate = one(Map.of("m", Double.NaN), Map.of("m", 0.4), "m", all);
        assertThat(nanCandidate.failed())
                .containsExactlyInAnyOrder(Check.THRESHOLD, Check.MIN_ABSOLUTE_CHANGE, Check.MIN_RELATIVE_CHANGE);
        assertThat(nanCandidate.message()).contains("candidate model m = nan, m threshold = 0.5.");
        RuleResult nanBaseline = one(Map.of("m", 0.9), Map.of("m", Double.NaN), "m", all);
        assertThat(nanBaseline.failed())
                .containsExactlyInAnyOrder(Check.MIN_ABSOLUTE_CHANGE, Check.MIN_RELATIVE_CHANGE);
        assertThat(one(Map.of("m", Double.NaN), null, "m", MetricThreshold.atMost(1))
                        .failed())
                .containsExactly(Check.THRESHOLD);
    }

    @Test
    void shouldCheckRulesInTheirMapOrderAndJoinFailuresOneALine() {
        Map<String, MetricThreshold> rules = new LinkedHashMap<>();
        rules.put("recall_score", MetricThreshold.atLeast(0.9));
        rules.put("accuracy_score", MetricThreshold.atLeast(0.5));
        rules.put("log_loss", MetricThreshold.atMost(0.2));
        ValidationResult result =
                Validation.check(Map.of("recall_score", 0.8, "accuracy_score", 0.6, "log_loss", 0.3), null, rules);
        assertThat(result.passed()).isFalse();
        assertThat(result.rules())
                .extracting(RuleResult::metric)
                .containsExactly("recall_score", "accuracy_score", "log_loss");
        assertThat(result.failureMessage().split("\n"))
                .containsExactly(
                        "Metric recall_score value threshold check failed: candidate model recall_score = 0.8,"
                                + " recall_score threshold = 0.9.",
                        "Metric log_loss value threshold check failed: candidate model log_loss = 0.3, log_loss"
                                + " threshold = 0.2.");
        assertThat(result.summary())
                .isEqualTo("passed 1/3 rules; failed: recall_score 0.8 < threshold 0.9; log_loss 0.3 > threshold"
                        + " 0.2");
    }

    @Test
    void shouldSummariseAPassAndEachKindOfFailure() {
        Map<String, MetricThreshold> rules = new LinkedHashMap<>();
        rules.put("a", MetricThreshold.atLeast(0.5));
        assertThat(Validation.check(Map.of("a", 0.6), null, rules).summary()).isEqualTo("passed 1/1 rules");
        rules.put("missing", MetricThreshold.atLeast(0.5));
        rules.put("abs", new MetricThreshold(null, 0.1, null, true));
        rules.put("rel", new MetricThreshold(null, null, 0.1, false));
        rules.put("zero", new MetricThreshold(null, null, 0.1, true));
        rules.put("nan", MetricThreshold.atLeast(0.5));
        ValidationResult r = Validation.check(
                Map.of("a", 0.6, "abs", 0.65, "rel", 0.95, "zero", 0.0, "nan", Double.NaN),
                Map.of("abs", 0.6, "rel", 1.0, "zero", 0.0),
                rules);
        assertThat(r.summary())
                .isEqualTo("passed 1/6 rules; failed: missing missing; abs 0.65 < baseline 0.6 + 0.1;"
                        + " rel relative change 0.050000000000000044 < 0.1 (baseline 1.0);"
                        + " zero 0.0 not above baseline 0.0; nan nan not >= threshold 0.5");
        assertThat(Validation.check(Map.of("abs", 1.0), null, Map.of("abs", rules.get("abs")))
                        .summary())
                .isEqualTo("passed 0/1 rules; failed: abs needs a baseline, none given");
    }

    @Test
    void shouldKeepTheSummaryWithinTheTagLimitCountingWhatDoesNotFit() {
        Map<String, MetricThreshold> rules = new LinkedHashMap<>();
        Map<String, Double> candidate = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            rules.put("custom_metric_number_" + i, MetricThreshold.atLeast(0.9));
            candidate.put("custom_metric_number_" + i, 0.1);
        }
        String summary = Validation.check(candidate, null, rules).summary();
        assertThat(summary).hasSizeLessThanOrEqualTo(ValidationResult.SUMMARY_MAX_CHARS);
        assertThat(summary).startsWith("passed 0/40 rules; failed: custom_metric_number_0 0.1 < threshold 0.9; ");
        int shown = summary.split("< threshold").length - 1;
        assertThat(summary).endsWith("; … " + (40 - shown) + " more");
        assertThat(shown).isBetween(5, 39);

        String huge = "m".repeat(600);
        String cut = Validation.check(Map.of(huge, 0.0), null, Map.of(huge, MetricThreshold.atLeast(1)))
                .summary();
        assertThat(cut).hasSize(ValidationResult.SUMMARY_MAX_CHARS).endsWith("m…");
    }

    @Test
    void shouldPassWithNoRules() {
        ValidationResult r = Validation.check(Map.of("a", 0.1), Map.of(), Map.of());
        assertThat(r.passed()).isTrue();
        assertThat(r.failureMessage()).isEmpty();
        assertThat(r.summary()).isEqualTo("passed 0/0 rules");
    }
}
