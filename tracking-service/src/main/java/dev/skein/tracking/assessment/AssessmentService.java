package dev.skein.tracking.assessment;

import dev.skein.common.error.ApiException;
import dev.skein.common.validation.Inputs;
import dev.skein.tracking.assessment.AssessmentRepository.Outcome;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * MLflow 3's assessments (its SQL store's create / get / update / delete_assessment): rules, limits
 * and MLflow's messages. Assessments belong to a trace; deleting the trace deletes them.
 */
@ApplicationScoped
public class AssessmentService {

    /** Assessment names, source ids, span ids and metadata keys: MLflow's key columns' size. */
    static final int MAX_NAME_LENGTH = 250;

    /** An assessment's value as JSON text, its rationale, its error (all three parts) and its metadata as JSON. */
    static final int MAX_TEXT_LENGTH = 65_536;

    /** Assessments one trace may have (each answer with the trace's info carries them all). */
    static final int MAX_PER_TRACE = 1_000;

    /** Bytes of values, rationales, errors and metadata one trace's assessments may hold in all. */
    static final long MAX_BYTES_PER_TRACE = 1024 * 1024;

    /**
     * Bytes of assessments one answer may carry (a search page, a batchGet): past it the answer is
     * refused before the assessments are read; asking for fewer traces answers.
     */
    static final long MAX_BYTES_PER_ANSWER = 32 * 1024 * 1024;

    private final AssessmentRepository assessments;

    public AssessmentService(AssessmentRepository assessments) {
        this.assessments = assessments;
    }

    /**
     * Records a new assessment of its trace: a new id {@code a-<32 hex>}, valid; its times as given
     * (MLflow's client sets them), else now. With {@code overrides}, that assessment of the same
     * trace is marked invalid.
     */
    public Uni<Assessment> create(Assessment given) {
        Inputs.required(given.traceId(), "assessment.trace_id");
        Inputs.required(given.name(), "assessment.assessment_name");
        Inputs.length("Assessment name", given.name(), MAX_NAME_LENGTH);
        Inputs.length("Assessment source_id", given.sourceId(), MAX_NAME_LENGTH);
        Inputs.length("Assessment span_id", given.spanId(), MAX_NAME_LENGTH);
        Inputs.length("Assessment overrides", given.overrides(), MAX_NAME_LENGTH);
        checkValue(given.kind(), given.valueJson(), given.error());
        checkTexts(given);
        long now = System.currentTimeMillis();
        long created = given.createTimeMs() > 0 ? given.createTimeMs() : now;
        Assessment a = new Assessment(
                "a-" + UUID.randomUUID().toString().replace("-", ""),
                given.traceId(),
                given.name(),
                given.kind(),
                given.valueJson(),
                given.error(),
                given.sourceType(),
                emptyToNull(given.sourceId()),
                emptyToNull(given.spanId()),
                emptyToNull(given.rationale()),
                given.metadata(),
                emptyToNull(given.overrides()),
                true,
                created,
                given.lastUpdateTimeMs() > 0 ? given.lastUpdateTimeMs() : created);
        return assessments.create(a, MAX_PER_TRACE, MAX_BYTES_PER_TRACE).map(outcome -> {
            if (outcome.refusal() == AssessmentRepository.Refusal.NO_OVERRIDDEN) {
                throw notFound(a.overrides(), a.traceId());
            }
            if (outcome.refusal() == AssessmentRepository.Refusal.TRACE_TOO_LARGE) {
                throw tooLarge(a.traceId());
            }
            if (outcome.refusal() == AssessmentRepository.Refusal.TRACE_FULL) {
                throw ApiException.invalidParameter("Trace '" + a.traceId() + "' already has " + MAX_PER_TRACE
                        + " assessments, the most a trace may have; delete some first.");
            }
            return answer(outcome, a.traceId(), null);
        });
    }

    public Uni<Assessment> get(String traceId, String assessmentId) {
        Inputs.required(traceId, "trace_id");
        Inputs.required(assessmentId, "assessment_id");
        return assessments.find(traceId, assessmentId).map(o -> answer(o, traceId, assessmentId));
    }

    /**
     * What an update sets; null (false) for what its mask does not name.
     *
     * @param feedback set the feedback's value and error (given together, as MLflow's client does)
     * @param expectation set the expectation's value
     * @param metadata entries merged into the stored ones
     */
    public record Update(
            String name,
            boolean feedback,
            boolean expectation,
            String valueJson,
            Assessment.Error error,
            String rationale,
            Map<String, String> metadata) {}

    /** Sets what the update names, with MLflow's rules: a feedback stays a feedback, an expectation an expectation. */
    public Uni<Assessment> update(String traceId, String assessmentId, Update u) {
        Inputs.required(traceId, "trace_id");
        Inputs.required(assessmentId, "assessment_id");
        if (u.feedback() && u.expectation()) {
            throw ApiException.invalidParameter("Cannot specify both `expectation` and `feedback` parameters.");
        }
        if (u.name() != null) {
            Inputs.length("Assessment name", u.name(), MAX_NAME_LENGTH);
        }
        return assessments
                .update(
                        traceId,
                        assessmentId,
                        existing -> {
                            if (u.expectation() && existing.isFeedback()) {
                                throw ApiException.invalidParameter(
                                        "Cannot update expectation value on a Feedback assessment.");
                            }
                            if (u.feedback() && !existing.isFeedback()) {
                                throw ApiException.invalidParameter(
                                        "Cannot update feedback value on an Expectation assessment.");
                            }
                            boolean newValue = u.feedback() || u.expectation();
                            if (newValue) {
                                checkValue(existing.kind(), u.valueJson(), u.error());
                            }
                            Map<String, String> metadata = new LinkedHashMap<>(existing.metadata());
                            if (u.metadata() != null) {
                                metadata.putAll(u.metadata());
                            }
                            Assessment updated = new Assessment(
                                    existing.assessmentId(),
                                    existing.traceId(),
                                    u.name() == null || u.name().isEmpty() ? existing.name() : u.name(),
                                    existing.kind(),
                                    newValue ? u.valueJson() : existing.valueJson(),
                                    u.feedback() ? u.error() : existing.error(),
                                    existing.sourceType(),
                                    existing.sourceId(),
                                    existing.spanId(),
                                    u.rationale() == null ? existing.rationale() : emptyToNull(u.rationale()),
                                    metadata,
                                    existing.overrides(),
                                    existing.valid(),
                                    existing.createTimeMs(),
                                    Math.max(System.currentTimeMillis(), existing.createTimeMs()));
                            checkTexts(updated);
                            return updated;
                        },
                        MAX_BYTES_PER_TRACE)
                .map(o -> {
                    if (o.refusal() == AssessmentRepository.Refusal.TRACE_TOO_LARGE) {
                        throw tooLarge(traceId);
                    }
                    return answer(o, traceId, assessmentId);
                });
    }

    /** Deletes an assessment; one the trace does not have is nothing to delete (as MLflow). */
    public Uni<Void> delete(String traceId, String assessmentId) {
        Inputs.required(traceId, "trace_id");
        Inputs.required(assessmentId, "assessment_id");
        return assessments.delete(traceId, assessmentId).map(o -> {
            if (o.refusal() != null) {
                throw traceNotFound(traceId);
            }
            return null;
        });
    }

    /**
     * The assessments of these traces, by trace id, each trace's oldest first; refused (400) when they
     * hold more than {@link #MAX_BYTES_PER_ANSWER} bytes, before they are read.
     */
    public Uni<Map<String, List<Assessment>>> byTrace(Collection<String> traceIds) {
        if (traceIds.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return assessments.bytesOf(traceIds).flatMap(bytes -> {
            if (bytes > MAX_BYTES_PER_ANSWER) {
                throw ApiException.invalidParameter("The assessments of these " + traceIds.size() + " traces hold "
                        + bytes + " bytes, more than one answer may carry (" + MAX_BYTES_PER_ANSWER
                        + "); ask for fewer traces.");
            }
            return assessments.byTrace(traceIds);
        });
    }

    private static ApiException tooLarge(String traceId) {
        return ApiException.invalidParameter("The assessments of trace '" + traceId + "' would hold more than "
                + MAX_BYTES_PER_TRACE + " bytes of values, rationales, errors and metadata, the most a trace may"
                + " have; delete some first.");
    }

    private static Assessment answer(Outcome o, String traceId, String assessmentId) {
        if (o.refusal() == AssessmentRepository.Refusal.NO_TRACE) {
            throw traceNotFound(traceId);
        }
        if (o.refusal() == AssessmentRepository.Refusal.NO_ASSESSMENT) {
            throw notFound(assessmentId, traceId);
        }
        return o.assessment();
    }

    /** A feedback needs a value or an error; an expectation a value (MLflow's entities' rules). */
    private static void checkValue(String kind, String valueJson, Assessment.Error error) {
        if (kind == null) {
            throw ApiException.invalidParameter("Unknown assessment type: None");
        }
        if (Assessment.FEEDBACK.equals(kind)) {
            if (valueJson == null && error == null) {
                throw ApiException.invalidParameter("Either `value` or `error` must be provided.");
            }
        } else if (valueJson == null) {
            throw ApiException.invalidParameter("The `value` field must be specified.");
        }
    }

    private static void checkTexts(Assessment a) {
        Inputs.length("Assessment value", a.valueJson(), MAX_TEXT_LENGTH);
        Inputs.length("Assessment rationale", a.rationale(), MAX_TEXT_LENGTH);
        if (a.error() != null) {
            int length = length(a.error().code())
                    + length(a.error().message())
                    + length(a.error().stackTrace());
            if (length > MAX_TEXT_LENGTH) {
                throw ApiException.invalidParameter("Assessment error had length " + length
                        + " (code, message and stack trace), which exceeded length limit of " + MAX_TEXT_LENGTH);
            }
        }
        int metadata = 0;
        for (Map.Entry<String, String> e : a.metadata().entrySet()) {
            Inputs.length("Assessment metadata key", e.getKey(), MAX_NAME_LENGTH);
            metadata += e.getKey().length() + length(e.getValue()) + 6;
        }
        if (metadata > MAX_TEXT_LENGTH) {
            throw ApiException.invalidParameter("Assessment metadata had length " + metadata
                    + ", which exceeded length limit of " + MAX_TEXT_LENGTH);
        }
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    static ApiException traceNotFound(String traceId) {
        return ApiException.notFound("Trace with ID '" + traceId + "' not found.");
    }

    private static ApiException notFound(String assessmentId, String traceId) {
        return ApiException.notFound("Assessment with ID '" + assessmentId + "' not found for trace '" + traceId + "'");
    }
}
