package dev.skein.tracking.trace;

/**
 * A span as the spans table keeps it: the columns search filters on, and the OTLP span itself.
 *
 * @param traceId the MLflow trace id the span belongs to
 * @param spanId 16 hex digits
 * @param parentSpanId 16 hex digits, or null for a root span
 * @param type attribute {@code mlflow.spanType} (JSON-decoded), or null
 * @param status OK, ERROR or UNSET
 * @param endTimeUnixNano null while the span has not ended
 * @param inputs for a root span, attribute {@code mlflow.spanInputs} (JSON text), else null
 * @param outputs for a root span, attribute {@code mlflow.spanOutputs} (JSON text), else null
 * @param content the span as OTLP protobuf bytes
 */
public record SpanRow(
        String traceId,
        String spanId,
        String parentSpanId,
        String name,
        String type,
        String status,
        long startTimeUnixNano,
        Long endTimeUnixNano,
        String inputs,
        String outputs,
        byte[] content) {

    public boolean isRoot() {
        return parentSpanId == null;
    }

    /** The trace's state once this root span has ended: its status, UNSET counting as OK (as MLflow). */
    public String traceState() {
        return status.equals("ERROR") ? "ERROR" : "OK";
    }
}
