package dev.skein.tracking.model;

import static dev.skein.common.grpc.Calls.unary;

import dev.skein.common.actor.Actors;
import dev.skein.proto.tracking.v1.CreateLoggedModel;
import dev.skein.proto.tracking.v1.DeleteLoggedModel;
import dev.skein.proto.tracking.v1.DeleteLoggedModelTag;
import dev.skein.proto.tracking.v1.FinalizeLoggedModel;
import dev.skein.proto.tracking.v1.GetLoggedModel;
import dev.skein.proto.tracking.v1.ListLoggedModelVersion;
import dev.skein.proto.tracking.v1.LogLoggedModelParamsRequest;
import dev.skein.proto.tracking.v1.LoggedModelData;
import dev.skein.proto.tracking.v1.LoggedModelInfo;
import dev.skein.proto.tracking.v1.LoggedModelParameter;
import dev.skein.proto.tracking.v1.LoggedModelStatus;
import dev.skein.proto.tracking.v1.LoggedModelTag;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.MutinyLoggedModelServiceGrpc;
import dev.skein.proto.tracking.v1.SearchLoggedModels;
import dev.skein.proto.tracking.v1.SetLoggedModelTags;
import dev.skein.tracking.KeyValue;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import java.util.List;

/** The gRPC face of MLflow 3's logged models: maps requests and responses, nothing else. */
@GrpcService
public class LoggedModelGrpcService extends MutinyLoggedModelServiceGrpc.LoggedModelServiceImplBase {

    private final LoggedModelService models;
    private final LoggedModelSearch search;

    public LoggedModelGrpcService(LoggedModelService models, LoggedModelSearch search) {
        this.models = models;
        this.search = search;
    }

    @Override
    public Uni<CreateLoggedModel.Response> createLoggedModel(CreateLoggedModel r) {
        String actor = Actors.current();
        return unary(() -> models.create(
                        r.hasExperimentId() ? r.getExperimentId() : null,
                        r.hasName() ? r.getName() : null,
                        r.hasModelType() ? r.getModelType() : null,
                        r.hasSourceRunId() ? r.getSourceRunId() : null,
                        r.getParamsList().stream()
                                .map(p -> entry(p.hasKey(), p.getKey(), p.hasValue(), p.getValue()))
                                .toList(),
                        tags(r.getTagsList()),
                        actor)
                .map(m -> CreateLoggedModel.Response.newBuilder()
                        .setModel(proto(m))
                        .build()));
    }

    @Override
    public Uni<FinalizeLoggedModel.Response> finalizeLoggedModel(FinalizeLoggedModel r) {
        String actor = Actors.current();
        return unary(() -> models.finalize(
                        r.hasModelId() ? r.getModelId() : null, r.hasStatus() ? status(r.getStatus()) : null, actor)
                .map(m -> FinalizeLoggedModel.Response.newBuilder()
                        .setModel(proto(m))
                        .build()));
    }

    @Override
    public Uni<GetLoggedModel.Response> getLoggedModel(GetLoggedModel r) {
        return unary(() -> models.get(r.hasModelId() ? r.getModelId() : null, r.getAllowDeleted())
                .map(m ->
                        GetLoggedModel.Response.newBuilder().setModel(proto(m)).build()));
    }

    @Override
    public Uni<DeleteLoggedModel.Response> deleteLoggedModel(DeleteLoggedModel r) {
        return unary(() -> models.delete(r.hasModelId() ? r.getModelId() : null)
                .replaceWith(DeleteLoggedModel.Response.getDefaultInstance()));
    }

    @Override
    public Uni<SearchLoggedModels.Response> searchLoggedModels(SearchLoggedModels r) {
        return unary(() -> search.search(r).map(page -> {
            SearchLoggedModels.Response.Builder b = SearchLoggedModels.Response.newBuilder();
            page.items().forEach(m -> b.addModels(proto(m)));
            if (page.nextPageToken() != null) {
                b.setNextPageToken(page.nextPageToken());
            }
            return b.build();
        }));
    }

    @Override
    public Uni<SetLoggedModelTags.Response> setLoggedModelTags(SetLoggedModelTags r) {
        return unary(() -> models.setTags(r.hasModelId() ? r.getModelId() : null, tags(r.getTagsList()))
                .replaceWith(SetLoggedModelTags.Response.getDefaultInstance()));
    }

    @Override
    public Uni<ListLoggedModelVersion.Response> listLoggedModelVersion(ListLoggedModelVersion r) {
        return unary(() -> models.listVersion(
                        r.hasModelId() ? r.getModelId() : null, r.hasName() ? r.getName() : null, r.getVersion())
                .replaceWith(ListLoggedModelVersion.Response.getDefaultInstance()));
    }

    @Override
    public Uni<DeleteLoggedModelTag.Response> deleteLoggedModelTag(DeleteLoggedModelTag r) {
        return unary(
                () -> models.deleteTag(r.hasModelId() ? r.getModelId() : null, r.hasTagKey() ? r.getTagKey() : null)
                        .replaceWith(DeleteLoggedModelTag.Response.getDefaultInstance()));
    }

    @Override
    public Uni<LogLoggedModelParamsRequest.Response> logLoggedModelParams(LogLoggedModelParamsRequest r) {
        return unary(() -> models.logParams(
                        r.hasModelId() ? r.getModelId() : null,
                        r.getParamsList().stream()
                                .map(p -> entry(p.hasKey(), p.getKey(), p.hasValue(), p.getValue()))
                                .toList())
                .replaceWith(LogLoggedModelParamsRequest.Response.getDefaultInstance()));
    }

    private static List<KeyValue> tags(List<LoggedModelTag> tags) {
        return tags.stream()
                .map(t -> entry(t.hasKey(), t.getKey(), t.hasValue(), t.getValue()))
                .toList();
    }

    private static KeyValue entry(boolean hasKey, String key, boolean hasValue, String value) {
        return new KeyValue(hasKey ? key : null, hasValue ? value : null);
    }

    /** MLflow's status name for a finalize request; null for UNSPECIFIED (refused as missing). */
    private static String status(LoggedModelStatus s) {
        return switch (s) {
            case LOGGED_MODEL_PENDING -> LoggedModel.PENDING;
            case LOGGED_MODEL_READY -> LoggedModel.READY;
            case LOGGED_MODEL_UPLOAD_FAILED -> LoggedModel.UPLOAD_FAILED;
            default -> null;
        };
    }

    static dev.skein.proto.tracking.v1.LoggedModel proto(LoggedModel m) {
        LoggedModelInfo.Builder info = LoggedModelInfo.newBuilder()
                .setModelId(m.modelId())
                .setExperimentId(Long.toString(m.experimentId()))
                .setName(m.name())
                .setCreationTimestampMs(m.creationTimestampMs())
                .setLastUpdatedTimestampMs(m.lastUpdatedTimestampMs())
                .setArtifactUri(m.artifactLocation())
                .setStatus(
                        switch (m.status()) {
                            case LoggedModel.READY -> LoggedModelStatus.LOGGED_MODEL_READY;
                            case LoggedModel.UPLOAD_FAILED -> LoggedModelStatus.LOGGED_MODEL_UPLOAD_FAILED;
                            default -> LoggedModelStatus.LOGGED_MODEL_PENDING;
                        });
        if (m.modelType() != null) {
            info.setModelType(m.modelType());
        }
        if (m.sourceRunId() != null) {
            info.setSourceRunId(m.sourceRunId());
        }
        if (m.statusMessage() != null) {
            info.setStatusMessage(m.statusMessage());
        }
        m.tags()
                .forEach(t ->
                        info.addTags(LoggedModelTag.newBuilder().setKey(t.key()).setValue(t.value())));
        LoggedModelData.Builder data = LoggedModelData.newBuilder();
        m.params()
                .forEach(p -> data.addParams(
                        LoggedModelParameter.newBuilder().setKey(p.key()).setValue(p.value())));
        m.metrics().forEach(x -> data.addMetrics(metric(x)));
        return dev.skein.proto.tracking.v1.LoggedModel.newBuilder()
                .setInfo(info)
                .setData(data)
                .build();
    }

    static Metric metric(LoggedModel.ModelMetric x) {
        Metric.Builder b = Metric.newBuilder()
                .setKey(x.key())
                .setValue(x.value())
                .setTimestamp(x.timestamp())
                .setStep(x.step())
                .setRunId(x.runId())
                .setModelId(x.modelId());
        if (x.datasetName() != null) {
            b.setDatasetName(x.datasetName());
        }
        if (x.datasetDigest() != null) {
            b.setDatasetDigest(x.datasetDigest());
        }
        return b.build();
    }
}
