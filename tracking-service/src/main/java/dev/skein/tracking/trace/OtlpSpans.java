package dev.skein.tracking.trace;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.skein.common.error.ApiException;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.HexFormat;

/**
 * OTLP spans read as MLflow reads them ({@code Span.from_otel_proto}): the MLflow trace id is
 * attribute {@value #TRACE_ID_ATTRIBUTE} (a JSON string) or else {@code tr-} + the OTel trace id in
 * hex; type, inputs and outputs are MLflow's JSON-encoded span attributes.
 */
final class OtlpSpans {

    static final String TRACE_ID_ATTRIBUTE = "mlflow.traceRequestId";
    static final String TYPE_ATTRIBUTE = "mlflow.spanType";
    static final String INPUTS_ATTRIBUTE = "mlflow.spanInputs";
    static final String OUTPUTS_ATTRIBUTE = "mlflow.spanOutputs";
    static final String TRACE_ID_PREFIX = "tr-";

    /**
     * Span names and types are cut to this many characters in the columns search filters on (the
     * span itself keeps them whole): PostgreSQL's btree refuses index entries past ~2.7 KB, and
     * MLflow's own column for the type is 500 characters.
     */
    static final int MAX_INDEXED_CHARS = 250;

    private static final HexFormat HEX = HexFormat.of();
    private static final ObjectMapper JSON = new ObjectMapper();

    private OtlpSpans() {}

    static SpanRow row(Span span) {
        if (span.getTraceId().size() != 16) {
            throw ApiException.invalidParameter("Invalid OpenTelemetry span: trace_id must be 16 bytes, got "
                    + span.getTraceId().size());
        }
        if (span.getSpanId().size() != 8) {
            throw ApiException.invalidParameter("Invalid OpenTelemetry span: span_id must be 8 bytes, got "
                    + span.getSpanId().size());
        }
        if (!span.getParentSpanId().isEmpty() && span.getParentSpanId().size() != 8) {
            throw ApiException.invalidParameter("Invalid OpenTelemetry span: parent_span_id must be 8 bytes, got "
                    + span.getParentSpanId().size());
        }
        // fixed64 in OTLP: past 2^63 it reads as negative here, and is no time MLflow can show
        if (span.getStartTimeUnixNano() < 0 || span.getEndTimeUnixNano() < 0) {
            throw ApiException.invalidParameter(
                    "Invalid OpenTelemetry span: start_time_unix_nano and end_time_unix_nano must be below 2^63");
        }
        String traceId = null;
        String type = null;
        String inputs = null;
        String outputs = null;
        for (KeyValue a : span.getAttributesList()) {
            switch (a.getKey()) {
                case TRACE_ID_ATTRIBUTE -> traceId = jsonString(a);
                case TYPE_ATTRIBUTE -> type = jsonString(a);
                case INPUTS_ATTRIBUTE -> inputs = text(a);
                case OUTPUTS_ATTRIBUTE -> outputs = text(a);
                default -> {}
            }
        }
        if (traceId == null || traceId.isEmpty()) {
            traceId = TRACE_ID_PREFIX + hex(span.getTraceId());
        }
        boolean root = span.getParentSpanId().isEmpty();
        long end = span.getEndTimeUnixNano();
        return new SpanRow(
                traceId,
                hex(span.getSpanId()),
                root ? null : hex(span.getParentSpanId()),
                cut(span.getName()),
                cut(type),
                status(span.getStatus()),
                span.getStartTimeUnixNano(),
                end == 0 ? null : end,
                root ? inputs : null,
                root ? outputs : null,
                span.toByteArray());
    }

    /** At most {@link #MAX_INDEXED_CHARS} characters, never half a surrogate pair. */
    static String cut(String s) {
        if (s == null || s.length() <= MAX_INDEXED_CHARS) {
            return s;
        }
        int end =
                Character.isHighSurrogate(s.charAt(MAX_INDEXED_CHARS - 1)) ? MAX_INDEXED_CHARS - 1 : MAX_INDEXED_CHARS;
        return s.substring(0, end);
    }

    static String status(Status s) {
        return switch (s.getCode()) {
            case STATUS_CODE_OK -> "OK";
            case STATUS_CODE_ERROR -> "ERROR";
            default -> "UNSET";
        };
    }

    private static String hex(ByteString bytes) {
        return HEX.formatHex(bytes.toByteArray());
    }

    private static String text(KeyValue a) {
        return a.getValue().hasStringValue() ? a.getValue().getStringValue() : null;
    }

    /** MLflow stores span attributes JSON-encoded: {@code "\"LLM\""} is LLM. Plain text is taken as is. */
    private static String jsonString(KeyValue a) {
        String raw = text(a);
        if (raw == null || !raw.startsWith("\"")) {
            return raw;
        }
        try {
            JsonNode node = JSON.readTree(raw);
            return node.isTextual() ? node.textValue() : raw;
        } catch (JsonProcessingException notJson) {
            return raw;
        }
    }
}
