package dev.skein.evaluation.grpc;

import static dev.skein.common.grpc.Calls.unary;

import dev.skein.common.actor.Actors;
import dev.skein.evaluation.service.EvaluationService;
import dev.skein.evaluation.service.PromptlabRuns;
import dev.skein.proto.evaluation.v1.CreateEvaluation;
import dev.skein.proto.evaluation.v1.CreatePromptlabRun;
import dev.skein.proto.evaluation.v1.GetEvaluation;
import dev.skein.proto.evaluation.v1.GetValidationRules;
import dev.skein.proto.evaluation.v1.SearchAudits;
import dev.skein.proto.evaluation.v1.SearchEvaluations;
import dev.skein.proto.evaluation.v1.SetValidationRules;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** The gRPC face of evaluation-service: maps the contract to the use cases, nothing else. */
@GrpcService
public class EvaluationGrpcService implements dev.skein.proto.evaluation.v1.EvaluationService {

    private final EvaluationService service;
    private final PromptlabRuns promptlab;

    public EvaluationGrpcService(EvaluationService service, PromptlabRuns promptlab) {
        this.service = service;
        this.promptlab = promptlab;
    }

    @Override
    public Uni<CreatePromptlabRun.Response> createPromptlabRun(CreatePromptlabRun r) {
        String actor = Actors.current();
        return unary(() -> promptlab
                .create(r, actor)
                .map(run -> CreatePromptlabRun.Response.newBuilder().setRun(run).build()));
    }

    @Override
    public Uni<CreateEvaluation.Response> createEvaluation(CreateEvaluation r) {
        String actor = Actors.known(Actors.current());
        if (r.getSpec().hasPrompt()) {
            return unary(
                    () -> service.createPrompt(r.getRunId(), r.getSpec(), actor).map(all -> {
                        var b = CreateEvaluation.Response.newBuilder();
                        all.forEach(e -> b.addEvaluations(ProtoMapper.evaluation(e)));
                        return b.build();
                    }));
        }
        return unary(
                () -> service.create(r.getRunId(), r.getSpec(), actor).map(e -> CreateEvaluation.Response.newBuilder()
                        .setEvaluation(ProtoMapper.evaluation(e))
                        .build()));
    }

    @Override
    public Uni<GetEvaluation.Response> getEvaluation(GetEvaluation r) {
        return unary(() -> service.get(r.getEvaluationId()).map(e -> GetEvaluation.Response.newBuilder()
                .setEvaluation(ProtoMapper.evaluation(e))
                .build()));
    }

    @Override
    public Uni<SearchEvaluations.Response> searchEvaluations(SearchEvaluations r) {
        return unary(() -> service.search(r.getRunId(), r.getMaxResults(), r.getPageToken())
                .map(page -> {
                    var b = SearchEvaluations.Response.newBuilder();
                    page.items().forEach(e -> b.addEvaluations(ProtoMapper.evaluation(e)));
                    if (page.nextPageToken() != null) {
                        b.setNextPageToken(page.nextPageToken());
                    }
                    return b.build();
                }));
    }

    @Override
    public Uni<SetValidationRules.Response> setValidationRules(SetValidationRules r) {
        String actor = Actors.known(Actors.current());
        return unary(() -> service.setRules(r.getName(), r.getRulesList(), r.getBaselineAlias(), actor)
                .map(set -> SetValidationRules.Response.newBuilder()
                        .setRules(ProtoMapper.rules(set))
                        .build()));
    }

    @Override
    public Uni<GetValidationRules.Response> getValidationRules(GetValidationRules r) {
        return unary(() -> service.getRules(r.getName()).map(set -> GetValidationRules.Response.newBuilder()
                .setRules(ProtoMapper.rules(set))
                .build()));
    }

    @Override
    public Uni<SearchAudits.Response> searchAudits(SearchAudits r) {
        return unary(() -> service.searchAudits(
                        r.getName(), r.hasVersion() ? r.getVersion() : null, r.getMaxResults(), r.getPageToken())
                .map(page -> {
                    var b = SearchAudits.Response.newBuilder();
                    page.items().forEach(a -> b.addAudits(ProtoMapper.audit(a)));
                    if (page.nextPageToken() != null) {
                        b.setNextPageToken(page.nextPageToken());
                    }
                    return b.build();
                }));
    }
}
