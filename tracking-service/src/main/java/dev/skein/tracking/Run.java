package dev.skein.tracking;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import org.hibernate.annotations.DynamicUpdate;

/**
 * A run's own row; its params, tags, metrics and inputs are kept in their own tables. An update
 * writes only the columns it changed (writers lock the row first, see {@code RunService}).
 */
@Entity
@DynamicUpdate
@Table(name = "runs")
public class Run {

    public static final String ACTIVE = "active";
    public static final String DELETED = "deleted";

    @Id
    @Column(name = "run_uuid")
    public String runUuid;

    @Column(name = "experiment_id", nullable = false)
    public long experimentId;

    @Column(name = "name")
    public String name;

    @Column(name = "user_id")
    public String userId;

    /** Who is changing the run, for its event (the gateway's user); not stored with the run. */
    @Transient
    public String actor;

    /** MLflow's RunStatus name: RUNNING, SCHEDULED, FINISHED, FAILED or KILLED. */
    @Column(name = "status", nullable = false)
    public String status;

    @Column(name = "start_time")
    public Long startTime;

    @Column(name = "end_time")
    public Long endTime;

    @Column(name = "deleted_time")
    public Long deletedTime;

    @Column(name = "lifecycle_stage", nullable = false)
    public String lifecycleStage;

    @Column(name = "artifact_uri", nullable = false)
    public String artifactUri;

    public boolean isActive() {
        return ACTIVE.equals(lifecycleStage);
    }
}
