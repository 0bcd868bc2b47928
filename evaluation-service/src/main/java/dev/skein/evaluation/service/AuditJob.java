package dev.skein.evaluation.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.outbox.OutboxEvent;
import dev.skein.evaluation.AuditRecord;
import dev.skein.evaluation.RuleSet;
import dev.skein.evaluation.audit.MetricThreshold;
import dev.skein.evaluation.audit.RuleResult;
import dev.skein.evaluation.audit.Validation;
import dev.skein.evaluation.audit.ValidationResult;
import dev.skein.evaluation.client.RegistryClient;
import dev.skein.evaluation.client.TrackingClient;
import dev.skein.evaluation.client.TrackingClient.RunView;
import dev.skein.evaluation.client.UpstreamUnavailable;
import dev.skein.evaluation.config.EvaluationConfig;
import dev.skein.evaluation.messaging.Outbox;
import dev.skein.evaluation.repository.Audits;
import dev.skein.evaluation.repository.Evaluations;
import dev.skein.evaluation.repository.Rules;
import dev.skein.events.v1.AuditCompleted;
import dev.skein.events.v1.RuleVerdict;
import dev.skein.proto.evaluation.v1.RuleOutcome;
import dev.skein.proto.registry.v1.ModelVersion;
import dev.skein.proto.tracking.v1.RunStatus;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Works one claimed audit of a new model version, on a worker thread: its source run must exist and
 * have FINISHED (a run still going on is waited for: its end wakes the audit), and its own evaluation,
 * if any, have ended (the metrics the rules judge; its end wakes the audit too); then the registered model's validation rules (MLflow's MetricThresholds) are applied
 * to the run's metrics against the baseline — the run of the version holding the rules' baseline alias.
 * The verdict is recorded with its event (AuditCompleted on skein.evaluation.results.v1, which
 * registry-service turns into the version's tags and audit-trail entries) in one transaction.
 */
@ApplicationScoped
public class AuditJob {

    private static final Logger LOG = Logger.getLogger(AuditJob.class);
    /** Longest wait between looks at a version whose run has not ended (its end wakes the audit at once). */
    static final Duration RUN_WAIT = Duration.ofDays(1);
    /** How long after a run ended with a spec tag its evaluation is waited for before any is recorded. */
    static final Duration EVALUATION_GRACE = Duration.ofMinutes(10);

    private final Audits audits;
    private final Evaluations evaluations;
    private final Rules rules;
    private final TrackingClient tracking;
    private final RegistryClient registry;
    private final Outbox outbox;
    private final Pool pool;
    private final Duration backoff;
    private final Duration maxBackoff;
    private final Duration await;

    public AuditJob(
            Audits audits,
            Evaluations evaluations,
            Rules rules,
            TrackingClient tracking,
            RegistryClient registry,
            Outbox outbox,
            Pool pool,
            EvaluationConfig config) {
        this.audits = audits;
        this.evaluations = evaluations;
        this.rules = rules;
        this.tracking = tracking;
        this.registry = registry;
        this.outbox = outbox;
        this.pool = pool;
        this.backoff = config.retryBackoff();
        this.maxBackoff = config.maxRetryBackoff();
        this.await = config.upstreamTimeout().plusSeconds(5);
    }

    public void run(AuditRecord audit) {
        if (audit.crashes() >= EvaluationJob.MAX_CRASHES) {
            finish(
                    audit,
                    false,
                    "failed: the audit stopped " + audit.crashes()
                            + " times without a verdict (the service failed during it); not tried again",
                    List.of(),
                    null,
                    null);
            return;
        }
        try {
            Optional<RuleSet> set = rules.get(audit.name()).await().atMost(await);
            String alias = set.map(RuleSet::baselineAlias).orElse(RuleSet.DEFAULT_BASELINE_ALIAS);
            if (audit.runId() == null || audit.runId().isEmpty()) {
                finish(
                        audit,
                        false,
                        "failed: version " + audit.version() + " has no source run",
                        List.of(),
                        alias,
                        null);
                return;
            }
            Optional<RunView> run = tracking.run(audit.runId());
            if (run.isEmpty()) {
                finish(audit, false, "failed: source run " + audit.runId() + " does not exist", List.of(), alias, null);
                return;
            }
            RunStatus status = run.get().status();
            if (status == RunStatus.RUNNING || status == RunStatus.SCHEDULED) {
                // registered while its run goes on (log_model(registered_model_name=...)): judged when the
                // run ends, which wakes it (RunFinishedListener); a day's wait at most between looks
                waitFor(audit, "waiting for source run " + audit.runId() + " to finish (" + status + ")");
                return;
            }
            if (status != RunStatus.FINISHED) {
                finish(
                        audit,
                        false,
                        "failed: source run " + audit.runId() + " is " + status + ", not FINISHED",
                        List.of(),
                        alias,
                        null);
                return;
            }
            // the run's own evaluation logs the metrics the rules judge: wait for it (its end wakes the
            // audit). One is on its way when the run ended with a spec tag and none has ended yet — for a
            // while: a tag set after the run ended starts none.
            long now = System.currentTimeMillis();
            boolean expected = run.get().tags().containsKey(Specs.PREFIX + "data")
                    && now - run.get().endTime() < EVALUATION_GRACE.toMillis()
                    && evaluations.ended(audit.runId()).await().atMost(await) == 0;
            if (expected || evaluations.unfinished(audit.runId()).await().atMost(await) > 0) {
                waitFor(
                        audit,
                        "waiting for the evaluation of source run " + audit.runId(),
                        expected
                                ? Math.min(now + RUN_WAIT.toMillis(), run.get().endTime() + EVALUATION_GRACE.toMillis())
                                : now + RUN_WAIT.toMillis());
                return;
            }
            if (set.isEmpty() || set.get().rules().isEmpty()) {
                finish(audit, true, "passed: source run finished; no validation rules are set", List.of(), alias, null);
                return;
            }
            Map<String, MetricThreshold> thresholds = new LinkedHashMap<>();
            for (var rule : set.get().rules()) {
                thresholds.put(rule.getMetric(), Thresholds.of(rule));
            }
            Map<String, Double> baseline = Map.of();
            String baselineVersion = null;
            Optional<ModelVersion> holder = registry.versionByAlias(audit.name(), alias);
            if (holder.isPresent() && !holder.get().getVersion().equals(audit.version())) {
                baselineVersion = holder.get().getVersion();
                String baselineRun = holder.get().getRunId();
                if (!baselineRun.isEmpty()) {
                    baseline = tracking.run(baselineRun).map(RunView::metrics).orElse(Map.of());
                }
            }
            ValidationResult result = Validation.check(run.get().metrics(), baseline, thresholds);
            List<RuleOutcome> outcomes = new ArrayList<>();
            for (RuleResult r : result.rules()) {
                RuleOutcome.Builder o = RuleOutcome.newBuilder()
                        .setMetric(r.metric())
                        .setPassed(r.passed())
                        .setRule(set.get().rules().stream()
                                .filter(t -> t.getMetric().equals(r.metric()))
                                .findFirst()
                                .orElseThrow())
                        .setMessage(r.message());
                if (r.candidate() != null) {
                    o.setCandidateValue(r.candidate());
                }
                if (r.baseline() != null) {
                    o.setBaselineValue(r.baseline());
                }
                outcomes.add(o.build());
            }
            finish(audit, result.passed(), result.summary(), outcomes, alias, baselineVersion);
        } catch (UpstreamUnavailable e) {
            long delay = Math.min(
                    maxBackoff.toMillis(), backoff.toMillis() << Math.min(20, Math.max(0, audit.attempts() - 1)));
            LOG.warnf(
                    "Audit of %s version %s will be retried in %d ms: %s",
                    audit.name(), audit.version(), delay, e.getMessage());
            audits.retryLater(audit.id(), audit.attempts(), System.currentTimeMillis() + delay)
                    .await()
                    .atMost(await);
        } catch (ApiException e) {
            finish(audit, false, "failed: " + e.getMessage(), List.of(), null, null);
        }
    }

    private void waitFor(AuditRecord audit, String report) {
        waitFor(audit, report, System.currentTimeMillis() + RUN_WAIT.toMillis());
    }

    private void waitFor(AuditRecord audit, String report, long until) {
        audits.waitFor(audit.id(), audit.attempts(), System.currentTimeMillis(), until, report)
                .await()
                .atMost(await);
    }

    private void finish(
            AuditRecord audit,
            boolean passed,
            String report,
            List<RuleOutcome> outcomes,
            String alias,
            String baselineVersion) {
        long end = System.currentTimeMillis();
        AuditRecord.Status status = passed ? AuditRecord.Status.PASSED : AuditRecord.Status.AUDIT_FAILED;
        AuditCompleted.Builder event = AuditCompleted.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setAuditId(audit.id().toString())
                .setModelName(audit.name())
                .setVersion(audit.version())
                .setRunId(audit.runId() == null ? "" : audit.runId())
                .setCauseEventId(audit.causeEventId().toString())
                .setPassed(passed)
                .setStatus(passed ? "passed" : "failed")
                .setReport(report)
                .setBaselineAlias(alias == null ? "" : alias)
                .setBaselineVersion(baselineVersion == null ? "" : baselineVersion)
                .setTime(end);
        for (RuleOutcome o : outcomes) {
            RuleVerdict.Builder v = RuleVerdict.newBuilder()
                    .setMetric(o.getMetric())
                    .setPassed(o.getPassed())
                    .setMessage(o.getMessage());
            if (o.hasCandidateValue()) {
                v.setCandidateValue(o.getCandidateValue());
            }
            if (o.hasBaselineValue()) {
                v.setBaselineValue(o.getBaselineValue());
            }
            event.addRules(v);
        }
        OutboxEvent out = new OutboxEvent(
                UUID.fromString(event.getEventId()),
                outbox.topic(),
                audit.name(),
                Outbox.AUDIT_COMPLETED,
                audit.name() + "/" + audit.version(),
                OutboxEvent.json(event),
                Instant.ofEpochMilli(end));
        boolean recorded = pool.withTransaction(conn -> audits.finish(
                                conn,
                                audit.id(),
                                audit.attempts(),
                                status,
                                report,
                                outcomes,
                                alias,
                                baselineVersion,
                                end)
                        .call(held -> held
                                ? outbox.append(conn, List.of(out))
                                : Uni.createFrom().voidItem()))
                .await()
                .atMost(await);
        if (recorded) {
            outbox.wake();
            LOG.infof("Audit of %s version %s: %s", audit.name(), audit.version(), report);
        }
    }
}
