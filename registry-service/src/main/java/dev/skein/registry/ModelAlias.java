package dev.skein.registry;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.UUID;

/** An alias of a registered model ({@code champion}) pointing at one of its versions. */
@Entity
@Table(name = "registered_model_aliases")
public class ModelAlias {

    @EmbeddedId
    public Id id;

    @Column(name = "version", nullable = false)
    public int version;

    public ModelAlias() {}

    public ModelAlias(UUID modelId, String alias, int version) {
        this.id = new Id(modelId, alias);
        this.version = version;
    }

    @Embeddable
    public record Id(@Column(name = "model_id") UUID modelId, @Column(name = "alias") String alias)
            implements Serializable {}
}
