package dev.skein.tracking;

import static dev.skein.tracking.Grpc.await;
import static dev.skein.tracking.Grpc.fails;
import static dev.skein.tracking.Grpc.metric;
import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.GetMetricHistory;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulk;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulkInterval;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.MetricWithRunId;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import dev.skein.tracking.service.RunDataService;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

    private List<Long> steps(GetMetricHistoryBulkInterval.Response response, String run) {
        return response.getMetricsList().stream()
                .filter(m -> m.getRunId().equals(run))
                .map(MetricWithRunId::getStep)
                .toList();
    }

    private GetMetricHistoryBulkInterval.Response interval(String key, int max, List<String> runs) {
        return tracking.getMetricHistoryBulkInterval(GetMetricHistoryBulkInterval.newBuilder()
                .addAllRunIds(runs)
                .setMetricKey(key)
                .setMaxResults(max)
                .build());
    }

    @Test
    void shouldSampleIntervalsOverTheLoggedStepsAsMlflowDoes() {
        String a = runWithSteps("acc", 1000);
        String b = runWithSteps("acc", 10);
        var response = interval("acc", 11, List.of(a, b));
        // positions 1000 / 11 apart in the union of the runs' steps, the last, and each run's first and last
        assertThat(steps(response, a))
                .containsExactly(0L, 9L, 90L, 181L, 272L, 363L, 454L, 545L, 636L, 727L, 818L, 909L, 999L);
        assertThat(steps(response, b)).containsExactly(0L, 9L);

        var window = tracking.getMetricHistoryBulkInterval(GetMetricHistoryBulkInterval.newBuilder()
                .addRunIds(a)
                .setMetricKey("acc")
                .setStartStep(0)
                .setEndStep(200)
                .setMaxResults(4)
                .build());
        assertThat(window.getMetricsList())
                .extracting(MetricWithRunId::getStep)
                .containsExactly(0L, 50L, 100L, 150L, 200L);
        assertThat(window.getMetrics(1).getValue()).isEqualTo(25.0);
    }

    @Test
    void shouldSampleRunsWithGapsOverTheStepsTheyLogged() {
        // every 20th step: MLflow's own example, answered from the distinct steps read one probe each
        String strided = newRun(tracking, newExperiment(tracking));
        LogBatch.Builder batch = LogBatch.newBuilder().setRunId(strided);
        for (int s = 0; s <= 100; s += 20) {
            batch.addMetrics(metric("m", s, 1, s));
        }
        batch.addMetrics(metric("m", -1, 2, 40)); // a second point at step 40: both are answered
        tracking.logBatch(batch.build());
        var response = interval("m", 5, List.of(strided));
        assertThat(steps(response, strided)).containsExactly(0L, 20L, 40L, 40L, 60L, 80L, 100L);
        assertThat(response.getMetrics(2).getTimestamp()).isEqualTo(1L);
        assertThat(response.getMetrics(3).getTimestamp()).isEqualTo(2L);

        // steps 0..2 logged, again later (new points, the same steps: counted once), then 5: the gap
        // is seen (counting 6 steps from 0 to 5 would take them for every step and answer 0, 3, 5)
        String gap = newRun(tracking, newExperiment(tracking));
        long[][] batches = {{0, 1, 2}, {2, 1, 0}, {5}};
        for (int i = 0; i < batches.length; i++) {
            LogBatch.Builder b = LogBatch.newBuilder().setRunId(gap);
            for (long s : batches[i]) {
                b.addMetrics(metric("g", 1.0, 10L * (i + 1), s));
            }
            tracking.logBatch(b.build());
        }
        assertThat(steps(interval("g", 2, List.of(gap)), gap)).containsExactly(0L, 0L, 2L, 2L, 5L);
        assertThat(steps(interval("g", 3, List.of(gap)), gap)).containsExactly(0L, 0L, 1L, 1L, 2L, 2L, 5L);
    }

    @Test
    void shouldSampleARunWithGapsAndVeryManyStepsOverItsRangeWithinBoundedMemory() {
        // 10,001 steps logged every 3rd step: more than the distinct steps read into memory per run,
        // so the run is sampled over its range; the answer holds only steps it logged, its first and last
        String run = newRun(tracking, newExperiment(tracking));
        int steps = RunDataService.MAX_LISTED_STEPS + 1;
        for (int start = 0; start < steps; start += 1000) {
            LogBatch.Builder batch = LogBatch.newBuilder().setRunId(run);
            for (int i = start; i < Math.min(steps, start + 1000); i++) {
                batch.addMetrics(metric("wide", i, 1000L + i, 3L * i));
            }
            tracking.logBatch(batch.build());
        }
        List<Long> answered = steps(interval("wide", 5, List.of(run)), run);
        assertThat(answered).isNotEmpty().hasSizeLessThanOrEqualTo(7).allMatch(step -> step % 3 == 0);
        assertThat(answered).startsWith(0L).endsWith(3L * (steps - 1));
    }

    @Test
    void shouldCutEachRunAtMlflowsLimitAndRefuseAnAnswerLargerThanItsCap() throws SQLException {
        // runs that logged without a step (all at step 0, as log_metric does by default): every point
        // is at the one sampled step, and MLflow answers the first 25,000 of each run, by step,
        // timestamp and value
        int perRun = RunDataService.MAX_INTERVAL_POINTS_PER_RUN;
        // each read's share of skein.tracking.bulk-reads.max-answer-memory (64 MiB over 4 places)
        long share = (64L << 20) / 4;
        String exp = newExperiment(tracking);
        long affordable = share / RunDataService.pointCost("unstepped", newRun(tracking, exp));
        int runs = (int) (affordable / perRun + 1);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            String run = newRun(tracking, exp);
            tracking.logBatch(LogBatch.newBuilder()
                    .setRunId(run)
                    .addMetrics(metric("unstepped", 0, 1, 0))
                    .build());
            addPointsAtStepZero(run, "unstepped", i == 0 ? perRun + 10 : perRun - 1);
            ids.add(run);
        }
        var one = interval("unstepped", 320, ids.subList(0, 1));
        assertThat(one.getMetricsList()).hasSize(perRun).allMatch(m -> m.getStep() == 0);
        assertThat(one.getMetricsList().get(perRun - 1).getTimestamp()).isEqualTo(perRun);
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> interval("unstepped", 320, ids)))
                .isEqualTo("GetMetricHistoryBulkInterval would answer more points than fit in 16.0 MiB for these "
                        + runs + " runs at the 1 sampled steps; ask for fewer run_ids or a smaller max_results.");
    }

    @Test
    void shouldSampleAtMlflowsDefaultOf2500StepsWhenNoMaxResultsIsGiven() {
        String run = runWithSteps("long", 3000);
        var response = tracking.getMetricHistoryBulkInterval(GetMetricHistoryBulkInterval.newBuilder()
                .addRunIds(run)
                .setMetricKey("long")
                .build());
        // 2,500 positions 1.2 steps apart, and the last step
        assertThat(steps(response, run))
                .hasSize(2501)
                .startsWith(0L, 1L, 2L, 3L, 4L, 6L)
                .endsWith(2998L, 2999L);
    }

    /** Points inserted in one statement as a bulk import would: the API's speed is not what is tested. */
    private static void addPointsAtStepZero(String run, String key, int count) throws SQLException {
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s = c.prepareStatement("INSERT INTO tracking.metrics (run_uuid, key, step,"
                        + " timestamp, value) SELECT ?, ?, 0, 1 + g, g FROM generate_series(1, ?) g")) {
            s.setString(1, run);
            s.setString(2, key);
            s.setInt(3, count);
            assertThat(s.executeUpdate()).isEqualTo(count);
        }
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
        for (int max : new int[] {0, 2501}) {
            assertThat(fails(
                            ErrorCode.INVALID_PARAMETER_VALUE,
                            () -> tracking.getMetricHistoryBulkInterval(GetMetricHistoryBulkInterval.newBuilder()
                                    .addRunIds(run)
                                    .setMetricKey("m")
                                    .setMaxResults(max)
                                    .build())))
                    .isEqualTo("max_results must be between 1 and 2500."
                            + " See the API docs for more information about request parameters.");
        }
        GetMetricHistoryBulkInterval.Builder tooMany =
                GetMetricHistoryBulkInterval.newBuilder().setMetricKey("m");
        for (int i = 0; i < 101; i++) {
            tooMany.addRunIds("run" + i);
        }
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> tracking.getMetricHistoryBulkInterval(tooMany.build())))
                .isEqualTo("GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received 101"
                        + " run_ids. See the API docs for more information about request parameters.");
    }

    @Test
    void shouldNotReportAStatementAnOperatorCancelledAsTheBulkReadTimeout() throws Exception {
        String run = runWithSteps("c", 3);
        GetMetricHistoryBulk bulk = GetMetricHistoryBulk.newBuilder()
                .addRunId(run)
                .setMetricKey("c")
                .build();
        try (Connection lock = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                Connection operator = TestInfra.connect(ServiceTestResource.TEST_DATABASE)) {
            lock.setAutoCommit(false);
            try (Statement s = lock.createStatement()) {
                s.execute("LOCK TABLE tracking.metrics IN ACCESS EXCLUSIVE MODE");
            }
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() ->
                    fails(ErrorCode.TEMPORARILY_UNAVAILABLE, () -> tracking.withDeadlineAfter(20, TimeUnit.SECONDS)
                            .getMetricHistoryBulk(bulk)));
            // the read waits for the lock, far inside its statement timeout, when an operator cancels it
            try (Statement s = operator.createStatement()) {
                await("the bulk read waiting for the lock", Duration.ofSeconds(15), () -> {
                    try (ResultSet r = s.executeQuery("SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
                            + " WHERE wait_event_type = 'Lock' AND query LIKE '%ORDER BY timestamp, step, value%'")) {
                        return r.next() && r.getBoolean(1);
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            assertThat(answer.get(20, TimeUnit.SECONDS))
                    .isEqualTo("The database stopped the request's statement; try again.");
            lock.rollback();
        }
        assertThat(tracking.getMetricHistoryBulk(bulk).getMetricsCount()).isEqualTo(3);
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
