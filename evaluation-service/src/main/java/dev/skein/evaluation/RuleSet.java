package dev.skein.evaluation;

import dev.skein.proto.evaluation.v1.MetricThreshold;
import java.util.List;

/** A registered model's validation rules as stored: MLflow MetricThresholds and the baseline's alias. */
public record RuleSet(
        String name, List<MetricThreshold> rules, String baselineAlias, String userId, long lastUpdatedTimestamp) {

    public static final String DEFAULT_BASELINE_ALIAS = "champion";
}
