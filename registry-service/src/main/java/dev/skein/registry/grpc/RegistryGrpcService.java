package dev.skein.registry.grpc;

import static dev.skein.common.grpc.Calls.unary;
import static dev.skein.registry.grpc.ProtoMapper.optional;

import dev.skein.common.actor.Actors;
import dev.skein.proto.registry.v1.CreateModelVersion;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.DeleteModelVersion;
import dev.skein.proto.registry.v1.DeleteModelVersionTag;
import dev.skein.proto.registry.v1.DeleteRegisteredModel;
import dev.skein.proto.registry.v1.DeleteRegisteredModelAlias;
import dev.skein.proto.registry.v1.DeleteRegisteredModelTag;
import dev.skein.proto.registry.v1.GetLatestVersions;
import dev.skein.proto.registry.v1.GetModelVersion;
import dev.skein.proto.registry.v1.GetModelVersionByAlias;
import dev.skein.proto.registry.v1.GetModelVersionDownloadUri;
import dev.skein.proto.registry.v1.GetRegisteredModel;
import dev.skein.proto.registry.v1.RegistryService;
import dev.skein.proto.registry.v1.RenameRegisteredModel;
import dev.skein.proto.registry.v1.SearchModelVersions;
import dev.skein.proto.registry.v1.SearchRegisteredModels;
import dev.skein.proto.registry.v1.SetModelVersionTag;
import dev.skein.proto.registry.v1.SetRegisteredModelAlias;
import dev.skein.proto.registry.v1.SetRegisteredModelTag;
import dev.skein.proto.registry.v1.TransitionModelVersionStage;
import dev.skein.proto.registry.v1.UpdateModelVersion;
import dev.skein.proto.registry.v1.UpdateRegisteredModel;
import dev.skein.registry.service.ModelService;
import dev.skein.registry.service.VersionService;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/**
 * The gRPC face of the model registry: maps requests and responses, nothing else. The acting user
 * (from the gateway) is read as each call starts.
 */
@GrpcService
public class RegistryGrpcService implements RegistryService {

    private final ModelService models;
    private final VersionService versions;

    public RegistryGrpcService(ModelService models, VersionService versions) {
        this.models = models;
        this.versions = versions;
    }

    @Override
    public Uni<CreateRegisteredModel.Response> createRegisteredModel(CreateRegisteredModel r) {
        String actor = Actors.current();
        return unary(() -> models.create(
                        actor,
                        optional(r.hasName(), r.getName()),
                        ProtoMapper.modelTags(r.getTagsList()),
                        optional(r.hasDescription(), r.getDescription()))
                .map(m -> CreateRegisteredModel.Response.newBuilder()
                        .setRegisteredModel(ProtoMapper.model(m))
                        .build()));
    }

    @Override
    public Uni<RenameRegisteredModel.Response> renameRegisteredModel(RenameRegisteredModel r) {
        String actor = Actors.current();
        return unary(
                () -> models.rename(actor, optional(r.hasName(), r.getName()), optional(r.hasNewName(), r.getNewName()))
                        .map(m -> RenameRegisteredModel.Response.newBuilder()
                                .setRegisteredModel(ProtoMapper.model(m))
                                .build()));
    }

    @Override
    public Uni<UpdateRegisteredModel.Response> updateRegisteredModel(UpdateRegisteredModel r) {
        String actor = Actors.current();
        return unary(() -> models.update(
                        actor, optional(r.hasName(), r.getName()), optional(r.hasDescription(), r.getDescription()))
                .map(m -> UpdateRegisteredModel.Response.newBuilder()
                        .setRegisteredModel(ProtoMapper.model(m))
                        .build()));
    }

    @Override
    public Uni<DeleteRegisteredModel.Response> deleteRegisteredModel(DeleteRegisteredModel r) {
        String actor = Actors.current();
        return unary(() -> models.delete(actor, optional(r.hasName(), r.getName()))
                .replaceWith(DeleteRegisteredModel.Response.getDefaultInstance()));
    }

    @Override
    public Uni<GetRegisteredModel.Response> getRegisteredModel(GetRegisteredModel r) {
        return unary(
                () -> models.get(optional(r.hasName(), r.getName())).map(m -> GetRegisteredModel.Response.newBuilder()
                        .setRegisteredModel(ProtoMapper.model(m))
                        .build()));
    }

    @Override
    public Uni<SearchRegisteredModels.Response> searchRegisteredModels(SearchRegisteredModels r) {
        return unary(() -> models.search(
                        optional(r.hasFilter(), r.getFilter()),
                        r.getMaxResults(),
                        r.getOrderByList(),
                        optional(r.hasPageToken(), r.getPageToken()))
                .map(page -> {
                    var b = SearchRegisteredModels.Response.newBuilder();
                    page.items().forEach(m -> b.addRegisteredModels(ProtoMapper.model(m)));
                    if (page.nextPageToken() != null) {
                        b.setNextPageToken(page.nextPageToken());
                    }
                    return b.build();
                }));
    }

    @Override
    public Uni<GetLatestVersions.Response> getLatestVersions(GetLatestVersions r) {
        return unary(() -> models.latestVersions(optional(r.hasName(), r.getName()), r.getStagesList())
                .map(list -> {
                    var b = GetLatestVersions.Response.newBuilder();
                    list.forEach(v -> b.addModelVersions(ProtoMapper.version(v)));
                    return b.build();
                }));
    }

    @Override
    public Uni<SetRegisteredModelTag.Response> setRegisteredModelTag(SetRegisteredModelTag r) {
        String actor = Actors.current();
        return unary(() -> models.setTag(
                        actor,
                        optional(r.hasName(), r.getName()),
                        optional(r.hasKey(), r.getKey()),
                        optional(r.hasValue(), r.getValue()))
                .replaceWith(SetRegisteredModelTag.Response.getDefaultInstance()));
    }

    @Override
    public Uni<DeleteRegisteredModelTag.Response> deleteRegisteredModelTag(DeleteRegisteredModelTag r) {
        String actor = Actors.current();
        return unary(() -> models.deleteTag(actor, optional(r.hasName(), r.getName()), optional(r.hasKey(), r.getKey()))
                .replaceWith(DeleteRegisteredModelTag.Response.getDefaultInstance()));
    }

    @Override
    public Uni<SetRegisteredModelAlias.Response> setRegisteredModelAlias(SetRegisteredModelAlias r) {
        String actor = Actors.current();
        return unary(() -> models.setAlias(
                        actor,
                        optional(r.hasName(), r.getName()),
                        optional(r.hasAlias(), r.getAlias()),
                        optional(r.hasVersion(), r.getVersion()))
                .replaceWith(SetRegisteredModelAlias.Response.getDefaultInstance()));
    }

    @Override
    public Uni<DeleteRegisteredModelAlias.Response> deleteRegisteredModelAlias(DeleteRegisteredModelAlias r) {
        String actor = Actors.current();
        return unary(() -> models.deleteAlias(
                        actor, optional(r.hasName(), r.getName()), optional(r.hasAlias(), r.getAlias()))
                .replaceWith(DeleteRegisteredModelAlias.Response.getDefaultInstance()));
    }

    @Override
    public Uni<GetModelVersionByAlias.Response> getModelVersionByAlias(GetModelVersionByAlias r) {
        return unary(() -> models.byAlias(optional(r.hasName(), r.getName()), optional(r.hasAlias(), r.getAlias()))
                .map(v -> GetModelVersionByAlias.Response.newBuilder()
                        .setModelVersion(ProtoMapper.version(v))
                        .build()));
    }

    @Override
    public Uni<CreateModelVersion.Response> createModelVersion(CreateModelVersion r) {
        String actor = Actors.current();
        return unary(() -> versions.create(
                        actor,
                        optional(r.hasName(), r.getName()),
                        optional(r.hasSource(), r.getSource()),
                        optional(r.hasRunId(), r.getRunId()),
                        ProtoMapper.versionTags(r.getTagsList()),
                        optional(r.hasRunLink(), r.getRunLink()),
                        optional(r.hasDescription(), r.getDescription()),
                        optional(r.hasModelId(), r.getModelId()))
                .map(v -> CreateModelVersion.Response.newBuilder()
                        .setModelVersion(ProtoMapper.version(v))
                        .build()));
    }

    @Override
    public Uni<UpdateModelVersion.Response> updateModelVersion(UpdateModelVersion r) {
        String actor = Actors.current();
        return unary(() -> versions.update(
                        actor,
                        optional(r.hasName(), r.getName()),
                        optional(r.hasVersion(), r.getVersion()),
                        optional(r.hasDescription(), r.getDescription()))
                .map(v -> UpdateModelVersion.Response.newBuilder()
                        .setModelVersion(ProtoMapper.version(v))
                        .build()));
    }

    @Override
    public Uni<TransitionModelVersionStage.Response> transitionModelVersionStage(TransitionModelVersionStage r) {
        String actor = Actors.current();
        return unary(() -> versions.transition(
                        actor,
                        optional(r.hasName(), r.getName()),
                        optional(r.hasVersion(), r.getVersion()),
                        optional(r.hasStage(), r.getStage()),
                        r.hasArchiveExistingVersions() ? r.getArchiveExistingVersions() : null)
                .map(v -> TransitionModelVersionStage.Response.newBuilder()
                        .setModelVersion(ProtoMapper.version(v))
                        .build()));
    }

    @Override
    public Uni<DeleteModelVersion.Response> deleteModelVersion(DeleteModelVersion r) {
        String actor = Actors.current();
        return unary(() -> versions.delete(
                        actor, optional(r.hasName(), r.getName()), optional(r.hasVersion(), r.getVersion()))
                .replaceWith(DeleteModelVersion.Response.getDefaultInstance()));
    }

    @Override
    public Uni<GetModelVersion.Response> getModelVersion(GetModelVersion r) {
        return unary(() -> versions.get(optional(r.hasName(), r.getName()), optional(r.hasVersion(), r.getVersion()))
                .map(v -> GetModelVersion.Response.newBuilder()
                        .setModelVersion(ProtoMapper.version(v))
                        .build()));
    }

    @Override
    public Uni<SearchModelVersions.Response> searchModelVersions(SearchModelVersions r) {
        return unary(() -> versions.search(
                        optional(r.hasFilter(), r.getFilter()),
                        r.getMaxResults(),
                        r.getOrderByList(),
                        optional(r.hasPageToken(), r.getPageToken()))
                .map(page -> {
                    var b = SearchModelVersions.Response.newBuilder();
                    page.items().forEach(v -> b.addModelVersions(ProtoMapper.version(v)));
                    if (page.nextPageToken() != null) {
                        b.setNextPageToken(page.nextPageToken());
                    }
                    return b.build();
                }));
    }

    @Override
    public Uni<GetModelVersionDownloadUri.Response> getModelVersionDownloadUri(GetModelVersionDownloadUri r) {
        return unary(
                () -> versions.downloadUri(optional(r.hasName(), r.getName()), optional(r.hasVersion(), r.getVersion()))
                        .map(uri -> GetModelVersionDownloadUri.Response.newBuilder()
                                .setArtifactUri(uri)
                                .build()));
    }

    @Override
    public Uni<SetModelVersionTag.Response> setModelVersionTag(SetModelVersionTag r) {
        String actor = Actors.current();
        return unary(() -> versions.setTag(
                        actor,
                        optional(r.hasName(), r.getName()),
                        optional(r.hasVersion(), r.getVersion()),
                        optional(r.hasKey(), r.getKey()),
                        optional(r.hasValue(), r.getValue()))
                .replaceWith(SetModelVersionTag.Response.getDefaultInstance()));
    }

    @Override
    public Uni<DeleteModelVersionTag.Response> deleteModelVersionTag(DeleteModelVersionTag r) {
        String actor = Actors.current();
        return unary(() -> versions.deleteTag(
                        actor,
                        optional(r.hasName(), r.getName()),
                        optional(r.hasVersion(), r.getVersion()),
                        optional(r.hasKey(), r.getKey()))
                .replaceWith(DeleteModelVersionTag.Response.getDefaultInstance()));
    }
}
