package dev.skein.evaluation;

import dev.skein.proto.evaluation.v1.RuleOutcome;
import java.util.List;
import java.util.UUID;

/** The audit of one model version as stored. */
public record AuditRecord(
        UUID id,
        String name,
        String version,
        String runId,
        Status status,
        String report,
        List<RuleOutcome> outcomes,
        String baselineAlias,
        String baselineVersion,
        UUID causeEventId,
        int attempts,
        int retries,
        long creationTime,
        Long endTime) {

    /** Claims that ended without a result or a retry: the service stopped or failed during them. */
    public int crashes() {
        return attempts - retries - 1;
    }

    public enum Status {
        AUDIT_PENDING,
        PASSED,
        AUDIT_FAILED
    }
}
