package dev.skein.evaluation.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ValidationRulesTest {

    private static void refused(String json, String message) {
        assertThatThrownBy(() -> ValidationRules.parse(json))
                .isInstanceOf(MetricThresholdException.class)
                .hasMessage(message);
    }

    @Test
    void shouldReadMlflowsNamesInTheDocumentsOrder() {
        Map<String, MetricThreshold> rules = ValidationRules.parse(
                """
                {"log_loss": {"threshold": 0.3, "greater_is_better": false},
                 "accuracy_score": {"threshold": 0.8, "min_absolute_change": 0.01, "min_relative_change": 0.05,
                                    "greater_is_better": true}}""");
        assertThat(rules.keySet()).containsExactly("log_loss", "accuracy_score");
        assertThat(rules.get("log_loss")).isEqualTo(new MetricThreshold(0.3, null, null, false));
        assertThat(rules.get("accuracy_score")).isEqualTo(new MetricThreshold(0.8, 0.01, 0.05, true));
    }

    @Test
    void shouldTakeNullAsAbsentAndTheDeprecatedHigherIsBetter() {
        Map<String, MetricThreshold> rules = ValidationRules.parse(
                "{\"m\": {\"threshold\": 1, \"min_absolute_change\": null, \"higher_is_better\": false}}");
        assertThat(rules.get("m")).isEqualTo(MetricThreshold.atMost(1));
    }

    @Test
    void shouldRefuseUnknownFieldsNamingTheMetric() {
        refused(
                "{\"m\": {\"threshold\": 0.5, \"greater_is_better\": true, \"min_change\": 0.1}}",
                "validation rule for metric 'm': unknown field 'min_change' (MetricThreshold takes threshold,"
                        + " min_absolute_change, min_relative_change, greater_is_better)");
    }

    @Test
    void shouldRefuseWrongTypesWithMlflowsMessages() {
        String p = "validation rule for metric 'm': Could not instantiate MetricThreshold class: ";
        refused(
                "{\"m\": {\"threshold\": \"0.5\", \"greater_is_better\": true}}",
                p + "`threshold` parameter must be a number.");
        refused(
                "{\"m\": {\"threshold\": true, \"greater_is_better\": true}}",
                p + "`threshold` parameter must be a number.");
        refused(
                "{\"m\": {\"min_absolute_change\": -1, \"greater_is_better\": true}}",
                p + "`min_absolute_change` parameter must be a positive number.");
        // MLflow wants a Python float: 0 is an int
        refused(
                "{\"m\": {\"min_relative_change\": 0, \"greater_is_better\": true}}",
                p + "`min_relative_change` parameter must be a floating point number.");
        refused(
                "{\"m\": {\"min_relative_change\": 5.0, \"greater_is_better\": true}}",
                p + "`min_relative_change` parameter must be between 0 and 1.");
        refused(
                "{\"m\": {\"threshold\": 0.5, \"greater_is_better\": \"yes\"}}",
                p + "`greater_is_better` parameter must be a boolean.");
        refused("{\"m\": {\"threshold\": 0.5}}", p + "`greater_is_better` parameter must be defined.");
        refused(
                "{\"m\": {\"threshold\": 0.5, \"greater_is_better\": true, \"higher_is_better\": true}}",
                p + "`higher_is_better` parameter must be None when `greater_is_better` is defined.");
        refused("{\"m\": {\"greater_is_better\": true}}", p + "no threshold was specified.");
    }

    @Test
    void shouldRefuseShapesThatAreNotAMapOfRules() {
        String notAMap = "The validation thresholds argument must be a dictionary that maps strings to MetricThreshold"
                + " objects.";
        refused("[]", notAMap);
        refused("0.8", notAMap);
        assertThatThrownBy(() -> ValidationRules.parse("{\"m\": 0.8}"))
                .isInstanceOf(MetricThresholdException.class)
                .hasMessageStartingWith("validation rule for metric 'm': expected an object")
                .satisfies(
                        e -> assertThat(((MetricThresholdException) e).metric()).contains("m"));
        assertThatThrownBy(() -> ValidationRules.parse("{\"m\": {\"threshold\": 0.5, \"greater_is_better\": true},"
                        + " \"m\": {\"threshold\": 0.6, \"greater_is_better\": true}}"))
                .isInstanceOf(MetricThresholdException.class)
                .hasMessageContaining("Duplicate field 'm'");
        assertThatThrownBy(() -> ValidationRules.parse("{\"m\": {"))
                .isInstanceOf(MetricThresholdException.class)
                .hasMessageStartingWith("validation rules are not valid JSON: ");
    }
}
