package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 500 registry changes while Kafka is down: all acknowledged, all waiting in the outbox; once Kafka
 * is back the topic holds exactly those 500 events (by event id), in each model's order, and the
 * audit API shows all 500.
 */
@ExtendWith(Suite.class)
class RegistryOutageIT {

    @Test
    void noRegistryChangeIsLostWhileKafkaIsDown() throws Exception {
        List<String> models = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String name = "outage-" + UUID.randomUUID();
            ok(post("registered-models/create", new JsonObject().put("name", name)));
            models.add(name);
        }
        Outbox.waitUntilEmpty("registry", Duration.ofSeconds(60));
        long start = System.currentTimeMillis();

        TestInfra.stopKafka();
        try {
            for (int i = 0; i < 500; i++) {
                String model = models.get(i % models.size());
                if (i % 50 == 7) {
                    ok(post(
                            "model-versions/create",
                            new JsonObject().put("name", model).put("source", "s3://b/" + i)));
                } else {
                    ok(post(
                            "registered-models/set-tag",
                            new JsonObject()
                                    .put("name", model)
                                    .put("key", "step")
                                    .put("value", Integer.toString(i))));
                }
            }
            assertThat(Outbox.size("registry")).as("events waiting for Kafka").isEqualTo(500);
        } finally {
            TestInfra.startKafka();
        }

        // the audit API shows the 500 changes
        List<JsonObject> audited = new ArrayList<>();
        for (String model : models) {
            String token = null;
            do {
                var request = api().queryParam("model", model)
                        .queryParam("since", start)
                        .queryParam("max_results", 40);
                if (token != null) {
                    request.queryParam("page_token", token);
                }
                JsonObject page = ok(request.get("/api/2.0/skein/audit/events"));
                JsonArray events = page.getJsonArray("events", new JsonArray());
                // the test's changes; evaluation-service's verdicts on the new versions may join them
                events.stream()
                        .map(e -> ((JsonObject) e).getJsonObject("change"))
                        .filter(c -> !"evaluation-service".equals(c.getString("actor")))
                        .forEach(audited::add);
                token = page.getString("next_page_token");
            } while (token != null);
        }
        assertThat(audited).hasSize(500);
        Set<String> ids = new HashSet<>();
        audited.forEach(c -> ids.add(c.getString("event_id")));
        assertThat(ids).hasSize(500);

        // the topic holds exactly those events, once each, in each model's order
        // keyed by the models' ids (kept through renames)
        Set<String> keys = new HashSet<>();
        audited.forEach(c -> keys.add(c.getString("model_id")));
        assertThat(keys).hasSize(models.size());
        // and, once Kafka is back, evaluation-service's verdict on each new version: two tags each
        long versions = audited.stream()
                .filter(c -> "MODEL_VERSION_CREATED".equals(c.getString("kind")))
                .count();
        List<TopicReader.Event> published = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                "skein.registry.events.v1",
                keys::contains,
                (int) (505 + 2 * versions),
                Duration.ofSeconds(120),
                Duration.ofSeconds(3));
        List<TopicReader.Event> during =
                published.stream().filter(e -> ids.contains(e.header("ce_id"))).toList();
        assertThat(during).hasSize(500);
        assertThat(during).extracting(e -> e.header("ce_id")).doesNotHaveDuplicates();
        // evaluation-service audits each new version once Kafka is back: its verdicts are the versions'
        // skein.audit.* tags, further changes of these models by actor evaluation-service
        List<TopicReader.Event> byUsers = published.stream()
                .filter(e -> !"evaluation-service".equals(new JsonObject(e.value()).getString("actor")))
                .toList();
        assertThat(byUsers)
                .as("nothing but the creations before and the 500 changes")
                .hasSize(505);
        assertThat(published.stream().filter(e -> !byUsers.contains(e))).allSatisfy(e -> {
            JsonObject change = new JsonObject(e.value());
            assertThat(change.getString("kind")).isEqualTo("MODEL_VERSION_TAG_SET");
            assertThat(change.getString("key")).startsWith("skein.audit.");
        });
        Map<String, Long> lastSequence = new HashMap<>();
        for (TopicReader.Event e : published) {
            long sequence = Long.parseLong(
                    new JsonObject(e.value()).getValue("modelSequence").toString());
            Long previous = lastSequence.put(e.key(), sequence);
            assertThat(sequence).as("order of %s", e.key()).isEqualTo(previous == null ? 1 : previous + 1);
        }
        Outbox.waitUntilEmpty("registry", Duration.ofSeconds(30));
    }
}
