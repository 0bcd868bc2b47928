package dev.skein.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.common.testing.TopicReader.Event;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.tracking.MlflowClient;

/**
 * Runs finishing while Kafka is down: the changes are acknowledged, their events wait in the
 * outbox, and once Kafka is back each finished run has exactly one terminal RunUpdated event.
 */
@ExtendWith(Suite.class)
class KafkaOutageIT {

    @Test
    void runsFinishedWhileKafkaIsDownAreAllPublishedOnceItIsBack() throws Exception {
        MlflowClient client = new MlflowClient(Suite.url());
        String exp = client.createExperiment("outage-" + UUID.randomUUID());
        Set<String> runs = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            runs.add(client.createRun(exp).getRunId());
        }
        // everything so far is out of the outbox before we cut Kafka
        Outbox.waitUntilEmpty("tracking", Duration.ofSeconds(60));

        TestInfra.stopKafka();
        try {
            for (String run : runs) {
                client.setTerminated(run, RunStatus.FINISHED);
            }
            for (String run : runs) {
                assertThat(client.getRun(run).getInfo().getStatus()).isEqualTo(RunStatus.FINISHED);
            }
            assertThat(Outbox.size("tracking")).as("events waiting for Kafka").isGreaterThanOrEqualTo(runs.size());
        } finally {
            TestInfra.startKafka();
        }

        List<Event> events = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                "skein.tracking.runs.v1",
                runs::contains,
                40,
                Duration.ofSeconds(120),
                Duration.ofSeconds(3));
        List<Event> updates = events.stream()
                .filter(e -> "dev.skein.tracking.run.updated.v1".equals(e.header("ce_type")))
                .toList();
        assertThat(updates).extracting(Event::key).containsExactlyInAnyOrderElementsOf(runs);
        assertThat(updates).allMatch(e -> e.value().contains("\"terminal\":true"));
        assertThat(events).extracting(e -> e.header("ce_id")).doesNotHaveDuplicates();
        Outbox.waitUntilEmpty("tracking", Duration.ofSeconds(30));
        client.close();
    }
}
