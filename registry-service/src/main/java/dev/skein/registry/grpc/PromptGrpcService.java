package dev.skein.registry.grpc;

import static dev.skein.common.grpc.Calls.unary;
import static dev.skein.registry.grpc.ProtoMapper.optional;

import dev.skein.common.actor.Actors;
import dev.skein.proto.registry.v1.CreatePrompt;
import dev.skein.proto.registry.v1.CreatePromptVersion;
import dev.skein.proto.registry.v1.DiffLine;
import dev.skein.proto.registry.v1.DiffPromptVersions;
import dev.skein.proto.registry.v1.GetPromptVersion;
import dev.skein.proto.registry.v1.ListPromptVersions;
import dev.skein.proto.registry.v1.PromptService;
import dev.skein.proto.registry.v1.RenderPrompt;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** The gRPC face of Skein's prompt API: maps requests and responses, nothing else. */
@GrpcService
public class PromptGrpcService implements PromptService {

    private final dev.skein.registry.service.PromptService prompts;

    public PromptGrpcService(dev.skein.registry.service.PromptService prompts) {
        this.prompts = prompts;
    }

    @Override
    public Uni<CreatePrompt.Response> createPrompt(CreatePrompt r) {
        String actor = Actors.current();
        return unary(() -> prompts.create(
                        actor,
                        optional(r.hasName(), r.getName()),
                        ProtoMapper.template(r.hasTemplate(), r.getTemplate()),
                        optional(r.hasCommitMessage(), r.getCommitMessage()),
                        optional(r.hasDescription(), r.getDescription()),
                        ProtoMapper.modelTags(r.getTagsList()),
                        ProtoMapper.versionTags(r.getVersionTagsList()))
                .map(p -> CreatePrompt.Response.newBuilder()
                        .setPromptVersion(ProtoMapper.prompt(p))
                        .build()));
    }

    @Override
    public Uni<CreatePromptVersion.Response> createPromptVersion(CreatePromptVersion r) {
        String actor = Actors.current();
        return unary(() -> prompts.createVersion(
                        actor,
                        optional(r.hasName(), r.getName()),
                        ProtoMapper.template(r.hasTemplate(), r.getTemplate()),
                        optional(r.hasCommitMessage(), r.getCommitMessage()),
                        ProtoMapper.versionTags(r.getTagsList()))
                .map(p -> CreatePromptVersion.Response.newBuilder()
                        .setPromptVersion(ProtoMapper.prompt(p))
                        .build()));
    }

    @Override
    public Uni<GetPromptVersion.Response> getPromptVersion(GetPromptVersion r) {
        return unary(() -> prompts.get(
                        optional(r.hasName(), r.getName()),
                        optional(r.hasVersion(), r.getVersion()),
                        optional(r.hasAlias(), r.getAlias()))
                .map(p -> GetPromptVersion.Response.newBuilder()
                        .setPromptVersion(ProtoMapper.prompt(p))
                        .build()));
    }

    @Override
    public Uni<ListPromptVersions.Response> listPromptVersions(ListPromptVersions r) {
        return unary(() -> prompts.list(
                        optional(r.hasName(), r.getName()),
                        r.getMaxResults(),
                        optional(r.hasPageToken(), r.getPageToken()))
                .map(page -> {
                    var b = ListPromptVersions.Response.newBuilder();
                    page.items().forEach(p -> b.addPromptVersions(ProtoMapper.prompt(p)));
                    if (page.nextPageToken() != null) {
                        b.setNextPageToken(page.nextPageToken());
                    }
                    return b.build();
                }));
    }

    @Override
    public Uni<DiffPromptVersions.Response> diffPromptVersions(DiffPromptVersions r) {
        return unary(() -> prompts.diff(
                        optional(r.hasName(), r.getName()),
                        optional(r.hasFromVersion(), r.getFromVersion()),
                        optional(r.hasToVersion(), r.getToVersion()))
                .map(diff -> {
                    var b = DiffPromptVersions.Response.newBuilder()
                            .setAdded(diff.added())
                            .setRemoved(diff.removed());
                    diff.lines().forEach(l -> {
                        var line = DiffLine.newBuilder()
                                .setOp(DiffLine.Op.valueOf(l.op().name()))
                                .setText(l.text());
                        if (l.fromLine() != null) {
                            line.setFromLine(l.fromLine());
                        }
                        if (l.toLine() != null) {
                            line.setToLine(l.toLine());
                        }
                        b.addLines(line);
                    });
                    return b.build();
                }));
    }

    @Override
    public Uni<RenderPrompt.Response> renderPrompt(RenderPrompt r) {
        return unary(() -> prompts.render(
                        optional(r.hasName(), r.getName()),
                        optional(r.hasVersion(), r.getVersion()),
                        optional(r.hasAlias(), r.getAlias()),
                        r.getVariablesMap())
                .map(rendered -> {
                    var b = RenderPrompt.Response.newBuilder()
                            .setName(rendered.prompt().view().modelName())
                            .setVersion(Integer.toString(
                                    rendered.prompt().view().version().id.version()));
                    if (rendered.text() != null) {
                        b.setText(rendered.text());
                    }
                    rendered.messages().forEach(m -> b.addMessages(ProtoMapper.message(m)));
                    return b.build();
                }));
    }
}
