package dev.skein.evaluation.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.paging.ResultPage;
import dev.skein.evaluation.AuditRecord;
import dev.skein.evaluation.EvaluationRecord;
import dev.skein.evaluation.RuleSet;
import dev.skein.evaluation.client.LlmGatewayClient;
import dev.skein.evaluation.client.TrackingClient;
import dev.skein.evaluation.client.UpstreamUnavailable;
import dev.skein.evaluation.judge.Judge;
import dev.skein.evaluation.judge.JudgeRunner;
import dev.skein.evaluation.judge.Judges;
import dev.skein.evaluation.repository.Audits;
import dev.skein.evaluation.repository.Evaluations;
import dev.skein.evaluation.repository.Rules;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import dev.skein.proto.evaluation.v1.MetricThreshold;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** The API's use cases: evaluations started and read, validation rules set and read, audits read. */
@ApplicationScoped
public class EvaluationService {

    public static final int MAX_RESULTS = 1000;
    static final int MAX_RULES = 100;
    /** Evaluations of one run that may wait or run at once (a limit before the work, per run). */
    static final int MAX_UNFINISHED_PER_RUN = 10;

    private final Evaluations evaluations;
    private final Audits audits;
    private final Rules rules;
    private final TrackingClient tracking;
    private final WorkQueue queue;
    private final LlmGatewayClient llm;
    private final PromptEvaluations prompts;
    private final int maxActiveLlm;

    public EvaluationService(
            Evaluations evaluations,
            Audits audits,
            Rules rules,
            TrackingClient tracking,
            WorkQueue queue,
            LlmGatewayClient llm,
            PromptEvaluations prompts,
            dev.skein.evaluation.config.EvaluationConfig config) {
        this.maxActiveLlm = config.maxActiveLlmEvaluations();
        this.llm = llm;
        this.prompts = prompts;
        this.evaluations = evaluations;
        this.audits = audits;
        this.rules = rules;
        this.tracking = tracking;
        this.queue = queue;
    }

    /** A PENDING evaluation of an existing, active run; refused at once when the spec is incomplete. */
    public Uni<EvaluationRecord> create(String runId, EvaluationSpec spec, String userId) {
        if (runId == null || runId.isBlank()) {
            throw ApiException.missing("run_id");
        }
        Specs.check(spec);
        UUID id = UUID.randomUUID();
        return Uni.createFrom()
                .item(() -> {
                    checkJudgeEndpoints(spec, userId);
                    if (spec.getJudgesCount() > 0) {
                        PromptEvaluations.checkActive(evaluations, userId, maxActiveLlm);
                    }
                    return tracking.run(runId);
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onFailure(UpstreamUnavailable.class)
                .transform(e -> new ApiException(ErrorCode.TEMPORARILY_UNAVAILABLE, e.getMessage() + "; try again."))
                .flatMap(run -> {
                    if (run.isEmpty()) {
                        throw ApiException.notFound("Run with id=" + runId + " not found");
                    }
                    if (!"active".equals(run.get().lifecycleStage())) {
                        throw ApiException.invalidState("The run " + runId + " must be in the 'active' state."
                                + " Current state is " + run.get().lifecycleStage() + ".");
                    }
                    return evaluations.unfinished(runId).flatMap(waiting -> {
                        if (waiting >= MAX_UNFINISHED_PER_RUN) {
                            throw new ApiException(
                                    ErrorCode.REQUEST_LIMIT_EXCEEDED,
                                    "Run " + runId + " has "
                                            + waiting + " evaluations not ended yet; at most " + MAX_UNFINISHED_PER_RUN
                                            + " may wait at once. Try again when they have ended.");
                        }
                        return evaluations.insert(
                                id,
                                runId,
                                spec,
                                EvaluationRecord.Trigger.API,
                                userId,
                                null,
                                null,
                                System.currentTimeMillis());
                    });
                })
                .flatMap(inserted -> {
                    queue.wake();
                    return get(id.toString());
                });
    }

    /**
     * A prompt evaluation (spec.prompt): checked whole before anything is made, then its runs and PENDING evaluations,
     * one per endpoint in the order of spec.prompt.endpoints.
     */
    public Uni<List<EvaluationRecord>> createPrompt(String runId, EvaluationSpec spec, String userId) {
        prompts.checkLocally(runId, spec);
        return Uni.createFrom()
                .item(() -> prompts.create(spec, userId, System.currentTimeMillis()))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onFailure(UpstreamUnavailable.class)
                .transform(e -> new ApiException(ErrorCode.TEMPORARILY_UNAVAILABLE, e.getMessage() + "; try again."))
                .map(made -> {
                    queue.wake();
                    return made;
                });
    }

    /** Each judge's endpoint exists in the LLM gateway and is chat or completions (asked as the user). */
    private void checkJudgeEndpoints(EvaluationSpec spec, String userId) {
        Set<String> seen = new HashSet<>();
        for (Judge j : Judges.resolve(spec.getJudgesList())) {
            if (seen.add(j.endpoint())) {
                JudgeRunner.checkType(j.endpoint(), llm.endpointType(j.endpoint(), userId));
            }
        }
    }

    public Uni<EvaluationRecord> get(String evaluationId) {
        UUID id = parseId(evaluationId);
        return evaluations
                .get(id)
                .map(found -> found.orElseThrow(
                        () -> ApiException.notFound("Evaluation with id=" + evaluationId + " not found")));
    }

    public Uni<ResultPage<EvaluationRecord>> search(String runId, int maxResults, String pageToken) {
        if (runId == null || runId.isBlank()) {
            throw ApiException.missing("run_id");
        }
        checkMaxResults(maxResults);
        long offset = PageToken.decodeOffset(pageToken);
        return evaluations.byRun(runId, offset, maxResults + 1).map(rows -> page(rows, offset, maxResults));
    }

    public Uni<RuleSet> setRules(String name, List<MetricThreshold> thresholds, String baselineAlias, String userId) {
        if (name == null || name.isBlank()) {
            throw ApiException.missing("name");
        }
        if (thresholds.size() > MAX_RULES) {
            throw ApiException.invalidParameter(
                    "A model holds at most " + MAX_RULES + " rules, got " + thresholds.size());
        }
        Set<String> metrics = new HashSet<>();
        for (MetricThreshold t : thresholds) {
            if (!t.hasMetric() || t.getMetric().isBlank()) {
                throw ApiException.invalidParameter("Every rule needs its metric's name ('metric')");
            }
            Specs.checkText("metric", t.getMetric());
            if (!metrics.add(t.getMetric())) {
                throw ApiException.invalidParameter("Metric '" + t.getMetric() + "' has more than one rule");
            }
            Thresholds.of(t);
        }
        String alias =
                baselineAlias == null || baselineAlias.isBlank() ? RuleSet.DEFAULT_BASELINE_ALIAS : baselineAlias;
        Specs.checkText("baseline_alias", alias);
        RuleSet set = new RuleSet(name, thresholds, alias, userId, System.currentTimeMillis());
        return rules.set(set).replaceWith(set);
    }

    /** The model's rules; none set: an empty set with the default baseline alias. */
    public Uni<RuleSet> getRules(String name) {
        if (name == null || name.isBlank()) {
            throw ApiException.missing("name");
        }
        return rules.get(name)
                .map(found -> found.orElse(new RuleSet(name, List.of(), RuleSet.DEFAULT_BASELINE_ALIAS, null, 0)));
    }

    public Uni<ResultPage<AuditRecord>> searchAudits(String name, String version, int maxResults, String pageToken) {
        if (name == null || name.isBlank()) {
            throw ApiException.missing("name");
        }
        checkMaxResults(maxResults);
        long offset = PageToken.decodeOffset(pageToken);
        return audits.byModel(name, version, offset, maxResults + 1).map(rows -> page(rows, offset, maxResults));
    }

    private static <T> ResultPage<T> page(List<T> rows, long offset, int maxResults) {
        if (rows.size() <= maxResults) {
            return new ResultPage<>(rows, null);
        }
        return new ResultPage<>(rows.subList(0, maxResults), PageToken.encode(offset + maxResults));
    }

    private static void checkMaxResults(int maxResults) {
        if (maxResults < 1 || maxResults > MAX_RESULTS) {
            throw ApiException.invalidParameter("Invalid value for max_results. It must be between 1 and " + MAX_RESULTS
                    + ", but got " + maxResults);
        }
    }

    private static UUID parseId(String id) {
        if (id == null || id.isBlank()) {
            throw ApiException.missing("evaluation_id");
        }
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("Evaluation with id=" + id + " not found");
        }
    }
}
