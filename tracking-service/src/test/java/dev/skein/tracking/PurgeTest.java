package dev.skein.tracking;

import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.error.GrpcErrors;
import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.common.testing.TopicReader.Event;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.CreateLoggedModel;
import dev.skein.proto.tracking.v1.DeleteExperiment;
import dev.skein.proto.tracking.v1.DeleteRun;
import dev.skein.proto.tracking.v1.GetExperiment;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.LogMetric;
import dev.skein.proto.tracking.v1.LogParam;
import dev.skein.proto.tracking.v1.PurgeDeletedExperiments;
import dev.skein.proto.tracking.v1.PurgeDeletedRuns;
import dev.skein.proto.tracking.v1.SetExperimentTag;
import dev.skein.proto.tracking.v1.StartTrace;
import dev.skein.proto.tracking.v1.TrackingAdminServiceGrpc.TrackingAdminServiceBlockingStub;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Purging deleted runs for good (MLflow's `gc`): the run and its data go, a RunPurged event tells the rest. */
@QuarkusTest
class PurgeTest {

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    @GrpcClient("tracking")
    TrackingAdminServiceBlockingStub admin;

    private static ErrorCode code(Throwable e) {
        return GrpcErrors.errorCode((StatusRuntimeException) e);
    }

    private PurgeDeletedRuns.Response purge(String... runIds) {
        return admin.purgeDeletedRuns(
                PurgeDeletedRuns.newBuilder().addAllRunIds(List.of(runIds)).build());
    }

    private static long metricRows(String runId) throws SQLException {
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s = c.prepareStatement("SELECT (SELECT count(*) FROM tracking.metrics WHERE"
                        + " run_uuid = ?) + (SELECT count(*) FROM tracking.latest_metrics WHERE run_uuid = ?)")) {
            s.setString(1, runId);
            s.setString(2, runId);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    void shouldPurgeOnlyDeletedRunsAndTellKafka() throws SQLException {
        String exp = newExperiment(tracking);
        String gone = newRun(tracking, exp);
        String active = newRun(tracking, exp);
        tracking.logParam(LogParam.newBuilder()
                .setRunId(gone)
                .setKey("lr")
                .setValue("0.1")
                .build());
        for (String run : List.of(gone, active)) {
            tracking.logMetric(LogMetric.newBuilder()
                    .setRunId(run)
                    .setKey("loss")
                    .setValue(0.5)
                    .setTimestamp(1)
                    .build());
        }
        tracking.deleteRun(DeleteRun.newBuilder().setRunId(gone).build());

        assertThatThrownBy(() -> purge(active))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE))
                .hasMessageContaining("is not in `deleted` lifecycle stage");
        assertThatThrownBy(() -> purge("0123456789abcdef0123456789abcdef"))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST));
        // too young for the age limit asked for
        assertThatThrownBy(() -> admin.purgeDeletedRuns(PurgeDeletedRuns.newBuilder()
                        .addRunIds(gone)
                        .setOlderThanMs(3_600_000)
                        .build()))
                .hasMessageContaining("is not older than the required age");

        assertThat(purge(gone).getRunIdsList()).containsExactly(gone);
        assertThatThrownBy(
                        () -> tracking.getRun(GetRun.newBuilder().setRunId(gone).build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST));
        assertThat(tracking.getRun(GetRun.newBuilder().setRunId(active).build())
                        .getRun()
                        .getInfo()
                        .getRunId())
                .isEqualTo(active);
        // the purged run's metric points went with it (they have no foreign key to cascade them)
        assertThat(metricRows(gone)).isZero();
        assertThat(metricRows(active)).isEqualTo(2); // its point, and its latest value

        List<Event> events = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                RunEventsTest.TOPIC,
                Set.of(gone)::contains,
                3,
                Duration.ofSeconds(60),
                Duration.ofSeconds(1));
        assertThat(events)
                .extracting(e -> e.header("ce_type"))
                .containsExactly(
                        "dev.skein.tracking.run.created.v1",
                        "dev.skein.tracking.run.deleted.v1",
                        "dev.skein.tracking.run.purged.v1");
        JsonObject purged = new JsonObject(events.get(2).value());
        assertThat(purged.getString("artifactUri")).isEqualTo("mlflow-artifacts:/" + exp + "/" + gone + "/artifacts");
        assertThat(purged.getString("experimentId")).isEqualTo(exp);
    }

    @Test
    void shouldPurgeEveryDeletedRunInBoundedBatches() {
        String exp = newExperiment(tracking);
        List<String> runs = List.of(newRun(tracking, exp), newRun(tracking, exp), newRun(tracking, exp));
        runs.forEach(r -> tracking.deleteRun(DeleteRun.newBuilder().setRunId(r).build()));
        PurgeDeletedRuns.Response first = admin.purgeDeletedRuns(
                PurgeDeletedRuns.newBuilder().setMaxRuns(1).build());
        assertThat(first.getRunIdsList()).hasSize(1);
        assertThat(first.getMore()).isTrue();
        // everything deleted, here and by other tests, until nothing is left
        PurgeDeletedRuns.Response rest;
        do {
            rest = admin.purgeDeletedRuns(PurgeDeletedRuns.newBuilder().build());
        } while (rest.getMore());
        for (String run : runs) {
            assertThatThrownBy(() ->
                            tracking.getRun(GetRun.newBuilder().setRunId(run).build()))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST));
        }
        assertThat(admin.purgeDeletedRuns(PurgeDeletedRuns.newBuilder().build()).getRunIdsList())
                .isEmpty();
        assertThatThrownBy(() -> admin.purgeDeletedRuns(
                        PurgeDeletedRuns.newBuilder().setMaxRuns(0).build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE));
    }

    @Test
    void shouldNeverPurgeARunRestoredWhileThePurgeRan() throws Exception {
        String exp = newExperiment(tracking);
        for (boolean byId : new boolean[] {false, true}) {
            String run = newRun(tracking, exp);
            tracking.deleteRun(DeleteRun.newBuilder().setRunId(run).build());
            PurgeDeletedRuns request = byId
                    ? PurgeDeletedRuns.newBuilder().addRunIds(run).build()
                    : PurgeDeletedRuns.newBuilder().build();
            java.util.concurrent.CompletableFuture<Object> purge;
            // a restore of the run, caught at its commit: its change is written, the purge starts
            try (Connection restore = TestInfra.connect(ServiceTestResource.TEST_DATABASE)) {
                restore.setAutoCommit(false);
                try (PreparedStatement s = restore.prepareStatement("UPDATE tracking.runs SET lifecycle_stage ="
                        + " 'active', deleted_time = NULL WHERE run_uuid = ?")) {
                    s.setString(1, run);
                    assertThat(s.executeUpdate()).isEqualTo(1);
                }
                purge = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return admin.purgeDeletedRuns(request);
                    } catch (StatusRuntimeException e) {
                        return e;
                    }
                });
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (waitingForLocks() == 0) {
                    assertThat(System.nanoTime())
                            .as("purge waiting for the run's row")
                            .isLessThan(deadline);
                    Thread.sleep(20);
                }
                restore.commit();
            }
            Object outcome = purge.get(30, java.util.concurrent.TimeUnit.SECONDS);
            if (outcome instanceof PurgeDeletedRuns.Response response) {
                assertThat(response.getRunIdsList()).doesNotContain(run);
            } else {
                // asked for by id, it is no longer deleted: refused as for any active run
                assertThat(byId).isTrue();
                assertThat(code((Throwable) outcome)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
            }
            assertThat(tracking.getRun(GetRun.newBuilder().setRunId(run).build())
                            .getRun()
                            .getInfo()
                            .getLifecycleStage())
                    .isEqualTo("active");
            // and nothing tells artifact-service to collect its artifacts
            assertThat(RunRacesTest.publishedEvents(Set.of(run)).get(run))
                    .extracting(e -> e.header("ce_type"))
                    .containsExactly("dev.skein.tracking.run.created.v1", "dev.skein.tracking.run.deleted.v1");
        }
    }

    @GrpcClient("tracking")
    dev.skein.proto.tracking.v1.TraceServiceGrpc.TraceServiceBlockingStub traces;

    @GrpcClient("tracking")
    dev.skein.proto.tracking.v1.LoggedModelServiceGrpc.LoggedModelServiceBlockingStub models;

    private PurgeDeletedExperiments.Response purgeExperiments(String... ids) {
        return admin.purgeDeletedExperiments(PurgeDeletedExperiments.newBuilder()
                .addAllExperimentIds(List.of(ids))
                .build());
    }

    @Test
    void shouldPurgeADeletedExperimentWithAllItsRunsAndFreeItsName() throws SQLException {
        String name = "purged-" + java.util.UUID.randomUUID();
        String exp = tracking.createExperiment(
                        CreateExperiment.newBuilder().setName(name).build())
                .getExperimentId();
        tracking.setExperimentTag(SetExperimentTag.newBuilder()
                .setExperimentId(exp)
                .setKey("team")
                .setValue("a")
                .build());
        String deletedBefore = newRun(tracking, exp);
        String active = newRun(tracking, exp);
        tracking.logMetric(LogMetric.newBuilder()
                .setRunId(active)
                .setKey("loss")
                .setValue(0.5)
                .setTimestamp(1)
                .build());
        tracking.deleteRun(DeleteRun.newBuilder().setRunId(deletedBefore).build());
        traces.startTrace(StartTrace.newBuilder()
                .setExperimentId(exp)
                .setTimestampMs(1000)
                .build());
        models.createLoggedModel(CreateLoggedModel.newBuilder()
                .setExperimentId(exp)
                .setName("m")
                .setSourceRunId(active)
                .build());
        String location = tracking.getExperiment(
                        GetExperiment.newBuilder().setExperimentId(exp).build())
                .getExperiment()
                .getArtifactLocation();

        // refused with nothing purged: an active experiment, the Default one, one that does not exist, a young one
        assertThatThrownBy(() -> purgeExperiments(exp))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE))
                .hasMessageContaining("is not in `deleted` lifecycle stage");
        tracking.deleteExperiment(
                DeleteExperiment.newBuilder().setExperimentId(exp).build());
        assertThatThrownBy(() -> purgeExperiments(exp, "0"))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE))
                .hasMessageContaining("Default experiment");
        assertThatThrownBy(() -> purgeExperiments(exp, "987654321"))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST));
        assertThatThrownBy(() -> admin.purgeDeletedExperiments(PurgeDeletedExperiments.newBuilder()
                        .addExperimentIds(exp)
                        .setOlderThanMs(3_600_000)
                        .build()))
                .hasMessageContaining("is not older than the required age");
        assertThat(tracking.getRun(GetRun.newBuilder().setRunId(active).build())
                        .getRun()
                        .getInfo()
                        .getLifecycleStage())
                .isEqualTo("deleted");

        PurgeDeletedExperiments.Response purged = purgeExperiments(exp);
        assertThat(purged.getExperimentIdsList()).containsExactly(exp);
        assertThat(purged.getRunIdsList()).containsExactlyInAnyOrder(deletedBefore, active);
        assertThat(purged.getMore()).isFalse();
        assertThatThrownBy(() -> tracking.getExperiment(
                        GetExperiment.newBuilder().setExperimentId(exp).build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST));
        for (String run : List.of(deletedBefore, active)) {
            assertThatThrownBy(() ->
                            tracking.getRun(GetRun.newBuilder().setRunId(run).build()))
                    .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST));
        }
        assertThat(metricRows(active)).isZero();
        assertThat(rows("SELECT count(*) FROM tracking.trace_info WHERE experiment_id = " + exp))
                .isZero();
        assertThat(rows("SELECT count(*) FROM tracking.logged_models WHERE experiment_id = " + exp))
                .isZero();
        assertThat(rows("SELECT count(*) FROM tracking.experiment_tags WHERE experiment_id = " + exp))
                .isZero();
        // its name is free again, as after `mlflow gc`
        assertThat(tracking.createExperiment(
                                CreateExperiment.newBuilder().setName(name).build())
                        .getExperimentId())
                .isNotEqualTo(exp);

        // artifact-service hears of each run and of the experiment, with the location to collect
        List<Event> events = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                RunEventsTest.TOPIC,
                Set.of(exp, deletedBefore, active)::contains,
                7,
                Duration.ofSeconds(60),
                Duration.ofSeconds(1));
        assertThat(events)
                .filteredOn(e -> "dev.skein.tracking.run.purged.v1".equals(e.header("ce_type")))
                .hasSize(2);
        Event experimentPurged = events.stream()
                .filter(e -> "dev.skein.tracking.experiment.purged.v1".equals(e.header("ce_type")))
                .findFirst()
                .orElseThrow();
        JsonObject payload = new JsonObject(experimentPurged.value());
        assertThat(payload.getString("experimentId")).isEqualTo(exp);
        assertThat(payload.getString("artifactLocation")).isEqualTo(location);
    }

    @Test
    void shouldNameOnlyItsOwnUnsharedLocationForCollection() {
        // its own default location, which another experiment's written location lies inside
        String shared = newExperiment(tracking);
        String sharedLocation = tracking.getExperiment(
                        GetExperiment.newBuilder().setExperimentId(shared).build())
                .getExperiment()
                .getArtifactLocation();
        String inside = tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName("inside-" + java.util.UUID.randomUUID())
                        .setArtifactLocation(sharedLocation + "/team")
                        .build())
                .getExperimentId();
        // a location its creator wrote: another experiment's tree in other words (the store reads both the same)
        String victim = newExperiment(tracking);
        String written = tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName("written-" + java.util.UUID.randomUUID())
                        .setArtifactLocation("mlflow-artifacts:///" + victim)
                        .build())
                .getExperimentId();
        String run = newRun(tracking, shared);
        for (String id : List.of(shared, written)) {
            tracking.deleteExperiment(
                    DeleteExperiment.newBuilder().setExperimentId(id).build());
        }
        // every deleted experiment, until none is left
        List<String> purged = new java.util.ArrayList<>();
        PurgeDeletedExperiments.Response answer;
        do {
            answer = admin.purgeDeletedExperiments(
                    PurgeDeletedExperiments.newBuilder().build());
            purged.addAll(answer.getExperimentIdsList());
        } while (answer.getMore());
        assertThat(purged).contains(shared, written).doesNotContain(inside, victim, "0");
        List<Event> events = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                RunEventsTest.TOPIC,
                Set.of(shared, written, run)::contains,
                5,
                Duration.ofSeconds(60),
                Duration.ofSeconds(1));
        // neither location is named for collection; the run's own artifacts go (its RunPurged)
        assertThat(events)
                .filteredOn(e -> "dev.skein.tracking.experiment.purged.v1".equals(e.header("ce_type")))
                .hasSize(2)
                .allSatisfy(e -> assertThat(new JsonObject(e.value()).getString("artifactLocation", ""))
                        .isEmpty());
        assertThat(events).extracting(e -> e.header("ce_type")).contains("dev.skein.tracking.run.purged.v1");
        for (String live : List.of(inside, victim)) {
            assertThat(tracking.getExperiment(GetExperiment.newBuilder()
                                    .setExperimentId(live)
                                    .build())
                            .getExperiment()
                            .getLifecycleStage())
                    .isEqualTo("active");
        }
    }

    private static long rows(String sql) throws SQLException {
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s = c.prepareStatement(sql);
                ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long waitingForLocks() throws SQLException {
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s = c.prepareStatement("SELECT count(*) FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND wait_event_type = 'Lock'");
                ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
