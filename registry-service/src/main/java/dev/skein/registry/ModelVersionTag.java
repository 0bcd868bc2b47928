package dev.skein.registry;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.UUID;

@Entity
@Table(name = "model_version_tags")
public class ModelVersionTag {

    @EmbeddedId
    public Id id;

    @Column(name = "value", nullable = false)
    public String value;

    public ModelVersionTag() {}

    public ModelVersionTag(UUID modelId, int version, String key, String value) {
        this.id = new Id(modelId, version, key);
        this.value = value;
    }

    @Embeddable
    public record Id(
            @Column(name = "model_id") UUID modelId,
            @Column(name = "version") int version,
            @Column(name = "key") String key)
            implements Serializable {}
}
