package dev.skein.tracking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.skein.common.error.GrpcErrors;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.CreateRun;
import dev.skein.proto.tracking.v1.GetMetricHistory;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulk;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulkInterval;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.SearchRuns;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Small helpers over the blocking stub the tests drive tracking-service with. */
public final class Grpc {

    private Grpc() {}

    /** The stub acting as this user, as the gateway sends it. */
    static TrackingServiceBlockingStub as(TrackingServiceBlockingStub t, String actor) {
        io.grpc.Metadata headers = new io.grpc.Metadata();
        headers.put(dev.skein.common.actor.Actors.METADATA, actor);
        return t.withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    static String newExperiment(TrackingServiceBlockingStub t) {
        return t.createExperiment(CreateExperiment.newBuilder()
                        .setName("exp-" + UUID.randomUUID())
                        .build())
                .getExperimentId();
    }

    static String newRun(TrackingServiceBlockingStub t, String experimentId) {
        return t.createRun(CreateRun.newBuilder()
                        .setExperimentId(experimentId)
                        .setUserId("tester")
                        .build())
                .getRun()
                .getInfo()
                .getRunId();
    }

    /** A runs/search answer as the gateway writes it: its chunks' runs in order, the last chunk's token. */
    static SearchRuns.Response searchRuns(TrackingServiceBlockingStub t, SearchRuns request) {
        SearchRuns.Response.Builder whole = SearchRuns.Response.newBuilder();
        t.searchRuns(request).forEachRemaining(chunk -> {
            whole.addAllRuns(chunk.getRunsList());
            whole.clearNextPageToken();
            if (chunk.hasNextPageToken()) {
                whole.setNextPageToken(chunk.getNextPageToken());
            }
        });
        return whole.build();
    }

    static Run getRun(TrackingServiceBlockingStub t, String runId) {
        return t.getRun(GetRun.newBuilder().setRunId(runId).build()).getRun();
    }

    /** A streamed history read whole: the chunks' points in order, the last chunk's token. */
    static GetMetricHistory.Response history(TrackingServiceBlockingStub t, GetMetricHistory request) {
        GetMetricHistory.Response.Builder merged = GetMetricHistory.Response.newBuilder();
        t.getMetricHistory(request).forEachRemaining(chunk -> {
            merged.addAllMetrics(chunk.getMetricsList());
            if (chunk.hasNextPageToken()) {
                merged.setNextPageToken(chunk.getNextPageToken());
            }
        });
        return merged.build();
    }

    /** Every point of one metric of a run. */
    static List<Metric> points(TrackingServiceBlockingStub t, String runId, String key) {
        return history(
                        t,
                        GetMetricHistory.newBuilder()
                                .setRunId(runId)
                                .setMetricKey(key)
                                .build())
                .getMetricsList();
    }

    /** Waits, polling, until the condition holds; fails after {@code within}. */
    static void await(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        TestInfra.await(what, within, condition);
    }

    /** Bulk reads of runs of a new experiment that each logged metric "m" once: all the runs, and the first. */
    record BulkReadsOf(GetMetricHistoryBulk bulk, GetMetricHistoryBulkInterval interval) {}

    static BulkReadsOf bulkReadsOf(TrackingServiceBlockingStub tracking, int runs) {
        String exp = newExperiment(tracking);
        GetMetricHistoryBulk.Builder bulk = GetMetricHistoryBulk.newBuilder().setMetricKey("m");
        for (int i = 0; i < runs; i++) {
            String run = newRun(tracking, exp);
            tracking.logBatch(LogBatch.newBuilder()
                    .setRunId(run)
                    .addMetrics(metric("m", 1, 1, 0))
                    .build());
            bulk.addRunId(run);
        }
        return new BulkReadsOf(
                bulk.build(),
                GetMetricHistoryBulkInterval.newBuilder()
                        .addRunIds(bulk.getRunId(0))
                        .setMetricKey("m")
                        .build());
    }

    static Metric metric(String key, double value, long timestamp, long step) {
        return Metric.newBuilder()
                .setKey(key)
                .setValue(value)
                .setTimestamp(timestamp)
                .setStep(step)
                .build();
    }

    /** Asserts the call fails with this MLflow error code and returns the message. */
    public static String fails(ErrorCode code, ThrowingCallable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
        assertThat(e).as("expected the call to fail with %s", code).isNotNull();
        assertThat(GrpcErrors.errorCode(e)).isEqualTo(code);
        return e.getStatus().getDescription();
    }
}
