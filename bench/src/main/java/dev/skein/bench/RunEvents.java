package dev.skein.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Run lifecycle events as a consumer sees them on Kafka topic {@value #TOPIC}: CloudEvents in Kafka's
 * binary mode (the type in header {@code ce_type}), keyed by run id, the value the proto3 JSON of
 * {@code dev.skein.events.v1.RunCreated} and its siblings (see DESIGN, "Events").
 */
final class RunEvents {

    static final String TOPIC = "skein.tracking.runs.v1";
    static final String CREATED = "dev.skein.tracking.run.created.v1";

    private RunEvents() {}

    /** A {@code RunCreated} payload as tracking-service's outbox holds it (proto3 JSON, int64 as a string). */
    static String createdJson(String runId, long experimentId, String runName, long startTime, String artifactUri) {
        return "{\"runId\":\"" + runId + "\",\"experimentId\":\"" + experimentId + "\",\"runName\":\"" + runName
                + "\",\"userId\":\"bench\",\"status\":\"RUNNING\",\"startTime\":\"" + startTime
                + "\",\"artifactUri\":\"" + artifactUri + "\"}";
    }

    /**
     * How many of {@code runIds} have a {@code RunCreated} event on the topic naming them, reading it
     * from the beginning (no consumer group, nothing committed) until every one has, or until
     * {@code patience} passes without all of them.
     */
    static int created(String bootstrap, Set<String> runIds, Duration patience) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        Set<String> seen = new HashSet<>();
        long deadline = System.nanoTime() + patience.toNanos();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = List.of();
            while (partitions.isEmpty() && System.nanoTime() < deadline) {
                partitions = consumer.partitionsFor(TOPIC, Duration.ofSeconds(10)).stream()
                        .map(PartitionInfo::partition)
                        .map(p -> new TopicPartition(TOPIC, p))
                        .toList();
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (seen.size() < runIds.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (runIds.contains(r.key()) && isCreated(r) && names(r)) {
                        seen.add(r.key());
                    }
                }
            }
        }
        return seen.size();
    }

    private static boolean isCreated(ConsumerRecord<String, byte[]> r) {
        Header type = r.headers().lastHeader("ce_type");
        return type != null && CREATED.equals(new String(type.value(), StandardCharsets.UTF_8));
    }

    /** The payload is about the run the key names (a relay that mixed keys and values would fail this). */
    private static boolean names(ConsumerRecord<String, byte[]> r) {
        return r.value() != null
                && new String(r.value(), StandardCharsets.UTF_8).contains("\"runId\":\"" + r.key() + "\"");
    }
}
