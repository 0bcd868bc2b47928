package dev.skein.tracking.assessment;

import java.util.Map;

/**
 * An MLflow 3 assessment of a trace: feedback (a verdict, or the error that stopped one) or an
 * expectation (the answer the trace should have given).
 *
 * @param assessmentId {@code a-<32 hex>}; null before it is created
 * @param kind {@link #FEEDBACK} or {@link #EXPECTATION}
 * @param valueJson the value as JSON text; null only for a feedback that has an error instead
 * @param error a feedback's error, or null
 * @param sourceType an {@code AssessmentSource.SourceType} name (HUMAN, LLM_JUDGE, CODE…)
 * @param metadata string entries; empty when none
 * @param overrides the id of the assessment of the same trace this one supersedes, or null
 * @param valid false once another assessment overrides this one
 */
public record Assessment(
        String assessmentId,
        String traceId,
        String name,
        String kind,
        String valueJson,
        Error error,
        String sourceType,
        String sourceId,
        String spanId,
        String rationale,
        Map<String, String> metadata,
        String overrides,
        boolean valid,
        long createTimeMs,
        long lastUpdateTimeMs) {

    public static final String FEEDBACK = "feedback";
    public static final String EXPECTATION = "expectation";

    /** A feedback's error: what went wrong while the verdict was made. */
    public record Error(String code, String message, String stackTrace) {}

    public boolean isFeedback() {
        return FEEDBACK.equals(kind);
    }
}
