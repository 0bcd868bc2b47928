package dev.skein.registry;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.UUID;

@Entity
@Table(name = "registered_model_tags")
public class RegisteredModelTag {

    @EmbeddedId
    public Id id;

    @Column(name = "value", nullable = false)
    public String value;

    public RegisteredModelTag() {}

    public RegisteredModelTag(UUID modelId, String key, String value) {
        this.id = new Id(modelId, key);
        this.value = value;
    }

    @Embeddable
    public record Id(@Column(name = "model_id") UUID modelId, @Column(name = "key") String key)
            implements Serializable {}
}
