package dev.skein.evaluation.client;

import dev.skein.evaluation.config.EvaluationConfig;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.GetExperiment;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.LogModel;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.Param;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.RunStatus;
import dev.skein.proto.tracking.v1.RunTag;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import dev.skein.proto.tracking.v1.UpdateRun;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * tracking-service as evaluation needs it: a run (its status, artifact root, tags, latest metrics)
 * and logging an evaluation's outcome. Blocking: called from the evaluation workers' own threads.
 */
@ApplicationScoped
public class TrackingClient {

    /** What evaluation knows of a run. */
    public record RunView(
            String runId,
            String experimentId,
            RunStatus status,
            String lifecycleStage,
            String artifactUri,
            long endTime,
            Map<String, String> tags,
            Map<String, Double> metrics) {}

    private final TrackingServiceGrpc.TrackingServiceBlockingStub tracking;
    private final TrackingServiceGrpc.TrackingServiceBlockingStub plain;
    private final long timeoutMillis;

    public TrackingClient(
            @GrpcClient("tracking") TrackingServiceGrpc.TrackingServiceBlockingStub tracking, EvaluationConfig config) {
        this.plain = tracking;
        this.tracking = tracking.withInterceptors(Upstream.ACTOR_HEADER);
        this.timeoutMillis = config.upstreamTimeout().toMillis();
    }

    /** The run, or empty when tracking-service does not know it (or refuses its id). */
    public Optional<RunView> run(String runId) {
        Run run;
        try {
            run = tracking.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                    .getRun(GetRun.newBuilder().setRunId(runId).build())
                    .getRun();
        } catch (StatusRuntimeException e) {
            if (Upstream.notFound(e) || e.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT) {
                return Optional.empty();
            }
            throw Upstream.failure("read run " + runId, e);
        }
        Map<String, String> tags = new LinkedHashMap<>();
        for (RunTag t : run.getData().getTagsList()) {
            tags.put(t.getKey(), t.getValue());
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (Metric m : run.getData().getMetricsList()) {
            metrics.put(m.getKey(), m.getValue());
        }
        return Optional.of(new RunView(
                run.getInfo().getRunId(),
                run.getInfo().getExperimentId(),
                run.getInfo().getStatus(),
                run.getInfo().getLifecycleStage(),
                run.getInfo().getArtifactUri(),
                run.getInfo().getEndTime(),
                tags,
                metrics));
    }

    /**
     * Metrics (step 0, at {@code timestamp}) and tags in one LogBatch, which tracking-service writes in
     * one transaction: all of them or none. Logging the same points again is a no-op (a point is
     * identified by key, step, timestamp and value), so a retried attempt does not log twice.
     */
    public void log(String runId, Map<String, Double> metrics, long timestamp, Map<String, String> tags) {
        LogBatch.Builder batch = LogBatch.newBuilder().setRunId(runId);
        metrics.forEach((k, v) -> batch.addMetrics(Metric.newBuilder()
                .setKey(k)
                .setValue(v)
                .setTimestamp(timestamp)
                .setStep(0)));
        tags.forEach((k, v) -> batch.addTags(RunTag.newBuilder().setKey(k).setValue(v)));
        try {
            tracking.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS).logBatch(batch.build());
        } catch (StatusRuntimeException e) {
            throw Upstream.failure("log to run " + runId, e);
        }
    }
    /**
     * tracking-service acting for {@code actor} (the user whose request this is, not evaluation-service): the runs it
     * makes are theirs, and its events name them.
     */
    private TrackingServiceGrpc.TrackingServiceBlockingStub as(String actor) {
        return plain.withInterceptors(Upstream.actorHeader(actor))
                .withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** The experiment's lifecycle stage ({@code active}, {@code deleted}); empty when there is no such experiment. */
    public Optional<String> experimentStage(String experimentId, String actor) {
        try {
            return Optional.of(as(actor)
                    .getExperiment(GetExperiment.newBuilder()
                            .setExperimentId(experimentId)
                            .build())
                    .getExperiment()
                    .getLifecycleStage());
        } catch (StatusRuntimeException e) {
            if (Upstream.notFound(e) || e.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT) {
                return Optional.empty();
            }
            throw Upstream.failure("read experiment " + experimentId, e);
        }
    }

    /** A new run, made for {@code actor}. */
    public Run createRun(CreateRun request, String actor) {
        try {
            return as(actor).createRun(request).getRun();
        } catch (StatusRuntimeException e) {
            throw Upstream.failure("create a run", e);
        }
    }

    /** Params and tags in one LogBatch (one transaction in tracking-service), for {@code actor}. */
    public void logBatch(String runId, List<Param> params, Map<String, String> tags, String actor) {
        LogBatch.Builder batch = LogBatch.newBuilder().setRunId(runId).addAllParams(params);
        tags.forEach((k, v) -> batch.addTags(RunTag.newBuilder().setKey(k).setValue(v)));
        try {
            as(actor).logBatch(batch.build());
        } catch (StatusRuntimeException e) {
            throw Upstream.failure("log to run " + runId, e);
        }
    }

    /** MLflow's log-model: the model's JSON appended to the run's {@code mlflow.log-model.history} tag. */
    public void logModel(String runId, String modelJson, String actor) {
        try {
            as(actor)
                    .logModel(LogModel.newBuilder()
                            .setRunId(runId)
                            .setModelJson(modelJson)
                            .build());
        } catch (StatusRuntimeException e) {
            throw Upstream.failure("log a model to run " + runId, e);
        }
    }

    /** Ends the run with {@code status} now. */
    public void endRun(String runId, RunStatus status, String actor) {
        try {
            as(actor)
                    .updateRun(UpdateRun.newBuilder()
                            .setRunId(runId)
                            .setStatus(status)
                            .setEndTime(System.currentTimeMillis())
                            .build());
        } catch (StatusRuntimeException e) {
            throw Upstream.failure("end run " + runId, e);
        }
    }

    /** The whole run, as MLflow's runs/get answers it. */
    public Run getRun(String runId, String actor) {
        try {
            return as(actor).getRun(GetRun.newBuilder().setRunId(runId).build()).getRun();
        } catch (StatusRuntimeException e) {
            throw Upstream.failure("read run " + runId, e);
        }
    }
}
