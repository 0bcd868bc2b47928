package dev.skein.tracking.messaging;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.events.v1.RunCreated;
import dev.skein.events.v1.RunDeleted;
import dev.skein.events.v1.RunPurged;
import dev.skein.events.v1.RunRestored;
import dev.skein.events.v1.RunStatus;
import dev.skein.events.v1.RunUpdated;
import dev.skein.tracking.Run;
import dev.skein.tracking.config.TrackingConfig;
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
                        .setTerminal(TERMINAL.contains(run.status)));
    }

    public OutboxEvent deleted(Run run) {
        return event(
                DELETED,
                run,
                RunDeleted.newBuilder()
                        .setRunId(run.runUuid)
                        .setExperimentId(Long.toString(run.experimentId))
                        .setArtifactUri(run.artifactUri)
                        .setDeletedTime(run.deletedTime == null ? 0 : run.deletedTime));
    }

    public OutboxEvent restored(Run run) {
        return event(
                RESTORED,
                run,
                RunRestored.newBuilder().setRunId(run.runUuid).setExperimentId(Long.toString(run.experimentId)));
    }

    public OutboxEvent purged(Run run, long time) {
        return event(
                PURGED,
                run,
                RunPurged.newBuilder()
                        .setRunId(run.runUuid)
                        .setExperimentId(Long.toString(run.experimentId))
                        .setArtifactUri(run.artifactUri)
                        .setPurgedTime(time));
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
