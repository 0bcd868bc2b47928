package dev.skein.evaluation;

import dev.skein.proto.evaluation.v1.EvaluationSpec;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One evaluation as stored.
 *
 * @param metrics what was logged, in MLflow's order (empty unless SUCCEEDED)
 * @param unavailable metrics MLflow computes for the model type that this evaluation could not, by key, with why
 * @param attempts claims so far (a claim that outlives its lease is taken over; the finishing write checks it)
 * @param retries claims given back on purpose (an upstream could not be reached): {@code attempts - retries}
 *     claims ended without a word (the service stopped or failed during them)
 * @param groupId the group of a prompt evaluation's evaluations (one per endpoint); null otherwise
 */
public record EvaluationRecord(
        UUID id,
        String runId,
        EvaluationSpec spec,
        Status status,
        String statusMessage,
        Map<String, Double> metrics,
        List<String> artifacts,
        Map<String, String> unavailable,
        Trigger trigger,
        String userId,
        int attempts,
        int retries,
        Long rowCount,
        long creationTime,
        Long startTime,
        Long endTime,
        UUID groupId) {

    /** Claims that ended without a result or a retry: the service stopped or failed during them. */
    public int crashes() {
        return attempts - retries - 1;
    }

    public enum Status {
        PENDING,
        RUNNING,
        SUCCEEDED,
        FAILED
    }

    public enum Trigger {
        API,
        RUN_FINISHED
    }
}
