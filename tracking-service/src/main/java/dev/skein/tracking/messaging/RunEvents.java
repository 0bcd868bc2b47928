package dev.skein.tracking.messaging;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.events.v1.ExperimentPurged;
import dev.skein.events.v1.LoggedModelCreated;
import dev.skein.events.v1.LoggedModelFinalized;
import dev.skein.events.v1.RunCreated;
import dev.skein.events.v1.RunDeleted;
import dev.skein.events.v1.RunPurged;
import dev.skein.events.v1.RunRestored;
import dev.skein.events.v1.RunStatus;
import dev.skein.events.v1.RunUpdated;
import dev.skein.tracking.Run;
import dev.skein.tracking.config.TrackingConfig;
import dev.skein.tracking.model.LoggedModel;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/** Builds the run lifecycle events that go through the outbox to {@code skein.tracking.runs.v1}. */
@ApplicationScoped
public class RunEvents {

    public static final String CREATED = "dev.skein.tracking.run.created.v1";
    public static final String UPDATED = "dev.skein.tracking.run.updated.v1";
    public static final String DELETED = "dev.skein.tracking.run.deleted.v1";
    public static final String RESTORED = "dev.skein.tracking.run.restored.v1";
    public static final String PURGED = "dev.skein.tracking.run.purged.v1";
    public static final String EXPERIMENT_PURGED = "dev.skein.tracking.experiment.purged.v1";
    public static final String MODEL_CREATED = "dev.skein.tracking.logged_model.created.v1";
    public static final String MODEL_FINALIZED = "dev.skein.tracking.logged_model.finalized.v1";

    private static final Set<String> TERMINAL = Set.of("FINISHED", "FAILED", "KILLED");

    private final String topic;

    public RunEvents(TrackingConfig config) {
        this.topic = config.outbox().runsTopic();
    }

    public OutboxEvent created(Run run) {
        return event(
                CREATED,
                run,
                RunCreated.newBuilder()
                        .setRunId(run.runUuid)
                        .setExperimentId(Long.toString(run.experimentId))
                        .setRunName(nullToEmpty(run.name))
                        .setUserId(nullToEmpty(run.userId))
                        .setActor(actor(run))
                        .setStatus(status(run.status))
                        .setStartTime(run.startTime == null ? 0 : run.startTime)
                        .setArtifactUri(run.artifactUri));
    }

    public OutboxEvent updated(Run run) {
        return event(
                UPDATED,
                run,
                RunUpdated.newBuilder()
                        .setRunId(run.runUuid)
                        .setExperimentId(Long.toString(run.experimentId))
                        .setStatus(status(run.status))
                        .setEndTime(run.endTime == null ? 0 : run.endTime)
                        .setRunName(nullToEmpty(run.name))
                        .setTerminal(TERMINAL.contains(run.status))
                        .setActor(actor(run)));
    }

    public OutboxEvent deleted(Run run) {
        return event(
                DELETED,
                run,
                RunDeleted.newBuilder()
                        .setRunId(run.runUuid)
                        .setExperimentId(Long.toString(run.experimentId))
                        .setArtifactUri(run.artifactUri)
                        .setDeletedTime(run.deletedTime == null ? 0 : run.deletedTime)
                        .setActor(actor(run)));
    }

    public OutboxEvent restored(Run run) {
        return event(
                RESTORED,
                run,
                RunRestored.newBuilder()
                        .setRunId(run.runUuid)
                        .setExperimentId(Long.toString(run.experimentId))
                        .setActor(actor(run)));
    }

    public OutboxEvent purged(Run run, long time) {
        return event(
                PURGED,
                run,
                RunPurged.newBuilder()
                        .setRunId(run.runUuid)
                        .setExperimentId(Long.toString(run.experimentId))
                        .setArtifactUri(run.artifactUri)
                        .setPurgedTime(time)
                        .setActor(actor(run)));
    }

    /**
     * An experiment deleted for good; {@code artifactLocation} empty when another experiment's location overlaps it.
     */
    public OutboxEvent experimentPurged(long experimentId, String artifactLocation, long time, String actor) {
        String id = Long.toString(experimentId);
        return OutboxEvent.of(
                topic,
                id,
                EXPERIMENT_PURGED,
                id,
                ExperimentPurged.newBuilder()
                        .setExperimentId(id)
                        .setArtifactLocation(nullToEmpty(artifactLocation))
                        .setPurgedTime(time)
                        .setActor(nullToEmpty(actor)));
    }

    /** MLflow 3: a logged model was created; keyed by its source run (its own id when it has none). */
    public OutboxEvent modelCreated(LoggedModel m, String actor) {
        return OutboxEvent.of(
                topic,
                modelKey(m),
                MODEL_CREATED,
                m.modelId(),
                LoggedModelCreated.newBuilder()
                        .setModelId(m.modelId())
                        .setExperimentId(Long.toString(m.experimentId()))
                        .setName(m.name())
                        .setSourceRunId(nullToEmpty(m.sourceRunId()))
                        .setArtifactUri(m.artifactLocation())
                        .setModelType(nullToEmpty(m.modelType()))
                        .setCreationTimestampMs(m.creationTimestampMs())
                        .setActor(nullToEmpty(actor)));
    }

    /** A logged model's upload ended (READY or UPLOAD_FAILED). */
    public OutboxEvent modelFinalized(LoggedModel m, String actor) {
        return OutboxEvent.of(
                topic,
                modelKey(m),
                MODEL_FINALIZED,
                m.modelId(),
                LoggedModelFinalized.newBuilder()
                        .setModelId(m.modelId())
                        .setExperimentId(Long.toString(m.experimentId()))
                        .setSourceRunId(nullToEmpty(m.sourceRunId()))
                        .setStatus(m.status())
                        .setArtifactUri(m.artifactLocation())
                        .setLastUpdatedTimestampMs(m.lastUpdatedTimestampMs())
                        .setActor(nullToEmpty(actor)));
    }

    private static String actor(Run run) {
        return nullToEmpty(run.actor);
    }

    /** Ordered with its run's events when it has one. */
    private static String modelKey(LoggedModel m) {
        return m.sourceRunId() == null || m.sourceRunId().isEmpty() ? m.modelId() : m.sourceRunId();
    }

    /**
     * An {@code INSERT} into the outbox of one {@code RunDeleted} per row of {@code source} (a table
     * or CTE with columns {@code run_uuid, experiment_id, artifact_uri, deleted_time}), built in SQL
     * so that deleting an experiment of any size is one statement. The payload is byte for byte what
     * {@link #deleted(Run)} writes; {@code actorParam} is the statement's parameter holding the actor.
     */
    public String deletedFrom(String source, String actorParam) {
        return insertFrom(
                source,
                DELETED,
                "'{\"runId\":' || " + jsonString("run_uuid") + " || ',\"experimentId\":' || "
                        + jsonString("experiment_id::text") + " || ',\"artifactUri\":' || "
                        + jsonString("artifact_uri") + " || ',\"deletedTime\":\"' || coalesce(deleted_time, 0)"
                        + " || '\",\"actor\":' || " + jsonString(actorParam + "::text") + " || '}'");
    }

    /** As {@link #deletedFrom}, one {@code RunRestored} per row (columns {@code run_uuid, experiment_id}). */
    public String restoredFrom(String source, String actorParam) {
        return insertFrom(
                source,
                RESTORED,
                "'{\"runId\":' || " + jsonString("run_uuid") + " || ',\"experimentId\":' || "
                        + jsonString("experiment_id::text") + " || ',\"actor\":' || "
                        + jsonString(actorParam + "::text") + " || '}'");
    }

    private String insertFrom(String source, String type, String payload) {
        return "INSERT INTO " + OutboxPublisher.TABLE
                + " (event_id, topic, partition_key, event_type, subject, payload, created_at)"
                + " SELECT gen_random_uuid(), " + literal(topic) + ", run_uuid, " + literal(type) + ", run_uuid, "
                + payload + ", now() FROM " + source + " ORDER BY run_uuid";
    }

    /**
     * A SQL text expression as a JSON string, escaped as the proto3 JSON printer (Gson) escapes it:
     * PostgreSQL's {@code to_json} escapes quotes, backslashes and control characters the same way;
     * Gson also escapes {@code < > & = '} and U+2028/U+2029.
     */
    private static String jsonString(String expr) {
        String json = "to_json(" + expr + ")::text";
        String[][] html = {
            {"'<'", "'\\u003c'"},
            {"'>'", "'\\u003e'"},
            {"'&'", "'\\u0026'"},
            {"'='", "'\\u003d'"},
            {"''''", "'\\u0027'"},
            {"chr(8232)", "'\\u2028'"},
            {"chr(8233)", "'\\u2029'"}
        };
        for (String[] r : html) {
            json = "replace(" + json + ", " + r[0] + ", " + r[1] + ")";
        }
        return json;
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    private OutboxEvent event(String type, Run run, com.google.protobuf.MessageOrBuilder payload) {
        return OutboxEvent.of(topic, run.runUuid, type, run.runUuid, payload);
    }

    private static RunStatus status(String name) {
        try {
            return RunStatus.valueOf(name);
        } catch (IllegalArgumentException e) {
            return RunStatus.RUN_STATUS_UNSPECIFIED;
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
