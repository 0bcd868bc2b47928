package dev.skein.tracking.assessment;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import com.google.protobuf.util.Timestamps;
import dev.skein.common.error.ApiException;
import dev.skein.proto.tracking.v1.AssessmentError;
import dev.skein.proto.tracking.v1.AssessmentSource;
import dev.skein.proto.tracking.v1.Expectation;
import dev.skein.proto.tracking.v1.Feedback;
import java.util.LinkedHashMap;

/**
 * Maps MLflow 3's Assessment message to and from {@link Assessment}: one place for the message.
 * Values travel as google.protobuf.Value and are kept as the JSON they stand for.
 */
final class AssessmentProtos {

    /** The one serialization MLflow's client uses for an expectation's serialized_value. */
    static final String JSON_FORMAT = "JSON_FORMAT";

    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

    private AssessmentProtos() {}

    /** The assessment a client sent, for the trace in the request's path. */
    static Assessment fromProto(dev.skein.proto.tracking.v1.Assessment p, String traceId) {
        String kind = null;
        String valueJson = null;
        Assessment.Error error = null;
        if (p.hasFeedback()) {
            kind = Assessment.FEEDBACK;
            valueJson = feedbackValue(p.getFeedback());
            error = error(p.getFeedback());
        } else if (p.hasExpectation()) {
            kind = Assessment.EXPECTATION;
            valueJson = expectationValue(p.getExpectation());
        }
        return new Assessment(
                null,
                traceId,
                p.hasAssessmentName() ? p.getAssessmentName() : null,
                kind,
                valueJson,
                error,
                p.getSource().getSourceType().name(),
                p.getSource().hasSourceId() ? p.getSource().getSourceId() : null,
                p.hasSpanId() ? p.getSpanId() : null,
                p.hasRationale() ? p.getRationale() : null,
                new LinkedHashMap<>(p.getMetadataMap()),
                p.hasOverrides() ? p.getOverrides() : null,
                true,
                p.hasCreateTime() ? Timestamps.toMillis(p.getCreateTime()) : 0,
                p.hasLastUpdateTime() ? Timestamps.toMillis(p.getLastUpdateTime()) : 0);
    }

    /** A feedback's value as JSON, or null when it has none (absent, or JSON null). */
    static String feedbackValue(Feedback f) {
        return f.hasValue() ? json(f.getValue()) : null;
    }

    static Assessment.Error error(Feedback f) {
        if (!f.hasError()) {
            return null;
        }
        AssessmentError e = f.getError();
        return new Assessment.Error(
                e.hasErrorCode() ? e.getErrorCode() : null,
                e.hasErrorMessage() ? e.getErrorMessage() : null,
                e.hasStackTrace() ? e.getStackTrace() : null);
    }

    /**
     * An expectation's value as JSON: {@code value}, or {@code serialized_value} (JSON_FORMAT only,
     * as MLflow's entity reads it), which wins when both are given. Null when it has none.
     */
    static String expectationValue(Expectation e) {
        if (e.hasSerializedValue()) {
            Expectation.SerializedValue s = e.getSerializedValue();
            if (!JSON_FORMAT.equals(s.getSerializationFormat())) {
                throw ApiException.invalidParameter("Unknown serialization format: " + s.getSerializationFormat()
                        + ". Only " + JSON_FORMAT + " is supported.");
            }
            Value.Builder parsed = Value.newBuilder();
            try {
                JsonFormat.parser().merge(s.getValue(), parsed);
            } catch (InvalidProtocolBufferException | RuntimeException notJson) {
                throw ApiException.invalidParameter(
                        "The expectation's serialized_value is not valid JSON (serialization_format " + JSON_FORMAT
                                + ").");
            }
            return json(parsed.build());
        }
        return e.hasValue() ? json(e.getValue()) : null;
    }

    /** JSON text of a value; null for JSON null. NaN and infinities have no JSON form and are refused. */
    private static String json(Value v) {
        if (v.getKindCase() == Value.KindCase.NULL_VALUE || v.getKindCase() == Value.KindCase.KIND_NOT_SET) {
            return null;
        }
        finite(v, 0);
        try {
            return JSON.print(v);
        } catch (InvalidProtocolBufferException e) {
            throw ApiException.invalidParameter("The assessment's value cannot be written as JSON.");
        }
    }

    /**
     * Nesting an assessment value may have: answers carry it four levels deeper than a request (a
     * trace's info in a search answer), within protobuf's parse depth of 100, with room to spare.
     */
    static final int MAX_VALUE_DEPTH = 20;

    private static void finite(Value v, int depth) {
        if (depth > MAX_VALUE_DEPTH) {
            throw ApiException.invalidParameter(
                    "An assessment value may nest lists and objects " + MAX_VALUE_DEPTH + " levels deep at most.");
        }
        switch (v.getKindCase()) {
            case NUMBER_VALUE -> {
                if (!Double.isFinite(v.getNumberValue())) {
                    throw ApiException.invalidParameter(
                            "An assessment value cannot be NaN or infinite (it has no JSON form).");
                }
            }
            case LIST_VALUE -> v.getListValue().getValuesList().forEach(x -> finite(x, depth + 1));
            case STRUCT_VALUE -> v.getStructValue().getFieldsMap().values().forEach(x -> finite(x, depth + 1));
            default -> {
                // strings, booleans, null
            }
        }
    }

    private static Value value(String json) {
        Value.Builder b = Value.newBuilder();
        try {
            JsonFormat.parser().merge(json, b);
        } catch (InvalidProtocolBufferException e) {
            // written by this class from a parsed value: unreadable JSON is corruption, not input
            throw new IllegalStateException("Stored assessment value is not JSON", e);
        }
        return b.build();
    }

    static dev.skein.proto.tracking.v1.Assessment toProto(Assessment a) {
        var b = dev.skein.proto.tracking.v1.Assessment.newBuilder()
                .setAssessmentId(a.assessmentId())
                .setAssessmentName(a.name())
                .setTraceId(a.traceId())
                .setSource(AssessmentSource.newBuilder()
                        .setSourceType(sourceType(a.sourceType()))
                        .setSourceId(a.sourceId() == null ? "" : a.sourceId()))
                .setCreateTime(Timestamps.fromMillis(a.createTimeMs()))
                .setLastUpdateTime(Timestamps.fromMillis(a.lastUpdateTimeMs()))
                .putAllMetadata(a.metadata())
                .setValid(a.valid());
        if (a.spanId() != null) {
            b.setSpanId(a.spanId());
        }
        if (a.rationale() != null) {
            b.setRationale(a.rationale());
        }
        if (a.overrides() != null) {
            b.setOverrides(a.overrides());
        }
        if (a.isFeedback()) {
            Feedback.Builder f =
                    Feedback.newBuilder().setValue(a.valueJson() == null ? nullValue() : value(a.valueJson()));
            if (a.error() != null) {
                AssessmentError.Builder e = AssessmentError.newBuilder();
                if (a.error().code() != null) {
                    e.setErrorCode(a.error().code());
                }
                if (a.error().message() != null) {
                    e.setErrorMessage(a.error().message());
                }
                if (a.error().stackTrace() != null) {
                    e.setStackTrace(a.error().stackTrace());
                }
                f.setError(e);
            }
            b.setFeedback(f);
        } else {
            Value v = value(a.valueJson());
            boolean scalar = v.hasNumberValue() || v.hasBoolValue() || v.hasStringValue();
            // as MLflow answers: numbers, booleans and strings as value, other JSON serialized
            b.setExpectation(
                    scalar
                            ? Expectation.newBuilder().setValue(v)
                            : Expectation.newBuilder()
                                    .setSerializedValue(Expectation.SerializedValue.newBuilder()
                                            .setSerializationFormat(JSON_FORMAT)
                                            .setValue(a.valueJson())));
        }
        return b.build();
    }

    private static Value nullValue() {
        return Value.newBuilder()
                .setNullValue(com.google.protobuf.NullValue.NULL_VALUE)
                .build();
    }

    private static AssessmentSource.SourceType sourceType(String name) {
        try {
            return AssessmentSource.SourceType.valueOf(name);
        } catch (IllegalArgumentException e) {
            return AssessmentSource.SourceType.SOURCE_TYPE_UNSPECIFIED;
        }
    }
}
