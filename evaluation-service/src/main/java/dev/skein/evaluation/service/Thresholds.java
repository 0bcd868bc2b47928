package dev.skein.evaluation.service;

import dev.skein.common.error.ApiException;
import dev.skein.evaluation.audit.MetricThreshold;
import dev.skein.evaluation.audit.MetricThresholdException;

/** The contract's MetricThreshold as the validation library's, refused as MLflow refuses it. */
final class Thresholds {

    private Thresholds() {}

    static MetricThreshold of(dev.skein.proto.evaluation.v1.MetricThreshold rule) {
        try {
            return new MetricThreshold(
                    rule.hasThreshold() ? rule.getThreshold() : null,
                    rule.hasMinAbsoluteChange() ? rule.getMinAbsoluteChange() : null,
                    rule.hasMinRelativeChange() ? rule.getMinRelativeChange() : null,
                    rule.hasGreaterIsBetter() ? rule.getGreaterIsBetter() : null);
        } catch (MetricThresholdException e) {
            throw ApiException.invalidParameter("Rule for metric '" + rule.getMetric() + "': " + e.getMessage());
        }
    }
}
