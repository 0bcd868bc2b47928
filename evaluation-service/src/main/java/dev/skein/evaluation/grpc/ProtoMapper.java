package dev.skein.evaluation.grpc;

import dev.skein.evaluation.AuditRecord;
import dev.skein.evaluation.EvaluationRecord;
import dev.skein.evaluation.RuleSet;
import dev.skein.proto.evaluation.v1.Audit;
import dev.skein.proto.evaluation.v1.AuditStatus;
import dev.skein.proto.evaluation.v1.Evaluation;
import dev.skein.proto.evaluation.v1.EvaluationStatus;
import dev.skein.proto.evaluation.v1.Metric;
import dev.skein.proto.evaluation.v1.UnavailableMetric;
import dev.skein.proto.evaluation.v1.ValidationRules;

/** Records as the contract's messages: the one place they are mapped. */
final class ProtoMapper {

    private ProtoMapper() {}

    static Evaluation evaluation(EvaluationRecord r) {
        Evaluation.Builder b = Evaluation.newBuilder()
                .setEvaluationId(r.id().toString())
                .setRunId(r.runId())
                .setSpec(r.spec())
                .setStatus(EvaluationStatus.valueOf(r.status().name()))
                .setTrigger(r.trigger().name())
                .setCreationTime(r.creationTime())
                .addAllArtifacts(r.artifacts());
        r.metrics().forEach((k, v) -> b.addMetrics(Metric.newBuilder().setKey(k).setValue(v)));
        r.unavailable()
                .forEach((k, why) -> b.addUnavailableMetrics(
                        UnavailableMetric.newBuilder().setKey(k).setReason(why)));
        // a PENDING evaluation's message is the last retry's reason; only a FAILED one's is the outcome
        if (r.statusMessage() != null && r.status() != EvaluationRecord.Status.SUCCEEDED) {
            b.setStatusMessage(r.statusMessage());
        }
        if (r.userId() != null) {
            b.setUserId(r.userId());
        }
        if (r.startTime() != null) {
            b.setStartTime(r.startTime());
        }
        if (r.endTime() != null) {
            b.setEndTime(r.endTime());
        }
        if (r.rowCount() != null) {
            b.setRowCount(r.rowCount());
        }
        if (r.groupId() != null) {
            b.setGroupId(r.groupId().toString());
        }
        return b.build();
    }

    static Audit audit(AuditRecord r) {
        Audit.Builder b = Audit.newBuilder()
                .setAuditId(r.id().toString())
                .setName(r.name())
                .setVersion(r.version())
                .setStatus(AuditStatus.valueOf(r.status().name()))
                .addAllOutcomes(r.outcomes())
                .setCreationTime(r.creationTime());
        if (r.runId() != null) {
            b.setRunId(r.runId());
        }
        if (r.report() != null) {
            b.setReport(r.report());
        }
        if (r.baselineAlias() != null) {
            b.setBaselineAlias(r.baselineAlias());
        }
        if (r.baselineVersion() != null) {
            b.setBaselineVersion(r.baselineVersion());
        }
        if (r.endTime() != null) {
            b.setEndTime(r.endTime());
        }
        return b.build();
    }

    static ValidationRules rules(RuleSet r) {
        ValidationRules.Builder b = ValidationRules.newBuilder()
                .setName(r.name())
                .addAllRules(r.rules())
                .setBaselineAlias(r.baselineAlias());
        if (r.userId() != null) {
            b.setUserId(r.userId());
        }
        if (r.lastUpdatedTimestamp() > 0) {
            b.setLastUpdatedTimestamp(r.lastUpdatedTimestamp());
        }
        return b.build();
    }
}
