package dev.skein.common.outbox;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.time.Instant;
import java.util.UUID;

/**
 * One event on its way to Kafka. A service stores it in its own {@code outbox} table in the same
 * transaction as the state change it describes; {@link OutboxRelay} publishes it afterwards as a
 * CloudEvent (binary mode): {@code id}, {@code type}, {@code subject} and {@code time} become
 * {@code ce_*} headers, {@code key} the record key, {@code payload} the record value.
 *
 * @param payload the proto3 JSON of a versioned event message from {@code dev.skein.events.v1}
 */
public record OutboxEvent(
        UUID id, String topic, String key, String type, String subject, String payload, Instant time) {

    private static final JsonFormat.Printer PRINTER =
            JsonFormat.printer().alwaysPrintFieldsWithNoPresence().omittingInsignificantWhitespace();

    public static OutboxEvent of(String topic, String key, String type, String subject, MessageOrBuilder payload) {
        return new OutboxEvent(UUID.randomUUID(), topic, key, type, subject, json(payload), Instant.now());
    }

    /** The proto3 JSON of an event message, as events carry it. */
    public static String json(MessageOrBuilder payload) {
        try {
            return PRINTER.print(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("Event payload cannot be printed as JSON", e);
        }
    }
}
