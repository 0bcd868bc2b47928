package dev.skein.cli.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecipeCriteriaTest {

    @Test
    void errorsMustBeAtMostTheThresholdScoresAtLeast() {
        Map<String, Double> metrics = Map.of("root_mean_squared_error", 11.8, "r2_score", 0.98);
        Criterion rmse =
                new Criterion("root_mean_squared_error", 20, Criterion.greaterIsBetter("root_mean_squared_error"));
        Criterion r2 = new Criterion("r2_score", 0.8, Criterion.greaterIsBetter("r2_score"));
        assertThat(rmse.greaterIsBetter()).isFalse();
        assertThat(r2.greaterIsBetter()).isTrue();
        assertThat(rmse.check(metrics).passed()).isTrue();
        assertThat(r2.check(metrics).passed()).isTrue();

        Criterion strictRmse = new Criterion("root_mean_squared_error", 5, false);
        Criterion.Result failed = strictRmse.check(metrics);
        assertThat(failed.passed()).isFalse();
        assertThat(failed.value()).isEqualTo(11.8);
        assertThat(failed.message()).isEqualTo("root_mean_squared_error <= 5.0: 11.8 failed");
        assertThat(new Criterion("r2_score", 0.99, true).check(metrics).passed())
                .isFalse();
        // the threshold itself passes, either way
        assertThat(new Criterion("r2_score", 0.98, true).check(metrics).passed())
                .isTrue();
        assertThat(new Criterion("root_mean_squared_error", 11.8, false)
                        .check(metrics)
                        .passed())
                .isTrue();
    }

    @Test
    void aMissingMetricFailsAndSaysSo() {
        Criterion.Result r = new Criterion("f1_score", 0.5, true).check(Map.of("accuracy_score", 0.9));
        assertThat(r.passed()).isFalse();
        assertThat(r.value()).isNull();
        assertThat(r.message()).contains("computed no f1_score");
    }

    @Test
    void theValidationStatusIsMlflows() {
        Criterion.Result pass = new Criterion("r2_score", 0.5, true).check(Map.of("r2_score", 0.9));
        Criterion.Result fail = new Criterion("r2_score", 0.95, true).check(Map.of("r2_score", 0.9));
        assertThat(RecipeRunner.validationStatus(List.of(pass))).isEqualTo("VALIDATED");
        assertThat(RecipeRunner.validationStatus(List.of(pass, fail))).isEqualTo("REJECTED");
        assertThat(RecipeRunner.validationStatus(List.of())).isEqualTo("UNKNOWN");
    }

    @Test
    void mlflowsMetricsKnowTheirDirection() {
        for (String lower : List.of(
                "mean_absolute_error",
                "mean_squared_error",
                "max_error",
                "log_loss",
                "mean_absolute_percentage_error")) {
            assertThat(Criterion.greaterIsBetter(lower)).as(lower).isFalse();
        }
        for (String higher : List.of("accuracy_score", "f1_score", "precision_score", "recall_score", "roc_auc")) {
            assertThat(Criterion.greaterIsBetter(higher)).as(higher).isTrue();
        }
        assertThat(Criterion.greaterIsBetter("my_metric")).isNull();
    }

    @Test
    void onlyAValidatedModelIsRegisteredOrAnUnvalidatedOneIfAllowedAsMlflow() {
        assertThat(RecipeRunner.registrable("VALIDATED", false)).isTrue();
        assertThat(RecipeRunner.registrable("UNKNOWN", false)).isFalse();
        assertThat(RecipeRunner.registrable("UNKNOWN", true)).isTrue();
        // allow_non_validated_model is for a model without criteria: a rejected one is never registered
        assertThat(RecipeRunner.registrable("REJECTED", true)).isFalse();
        assertThat(RecipeRunner.registrable("REJECTED", false)).isFalse();
    }
}
