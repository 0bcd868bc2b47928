package dev.skein.registry;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.UUID;

/** A registered model. Its identity survives renames; its tags, versions and aliases are their own rows. */
@Entity
@Table(name = "registered_models")
public class RegisteredModel {

    @Id
    @Column(name = "model_id")
    public UUID id;

    @Column(name = "name", nullable = false)
    public String name;

    @Column(name = "description")
    public String description;

    @Column(name = "user_id")
    public String userId;

    @Column(name = "creation_time", nullable = false)
    public long creationTime;

    @Column(name = "last_updated_time", nullable = false)
    public long lastUpdatedTime;

    /** The highest version number handed out: versions are numbered 1, 2, 3… and never reused. */
    @Column(name = "last_version", nullable = false)
    public int lastVersion;

    /** The number of the model's last change in the audit trail. */
    @Column(name = "last_event_sequence", nullable = false)
    public long lastEventSequence;
}
