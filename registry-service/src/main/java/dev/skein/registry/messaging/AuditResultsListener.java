package dev.skein.registry.messaging;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.common.error.ApiException;
import dev.skein.common.messaging.ConsumerRetry;
import dev.skein.common.messaging.DeadLetters;
import dev.skein.common.messaging.UnusableRecord;
import dev.skein.common.vertx.CallerContext;
import dev.skein.events.v1.AuditCompleted;
import dev.skein.registry.service.AuditVerdicts;
import dev.skein.registry.service.AuditVerdicts.Verdict;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Executor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Records evaluation-service's audit verdicts ({@code AuditCompleted} on {@code
 * skein.evaluation.results.v1}, consumer group {@code registry-service-audits}) on their model
 * versions through {@link AuditVerdicts}. The topic's other events (EvaluationCompleted) are told
 * apart by their type header and skipped unread. A verdict for a model or version deleted since is
 * skipped; a record that is not a usable AuditCompleted goes to the dead-letter topic at once; a
 * database failure is retried by {@link ConsumerRetry} (consumer {@value #CONSUMER}) until it is
 * over, holding the partition, so no verdict is lost.
 */
@ApplicationScoped
public class AuditResultsListener {

    public static final String CHANNEL = "evaluation-results";
    public static final String DLQ_CHANNEL = "evaluation-results-dlq";
    public static final String CONSUMER = "registry-audits";
    static final String AUDIT_COMPLETED = "dev.skein.evaluation.audit.completed.v1";
    private static final byte[] AUDIT_COMPLETED_BYTES = AUDIT_COMPLETED.getBytes(StandardCharsets.UTF_8);

    private static final Logger LOG = Logger.getLogger(AuditResultsListener.class);
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final AuditVerdicts verdicts;
    private final ConsumerRetry.Consumer retry;
    private final MutinyEmitter<String> deadLetters;

    public AuditResultsListener(
            AuditVerdicts verdicts, ConsumerRetry retry, @Channel(DLQ_CHANNEL) MutinyEmitter<String> deadLetters) {
        this.verdicts = verdicts;
        this.retry = retry.consumer(CONSUMER);
        this.deadLetters = deadLetters;
    }

    /** A poll's records, audits handled one after another in their order; the rest skipped by type. */
    @Incoming(CHANNEL)
    public Uni<Void> onResults(ConsumerRecords<String, byte[]> records) {
        // Hibernate Reactive runs on the context the poll came on; a retry resumes elsewhere
        Executor context = CallerContext.capture();
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (ConsumerRecord<String, byte[]> record : records) {
            Header type = record.headers().lastHeader("ce_type");
            if (type != null && Arrays.equals(AUDIT_COMPLETED_BYTES, type.value())) {
                chain = chain.flatMap(v -> onAudit(record, context));
            }
        }
        return chain;
    }

    private Uni<Void> onAudit(ConsumerRecord<String, byte[]> record, Executor context) {
        String value = record.value() == null ? null : new String(record.value(), StandardCharsets.UTF_8);
        Verdict verdict;
        try {
            if (!SOURCE.equals(header(record, "ce_source"))) {
                throw new UnusableRecord("An AuditCompleted event not from evaluation-service (ce_source "
                        + header(record, "ce_source") + ")");
            }
            verdict = verdict(value, header(record, "ce_id"));
        } catch (UnusableRecord e) {
            LOG.warnf(
                    "Record %s-%d@%d is not a usable AuditCompleted, dead-lettered: %s",
                    record.topic(), record.partition(), record.offset(), e.getMessage());
            return retry.untilDone(
                    "dead-lettering record " + record.offset(),
                    () -> deadLetters.sendMessage(DeadLetters.of(record, value, e.getMessage())));
        }
        return retry.<AuditVerdicts.Outcome>untilDone(
                        "recording audit " + verdict.eventId() + " of version " + verdict.version() + " of model '"
                                + verdict.modelName() + "'",
                        () -> Uni.createFrom()
                                .voidItem()
                                .emitOn(context)
                                .flatMap(x -> verdicts.record(CONSUMER, verdict)))
                .invoke(outcome -> {
                    switch (outcome) {
                        case RECORDED ->
                            LOG.infof(
                                    "Version %d of model '%s' audited: %s (event %s)",
                                    verdict.version(), verdict.modelName(), verdict.status(), verdict.eventId());
                        case ALREADY_RECORDED ->
                            LOG.debugf("Audit event %s was recorded before; nothing changed", verdict.eventId());
                        case VERSION_GONE ->
                            LOG.infof(
                                    "Audit event %s skipped: version %d of model '%s' no longer exists",
                                    verdict.eventId(), verdict.version(), verdict.modelName());
                    }
                })
                .replaceWithVoid();
    }

    /**
     * The verdict of a record, or why it cannot be one. Its id is the event's {@code event_id} (the
     * CloudEvent id), or the {@code ce_id} header when the value lacks one.
     */
    static Verdict verdict(String json, String ceId) {
        if (json == null) {
            throw new UnusableRecord("Not an AuditCompleted event: no value");
        }
        AuditCompleted.Builder b = AuditCompleted.newBuilder();
        try {
            PARSER.merge(json, b);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new UnusableRecord("Not an AuditCompleted event: " + e.getMessage(), e);
        }
        String eventId = b.getEventId().isEmpty() ? ceId : b.getEventId();
        try {
            return AuditVerdicts.verdict(eventId, b.getModelName(), b.getVersion(), b.getStatus(), b.getReport());
        } catch (ApiException e) {
            throw new UnusableRecord("Not a usable AuditCompleted event: " + e.getMessage(), e);
        }
    }

    /** The CloudEvent source of evaluation-service's events: the only one whose verdicts are recorded. */
    static final String SOURCE = "/skein/evaluation-service";

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
