package dev.skein.evaluation.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
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
import dev.skein.proto.evaluation.v1.SetValidationRules;
import dev.skein.proto.registry.v1.ModelVersion;
import dev.skein.proto.tracking.v1.RunStatus;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Works one claimed audit of a new model version, on a worker thread: its source run must exist and
 * have FINISHED (a run still going on is waited for: its end wakes the audit), and its own evaluation,
 * if any, have ended (the metrics the rules judge; its end wakes the audit too); then the registered model's
 * validation rules (MLflow's MetricThresholds) — the ones set through the API, or else the ones in the model's
 * {@value #RULES_TAG} tag, read from registry-service at that moment — are applied to the run's metrics
 * against the baseline: the run of the version holding the rules' baseline alias.
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

    /**
     * The registered model's tag that may hold its validation rules, as JSON in the shape of the rules API's
     * body: {@code {"rules": [MetricThreshold, ...], "baseline_alias": "champion"}} ({@code baseline_alias}
     * optional). The rules set through the API win; the tag applies to a model that has none set through the
     * API. It is read when an audit judges a version, and a tag that does not parse, or holds a rule MLflow
     * refuses, fails the audit with the reason.
     */
    public static final String RULES_TAG = "skein.validation.rules";

    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

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
            // the rules set through the API, or else the ones in the model's tag, read now
            AppliedRules applied = AppliedRules.of(audit.name(), set, registry.modelTags(audit.name()));
            if (applied.refusal() != null) {
                finish(audit, false, cap("failed: " + applied.refusal()), List.of(), alias, null);
                return;
            }
            if (applied.rules().isEmpty()) {
                finish(
                        audit,
                        true,
                        "passed: source run finished; no validation rules are set" + applied.note(),
                        List.of(),
                        alias,
                        null);
                return;
            }
            RuleSet rulesApplied = applied.rules().get();
            alias = rulesApplied.baselineAlias();
            Map<String, MetricThreshold> thresholds = new LinkedHashMap<>();
            for (var rule : rulesApplied.rules()) {
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
                        .setRule(rulesApplied.rules().stream()
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
            finish(
                    audit,
                    result.passed(),
                    cap(applied.prefix() + result.summary() + applied.note()),
                    outcomes,
                    alias,
                    baselineVersion);
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

    /** A report fits the version's {@code skein.audit.report} tag: at most 500 characters. */
    static String cap(String report) {
        int max = ValidationResult.SUMMARY_MAX_CHARS;
        return report.length() <= max ? report : report.substring(0, max - 1) + "…";
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

    /**
     * The rules an audit applies and where they come from.
     *
     * @param rules the rules to apply; empty: none
     * @param prefix the report's start naming the tag when the rules come from it, else ""
     * @param note the report's end when the tag is present but not applied, or holds no rules; else ""
     * @param refusal why the tag cannot be applied (the audit fails with it); null when it can or is absent
     */
    record AppliedRules(Optional<RuleSet> rules, String prefix, String note, String refusal) {

        /** The rules set through the API when there are any; else the model's {@link #RULES_TAG} tag's, if any. */
        static AppliedRules of(String name, Optional<RuleSet> api, Map<String, String> modelTags) {
            String tag = modelTags.get(RULES_TAG);
            if (api.isPresent() && !api.get().rules().isEmpty()) {
                String note = tag == null
                        ? ""
                        : " (model tag " + RULES_TAG + " not applied: the rules set through the API win)";
                return new AppliedRules(api, "", note, null);
            }
            if (tag == null) {
                return new AppliedRules(Optional.empty(), "", "", null);
            }
            RuleSet fromTag;
            try {
                fromTag = fromTag(name, tag);
            } catch (ApiException e) {
                return new AppliedRules(
                        Optional.empty(), "", "", "model tag " + RULES_TAG + " is not valid: " + e.getMessage());
            }
            if (fromTag.rules().isEmpty()) {
                return new AppliedRules(Optional.empty(), "", " (model tag " + RULES_TAG + " holds no rules)", null);
            }
            return new AppliedRules(Optional.of(fromTag), "rules from model tag " + RULES_TAG + ": ", "", null);
        }
    }

    /**
     * The rules of a {@link #RULES_TAG} tag's value, refused (an {@link ApiException} with the reason) as the
     * rules API refuses its body: not a JSON object of {@code rules} (an array) and an optional
     * {@code baseline_alias} (a string; blank or absent: {@code champion}), a MetricThreshold with an unknown
     * field or a wrong type, a rule without its metric, two rules for one metric, more than
     * {@value EvaluationService#MAX_RULES} rules, or a threshold MLflow's MetricThreshold refuses.
     */
    static RuleSet fromTag(String name, String value) {
        JsonNode doc;
        try {
            doc = MAPPER.readTree(value);
        } catch (JsonProcessingException e) {
            throw ApiException.invalidParameter("not JSON (" + e.getOriginalMessage() + ")");
        }
        String shape = "expected {\"rules\": [{\"metric\": …, \"threshold\": …, \"greater_is_better\": …}],"
                + " \"baseline_alias\": …}";
        if (doc == null || !doc.isObject()) {
            throw ApiException.invalidParameter("not a JSON object; " + shape);
        }
        for (var fields = doc.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!field.equals("rules") && !field.equals("baseline_alias")) {
                throw ApiException.invalidParameter("unknown field '" + field + "'; " + shape);
            }
        }
        if (!doc.path("rules").isArray()) {
            throw ApiException.invalidParameter("'rules' must be an array; " + shape);
        }
        if (doc.has("baseline_alias") && !doc.get("baseline_alias").isTextual()) {
            throw ApiException.invalidParameter("'baseline_alias' must be a string");
        }
        SetValidationRules.Builder body = SetValidationRules.newBuilder();
        try {
            JsonFormat.parser().merge(doc.toString(), body);
        } catch (InvalidProtocolBufferException e) {
            throw ApiException.invalidParameter("a rule is not a MetricThreshold (" + e.getMessage() + ")");
        }
        List<dev.skein.proto.evaluation.v1.MetricThreshold> rules = body.getRulesList();
        if (rules.size() > EvaluationService.MAX_RULES) {
            throw ApiException.invalidParameter(
                    "A model holds at most " + EvaluationService.MAX_RULES + " rules, got " + rules.size());
        }
        Set<String> metrics = new HashSet<>();
        for (var rule : rules) {
            if (!rule.hasMetric() || rule.getMetric().isBlank()) {
                throw ApiException.invalidParameter("Every rule needs its metric's name ('metric')");
            }
            Specs.checkText("metric", rule.getMetric());
            if (!metrics.add(rule.getMetric())) {
                throw ApiException.invalidParameter("Metric '" + rule.getMetric() + "' has more than one rule");
            }
            Thresholds.of(rule);
        }
        String alias = body.getBaselineAlias().isBlank() ? RuleSet.DEFAULT_BASELINE_ALIAS : body.getBaselineAlias();
        Specs.checkText("baseline_alias", alias);
        return new RuleSet(name, rules, alias, null, 0);
    }
}
