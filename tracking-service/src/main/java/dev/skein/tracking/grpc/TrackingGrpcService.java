package dev.skein.tracking.grpc;

import static dev.skein.common.grpc.Calls.streaming;
import static dev.skein.common.grpc.Calls.unary;
import static dev.skein.tracking.grpc.ProtoMapper.optional;

import dev.skein.common.actor.Actors;
import dev.skein.common.error.GrpcExceptionHandlerProvider;
import dev.skein.common.grpc.CallWrites;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.DeleteExperiment;
import dev.skein.proto.tracking.v1.DeleteExperimentTag;
import dev.skein.proto.tracking.v1.DeleteRun;
import dev.skein.proto.tracking.v1.DeleteTag;
import dev.skein.proto.tracking.v1.GetExperiment;
import dev.skein.proto.tracking.v1.GetExperimentByName;
import dev.skein.proto.tracking.v1.GetMetricHistory;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulk;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulkInterval;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.LogInputs;
import dev.skein.proto.tracking.v1.LogMetric;
import dev.skein.proto.tracking.v1.LogModel;
import dev.skein.proto.tracking.v1.LogOutputs;
import dev.skein.proto.tracking.v1.LogParam;
import dev.skein.proto.tracking.v1.MutinyTrackingServiceGrpc;
import dev.skein.proto.tracking.v1.RestoreExperiment;
import dev.skein.proto.tracking.v1.RestoreRun;
import dev.skein.proto.tracking.v1.SearchDatasets;
import dev.skein.proto.tracking.v1.SearchExperiments;
import dev.skein.proto.tracking.v1.SearchRuns;
import dev.skein.proto.tracking.v1.SetExperimentTag;
import dev.skein.proto.tracking.v1.SetTag;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import dev.skein.proto.tracking.v1.UpdateExperiment;
import dev.skein.proto.tracking.v1.UpdateRun;
import dev.skein.tracking.RunView;
import dev.skein.tracking.service.AnswerDelivery;
import dev.skein.tracking.service.ExperimentService;
import dev.skein.tracking.service.RunDataService;
import dev.skein.tracking.service.RunService;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Context;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The gRPC face of tracking-service: maps requests and responses, nothing else. GetMetricHistory
 * streams with the call's flow control ({@link ReadySender}); the other methods are bound as
 * generated.
 */
@GrpcService
public class TrackingGrpcService extends MutinyTrackingServiceGrpc.TrackingServiceImplBase {

    private final ExperimentService experiments;
    private final RunService runs;
    private final RunDataService runData;
    private final Function<Throwable, Throwable> errors;

    public TrackingGrpcService(
            ExperimentService experiments,
            RunService runs,
            RunDataService runData,
            GrpcExceptionHandlerProvider errors) {
        this.experiments = experiments;
        this.runs = runs;
        this.runData = runData;
        this.errors = errors::transform;
    }

    /**
     * The generated binding, except four methods. GetMetricHistory and SearchRuns: Quarkus's Mutiny
     * bridge drains a stream as fast as PostgreSQL answers, so a slow reader would fill this service's
     * heap; they are served here with the call's readiness deciding when the next chunk is read. The two bulk history
     * reads: the bridge never cancels a unary method's Uni when the client cancels the call (and the
     * Vert.x gRPC server gives the call no cancellable {@code io.grpc.Context}), so they are bound here
     * to the call's cancel signal, which stops their remaining queries.
     */
    @Override
    public ServerServiceDefinition bindService() {
        ServerServiceDefinition generated = super.bindService();
        Set<String> own = Set.of(
                TrackingServiceGrpc.getGetMetricHistoryMethod().getFullMethodName(),
                TrackingServiceGrpc.getSearchRunsMethod().getFullMethodName(),
                TrackingServiceGrpc.getGetMetricHistoryBulkMethod().getFullMethodName(),
                TrackingServiceGrpc.getGetMetricHistoryBulkIntervalMethod().getFullMethodName());
        ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(generated.getServiceDescriptor());
        for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
            if (!own.contains(method.getMethodDescriptor().getFullMethodName())) {
                service.addMethod(method);
            }
        }
        service.addMethod(
                TrackingServiceGrpc.getGetMetricHistoryMethod(),
                ServerCalls.asyncServerStreamingCall(
                        (request, responses) -> ReadySender.send(getMetricHistory(request), responses, errors)));
        service.addMethod(
                TrackingServiceGrpc.getSearchRunsMethod(),
                ServerCalls.asyncServerStreamingCall(
                        (request, responses) -> ReadySender.send(searchRuns(request), responses, errors)));
        service.addMethod(
                TrackingServiceGrpc.getGetMetricHistoryBulkMethod(), cancelledWithTheCall(this::getMetricHistoryBulk));
        service.addMethod(
                TrackingServiceGrpc.getGetMetricHistoryBulkIntervalMethod(),
                cancelledWithTheCall(this::getMetricHistoryBulkInterval));
        return service.build();
    }

    /**
     * A unary method whose Uni is cancelled when the client cancels the call (or its deadline passes).
     * Its answer or error is written on the call's event loop and only while the call is not cancelled
     * ({@link CallWrites}); its {@link AnswerDelivery} runs once the answer was written, or the call
     * ended without one.
     */
    private <Q, R> ServerCallHandler<Q, R> cancelledWithTheCall(Function<Q, Uni<R>> method) {
        return ServerCalls.asyncUnaryCall((request, responses) -> {
            ServerCallStreamObserver<R> call = (ServerCallStreamObserver<R>) responses;
            CallWrites writes = CallWrites.of(call);
            AnswerDelivery delivery = new AnswerDelivery();
            AtomicReference<Cancellable> work = new AtomicReference<>();
            AtomicBoolean cancelled = new AtomicBoolean();
            call.setOnCancelHandler(() -> {
                cancelled.set(true);
                Cancellable running = work.get();
                if (running != null) {
                    running.cancel();
                }
                delivery.run();
            });
            work.set(unary(() -> method.apply(request))
                    .subscribe()
                    .with(
                            Context.of(AnswerDelivery.KEY, delivery),
                            answer -> writes.onCallThread(() -> {
                                try {
                                    if (!writes.cancelled()) {
                                        call.onNext(answer);
                                        call.onCompleted();
                                    }
                                } finally {
                                    delivery.run();
                                }
                            }),
                            failure -> writes.onCallThread(() -> {
                                try {
                                    if (!writes.cancelled()) {
                                        call.onError(errors.apply(failure));
                                    }
                                } finally {
                                    delivery.run();
                                }
                            })));
            if (cancelled.get()) {
                work.get().cancel();
            }
        });
    }

    @Override
    public Uni<CreateExperiment.Response> createExperiment(CreateExperiment r) {
        return unary(() -> experiments
                .create(
                        optional(r.hasName(), r.getName()),
                        optional(r.hasArtifactLocation(), r.getArtifactLocation()),
                        ProtoMapper.experimentTags(r.getTagsList()))
                .map(id -> CreateExperiment.Response.newBuilder()
                        .setExperimentId(Long.toString(id))
                        .build()));
    }

    @Override
    public Uni<SearchExperiments.Response> searchExperiments(SearchExperiments r) {
        return unary(() -> experiments
                .search(
                        r.getMaxResults(),
                        optional(r.hasPageToken(), r.getPageToken()),
                        optional(r.hasFilter(), r.getFilter()),
                        r.getOrderByList(),
                        ProtoMapper.viewType(r.getViewType()))
                .map(page -> {
                    SearchExperiments.Response.Builder b = SearchExperiments.Response.newBuilder();
                    page.items().forEach(e -> b.addExperiments(ProtoMapper.experiment(e)));
                    if (page.nextPageToken() != null) {
                        b.setNextPageToken(page.nextPageToken());
                    }
                    return b.build();
                }));
    }

    @Override
    public Uni<GetExperiment.Response> getExperiment(GetExperiment r) {
        return unary(() -> experiments
                .get(optional(r.hasExperimentId(), r.getExperimentId()))
                .map(e -> GetExperiment.Response.newBuilder()
                        .setExperiment(ProtoMapper.experiment(e))
                        .build()));
    }

    @Override
    public Uni<GetExperimentByName.Response> getExperimentByName(GetExperimentByName r) {
        return unary(() -> experiments
                .getByName(optional(r.hasExperimentName(), r.getExperimentName()))
                .map(e -> GetExperimentByName.Response.newBuilder()
                        .setExperiment(ProtoMapper.experiment(e))
                        .build()));
    }

    @Override
    public Uni<DeleteExperiment.Response> deleteExperiment(DeleteExperiment r) {
        String actor = Actors.current();
        return unary(() -> experiments
                .delete(optional(r.hasExperimentId(), r.getExperimentId()), actor)
                .replaceWith(DeleteExperiment.Response.getDefaultInstance()));
    }

    @Override
    public Uni<RestoreExperiment.Response> restoreExperiment(RestoreExperiment r) {
        String actor = Actors.current();
        return unary(() -> experiments
                .restore(optional(r.hasExperimentId(), r.getExperimentId()), actor)
                .replaceWith(RestoreExperiment.Response.getDefaultInstance()));
    }

    @Override
    public Uni<UpdateExperiment.Response> updateExperiment(UpdateExperiment r) {
        return unary(() -> experiments
                .rename(optional(r.hasExperimentId(), r.getExperimentId()), optional(r.hasNewName(), r.getNewName()))
                .replaceWith(UpdateExperiment.Response.getDefaultInstance()));
    }

    @Override
    public Uni<SetExperimentTag.Response> setExperimentTag(SetExperimentTag r) {
        return unary(() -> experiments
                .setTag(
                        optional(r.hasExperimentId(), r.getExperimentId()),
                        optional(r.hasKey(), r.getKey()),
                        optional(r.hasValue(), r.getValue()))
                .replaceWith(SetExperimentTag.Response.getDefaultInstance()));
    }

    @Override
    public Uni<DeleteExperimentTag.Response> deleteExperimentTag(DeleteExperimentTag r) {
        return unary(() -> experiments
                .deleteTag(optional(r.hasExperimentId(), r.getExperimentId()), optional(r.hasKey(), r.getKey()))
                .replaceWith(DeleteExperimentTag.Response.getDefaultInstance()));
    }

    @Override
    public Uni<CreateRun.Response> createRun(CreateRun r) {
        String actor = Actors.current();
        return unary(() -> runs.create(
                        optional(r.hasExperimentId(), r.getExperimentId()),
                        optional(r.hasUserId(), r.getUserId()),
                        optional(r.hasRunName(), r.getRunName()),
                        r.hasStartTime() ? r.getStartTime() : null,
                        ProtoMapper.runTags(r.getTagsList()),
                        actor)
                .map(run -> CreateRun.Response.newBuilder()
                        .setRun(ProtoMapper.run(run))
                        .build()));
    }

    @Override
    public Uni<UpdateRun.Response> updateRun(UpdateRun r) {
        String actor = Actors.current();
        return unary(() -> runs.update(
                        ProtoMapper.runId(r.hasRunId(), r.getRunId(), r.hasRunUuid(), r.getRunUuid()),
                        r.hasStatus() ? r.getStatus().name() : null,
                        r.hasEndTime() ? r.getEndTime() : null,
                        optional(r.hasRunName(), r.getRunName()),
                        actor)
                .map(run -> UpdateRun.Response.newBuilder()
                        .setRunInfo(ProtoMapper.runInfo(run))
                        .build()));
    }

    @Override
    public Uni<DeleteRun.Response> deleteRun(DeleteRun r) {
        String actor = Actors.current();
        return unary(() -> runs.delete(optional(r.hasRunId(), r.getRunId()), actor)
                .replaceWith(DeleteRun.Response.getDefaultInstance()));
    }

    @Override
    public Uni<RestoreRun.Response> restoreRun(RestoreRun r) {
        String actor = Actors.current();
        return unary(() -> runs.restore(optional(r.hasRunId(), r.getRunId()), actor)
                .replaceWith(RestoreRun.Response.getDefaultInstance()));
    }

    @Override
    public Uni<GetRun.Response> getRun(GetRun r) {
        return unary(() -> runs.get(ProtoMapper.runId(r.hasRunId(), r.getRunId(), r.hasRunUuid(), r.getRunUuid()))
                .map(run -> GetRun.Response.newBuilder()
                        .setRun(ProtoMapper.run(run))
                        .build()));
    }

    @Override
    public Multi<SearchRuns.Response> searchRuns(SearchRuns r) {
        return streaming(() -> runs.search(
                        r.getExperimentIdsList(),
                        optional(r.hasFilter(), r.getFilter()),
                        ProtoMapper.viewType(r.getRunViewType()),
                        r.getMaxResults(),
                        r.getOrderByList(),
                        optional(r.hasPageToken(), r.getPageToken()))
                .map(chunk -> {
                    SearchRuns.Response.Builder b = SearchRuns.Response.newBuilder();
                    chunk.items().forEach(run -> b.addRuns(ProtoMapper.run(run)));
                    if (chunk.nextPageToken() != null) {
                        b.setNextPageToken(chunk.nextPageToken());
                    }
                    return b.build();
                }));
    }

    @Override
    public Uni<LogMetric.Response> logMetric(LogMetric r) {
        return unary(() -> runData.logMetric(
                        ProtoMapper.runId(r.hasRunId(), r.getRunId(), r.hasRunUuid(), r.getRunUuid()),
                        new RunDataService.MetricInput(
                                optional(r.hasKey(), r.getKey()),
                                r.hasValue() ? r.getValue() : null,
                                r.hasTimestamp() ? r.getTimestamp() : null,
                                r.getStep(),
                                optional(r.hasModelId(), r.getModelId()),
                                optional(r.hasDatasetName(), r.getDatasetName()),
                                optional(r.hasDatasetDigest(), r.getDatasetDigest())))
                .replaceWith(LogMetric.Response.getDefaultInstance()));
    }

    @Override
    public Uni<LogParam.Response> logParam(LogParam r) {
        return unary(() -> runData.logParam(
                        ProtoMapper.runId(r.hasRunId(), r.getRunId(), r.hasRunUuid(), r.getRunUuid()),
                        optional(r.hasKey(), r.getKey()),
                        optional(r.hasValue(), r.getValue()))
                .replaceWith(LogParam.Response.getDefaultInstance()));
    }

    @Override
    public Uni<SetTag.Response> setTag(SetTag r) {
        return unary(() -> runData.setTag(
                        ProtoMapper.runId(r.hasRunId(), r.getRunId(), r.hasRunUuid(), r.getRunUuid()),
                        optional(r.hasKey(), r.getKey()),
                        optional(r.hasValue(), r.getValue()))
                .replaceWith(SetTag.Response.getDefaultInstance()));
    }

    @Override
    public Uni<DeleteTag.Response> deleteTag(DeleteTag r) {
        return unary(() -> runData.deleteTag(optional(r.hasRunId(), r.getRunId()), optional(r.hasKey(), r.getKey()))
                .replaceWith(DeleteTag.Response.getDefaultInstance()));
    }

    @Override
    public Uni<LogBatch.Response> logBatch(LogBatch r) {
        return unary(() -> runData.logBatch(
                        optional(r.hasRunId(), r.getRunId()),
                        ProtoMapper.metrics(r.getMetricsList()),
                        ProtoMapper.params(r.getParamsList()),
                        ProtoMapper.runTags(r.getTagsList()))
                .replaceWith(LogBatch.Response.getDefaultInstance()));
    }

    @Override
    public Uni<LogModel.Response> logModel(LogModel r) {
        return unary(() -> runData.logModel(
                        optional(r.hasRunId(), r.getRunId()), optional(r.hasModelJson(), r.getModelJson()))
                .replaceWith(LogModel.Response.getDefaultInstance()));
    }

    @Override
    public Uni<LogInputs.Response> logInputs(LogInputs r) {
        return unary(() -> runData.logInputs(
                        optional(r.hasRunId(), r.getRunId()),
                        ProtoMapper.datasets(r.getDatasetsList()),
                        r.getModelsList().stream()
                                .map(m -> m.hasModelId() ? m.getModelId() : null)
                                .toList())
                .replaceWith(LogInputs.Response.getDefaultInstance()));
    }

    @Override
    public Uni<LogOutputs.Response> logOutputs(LogOutputs r) {
        return unary(() -> runData.logOutputs(
                        optional(r.hasRunId(), r.getRunId()),
                        r.getModelsList().stream()
                                .map(m -> new RunView.ModelOutput(m.hasModelId() ? m.getModelId() : null, m.getStep()))
                                .toList())
                .replaceWith(LogOutputs.Response.getDefaultInstance()));
    }

    @Override
    public Multi<GetMetricHistory.Response> getMetricHistory(GetMetricHistory r) {
        return streaming(() -> runData.history(
                        ProtoMapper.runId(r.hasRunId(), r.getRunId(), r.hasRunUuid(), r.getRunUuid()),
                        optional(r.hasMetricKey(), r.getMetricKey()),
                        r.hasMaxResults() ? r.getMaxResults() : null,
                        optional(r.hasPageToken(), r.getPageToken()))
                .map(chunk -> {
                    GetMetricHistory.Response.Builder b = GetMetricHistory.Response.newBuilder();
                    chunk.points().forEach(m -> b.addMetrics(ProtoMapper.metric(m)));
                    if (chunk.nextPageToken() != null) {
                        b.setNextPageToken(chunk.nextPageToken());
                    }
                    return b.build();
                }));
    }

    @Override
    public Uni<GetMetricHistoryBulkInterval.Response> getMetricHistoryBulkInterval(GetMetricHistoryBulkInterval r) {
        return unary(() -> runData.bulkInterval(
                        r.getRunIdsList(),
                        optional(r.hasMetricKey(), r.getMetricKey()),
                        r.hasStartStep() ? r.getStartStep() : null,
                        r.hasEndStep() ? r.getEndStep() : null,
                        r.hasMaxResults() ? r.getMaxResults() : null)
                .map(perRun -> {
                    GetMetricHistoryBulkInterval.Response.Builder b =
                            GetMetricHistoryBulkInterval.Response.newBuilder();
                    perRun.forEach(run -> run.points().forEach(m -> b.addMetrics(ProtoMapper.metric(run.runId(), m))));
                    return b.build();
                }));
    }

    @Override
    public Uni<GetMetricHistoryBulk.Response> getMetricHistoryBulk(GetMetricHistoryBulk r) {
        return unary(() -> runData.historyBulk(
                        r.getRunIdList(),
                        optional(r.hasMetricKey(), r.getMetricKey()),
                        r.hasMaxResults() ? r.getMaxResults() : null)
                .map(points -> {
                    GetMetricHistoryBulk.Response.Builder b = GetMetricHistoryBulk.Response.newBuilder();
                    points.forEach(p -> b.addMetrics(ProtoMapper.metric(p.runId(), p.point())));
                    return b.build();
                }));
    }

    @Override
    public Uni<SearchDatasets.Response> searchDatasets(SearchDatasets r) {
        return unary(() -> runData.searchDatasets(r.getExperimentIdsList()).map(summaries -> {
            SearchDatasets.Response.Builder b = SearchDatasets.Response.newBuilder();
            summaries.forEach(d -> b.addDatasetSummaries(ProtoMapper.datasetSummary(d)));
            return b.build();
        }));
    }
}
