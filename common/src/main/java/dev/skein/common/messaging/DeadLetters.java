package dev.skein.common.messaging;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * The message a consumer sends to its dead-letter topic ({@code <topic>.<consumer>-dlq}) for a
 * record it cannot use: the same key, value and headers, plus where it came from and why.
 * Send it through the consumer's own outgoing channel, inside {@link ConsumerRetry}, so that a
 * broker that is down delays the dead letter and never loses it.
 */
public final class DeadLetters {

    public static final String REASON_HEADER = "skein-dlq-reason";
    public static final String TOPIC_HEADER = "skein-dlq-topic";
    public static final String PARTITION_HEADER = "skein-dlq-partition";
    public static final String OFFSET_HEADER = "skein-dlq-offset";

    private DeadLetters() {}

    public static <V> Message<V> of(ConsumerRecord<String, ?> record, V value, String reason) {
        RecordHeaders headers = new RecordHeaders();
        for (Header h : record.headers()) {
            headers.add(h);
        }
        headers.add(REASON_HEADER, utf8(reason == null ? "" : reason));
        headers.add(TOPIC_HEADER, utf8(record.topic()));
        headers.add(PARTITION_HEADER, utf8(Integer.toString(record.partition())));
        headers.add(OFFSET_HEADER, utf8(Long.toString(record.offset())));
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(record.key())
                .withHeaders(headers)
                .build();
        return Message.of(value).addMetadata(metadata);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
