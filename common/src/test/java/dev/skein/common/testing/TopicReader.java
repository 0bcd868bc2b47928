package dev.skein.common.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic from its beginning with a plain Kafka consumer, as an auditor's tool would. */
public final class TopicReader {

    /** A record as read: key, value and headers (last value per header name). */
    public record Event(String key, String value, Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name);
        }
    }

    private TopicReader() {}

    /**
     * Every record of the topic whose key matches, read until {@code expected} matched (then for
     * {@code settle} longer, so duplicates would show) or until {@code timeout}.
     */
    public static List<Event> read(
            String bootstrap, String topic, Predicate<String> key, int expected, Duration timeout, Duration settle) {
        return readMatching(bootstrap, topic, e -> e.key() != null && key.test(e.key()), expected, timeout, settle);
    }

    /**
     * Every record of the topic that {@code match} accepts (its key, value or headers), read until {@code expected}
     * matched (then for {@code settle} longer, so duplicates would show) or until {@code timeout}.
     */
    public static List<Event> readMatching(
            String bootstrap, String topic, Predicate<Event> match, int expected, Duration timeout, Duration settle) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<Event> events = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            long deadline = System.nanoTime() + timeout.toNanos();
            long settleUntil = Long.MAX_VALUE;
            boolean assigned = false;
            while (System.nanoTime() < Math.min(deadline, settleUntil)) {
                if (!assigned) {
                    var partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5));
                    if (partitions == null || partitions.isEmpty()) {
                        sleep(200);
                        continue;
                    }
                    List<TopicPartition> tps = partitions.stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
                    consumer.assign(tps);
                    consumer.seekToBeginning(tps);
                    assigned = true;
                }
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(250))) {
                    Map<String, String> headers = new HashMap<>();
                    for (Header h : r.headers()) {
                        headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
                    }
                    Event event = new Event(r.key(), r.value(), headers);
                    if (match.test(event)) {
                        events.add(event);
                    }
                }
                if (events.size() >= expected && settleUntil == Long.MAX_VALUE) {
                    settleUntil = System.nanoTime() + settle.toNanos();
                }
            }
        }
        return events;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
