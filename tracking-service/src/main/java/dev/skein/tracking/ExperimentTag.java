package dev.skein.tracking;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;

@Entity
@Table(name = "experiment_tags")
public class ExperimentTag {

    @EmbeddedId
    public Id id;

    @Column(name = "value", nullable = false)
    public String value;

    public ExperimentTag() {}

    public ExperimentTag(long experimentId, String key, String value) {
        this.id = new Id(experimentId, key);
        this.value = value;
    }

    @Embeddable
    public record Id(@Column(name = "experiment_id") long experimentId, @Column(name = "key") String key)
            implements Serializable {}
}
