package dev.skein.registry;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.UUID;

/** One change in the append-only audit trail (the database refuses updates and deletes). */
@Entity
@Table(name = "audit_events")
public class AuditRecord {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    @Column(name = "seq")
    public Long seq;

    @Column(name = "event_id", nullable = false)
    public UUID eventId;

    @Column(name = "type", nullable = false)
    public String type;

    @Column(name = "model_id", nullable = false)
    public UUID modelId;

    @Column(name = "model_name", nullable = false)
    public String modelName;

    @Column(name = "model_sequence", nullable = false)
    public long modelSequence;

    @Column(name = "actor", nullable = false)
    public String actor;

    @Column(name = "time", nullable = false)
    public long time;

    /** The change as published: proto3 JSON of {@code skein.events.v1.RegistryChange}. */
    @Column(name = "change", nullable = false)
    public String change;
}
