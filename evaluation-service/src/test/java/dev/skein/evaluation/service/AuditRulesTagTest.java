package dev.skein.evaluation.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.evaluation.RuleSet;
import dev.skein.evaluation.service.AuditJob.AppliedRules;
import dev.skein.proto.evaluation.v1.MetricThreshold;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Which validation rules an audit applies: the ones set through the API, or else the registered model's
 * {@code skein.validation.rules} tag; a tag that cannot be applied fails the audit with its reason.
 */
class AuditRulesTagTest {

    private static final String MODEL = "churn";

    private static Map<String, String> tag(String value) {
        return Map.of(AuditJob.RULES_TAG, value, "owner", "team-a");
    }

    private static Optional<RuleSet> api(MetricThreshold... rules) {
        return Optional.of(new RuleSet(MODEL, List.of(rules), "prod", "alice", 1L));
    }

    private static MetricThreshold atLeast(String metric, double threshold) {
        return MetricThreshold.newBuilder()
                .setMetric(metric)
                .setThreshold(threshold)
                .setGreaterIsBetter(true)
                .build();
    }

    @Test
    void shouldApplyTheTagsRulesAndBaselineAliasWhenNoneAreSetThroughTheApi() {
        AppliedRules applied = AppliedRules.of(
                MODEL,
                Optional.empty(),
                tag("{\"rules\": [{\"metric\": \"accuracy_score\", \"threshold\": 0.8, \"greater_is_better\": true},"
                        + " {\"metric\": \"log_loss\", \"min_absolute_change\": 0.01, \"greater_is_better\": false}],"
                        + " \"baseline_alias\": \"production\"}"));
        assertThat(applied.refusal()).isNull();
        RuleSet rules = applied.rules().orElseThrow();
        assertThat(rules.name()).isEqualTo(MODEL);
        assertThat(rules.baselineAlias()).isEqualTo("production");
        assertThat(rules.rules())
                .containsExactly(
                        atLeast("accuracy_score", 0.8),
                        MetricThreshold.newBuilder()
                                .setMetric("log_loss")
                                .setMinAbsoluteChange(0.01)
                                .setGreaterIsBetter(false)
                                .build());
        assertThat(applied.prefix()).isEqualTo("rules from model tag skein.validation.rules: ");
        assertThat(applied.note()).isEmpty();
    }

    @Test
    void shouldTakeChampionAsBaselineWhenTheTagNamesNone() {
        AppliedRules applied = AppliedRules.of(
                MODEL,
                Optional.empty(),
                tag("{\"rules\": [{\"metric\": \"f1_score\", \"threshold\": 0.5, \"greater_is_better\": true}]}"));
        assertThat(applied.rules().orElseThrow().baselineAlias()).isEqualTo("champion");
    }

    @Test
    void shouldLetTheRulesSetThroughTheApiWinOverTheTagAndSaySo() {
        Optional<RuleSet> set = api(atLeast("accuracy_score", 0.9));
        AppliedRules applied = AppliedRules.of(
                MODEL,
                set,
                tag(
                        "{\"rules\": [{\"metric\": \"accuracy_score\", \"threshold\": 0.1, \"greater_is_better\": true}]}"));
        assertThat(applied.rules()).isEqualTo(set);
        assertThat(applied.prefix()).isEmpty();
        assertThat(applied.note())
                .isEqualTo(" (model tag skein.validation.rules not applied: the rules set through the API win)");
        // an invalid tag is not applied either: the API's rules decide
        AppliedRules despiteInvalidTag = AppliedRules.of(MODEL, set, tag("{not json"));
        assertThat(despiteInvalidTag.refusal()).isNull();
        assertThat(despiteInvalidTag.rules()).isEqualTo(set);
        // no tag: the API's rules, nothing added to the report
        AppliedRules withoutTag = AppliedRules.of(MODEL, set, Map.of("owner", "team-a"));
        assertThat(withoutTag.rules()).isEqualTo(set);
        assertThat(withoutTag.note()).isEmpty();
    }

    @Test
    void shouldApplyNoRulesWithoutEitherAndNoteATagHoldingNone() {
        AppliedRules none = AppliedRules.of(MODEL, Optional.empty(), Map.of());
        assertThat(none.rules()).isEmpty();
        assertThat(none.refusal()).isNull();
        assertThat(none.note()).isEmpty();
        AppliedRules emptyTag = AppliedRules.of(MODEL, Optional.empty(), tag("{\"rules\": []}"));
        assertThat(emptyTag.rules()).isEmpty();
        assertThat(emptyTag.refusal()).isNull();
        assertThat(emptyTag.note()).isEqualTo(" (model tag skein.validation.rules holds no rules)");
    }

    @Test
    void shouldRefuseATagThatIsNotTheRulesApisBody() {
        assertThat(refusal("{\"rules\": [{\"metric\": \"accuracy_score\", \"threshold\": 0.8"))
                .startsWith("model tag skein.validation.rules is not valid: not JSON (");
        assertThat(refusal("")).startsWith("model tag skein.validation.rules is not valid: ");
        assertThat(refusal("{\"rules\": []} trailing")).contains("not JSON");
        assertThat(refusal("[{\"metric\": \"accuracy_score\"}]")).contains("not a JSON object");
        assertThat(refusal("{\"accuracy_score\": {\"threshold\": 0.8, \"greater_is_better\": true}}"))
                .contains("unknown field 'accuracy_score'");
        assertThat(refusal("{\"rules\": {\"metric\": \"accuracy_score\"}}")).contains("'rules' must be an array");
        assertThat(refusal("{\"rules\": [], \"baseline_alias\": 3}")).contains("'baseline_alias' must be a string");
        assertThat(refusal("{\"rules\": [{\"metric\": \"accuracy_score\", \"treshold\": 0.8,"
                        + " \"greater_is_better\": true}]}"))
                .contains("a rule is not a MetricThreshold")
                .contains("treshold");
        assertThat(refusal("{\"rules\": [{\"metric\": \"accuracy_score\", \"threshold\": \"high\","
                        + " \"greater_is_better\": true}]}"))
                .contains("a rule is not a MetricThreshold");
        assertThat(refusal("{\"rules\": [{\"threshold\": 0.8, \"greater_is_better\": true}]}"))
                .contains("Every rule needs its metric's name ('metric')");
        assertThat(refusal("{\"rules\": [{\"metric\": \"f1_score\", \"threshold\": 0.8, \"greater_is_better\": true},"
                        + " {\"metric\": \"f1_score\", \"threshold\": 0.7, \"greater_is_better\": true}]}"))
                .contains("Metric 'f1_score' has more than one rule");
    }

    @Test
    void shouldRefuseAThresholdMlflowRefusesWithMlflowsMessage() {
        assertThat(refusal("{\"rules\": [{\"metric\": \"accuracy_score\", \"threshold\": 0.8}]}"))
                .isEqualTo("model tag skein.validation.rules is not valid: Rule for metric 'accuracy_score': Could not"
                        + " instantiate MetricThreshold class: `greater_is_better` parameter must be defined.");
        assertThat(refusal("{\"rules\": [{\"metric\": \"accuracy_score\", \"min_relative_change\": 1.5,"
                        + " \"greater_is_better\": true}]}"))
                .contains("`min_relative_change` parameter must be between 0 and 1.");
        assertThat(refusal("{\"rules\": [{\"metric\": \"accuracy_score\", \"greater_is_better\": true}]}"))
                .contains("no threshold was specified.");
    }

    @Test
    void shouldCapAReportAtTheTagsLength() {
        String longReport = "failed: " + "x".repeat(800);
        assertThat(AuditJob.cap(longReport)).hasSize(500).endsWith("…");
        assertThat(AuditJob.cap("passed 1/1 rules")).isEqualTo("passed 1/1 rules");
    }

    private static String refusal(String value) {
        AppliedRules applied = AppliedRules.of(MODEL, Optional.empty(), tag(value));
        assertThat(applied.rules()).as(value).isEmpty();
        assertThat(applied.refusal()).as(value).isNotNull();
        return applied.refusal();
    }
}
