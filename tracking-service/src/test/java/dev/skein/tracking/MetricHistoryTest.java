package dev.skein.tracking;

import static dev.skein.tracking.Grpc.fails;
import static dev.skein.tracking.Grpc.metric;
import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.GetMetricHistory;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulkInterval;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.MetricWithRunId;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

@QuarkusTest
class MetricHistoryTest {

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    private String runWithSteps(String key, int steps) {
        String run = newRun(tracking, newExperiment(tracking));
        for (int start = 0; start < steps; start += 1000) {
            LogBatch.Builder batch = LogBatch.newBuilder().setRunId(run);
            for (int s = start; s < Math.min(steps, start + 1000); s++) {
                batch.addMetrics(metric(key, s * 0.5, 1000L + s, s));
            }
            tracking.logBatch(batch.build());
        }
        return run;
    }

    @Test
    void shouldPageThroughHistoryReturningEveryPointExactlyOnce() {
        String run = runWithSteps("loss", 2500);
        List<Long> steps = new ArrayList<>();
        GetMetricHistory.Builder request =
                GetMetricHistory.newBuilder().setRunId(run).setMetricKey("loss").setMaxResults(700);
        int pages = 0;
        while (true) {
            GetMetricHistory.Response page = Grpc.history(tracking, request.build());
            pages++;
            assertThat(page.getMetricsCount()).isLessThanOrEqualTo(700);
            page.getMetricsList().forEach(m -> steps.add(m.getStep()));
            if (!page.hasNextPageToken()) {
                break;
            }
            request.setPageToken(page.getNextPageToken());
        }
        assertThat(pages).isEqualTo(4);
        assertThat(steps).hasSize(2500).doesNotHaveDuplicates().isSorted();
        assertThat(new HashSet<>(steps)).hasSize(2500);
    }

    @Test
    void shouldReturnTheWholeHistoryWhenNoSmallerPageIsAskedFor() {
        String run = runWithSteps("loss", 12_000);
        for (GetMetricHistory request : new GetMetricHistory[] {
            GetMetricHistory.newBuilder().setRunId(run).setMetricKey("loss").build(),
            GetMetricHistory.newBuilder()
                    .setRunId(run)
                    .setMetricKey("loss")
                    .setMaxResults(25_000)
                    .build()
        }) {
            GetMetricHistory.Response whole = Grpc.history(tracking, request);
            assertThat(whole.hasNextPageToken()).isFalse();
            assertThat(whole.getMetricsList())
                    .extracting(Metric::getStep)
                    .hasSize(12_000)
                    .isSorted()
                    .doesNotHaveDuplicates();
        }
        // and it leaves the service in chunks, not as one message
        var chunks = new ArrayList<GetMetricHistory.Response>();
        tracking.getMetricHistory(GetMetricHistory.newBuilder()
                        .setRunId(run)
                        .setMetricKey("loss")
                        .build())
                .forEachRemaining(chunks::add);
        assertThat(chunks).hasSizeGreaterThan(1);
    }

    @Test
    void shouldReturnAnEmptyHistoryForAnUnloggedKeyAndRefuseBadTokens() {
        String run = newRun(tracking, newExperiment(tracking));
        assertThat(Grpc.history(
                                tracking,
                                GetMetricHistory.newBuilder()
                                        .setRunId(run)
                                        .setMetricKey("none")
                                        .build())
                        .getMetricsList())
                .isEmpty();
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> Grpc.history(
                        tracking,
                        GetMetricHistory.newBuilder()
                                .setRunId(run)
                                .setMetricKey("none")
                                .setPageToken("%%%")
                                .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> Grpc.history(
                        tracking, GetMetricHistory.newBuilder().setRunId(run).build()));
    }

    @Test
    void shouldSampleIntervalsEvenlyKeepingFirstAndLastStep() {
        String a = runWithSteps("acc", 1000);
        String b = runWithSteps("acc", 10);
        var response = tracking.getMetricHistoryBulkInterval(GetMetricHistoryBulkInterval.newBuilder()
                .addRunIds(a)
                .addRunIds(b)
                .setMetricKey("acc")
                .setMaxResults(11)
                .build());
        List<Long> aSteps = new ArrayList<>();
        List<Long> bSteps = new ArrayList<>();
        for (MetricWithRunId m : response.getMetricsList()) {
            (m.getRunId().equals(a) ? aSteps : bSteps).add(m.getStep());
        }
        assertThat(aSteps).hasSize(11).startsWith(0L).endsWith(999L).isSorted().doesNotHaveDuplicates();
        assertThat(aSteps).containsExactly(0L, 100L, 200L, 300L, 400L, 500L, 599L, 699L, 799L, 899L, 999L);
        assertThat(bSteps).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);

        var window = tracking.getMetricHistoryBulkInterval(GetMetricHistoryBulkInterval.newBuilder()
                .addRunIds(a)
                .setMetricKey("acc")
                .setStartStep(100)
                .setEndStep(200)
                .setMaxResults(3)
                .build());
        assertThat(window.getMetricsList()).extracting(MetricWithRunId::getStep).containsExactly(100L, 150L, 200L);
        assertThat(window.getMetrics(0).getValue()).isEqualTo(50.0);
    }

    @Test
    void shouldRefuseBadBulkIntervalRequests() {
        String run = newRun(tracking, newExperiment(tracking));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.getMetricHistoryBulkInterval(GetMetricHistoryBulkInterval.newBuilder()
                        .setMetricKey("m")
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.getMetricHistoryBulkInterval(GetMetricHistoryBulkInterval.newBuilder()
                        .addRunIds(run)
                        .setMetricKey("m")
                        .setStartStep(5)
                        .build()));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> tracking.getMetricHistoryBulkInterval(GetMetricHistoryBulkInterval.newBuilder()
                        .addRunIds(run)
                        .setMetricKey("m")
                        .setMaxResults(2501)
                        .build()));
        GetMetricHistoryBulkInterval.Builder tooMany =
                GetMetricHistoryBulkInterval.newBuilder().setMetricKey("m");
        for (int i = 0; i < 101; i++) {
            tooMany.addRunIds("run" + i);
        }
        fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> tracking.getMetricHistoryBulkInterval(tooMany.build()));
    }

    @Test
    void shouldNotDoubleCountAPointLoggedTwice() {
        String run = newRun(tracking, newExperiment(tracking));
        Metric m = metric("m", 1.5, 100, 3);
        tracking.logBatch(
                LogBatch.newBuilder().setRunId(run).addMetrics(m).addMetrics(m).build());
        tracking.logBatch(LogBatch.newBuilder().setRunId(run).addMetrics(m).build());
        Set<Metric> history = new HashSet<>(Grpc.history(
                        tracking,
                        GetMetricHistory.newBuilder()
                                .setRunId(run)
                                .setMetricKey("m")
                                .build())
                .getMetricsList());
        assertThat(history).containsExactly(m);
    }
}
