package dev.skein.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import dev.skein.proto.registry.v1.RenameRegisteredModel;
import dev.skein.proto.registry.v1.SetRegisteredModelTag;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * A consumer of skein.registry.events.v1 sees one model's events in order, renames included: they
 * share one key (the model's id) and so one partition.
 */
@QuarkusTest
class EventOrderTest {

    private static final String TOPIC = "skein.registry.events.v1";

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

    /** A record of the model, where Kafka put it. */
    private record Placed(String key, String modelId, int partition, long offset, long sequence) {}

    @Test
    void shouldKeepAModelsEventsOnOnePartitionInSequenceAcrossRenames() {
        String name = "ordered-" + UUID.randomUUID();
        registry.createRegisteredModel(
                CreateRegisteredModel.newBuilder().setName(name).build());
        int changes = 1;
        // several renames: with the name as key, each would likely move the model to another partition
        for (int i = 1; i <= 6; i++) {
            String next = name + "-" + i;
            registry.renameRegisteredModel(RenameRegisteredModel.newBuilder()
                    .setName(i == 1 ? name : name + "-" + (i - 1))
                    .setNewName(next)
                    .build());
            registry.setRegisteredModelTag(SetRegisteredModelTag.newBuilder()
                    .setName(next)
                    .setKey("step")
                    .setValue(Integer.toString(i))
                    .build());
            changes += 2;
        }

        List<Placed> placed = readModel(name, changes);
        assertThat(placed).hasSize(changes);
        String id = placed.get(0).modelId();
        assertThat(placed).extracting(Placed::key).as("keys: the model's id").containsOnly(id);
        assertThat(placed)
                .extracting(Placed::partition)
                .containsOnly(placed.get(0).partition());
        // in partition order, the model's sequence numbers 1, 2, 3… with no gap and no reordering
        List<Long> sequences = placed.stream()
                .sorted(java.util.Comparator.comparingLong(Placed::offset))
                .map(Placed::sequence)
                .toList();
        List<Long> expected = new ArrayList<>();
        for (long s = 1; s <= changes; s++) {
            expected.add(s);
        }
        assertThat(sequences).isEqualTo(expected);
    }

    /**
     * Every record of the topic whose change concerns the model first named {@code name} (by its
     * {@code modelId}, learnt from its creation), read from the beginning of every partition.
     */
    private static List<Placed> readModel(String name, int expected) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.kafkaBootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<String, String>> all = new ArrayList<>();
        List<Placed> placed = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(TOPIC, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(TOPIC, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            String modelId = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long settleUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settleUntil)) {
                consumer.poll(Duration.ofMillis(250)).forEach(all::add);
                if (modelId == null) {
                    modelId = all.stream()
                            .map(r -> new JsonObject(r.value()))
                            .filter(c -> c.getString("kind").equals("REGISTERED_MODEL_CREATED")
                                    && name.equals(c.getString("modelName")))
                            .map(c -> c.getString("modelId"))
                            .findFirst()
                            .orElse(null);
                }
                if (modelId != null) {
                    String id = modelId;
                    placed = all.stream()
                            .filter(r -> id.equals(new JsonObject(r.value()).getString("modelId")))
                            .map(r -> new Placed(
                                    r.key(),
                                    id,
                                    r.partition(),
                                    r.offset(),
                                    Long.parseLong(new JsonObject(r.value())
                                            .getValue("modelSequence")
                                            .toString())))
                            .toList();
                    if (placed.size() >= expected && settleUntil == Long.MAX_VALUE) {
                        settleUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                    }
                }
            }
        }
        return placed;
    }
}
