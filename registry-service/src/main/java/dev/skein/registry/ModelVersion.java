package dev.skein.registry;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.UUID;

@Entity
@Table(name = "model_versions")
public class ModelVersion {

    public static final String NONE = "None";
    public static final String STAGING = "Staging";
    public static final String PRODUCTION = "Production";
    public static final String ARCHIVED = "Archived";

    @EmbeddedId
    public Id id;

    @Column(name = "description")
    public String description;

    @Column(name = "user_id")
    public String userId;

    @Column(name = "current_stage", nullable = false)
    public String currentStage;

    @Column(name = "source", nullable = false)
    public String source;

    /** Where the version's files are: its source with runs:/ and models:/ URIs resolved. */
    @Column(name = "storage_location", nullable = false)
    public String storageLocation;

    @Column(name = "run_id")
    public String runId;

    @Column(name = "run_link")
    public String runLink;

    /** MLflow 3: the logged model ({@code m-…}) the version was registered from, if any. */
    @Column(name = "logged_model_id")
    public String loggedModelId;

    @Column(name = "status", nullable = false)
    public String status;

    @Column(name = "status_message")
    public String statusMessage;

    @Column(name = "creation_time", nullable = false)
    public long creationTime;

    @Column(name = "last_updated_time", nullable = false)
    public long lastUpdatedTime;

    @Embeddable
    public record Id(@Column(name = "model_id") UUID modelId, @Column(name = "version") int version)
            implements Serializable {}
}
