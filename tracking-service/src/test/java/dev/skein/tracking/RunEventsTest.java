package dev.skein.tracking;

import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.common.testing.TopicReader.Event;
import dev.skein.proto.tracking.v1.DeleteExperiment;
import dev.skein.proto.tracking.v1.DeleteRun;
import dev.skein.proto.tracking.v1.RestoreRun;
import dev.skein.proto.tracking.v1.RunStatus;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import dev.skein.proto.tracking.v1.UpdateRun;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Run lifecycle events reach skein.tracking.runs.v1 through the outbox, once each, as CloudEvents. */
@QuarkusTest
class RunEventsTest {

    static final String TOPIC = "skein.tracking.runs.v1";

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    private static List<Event> eventsOf(Set<String> runs, int expected) {
        return TopicReader.read(
                TestInfra.kafkaBootstrap(),
                TOPIC,
                runs::contains,
                expected,
                Duration.ofSeconds(60),
                Duration.ofSeconds(2));
    }

    @Test
    void shouldPublishEachLifecycleChangeOnceInOrderAsCloudEvents() {
        // as the gateway calls for its signed-in user: each event names who made the change
        TrackingServiceBlockingStub ana = Grpc.as(tracking, "ana");
        String run = newRun(ana, newExperiment(tracking));
        ana.updateRun(UpdateRun.newBuilder()
                .setRunId(run)
                .setStatus(RunStatus.FINISHED)
                .setEndTime(99)
                .build());
        Grpc.as(tracking, "ben").deleteRun(DeleteRun.newBuilder().setRunId(run).build());
        ana.restoreRun(RestoreRun.newBuilder().setRunId(run).build());

        List<Event> events = eventsOf(Set.of(run), 4);
        assertThat(events)
                .extracting(e -> e.header("ce_type"))
                .containsExactly(
                        "dev.skein.tracking.run.created.v1",
                        "dev.skein.tracking.run.updated.v1",
                        "dev.skein.tracking.run.deleted.v1",
                        "dev.skein.tracking.run.restored.v1");
        for (Event e : events) {
            assertThat(e.key()).isEqualTo(run);
            assertThat(e.header("ce_specversion")).isEqualTo("1.0");
            assertThat(e.header("ce_source")).isEqualTo("/skein/tracking-service");
            assertThat(e.header("ce_subject")).isEqualTo(run);
            assertThat(e.header("ce_time")).isNotBlank();
            assertThat(e.header("content-type")).startsWith("application/json");
            assertThat(new JsonObject(e.value()).getString("runId")).isEqualTo(run);
        }
        assertThat(events).extracting(e -> e.header("ce_id")).doesNotHaveDuplicates();
        assertThat(events)
                .extracting(e -> new JsonObject(e.value()).getString("actor"))
                .containsExactly("ana", "ana", "ben", "ana");
        JsonObject finished = new JsonObject(events.get(1).value());
        assertThat(finished.getString("status")).isEqualTo("FINISHED");
        assertThat(finished.getBoolean("terminal")).isTrue();
        assertThat(finished.getString("endTime")).isEqualTo("99");
    }

    @Test
    void shouldPublishExactlyOneTerminalUpdatePerFinishedRun() {
        String exp = newExperiment(tracking);
        Set<String> runs = new java.util.HashSet<>();
        for (int i = 0; i < 10; i++) {
            String run = newRun(tracking, exp);
            runs.add(run);
            tracking.updateRun(UpdateRun.newBuilder()
                    .setRunId(run)
                    .setStatus(i % 2 == 0 ? RunStatus.FINISHED : RunStatus.FAILED)
                    .build());
        }
        List<Event> updates = eventsOf(runs, 20).stream()
                .filter(e -> e.header("ce_type").equals("dev.skein.tracking.run.updated.v1"))
                .toList();
        assertThat(updates).hasSize(10);
        assertThat(updates).extracting(Event::key).containsExactlyInAnyOrderElementsOf(runs);
        assertThat(updates).allMatch(e -> new JsonObject(e.value()).getBoolean("terminal"));
    }

    @Test
    void shouldPublishADeletionForEveryActiveRunOfADeletedExperiment() {
        String exp = newExperiment(tracking);
        Set<String> runs = Set.of(newRun(tracking, exp), newRun(tracking, exp), newRun(tracking, exp));
        tracking.deleteExperiment(
                DeleteExperiment.newBuilder().setExperimentId(exp).build());
        List<Event> deleted = eventsOf(runs, 6).stream()
                .filter(e -> e.header("ce_type").equals("dev.skein.tracking.run.deleted.v1"))
                .toList();
        assertThat(deleted).extracting(Event::key).containsExactlyInAnyOrderElementsOf(runs);
    }
}
