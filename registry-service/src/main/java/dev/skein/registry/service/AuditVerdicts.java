package dev.skein.registry.service;

import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.registry.repository.ConsumedEvents;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * evaluation-service's audit verdicts on model versions, recorded on the version as tags {@value
 * #STATUS_TAG} and {@value #REPORT_TAG}. Both are set as any client sets a version tag — each a
 * MODEL_VERSION_TAG_SET change in the audit trail and on the registry's topic, by actor {@value
 * #ACTOR} — in one transaction with the record of the event's id, so that a verdict is recorded
 * whole or not at all, and once however often it is delivered.
 */
@ApplicationScoped
public class AuditVerdicts {

    public static final String ACTOR = "evaluation-service";
    public static final String STATUS_TAG = "skein.audit.status";
    public static final String REPORT_TAG = "skein.audit.report";
    private static final Set<String> STATUSES = Set.of("passed", "failed");

    /** What became of a verdict. */
    public enum Outcome {
        /** Both tags set now. */
        RECORDED,
        /** The event was recorded before: nothing changed. */
        ALREADY_RECORDED,
        /** The model or version no longer exists: nothing changed. */
        VERSION_GONE
    }

    /** A verdict that the registry's rules accept: a version number, a status, a report a tag can hold. */
    public record Verdict(String eventId, String modelName, int version, String status, String report) {}

    private final ModelService models;
    private final VersionService versions;
    private final ConsumedEvents consumed;

    public AuditVerdicts(ModelService models, VersionService versions, ConsumedEvents consumed) {
        this.models = models;
        this.versions = versions;
        this.consumed = consumed;
    }

    /**
     * The verdict, or {@code INVALID_PARAMETER_VALUE} with the reason it cannot be recorded: no event
     * id, model name or version, a version that is not a number, a status other than passed or
     * failed, a report longer than a tag value may be.
     */
    public static Verdict verdict(String eventId, String modelName, String version, String status, String report) {
        if (eventId == null || eventId.isBlank()) {
            throw ApiException.invalidParameter("it has no event id");
        }
        if (modelName == null || modelName.isEmpty()) {
            throw ApiException.invalidParameter("it has no model_name");
        }
        if (version == null || version.isEmpty()) {
            throw ApiException.invalidParameter("it has no version");
        }
        RegistryInputs.name(modelName);
        int number = RegistryInputs.version(version);
        if (!STATUSES.contains(status)) {
            throw ApiException.invalidParameter("its status '" + status + "' is neither passed nor failed");
        }
        RegistryInputs.versionTag(STATUS_TAG, status);
        RegistryInputs.versionTag(REPORT_TAG, report);
        return new Verdict(eventId, modelName, number, status, report);
    }

    /**
     * Records the verdict for {@code consumer} (the event ids it has consumed): both tags and the
     * event's id in one transaction. Fails only if the database does.
     */
    public Uni<Outcome> record(String consumer, Verdict verdict) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(STATUS_TAG, verdict.status());
        tags.put(REPORT_TAG, verdict.report());
        return models.change(() -> consumed.claim(consumer, verdict.eventId(), System.currentTimeMillis())
                        .flatMap(first -> !first
                                ? Uni.createFrom().item(Outcome.ALREADY_RECORDED)
                                : versions.setTags(ACTOR, verdict.modelName(), verdict.version(), tags)
                                        .replaceWith(Outcome.RECORDED)))
                .onFailure(AuditVerdicts::isNotFound)
                .recoverWithItem(Outcome.VERSION_GONE);
    }

    private static boolean isNotFound(Throwable failure) {
        return failure instanceof ApiException e && e.code() == ErrorCode.RESOURCE_DOES_NOT_EXIST;
    }
}
