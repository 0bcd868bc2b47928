package dev.skein.evaluation.messaging;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.common.actor.Actors;
import dev.skein.common.messaging.ConsumerRetry;
import dev.skein.common.messaging.DeadLetters;
import dev.skein.common.messaging.UnusableRecord;
import dev.skein.evaluation.EvaluationRecord;
import dev.skein.evaluation.client.TrackingClient;
import dev.skein.evaluation.repository.Audits;
import dev.skein.evaluation.repository.Evaluations;
import dev.skein.evaluation.service.Specs;
import dev.skein.evaluation.service.WorkQueue;
import dev.skein.events.v1.RunStatus;
import dev.skein.events.v1.RunUpdated;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Runs that finish with an evaluation spec are evaluated, and the audits waiting for a run's end are
 * woken: on {@code skein.tracking.runs.v1} (group
 * {@code evaluation-service-runs}), a RunUpdated to FINISHED makes this read the run and, when it has a
 * {@code skein.evaluate.data} tag, record a PENDING evaluation keyed by the event's id and by the run's
 * end — a redelivered event, or another update of the ended run (a rename), finds it recorded and
 * changes nothing. The evaluation itself runs later on the
 * {@link WorkQueue}, never on the consumer. tracking-service or the database being down is retried by
 * {@link ConsumerRetry} (consumer {@value #CONSUMER}) for as long as it lasts, holding the partition; a
 * RunUpdated record that cannot be read is dead-lettered with the reason.
 */
@ApplicationScoped
public class RunFinishedListener {

    public static final String CHANNEL = "run-events";
    public static final String DLQ_CHANNEL = "run-events-dlq";
    public static final String CONSUMER = "run-evaluations";
    static final String UPDATED = "dev.skein.tracking.run.updated.v1";
    private static final byte[] UPDATED_BYTES = UPDATED.getBytes(StandardCharsets.UTF_8);

    private static final Logger LOG = Logger.getLogger(RunFinishedListener.class);
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final TrackingClient tracking;
    private final Evaluations evaluations;
    private final Audits audits;
    private final WorkQueue queue;
    private final ConsumerRetry.Consumer retry;
    private final MutinyEmitter<String> deadLetters;

    public RunFinishedListener(
            TrackingClient tracking,
            Evaluations evaluations,
            Audits audits,
            WorkQueue queue,
            ConsumerRetry retry,
            @Channel(DLQ_CHANNEL) MutinyEmitter<String> deadLetters) {
        this.tracking = tracking;
        this.evaluations = evaluations;
        this.audits = audits;
        this.queue = queue;
        this.retry = retry.consumer(CONSUMER);
        this.deadLetters = deadLetters;
    }

    /** A poll's records: only run updates are read (by their type header), in order. */
    @Incoming(CHANNEL)
    public Uni<Void> onRunEvents(ConsumerRecords<String, byte[]> records) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (ConsumerRecord<String, byte[]> record : records) {
            Header type = record.headers().lastHeader("ce_type");
            if (type != null && Arrays.equals(UPDATED_BYTES, type.value())) {
                chain = chain.flatMap(v -> onUpdate(record));
            }
        }
        return chain;
    }

    private Uni<Void> onUpdate(ConsumerRecord<String, byte[]> record) {
        String value = record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8);
        RunUpdated updated;
        UUID eventId;
        try {
            updated = parse(value);
            eventId = eventId(record);
        } catch (UnusableRecord e) {
            LOG.warnf(
                    "Record %s-%d@%d is not a RunUpdated event, dead-lettered: %s",
                    record.topic(), record.partition(), record.offset(), e.getMessage());
            return retry.untilDone(
                    "dead-lettering record " + record.offset(),
                    () -> deadLetters.sendMessage(DeadLetters.of(record, value, e.getMessage())));
        }
        if (!updated.getTerminal()) {
            return Uni.createFrom().voidItem();
        }
        String runId = updated.getRunId();
        // the run's own evaluation is recorded before its audits wake, so that they wait for it
        Uni<Void> evaluation = updated.getStatus() == RunStatus.FINISHED
                ? evaluate(updated, eventId)
                : Uni.createFrom().voidItem();
        return evaluation.flatMap(v -> retry.<Integer>untilDone(
                        "waking the audits of run " + runId,
                        () -> audits.wakeRun(audits.pool(), runId, System.currentTimeMillis()))
                .invoke(woken -> {
                    if (woken > 0) {
                        queue.wake();
                    }
                })
                .replaceWithVoid());
    }

    private Uni<Void> evaluate(RunUpdated updated, UUID eventId) {
        String runId = updated.getRunId();
        return retry.<java.util.Optional<TrackingClient.RunView>>untilDone(
                        "reading finished run " + runId, () -> Uni.createFrom()
                                .item(() -> tracking.run(runId))
                                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool()))
                .flatMap(run -> {
                    if (run.isEmpty() || !run.get().tags().containsKey(Specs.PREFIX + "data")) {
                        return Uni.createFrom().voidItem();
                    }
                    // the spec is read again from the run's tags when the evaluation starts (and checked then)
                    EvaluationSpec spec = EvaluationSpec.newBuilder()
                            .setData(run.get().tags().get(Specs.PREFIX + "data"))
                            .build();
                    String actor = Actors.known(updated.getActor());
                    return retry.<Boolean>untilDone(
                                    "recording the evaluation of run " + runId,
                                    () -> evaluations.insert(
                                            UUID.randomUUID(),
                                            runId,
                                            spec,
                                            EvaluationRecord.Trigger.RUN_FINISHED,
                                            actor,
                                            eventId,
                                            updated.getEndTime(),
                                            System.currentTimeMillis()))
                            .invoke(recorded -> {
                                if (recorded) {
                                    queue.wake();
                                }
                            })
                            .replaceWithVoid();
                });
    }

    private static UUID eventId(ConsumerRecord<String, byte[]> record) {
        Header id = record.headers().lastHeader("ce_id");
        if (id == null) {
            throw new UnusableRecord("A run event without a ce_id header");
        }
        try {
            return UUID.fromString(new String(id.value(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new UnusableRecord("A run event whose ce_id is not a UUID");
        }
    }

    private static RunUpdated parse(String json) {
        if (json == null) {
            throw new UnusableRecord("Not a RunUpdated event: no value");
        }
        RunUpdated.Builder b = RunUpdated.newBuilder();
        try {
            PARSER.merge(json, b);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new UnusableRecord("Not a RunUpdated event: " + e.getMessage(), e);
        }
        if (b.getRunId().isEmpty()) {
            throw new UnusableRecord("Not a RunUpdated event: no run_id");
        }
        return b.build();
    }
}
