package dev.skein.tracking;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.DynamicUpdate;

/** An MLflow experiment. Its tags are {@link ExperimentTag} rows, loaded explicitly. Updates write only changed columns. */
@Entity
@DynamicUpdate
@Table(name = "experiments")
public class Experiment {

    public static final String ACTIVE = "active";
    public static final String DELETED = "deleted";
    public static final long DEFAULT_ID = 0;

    /** Assigned from sequence {@code experiments_seq} before insert: the default artifact location needs it. */
    @Id
    @Column(name = "experiment_id")
    public Long id;

    @Column(name = "name", nullable = false)
    public String name;

    @Column(name = "artifact_location", nullable = false)
    public String artifactLocation;

    @Column(name = "lifecycle_stage", nullable = false)
    public String lifecycleStage;

    @Column(name = "creation_time", nullable = false)
    public long creationTime;

    @Column(name = "last_update_time", nullable = false)
    public long lastUpdateTime;

    public boolean isActive() {
        return ACTIVE.equals(lifecycleStage);
    }
}
