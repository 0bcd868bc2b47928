package dev.skein.tracking;

import static dev.skein.tracking.Grpc.fails;
import static dev.skein.tracking.Grpc.metric;
import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.Dataset;
import dev.skein.proto.tracking.v1.DatasetInput;
import dev.skein.proto.tracking.v1.DatasetSummary;
import dev.skein.proto.tracking.v1.GetExperiment;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulk;
import dev.skein.proto.tracking.v1.InputTag;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.LogInputs;
import dev.skein.proto.tracking.v1.MetricWithRunId;
import dev.skein.proto.tracking.v1.SearchDatasets;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import dev.skein.tracking.repository.MetricHistoryRepository;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Behaviours of MLflow 2.17.2's server tests (test_rest_tracking.py) that are tracking-service's to keep. */
@QuarkusTest
class TrackingParityTest {

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    @Test
    void shouldAnswerHistoryBulkByRunThenTimestampStepAndValueUpToMaxResults() {
        String exp = newExperiment(tracking);
        String r1 = newRun(tracking, exp);
        String r2 = newRun(tracking, exp);
        // logged out of order: answered by timestamp, then step, then value
        for (String run : List.of(r1, r2)) {
            double plus = run.equals(r1) ? 0 : 1;
            tracking.logBatch(LogBatch.newBuilder()
                    .setRunId(run)
                    .addMetrics(metric("a", 12 + plus, 2, 3))
                    .addMetrics(metric("a", 12 + plus, 1, 3))
                    .addMetrics(metric("a", 11 + plus, 1, 3))
                    .addMetrics(metric("a", 10 + plus, 1, 2))
                    .build());
        }
        List<String> byId = new ArrayList<>(List.of(r1, r2));
        byId.sort(null);
        var both = tracking.getMetricHistoryBulk(GetMetricHistoryBulk.newBuilder()
                .addRunId(r2)
                .addRunId(r1)
                .setMetricKey("a")
                .build());
        assertThat(both.getMetricsList())
                .extracting(MetricWithRunId::getRunId)
                .containsExactly(
                        byId.get(0),
                        byId.get(0),
                        byId.get(0),
                        byId.get(0),
                        byId.get(1),
                        byId.get(1),
                        byId.get(1),
                        byId.get(1));
        List<MetricWithRunId> first = both.getMetricsList().subList(0, 4);
        assertThat(first).extracting(MetricWithRunId::getStep).containsExactly(2L, 3L, 3L, 3L);
        assertThat(first).extracting(MetricWithRunId::getTimestamp).containsExactly(1L, 1L, 1L, 2L);
        double plus = byId.get(0).equals(r1) ? 0 : 1;
        assertThat(first)
                .extracting(MetricWithRunId::getValue)
                .containsExactly(10 + plus, 11 + plus, 12 + plus, 12 + plus);

        var limited = tracking.getMetricHistoryBulk(GetMetricHistoryBulk.newBuilder()
                .addRunId(r1)
                .setMetricKey("a")
                .setMaxResults(2)
                .build());
        assertThat(limited.getMetricsList())
                .extracting(MetricWithRunId::getValue)
                .containsExactly(10.0, 11.0);

        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> tracking.getMetricHistoryBulk(GetMetricHistoryBulk.newBuilder()
                                .setMetricKey("a")
                                .build())))
                .contains("GetMetricHistoryBulk request must specify at least one run_id");
        GetMetricHistoryBulk.Builder tooMany = GetMetricHistoryBulk.newBuilder().setMetricKey("a");
        for (int i = 0; i < 101; i++) {
            tooMany.addRunId("id_" + i);
        }
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> tracking.getMetricHistoryBulk(tooMany.build())))
                .contains("GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101 run_ids.");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> tracking.getMetricHistoryBulk(GetMetricHistoryBulk.newBuilder()
                                .addRunId("123")
                                .build())))
                .contains("GetMetricHistoryBulk request must specify a metric_key");
    }

    @Test
    void shouldFillHistoryBulkRunAfterRunUpToMaxResults() {
        String exp = newExperiment(tracking);
        List<String> byId = new ArrayList<>(List.of(newRun(tracking, exp), newRun(tracking, exp)));
        byId.sort(null);
        for (String run : byId) {
            tracking.logBatch(LogBatch.newBuilder()
                    .setRunId(run)
                    .addMetrics(metric("c", 3, 30, 0))
                    .addMetrics(metric("c", 2, 20, 1))
                    .addMetrics(metric("c", 1, 10, 2))
                    .build());
        }
        var four = tracking.getMetricHistoryBulk(GetMetricHistoryBulk.newBuilder()
                .addRunId(byId.get(1))
                .addRunId(byId.get(0))
                .addRunId(byId.get(1))
                .setMetricKey("c")
                .setMaxResults(4)
                .build());
        // the first run's three points by timestamp, then the second run's first; a repeated id once
        assertThat(four.getMetricsList())
                .extracting(MetricWithRunId::getRunId)
                .containsExactly(byId.get(0), byId.get(0), byId.get(0), byId.get(1));
        assertThat(four.getMetricsList())
                .extracting(MetricWithRunId::getTimestamp)
                .containsExactly(10L, 20L, 30L, 10L);
    }

    @Test
    void shouldKeepOnlyThePointsHistoryBulkAnswersHoweverLongTheHistory() throws Exception {
        String run = newRun(tracking, newExperiment(tracking));
        // 20,000 points whose timestamps run against their steps and logging order
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE)) {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO tracking.metrics (run_uuid, key, step,"
                    + " timestamp, value) SELECT ?, 'long', g, 100000 - g, g FROM generate_series(1, 20000) g")) {
                s.setString(1, run);
                s.executeUpdate();
            }
            try (Statement s = c.createStatement()) {
                s.execute("ANALYZE tracking.metrics");
            }
            String plan;
            try (PreparedStatement s = c.prepareStatement("EXPLAIN (ANALYZE, FORMAT JSON) "
                    + MetricHistoryRepository.FIRST_BY_TIME
                            .replace("$1", "?")
                            .replace("$2", "?")
                            .replace("$3", "?"))) {
                s.setString(1, run);
                s.setString(2, "long");
                s.setInt(3, 10);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    plan = rs.getString(1);
                }
            }
            // only the 10 answered points are kept in memory (a top-N sort), however long the history
            JsonObject root = new JsonArray(plan).getJsonObject(0).getJsonObject("Plan");
            assertThat(sortMethods(root)).as(plan).containsOnly("top-N heapsort");
        }
        var first = tracking.getMetricHistoryBulk(GetMetricHistoryBulk.newBuilder()
                .addRunId(run)
                .setMetricKey("long")
                .setMaxResults(10)
                .build());
        assertThat(first.getMetricsList()).extracting(MetricWithRunId::getStep).startsWith(20000L, 19999L);
    }

    /** The sort methods of a plan's sort nodes. */
    private static List<String> sortMethods(JsonObject node) {
        List<String> methods = new ArrayList<>();
        if (node.containsKey("Sort Method")) {
            methods.add(node.getString("Sort Method"));
        }
        JsonArray children = node.getJsonArray("Plans", new JsonArray());
        for (int i = 0; i < children.size(); i++) {
            methods.addAll(sortMethods(children.getJsonObject(i)));
        }
        return methods;
    }

    @Test
    void shouldSummariseTheDatasetsOfAnExperimentsRuns() {
        String exp = newExperiment(tracking);
        String run = newRun(tracking, exp);
        Dataset data = Dataset.newBuilder()
                .setName("name1")
                .setDigest("digest1")
                .setSourceType("source_type1")
                .setSource("source1")
                .build();
        tracking.logInputs(LogInputs.newBuilder()
                .setRunId(run)
                .addDatasets(DatasetInput.newBuilder()
                        .setDataset(data)
                        .addTags(InputTag.newBuilder()
                                .setKey("mlflow.data.context")
                                .setValue("training")))
                .build());
        String other = newRun(tracking, exp);
        tracking.logInputs(LogInputs.newBuilder()
                .setRunId(other)
                .addDatasets(
                        DatasetInput.newBuilder().setDataset(data.toBuilder().setDigest("digest2")))
                .build());

        var found = tracking.searchDatasets(SearchDatasets.newBuilder()
                .addExperimentIds(exp)
                .addExperimentIds("not-a-number")
                .build());
        assertThat(found.getDatasetSummariesList())
                .containsExactly(
                        DatasetSummary.newBuilder()
                                .setExperimentId(exp)
                                .setName("name1")
                                .setDigest("digest1")
                                .setContext("training")
                                .build(),
                        DatasetSummary.newBuilder()
                                .setExperimentId(exp)
                                .setName("name1")
                                .setDigest("digest2")
                                .build());

        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> tracking.searchDatasets(SearchDatasets.getDefaultInstance())))
                .contains("SearchDatasets request must specify at least one experiment_id.");
        SearchDatasets.Builder tooMany = SearchDatasets.newBuilder();
        for (int i = 0; i < 21; i++) {
            tooMany.addExperimentIds("id_" + i);
        }
        assertThat(fails(ErrorCode.INVALID_PARAMETER_VALUE, () -> tracking.searchDatasets(tooMany.build())))
                .contains("SearchDatasets request cannot specify more than 20 experiment_ids. Received 21");
    }

    @Test
    void shouldStoreARelativeArtifactLocationUnderTheArtifactRoot() {
        String id = tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName("relative-" + System.nanoTime())
                        .setArtifactLocation("./my_location/sub/")
                        .build())
                .getExperimentId();
        assertThat(tracking.getExperiment(
                                GetExperiment.newBuilder().setExperimentId(id).build())
                        .getExperiment()
                        .getArtifactLocation())
                .isEqualTo("mlflow-artifacts:/my_location/sub");
        String absolute = tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName("absolute-" + System.nanoTime())
                        .setArtifactLocation("s3://bucket/place")
                        .build())
                .getExperimentId();
        assertThat(tracking.getExperiment(GetExperiment.newBuilder()
                                .setExperimentId(absolute)
                                .build())
                        .getExperiment()
                        .getArtifactLocation())
                .isEqualTo("s3://bucket/place");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> tracking.createExperiment(CreateExperiment.newBuilder()
                                .setName("climbing-" + System.nanoTime())
                                .setArtifactLocation("a/../../elsewhere")
                                .build())))
                .contains("cannot leave it");
    }

    @Test
    void shouldCheckBatchAndInputFieldsInMlflowsOrder() {
        String run = newRun(tracking, newExperiment(tracking));
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> tracking.logBatch(LogBatch.newBuilder()
                                .setRunId(run)
                                .addMetrics(dev.skein.proto.tracking.v1.Metric.newBuilder()
                                        .setKey("mae")
                                        .setValue(2.5))
                                .build())))
                .contains("Missing value for required parameter 'metrics[0].timestamp'");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> tracking.logInputs(LogInputs.newBuilder()
                                .addDatasets(DatasetInput.getDefaultInstance())
                                .build())))
                .contains("Missing value for required parameter 'run_id'");
        assertThat(fails(
                        ErrorCode.INVALID_PARAMETER_VALUE,
                        () -> tracking.logInputs(
                                LogInputs.newBuilder().setRunId(run).build())))
                .contains("Missing value for required parameter 'datasets'");
    }
}
