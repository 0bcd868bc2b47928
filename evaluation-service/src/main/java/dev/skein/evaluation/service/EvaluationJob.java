package dev.skein.evaluation.service;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.common.error.ApiException;
import dev.skein.common.outbox.OutboxEvent;
import dev.skein.evaluation.EvaluationRecord;
import dev.skein.evaluation.EvaluationRecord.Status;
import dev.skein.evaluation.client.ArtifactClient;
import dev.skein.evaluation.client.LlmGatewayClient;
import dev.skein.evaluation.client.TrackingClient;
import dev.skein.evaluation.client.TrackingClient.RunView;
import dev.skein.evaluation.client.UpstreamUnavailable;
import dev.skein.evaluation.config.EvaluationConfig;
import dev.skein.evaluation.judge.Judge;
import dev.skein.evaluation.judge.JudgeRunner;
import dev.skein.evaluation.judge.Judges;
import dev.skein.evaluation.messaging.Outbox;
import dev.skein.evaluation.metrics.EvaluationException;
import dev.skein.evaluation.output.Artifact;
import dev.skein.evaluation.output.EvalResultsTable;
import dev.skein.evaluation.repository.Audits;
import dev.skein.evaluation.repository.Evaluations;
import dev.skein.evaluation.table.TableException;
import dev.skein.events.v1.EvaluationCompleted;
import dev.skein.proto.artifacts.v1.Download;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Works one claimed evaluation to its end, on a worker thread (blocking calls). In order: the run and
 * its spec, the table streamed into the metrics, the artifacts uploaded, then the metrics and the
 * status tags in one LogBatch (all or none: never a half-logged set), then the record and its event in
 * one transaction. An upstream that cannot be reached puts it back in the queue (retried with backoff,
 * however long the outage); a bad spec or table ends it FAILED with the reason, on the evaluation and
 * as run tags. Metrics are logged at the evaluation's start time, step 0, so a retried attempt logs the
 * same points (a no-op for tracking-service).
 */
@ApplicationScoped
public class EvaluationJob {

    private static final Logger LOG = Logger.getLogger(EvaluationJob.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** MLflow's longest tag value is 5,000 characters (8,000 since 2.x); reasons are cut well below. */
    static final int MAX_REASON = 1000;
    /** Claims of one piece of work that may end without a word (the service stopped or failed) before it fails. */
    static final int MAX_CRASHES = 3;

    private final Evaluations evaluations;
    private final Audits audits;
    private final TrackingClient tracking;
    private final ArtifactClient artifacts;
    private final Outbox outbox;
    private final Evaluator evaluator;
    private final Duration backoff;
    private final Duration maxBackoff;
    private final Duration await;
    private final LlmGatewayClient llm;
    private final JudgeRunner judgeRunner;
    private final PromptEvaluations prompts;
    private final PromptEvaluator promptEvaluator;
    private final int maxLlmRows;

    public EvaluationJob(
            Evaluations evaluations,
            Audits audits,
            TrackingClient tracking,
            ArtifactClient artifacts,
            Outbox outbox,
            LlmGatewayClient llm,
            PromptEvaluations prompts,
            EvaluationConfig config) {
        this.llm = llm;
        this.prompts = prompts;
        this.promptEvaluator = new PromptEvaluator(llm, config.maxTableBytes());
        this.judgeRunner = new JudgeRunner(llm);
        this.maxLlmRows = config.maxLlmRows();
        this.evaluations = evaluations;
        this.audits = audits;
        this.tracking = tracking;
        this.artifacts = artifacts;
        this.outbox = outbox;
        this.evaluator = new Evaluator(config.maxTableBytes(), config.curvesMemoryBytes());
        this.backoff = config.retryBackoff();
        this.maxBackoff = config.maxRetryBackoff();
        this.await = config.upstreamTimeout().plusSeconds(5);
    }

    public void run(EvaluationRecord job) {
        if (job.crashes() >= MAX_CRASHES) {
            fail(
                    job,
                    job.spec(),
                    "the evaluation stopped " + job.crashes()
                            + " times without a result (the service failed during it, e.g. out of memory); not tried again");
            return;
        }
        long timestamp = job.startTime() != null ? job.startTime() : System.currentTimeMillis();
        EvaluationSpec spec = job.spec();
        try {
            RunView run = tracking.run(job.runId())
                    .orElseThrow(() -> ApiException.notFound("Run with id=" + job.runId() + " not found"));
            if (!"active".equals(run.lifecycleStage())) {
                throw ApiException.invalidState(
                        "The run " + job.runId() + " is " + run.lifecycleStage() + "; only active runs are evaluated");
            }
            if (job.trigger() == EvaluationRecord.Trigger.RUN_FINISHED) {
                spec = Specs.fromTags(run.tags()).orElse(spec);
            }
            Evaluator.Outcome computed;
            if (spec.hasPrompt()) {
                computed = prompt(spec, job.userId());
            } else {
                Specs.check(spec);
                Download table = DataLocation.of(spec.getData(), run, tracking::run);
                String fileName = table.hasRun() ? table.getRun().getPath() : table.getPath();
                try (InputStream in = artifacts.open(table)) {
                    computed = evaluate(spec, fileName, in, judging(spec, job.userId()));
                }
            }
            try (Evaluator.Outcome outcome = computed) {
                if (!stillHeld(job)) {
                    return;
                }
                List<String> logged = new ArrayList<>();
                for (Artifact a : outcome.artifacts()) {
                    try {
                        if (a.file() != null) {
                            artifacts.upload(job.runId(), a.path(), a.file());
                        } else {
                            artifacts.upload(job.runId(), a.path(), a.content());
                        }
                    } catch (java.io.IOException e) {
                        throw new UncheckedIOException("reading the local file of " + a.path(), e);
                    }
                    logged.add(a.path());
                }
                Map<String, String> tags = new LinkedHashMap<>();
                tags.put(Specs.STATUS_TAG, Status.SUCCEEDED.name());
                tags.put(Specs.ID_TAG, job.id().toString());
                loggedTables(run, logged).ifPresent(v -> tags.put(LOGGED_ARTIFACTS_TAG, v));
                tracking.log(job.runId(), outcome.metrics(), timestamp, tags);
                if (spec.hasPrompt()) {
                    // a prompt evaluation's run is the evaluation's own: it ends with it
                    tracking.endRun(job.runId(), dev.skein.proto.tracking.v1.RunStatus.FINISHED, job.userId());
                }
                finish(
                        job,
                        Status.SUCCEEDED,
                        null,
                        spec,
                        outcome.metrics(),
                        outcome.unavailable(),
                        logged,
                        outcome.rows());
            }
        } catch (UpstreamUnavailable e) {
            retry(job, e.getMessage());
        } catch (ApiException e) {
            fail(job, spec, e.getMessage());
        } catch (EvaluationException | TableException | Fault e) {
            fail(job, spec, e.getMessage());
        } catch (java.io.IOException e) {
            retry(job, "reading the table: " + e.getMessage());
        } catch (UncheckedIOException e) {
            // a local file (the service's /tmp full, say): worth another try later
            retry(job, e.getMessage() + ": " + e.getCause().getMessage());
        }
    }

    /** A fault of this service's computation on one table: the evaluation fails with it. */
    static final class Fault extends RuntimeException {
        Fault(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The computation, where a fault of this service on this table (a bug a table reveals, a stack overflow) ends
     * the evaluation FAILED with the reason instead of being retried lease after lease; the outcomes the job
     * handles (a bad table or spec, a local file that cannot be written) pass through.
     */
    private Evaluator.Outcome evaluate(
            EvaluationSpec spec, String fileName, InputStream in, Evaluator.Judging judging) {
        try {
            return evaluator.evaluate(spec, fileName, in, judging);
        } catch (EvaluationException | TableException | ApiException | UpstreamUnavailable | UncheckedIOException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            LOG.errorf(e, "Evaluating %s failed", fileName);
            throw new Fault("the evaluation failed: " + e, e);
        }
    }

    /** A prompt evaluation's one endpoint: the template (a registered prompt read at its pinned version), the calls. */
    private Evaluator.Outcome prompt(EvaluationSpec spec, String actor) {
        var p = spec.getPrompt();
        PromptEvaluations.Template template =
                p.hasPromptUri() && !p.getPromptUri().isEmpty()
                        ? prompts.resolve(p.getPromptUri(), actor).template()
                        : new PromptEvaluations.Template(p.getTemplate(), null);
        String endpoint = p.getEndpoints(0);
        String type = JudgeRunner.checkType(endpoint, llm.endpointType(endpoint, actor));
        Map<String, String> judgeTypes = new LinkedHashMap<>();
        try {
            return promptEvaluator.evaluate(
                    spec,
                    template,
                    type,
                    e -> judgeTypes.computeIfAbsent(
                            e, name -> JudgeRunner.checkType(name, llm.endpointType(name, actor))),
                    actor);
        } catch (EvaluationException | TableException | ApiException | UpstreamUnavailable | UncheckedIOException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            LOG.errorf(e, "Evaluating a prompt failed");
            throw new Fault("the evaluation failed: " + e, e);
        }
    }

    /** The spec's judges, scoring as {@code actor}; null without judges. */
    private Evaluator.Judging judging(EvaluationSpec spec, String actor) {
        if (spec.getJudgesCount() == 0) {
            return null;
        }
        List<Judge> judges = Judges.resolve(spec.getJudgesList());
        return new Evaluator.Judging() {
            @Override
            public int maxRows() {
                return maxLlmRows;
            }

            @Override
            public List<JudgeRunner.Scored> score(List<JudgeRunner.Row> rows) {
                return scoreAll(judges, rows, actor);
            }
        };
    }

    /** Every judge over the rows, each endpoint's type read first (a missing endpoint fails the evaluation). */
    List<JudgeRunner.Scored> scoreAll(List<Judge> judges, List<JudgeRunner.Row> rows, String actor) {
        Map<String, String> types = new LinkedHashMap<>();
        for (Judge j : judges) {
            if (!types.containsKey(j.endpoint())) {
                types.put(j.endpoint(), JudgeRunner.checkType(j.endpoint(), llm.endpointType(j.endpoint(), actor)));
            }
        }
        List<JudgeRunner.Scored> out = new ArrayList<>();
        for (Judge j : judges) {
            out.add(judgeRunner.score(j, types.get(j.endpoint()), rows, actor));
        }
        return out;
    }

    /** MLflow's run tag listing the tables logged with {@code log_table}. */
    static final String LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts";

    /**
     * The run's {@value #LOGGED_ARTIFACTS_TAG} with the results table added as {@code log_table} adds it
     * ({@code {"path": …, "type": "table"}}, Python's {@code json.dumps} spacing); empty when no table was logged
     * or the tag lists it already.
     */
    static Optional<String> loggedTables(RunView run, List<String> logged) {
        if (!logged.contains(EvalResultsTable.FILE_NAME)) {
            return Optional.empty();
        }
        List<Map<String, Object>> entries = new ArrayList<>();
        String current = run.tags().get(LOGGED_ARTIFACTS_TAG);
        if (current != null) {
            try {
                entries.addAll(JSON.readValue(current, new TypeReference<List<Map<String, Object>>>() {}));
            } catch (Exception e) {
                LOG.warnf(
                        "Run %s has a %s tag that is not a JSON list; it is replaced",
                        run.runId(), LOGGED_ARTIFACTS_TAG);
            }
        }
        Map<String, Object> table = new LinkedHashMap<>();
        table.put("path", EvalResultsTable.FILE_NAME);
        table.put("type", "table");
        if (entries.contains(table)) {
            return Optional.empty();
        }
        entries.add(table);
        StringBuilder out = new StringBuilder("[");
        for (Map<String, Object> entry : entries) {
            out.append(out.length() == 1 ? "" : ", ").append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : entry.entrySet()) {
                out.append(first ? "" : ", ");
                first = false;
                try {
                    out.append(JSON.writeValueAsString(e.getKey()))
                            .append(": ")
                            .append(JSON.writeValueAsString(e.getValue()));
                } catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
            }
            out.append('}');
        }
        return Optional.of(out.append(']').toString());
    }

    /**
     * Whether this claim still holds the job; a copy that lost it (its lease lapsed and another claim took the
     * job) stops before it writes anything to the run.
     */
    private boolean stillHeld(EvaluationRecord job) {
        if (evaluations.holds(job.id(), job.attempts()).await().atMost(await)) {
            return true;
        }
        LOG.infof("Evaluation %s was taken over by another claim; this attempt stops without writing", job.id());
        return false;
    }

    private void fail(EvaluationRecord job, EvaluationSpec spec, String reason) {
        if (!stillHeld(job)) {
            return;
        }
        String why = reason == null || reason.isBlank() ? "failed" : printable(reason);
        if (why.length() > MAX_REASON) {
            why = why.substring(0, MAX_REASON - 1) + "…";
        }
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(Specs.STATUS_TAG, Status.FAILED.name());
        tags.put(Specs.ID_TAG, job.id().toString());
        tags.put(Specs.ERROR_TAG, why);
        try {
            tracking.log(job.runId(), Map.of(), System.currentTimeMillis(), tags);
            if (spec.hasPrompt()) {
                tracking.endRun(job.runId(), dev.skein.proto.tracking.v1.RunStatus.FAILED, job.userId());
            }
        } catch (UpstreamUnavailable e) {
            retry(job, e.getMessage());
            return;
        } catch (ApiException e) {
            // the run is gone or deleted: the evaluation records the failure alone
            LOG.infof(
                    "Evaluation %s failed; its run %s could not be tagged: %s", job.id(), job.runId(), e.getMessage());
        }
        finish(job, Status.FAILED, why, spec, Map.of(), Map.of(), List.of(), null);
    }

    /** A reason as tags and TEXT columns can hold it: control characters (NUL above all) shown as U+FFFD. */
    static String printable(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints()
                .forEach(c -> b.appendCodePoint(Character.isISOControl(c) && c != '\n' && c != '\t' ? 0xFFFD : c));
        return b.toString();
    }

    private void retry(EvaluationRecord job, String why) {
        long delay =
                Math.min(maxBackoff.toMillis(), backoff.toMillis() << Math.min(20, Math.max(0, job.attempts() - 1)));
        LOG.warnf("Evaluation %s (run %s) will be retried in %d ms: %s", job.id(), job.runId(), delay, why);
        evaluations
                .retryLater(job.id(), job.attempts(), System.currentTimeMillis() + delay, printable(why))
                .await()
                .atMost(await);
    }

    private void finish(
            EvaluationRecord job,
            Status status,
            String message,
            EvaluationSpec spec,
            Map<String, Double> metrics,
            Map<String, String> unavailable,
            List<String> logged,
            Long rows) {
        long end = System.currentTimeMillis();
        EvaluationCompleted event = EvaluationCompleted.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setEvaluationId(job.id().toString())
                .setRunId(job.runId())
                .setStatus(status.name())
                .setMessage(message == null ? "" : message)
                .setModelType(spec.getModelType())
                .putAllMetrics(metrics)
                .addAllArtifacts(logged)
                .putAllUnavailableMetrics(unavailable)
                .setTrigger(job.trigger().name())
                .setActor(job.userId() == null ? "" : job.userId())
                .setTime(end)
                .build();
        OutboxEvent out = new OutboxEvent(
                UUID.fromString(event.getEventId()),
                outbox.topic(),
                job.runId(),
                Outbox.COMPLETED,
                job.id().toString(),
                OutboxEvent.json(event),
                java.time.Instant.ofEpochMilli(end));
        boolean recorded = evaluations
                .pool()
                .withTransaction(conn -> evaluations
                        .finish(
                                conn,
                                job.id(),
                                job.attempts(),
                                status,
                                message,
                                spec,
                                metrics,
                                logged,
                                unavailable,
                                rows,
                                end)
                        .call(held -> held
                                ? outbox.append(conn, List.of(out))
                                        // audits of the run wait for its evaluation's metrics
                                        .call(() -> audits.wakeRun(conn, job.runId(), end))
                                : io.smallrye.mutiny.Uni.createFrom().voidItem()))
                .await()
                .atMost(await);
        if (recorded) {
            outbox.wake();
            LOG.infof(
                    "Evaluation %s of run %s %s%s",
                    job.id(), job.runId(), status, message == null ? "" : ": " + message);
        } else {
            LOG.infof("Evaluation %s was taken over by another claim; this attempt's result is dropped", job.id());
        }
    }
}
