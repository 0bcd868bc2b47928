package dev.skein.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.common.testing.TopicReader.Event;
import dev.skein.events.v1.RunDeleted;
import dev.skein.events.v1.RunRestored;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.DeleteExperiment;
import dev.skein.proto.tracking.v1.RestoreExperiment;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Deleting and restoring an experiment is a few statements whatever its size: one event per run, no error. */
@QuarkusTest
class LargeExperimentTest {

    private static final int RUNS = 20_000;
    private static final String DELETED = "dev.skein.tracking.run.deleted.v1";
    private static final String RESTORED = "dev.skein.tracking.run.restored.v1";

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    @Test
    void shouldDeleteAndRestoreAnExperimentOf20000RunsWithOneEventPerRunEach() throws SQLException {
        // characters the events' JSON printer escapes, so the SQL-built payloads are checked byte for byte
        String location = "s3://bucket/it's <a=b&c>/\"q\"\\" + UUID.randomUUID();
        String exp = tracking.createExperiment(CreateExperiment.newBuilder()
                        .setName("large-" + UUID.randomUUID())
                        .setArtifactLocation(location)
                        .build())
                .getExperimentId();
        Set<String> runs = insertRuns(Long.parseLong(exp), location);
        // one run deleted before the experiment: not restored with it, no event for it
        String deletedBefore = runs.iterator().next();
        execute(
                "UPDATE tracking.runs SET lifecycle_stage = 'deleted', deleted_time = 1 WHERE run_uuid = ?",
                deletedBefore);

        // the actor of the experiment's deletion is every run's, in JSON the printer escapes too
        String actor = "ana <\"o'k\">";
        Grpc.as(tracking, actor)
                .deleteExperiment(
                        DeleteExperiment.newBuilder().setExperimentId(exp).build());
        assertThat(count(exp, "deleted")).isEqualTo(RUNS);
        Grpc.as(tracking, actor)
                .restoreExperiment(
                        RestoreExperiment.newBuilder().setExperimentId(exp).build());
        assertThat(count(exp, "active")).isEqualTo(RUNS - 1);

        List<Event> events = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                RunEventsTest.TOPIC,
                runs::contains,
                2 * (RUNS - 1),
                Duration.ofSeconds(180),
                Duration.ofSeconds(2));
        Map<String, List<String>> typesByRun = new HashMap<>();
        for (Event e : events) {
            typesByRun
                    .computeIfAbsent(e.key(), k -> new java.util.ArrayList<>())
                    .add(e.header("ce_type"));
            assertThat(e.header("ce_subject")).isEqualTo(e.key());
            assertThat(e.header("ce_source")).isEqualTo("/skein/tracking-service");
        }
        Set<String> expected = new HashSet<>(runs);
        expected.remove(deletedBefore);
        assertThat(typesByRun.keySet()).isEqualTo(expected);
        assertThat(typesByRun.values()).allSatisfy(types -> assertThat(types).containsExactly(DELETED, RESTORED));
        assertThat(events).extracting(e -> e.header("ce_id")).doesNotHaveDuplicates();

        // the payloads are exactly what the per-run code path writes
        Event deleted = events.stream()
                .filter(e -> e.header("ce_type").equals(DELETED))
                .findFirst()
                .orElseThrow();
        String run = deleted.key();
        long deletedTime = Long.parseLong(new JsonObject(deleted.value()).getString("deletedTime"));
        assertThat(deleted.value())
                .isEqualTo(OutboxEvent.json(RunDeleted.newBuilder()
                        .setRunId(run)
                        .setExperimentId(exp)
                        .setArtifactUri(location + "/" + run + "/artifacts")
                        .setDeletedTime(deletedTime)
                        .setActor(actor)));
        Event restored = events.stream()
                .filter(e -> e.header("ce_type").equals(RESTORED))
                .findFirst()
                .orElseThrow();
        assertThat(restored.value())
                .isEqualTo(OutboxEvent.json(RunRestored.newBuilder()
                        .setRunId(restored.key())
                        .setExperimentId(exp)
                        .setActor(actor)));
    }

    /** The runs, inserted in one statement as a bulk import would: the API's speed is not what is tested. */
    private static Set<String> insertRuns(long experimentId, String location) throws SQLException {
        Set<String> ids = new HashSet<>();
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s = c.prepareStatement("INSERT INTO tracking.runs (run_uuid, experiment_id,"
                        + " name, user_id, status, start_time, lifecycle_stage, artifact_uri)"
                        + " SELECT id, ?, 'bulk-' || g, 'tester', 'FINISHED', 1700000000000 + g, 'active',"
                        + " ? || '/' || id || '/artifacts'"
                        + " FROM (SELECT g, md5(random()::text || g) AS id FROM generate_series(1, ?) g) r"
                        + " RETURNING run_uuid")) {
            s.setLong(1, experimentId);
            s.setString(2, location);
            s.setInt(3, RUNS);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        assertThat(ids).hasSize(RUNS);
        return ids;
    }

    private static long count(String experimentId, String stage) throws SQLException {
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s = c.prepareStatement(
                        "SELECT count(*) FROM tracking.runs WHERE experiment_id = ? AND lifecycle_stage = ?")) {
            s.setLong(1, Long.parseLong(experimentId));
            s.setString(2, stage);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static void execute(String sql, String arg) throws SQLException {
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, arg);
            s.executeUpdate();
        }
    }
}
