package dev.skein.tracking;

import dev.skein.common.outbox.OutboxEvent;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/** An event waiting in the outbox for the relay; written in the transaction of its change. */
@Entity
@Table(name = "outbox")
public class OutboxRecord {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    @Column(name = "seq")
    public Long seq;

    @Column(name = "event_id", nullable = false)
    public UUID eventId;

    @Column(name = "topic", nullable = false)
    public String topic;

    @Column(name = "partition_key", nullable = false)
    public String partitionKey;

    @Column(name = "event_type", nullable = false)
    public String eventType;

    @Column(name = "subject", nullable = false)
    public String subject;

    @Column(name = "payload", nullable = false)
    public String payload;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;

    public static OutboxRecord of(OutboxEvent event) {
        OutboxRecord r = new OutboxRecord();
        r.eventId = event.id();
        r.topic = event.topic();
        r.partitionKey = event.key();
        r.eventType = event.type();
        r.subject = event.subject();
        r.payload = event.payload();
        r.createdAt = event.time().atOffset(ZoneOffset.UTC);
        return r;
    }
}
