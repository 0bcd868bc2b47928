package dev.skein.tracking.grpc;

import static dev.skein.common.grpc.Calls.unary;
import static dev.skein.tracking.grpc.ProtoMapper.optional;

import dev.skein.common.actor.Actors;
import dev.skein.proto.tracking.v1.PurgeDeletedExperiments;
import dev.skein.proto.tracking.v1.PurgeDeletedRuns;
import dev.skein.proto.tracking.v1.TrackingAdminService;
import dev.skein.tracking.service.ExperimentService;
import dev.skein.tracking.service.RunService;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** Operator actions on tracking data (the gateway lets only admins reach them). */
@GrpcService
public class TrackingAdminGrpcService implements TrackingAdminService {

    private final RunService runs;
    private final ExperimentService experiments;

    public TrackingAdminGrpcService(RunService runs, ExperimentService experiments) {
        this.runs = runs;
        this.experiments = experiments;
    }

    @Override
    public Uni<PurgeDeletedExperiments.Response> purgeDeletedExperiments(PurgeDeletedExperiments r) {
        String actor = Actors.current();
        return unary(() -> experiments
                .purgeDeleted(r.getExperimentIdsList(), optional(r.hasOlderThanMs(), r.getOlderThanMs()), actor)
                .map(purged -> PurgeDeletedExperiments.Response.newBuilder()
                        .addAllExperimentIds(purged.experimentIds())
                        .addAllRunIds(purged.runIds())
                        .setMore(purged.more())
                        .build()));
    }

    @Override
    public Uni<PurgeDeletedRuns.Response> purgeDeletedRuns(PurgeDeletedRuns r) {
        String actor = Actors.current();
        return unary(() -> runs.purgeDeleted(
                        r.getRunIdsList(),
                        optional(r.hasOlderThanMs(), r.getOlderThanMs()),
                        optional(r.hasMaxRuns(), r.getMaxRuns()),
                        actor)
                .map(purged -> PurgeDeletedRuns.Response.newBuilder()
                        .addAllRunIds(purged.runIds())
                        .setMore(purged.more())
                        .build()));
    }
}
