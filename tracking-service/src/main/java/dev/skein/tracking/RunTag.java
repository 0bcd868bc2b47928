package dev.skein.tracking;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;

@Entity
@Table(name = "tags")
public class RunTag {

    /** The tag MLflow keeps in step with the run's name. */
    public static final String RUN_NAME = "mlflow.runName";

    public static final String LOGGED_MODELS = "mlflow.log-model.history";

    @EmbeddedId
    public Id id;

    @Column(name = "value", nullable = false)
    public String value;

    public RunTag() {}

    public RunTag(String runUuid, String key, String value) {
        this.id = new Id(runUuid, key);
        this.value = value;
    }

    @Embeddable
    public record Id(@Column(name = "run_uuid") String runUuid, @Column(name = "key") String key)
            implements Serializable {}
}
