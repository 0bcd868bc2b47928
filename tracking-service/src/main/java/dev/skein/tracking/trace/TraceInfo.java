package dev.skein.tracking.trace;

import dev.skein.tracking.KeyValue;
import java.util.List;

/**
 * A trace's metadata, as MLflow's {@code TraceInfo} (2.x) and {@code TraceInfoV3}: its spans are
 * not here but in the spans table (tag {@value #SPANS_LOCATION} = {@value #TRACKING_STORE}) or in
 * the artifact {@code traces.json} under the location in tag {@value #ARTIFACT_LOCATION}.
 *
 * @param requestId the id: 32 hex for a trace started over MLflow 2's API, {@code tr-<32 hex>} for MLflow 3
 * @param executionTimeMs null until the trace ends
 * @param status a {@code TraceStatus} name: IN_PROGRESS, OK, ERROR or TRACE_STATUS_UNSPECIFIED
 * @param clientRequestId MLflow 3's client request id, or null
 * @param requestPreview MLflow 3's preview of the root span's inputs, or null
 * @param responsePreview MLflow 3's preview of the root span's outputs, or null
 */
public record TraceInfo(
        String requestId,
        long experimentId,
        long timestampMs,
        Long executionTimeMs,
        String status,
        List<KeyValue> requestMetadata,
        List<KeyValue> tags,
        String clientRequestId,
        String requestPreview,
        String responsePreview) {

    public static final String ARTIFACT_LOCATION = "mlflow.artifactLocation";
    public static final String TRACE_NAME = "mlflow.traceName";
    public static final String SOURCE_RUN = "mlflow.sourceRun";
    public static final String IN_PROGRESS = "IN_PROGRESS";
    public static final String SPANS_LOCATION = "mlflow.trace.spansLocation";
    public static final String TRACKING_STORE = "TRACKING_STORE";

    /** A trace of MLflow 2's API, which has none of MLflow 3's fields. */
    public TraceInfo(
            String requestId,
            long experimentId,
            long timestampMs,
            Long executionTimeMs,
            String status,
            List<KeyValue> requestMetadata,
            List<KeyValue> tags) {
        this(requestId, experimentId, timestampMs, executionTimeMs, status, requestMetadata, tags, null, null, null);
    }
}
