package dev.skein.tracking.model;

import dev.skein.tracking.KeyValue;
import java.util.List;

/**
 * An MLflow 3 logged model with its tags, params and the metrics logged against it. {@code status}
 * is MLflow's name (PENDING, READY, UPLOAD_FAILED).
 */
public record LoggedModel(
        String modelId,
        long experimentId,
        String name,
        String artifactLocation,
        long creationTimestampMs,
        long lastUpdatedTimestampMs,
        String status,
        String lifecycleStage,
        String modelType,
        String sourceRunId,
        String statusMessage,
        List<KeyValue> tags,
        List<KeyValue> params,
        List<ModelMetric> metrics) {

    public static final String PENDING = "PENDING";
    public static final String READY = "READY";
    public static final String UPLOAD_FAILED = "UPLOAD_FAILED";

    public LoggedModel withDetails(List<KeyValue> tags, List<KeyValue> params, List<ModelMetric> metrics) {
        return new LoggedModel(
                modelId,
                experimentId,
                name,
                artifactLocation,
                creationTimestampMs,
                lastUpdatedTimestampMs,
                status,
                lifecycleStage,
                modelType,
                sourceRunId,
                statusMessage,
                tags,
                params,
                metrics);
    }

    /** A metric point logged with this model's id: by which run, on which dataset. */
    public record ModelMetric(
            String key,
            double value,
            long timestamp,
            long step,
            String runId,
            String datasetName,
            String datasetDigest,
            String modelId) {}
}
