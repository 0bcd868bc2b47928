package dev.skein.tracking.trace;

import dev.skein.tracking.KeyValue;
import java.util.List;

/**
 * A trace's metadata, as MLflow's {@code TraceInfo}: its spans are not here but in the artifact
 * {@code traces.json} under the location in tag {@value #ARTIFACT_LOCATION}.
 *
 * @param executionTimeMs null until the trace ends
 * @param status a {@code TraceStatus} name: IN_PROGRESS, OK, ERROR or TRACE_STATUS_UNSPECIFIED
 */
public record TraceInfo(
        String requestId,
        long experimentId,
        long timestampMs,
        Long executionTimeMs,
        String status,
        List<KeyValue> requestMetadata,
        List<KeyValue> tags) {

    public static final String ARTIFACT_LOCATION = "mlflow.artifactLocation";
    public static final String TRACE_NAME = "mlflow.traceName";
    public static final String SOURCE_RUN = "mlflow.sourceRun";
    public static final String IN_PROGRESS = "IN_PROGRESS";
}
