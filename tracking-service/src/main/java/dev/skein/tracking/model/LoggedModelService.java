package dev.skein.tracking.model;

import dev.skein.common.error.ApiException;
import dev.skein.common.validation.Inputs;
import dev.skein.tracking.Experiment;
import dev.skein.tracking.KeyValue;
import dev.skein.tracking.messaging.OutboxPublisher;
import dev.skein.tracking.messaging.RunEvents;
import dev.skein.tracking.service.Ids;
import dev.skein.tracking.service.RunNames;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** MLflow 3's logged models (its SQL store's rules and messages). */
@ApplicationScoped
public class LoggedModelService {

    /** MLflow's model names may not contain these (they would break {@code models:/} URIs and paths). */
    static final List<String> BAD_NAME_CHARS = List.of("/", ":", ".", "%", "\"", "'");

    /** Params or tags one request may carry. */
    static final int MAX_ENTRIES = 1000;

    static final int MAX_KEY_LENGTH = 255;

    private final LoggedModelRepository models;
    private final RunEvents events;
    private final OutboxPublisher publisher;

    public LoggedModelService(LoggedModelRepository models, RunEvents events, OutboxPublisher publisher) {
        this.models = models;
        this.events = events;
        this.publisher = publisher;
    }

    /**
     * A new PENDING model in an active experiment: id {@code m-<32 hex>}, a generated name when none
     * is given, files under {@code <experiment artifact location>/models/<model_id>/artifacts}.
     */
    public Uni<LoggedModel> create(
            String experimentId,
            String name,
            String modelType,
            String sourceRunId,
            List<KeyValue> params,
            List<KeyValue> tags,
            String actor) {
        Inputs.required(experimentId, "experiment_id");
        validateName(name);
        entries(params, "params");
        entries(tags, "tags");
        long id = Ids.experimentId(experimentId);
        return models.create(
                        id,
                        experiment -> {
                            if (experiment == null) {
                                throw Ids.experimentNotFound(experimentId);
                            }
                            if (!Experiment.ACTIVE.equals(experiment.lifecycleStage())) {
                                throw ApiException.invalidParameter("The experiment " + experimentId
                                        + " must be in the 'active' state. Current state is "
                                        + experiment.lifecycleStage() + ".");
                            }
                            String modelId = "m-" + UUID.randomUUID().toString().replace("-", "");
                            long now = System.currentTimeMillis();
                            return new LoggedModel(
                                    modelId,
                                    experiment.id(),
                                    name == null || name.isEmpty() ? RunNames.generate() : name,
                                    artifactLocation(experiment.artifactLocation(), modelId),
                                    now,
                                    now,
                                    LoggedModel.PENDING,
                                    Experiment.ACTIVE,
                                    emptyToNull(modelType),
                                    emptyToNull(sourceRunId),
                                    null,
                                    tags,
                                    params,
                                    List.of());
                        },
                        m -> events.modelCreated(m, actor))
                .invoke(publisher::wake);
    }

    /** {@code <location>/models/<model_id>/artifacts}, appended as MLflow appends to a URI. */
    static String artifactLocation(String experimentLocation, String modelId) {
        String root = experimentLocation.endsWith("/") ? experimentLocation : experimentLocation + "/";
        return root + "models/" + modelId + "/artifacts";
    }

    public Uni<LoggedModel> get(String modelId, boolean allowDeleted) {
        Inputs.required(modelId, "model_id");
        return models.find(modelId, allowDeleted).map(m -> {
            if (m == null) {
                throw notFound(modelId);
            }
            return m;
        });
    }

    /** Sets READY or UPLOAD_FAILED. */
    public Uni<LoggedModel> finalize(String modelId, String status, String actor) {
        Inputs.required(modelId, "model_id");
        if (status == null) {
            throw ApiException.missing("status");
        }
        if (!LoggedModel.READY.equals(status) && !LoggedModel.UPLOAD_FAILED.equals(status)) {
            throw ApiException.invalidParameter("Invalid value " + status
                    + " for parameter 'status' supplied. It must be LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.");
        }
        return models.finalize(modelId, status, System.currentTimeMillis(), m -> events.modelFinalized(m, actor))
                .map(m -> {
                    if (m == null) {
                        throw notFound(modelId);
                    }
                    return m;
                })
                .invoke(publisher::wake);
    }

    public Uni<Void> delete(String modelId) {
        Inputs.required(modelId, "model_id");
        return models.delete(modelId, System.currentTimeMillis()).map(found -> {
            if (!found) {
                throw notFound(modelId);
            }
            return null;
        });
    }

    public Uni<Void> setTags(String modelId, List<KeyValue> tags) {
        Inputs.required(modelId, "model_id");
        entries(tags, "tags");
        return models.setTags(modelId, tags).map(found -> {
            if (!found) {
                throw notFound(modelId);
            }
            return null;
        });
    }

    /** The logged model's tag {@value #MODEL_VERSIONS_TAG}, where MLflow 3 lists the versions registered from it. */
    public static final String MODEL_VERSIONS_TAG = "mlflow.modelVersions";

    /** Lists version {@code version} of registered model {@code name} on the model's {@value #MODEL_VERSIONS_TAG}. */
    public Uni<Void> listVersion(String modelId, String name, int version) {
        Inputs.required(modelId, "model_id");
        Inputs.required(name, "name");
        if (version < 1) {
            throw ApiException.invalidParameter("A version number of at least 1 is required, got " + version);
        }
        return models.updateTag(modelId, MODEL_VERSIONS_TAG, listed -> ModelVersionsTag.append(listed, name, version))
                .map(found -> {
                    if (!found) {
                        throw notFound(modelId);
                    }
                    return null;
                });
    }

    public Uni<Void> deleteTag(String modelId, String key) {
        Inputs.required(modelId, "model_id");
        Inputs.required(key, "tag_key");
        return models.deleteTag(modelId, key).map(result -> switch (result) {
            case NO_MODEL -> throw notFound(modelId);
            case NO_TAG ->
                throw ApiException.notFound("No tag with key '" + key + "' found for model with ID '" + modelId + "'.");
            case DELETED -> null;
        });
    }

    public Uni<Void> logParams(String modelId, List<KeyValue> params) {
        Inputs.required(modelId, "model_id");
        entries(params, "params");
        if (params.isEmpty()) {
            return get(modelId, true).replaceWithVoid();
        }
        return models.logParams(modelId, params).map(changed -> {
            if (changed == null) {
                throw notFound(modelId);
            }
            if (!changed.isEmpty()) {
                throw ApiException.invalidParameter("Changing param values is not allowed. Params with keys " + changed
                        + " were already logged to model '" + modelId + "' with other values.");
            }
            return null;
        });
    }

    public static ApiException notFound(String modelId) {
        return ApiException.notFound("Logged model with ID '" + modelId + "' not found.");
    }

    private static void validateName(String name) {
        if (name == null) {
            return;
        }
        if (name.isEmpty() || BAD_NAME_CHARS.stream().anyMatch(name::contains)) {
            throw ApiException.invalidParameter(
                    "Invalid model name ('" + name + "') provided. Model name must be a"
                            + " non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '\"', \"'\")");
        }
    }

    /**
     * Params or tags as MLflow's store takes them: each with a key and a value, a key at most once
     * (its tables' primary key), at most 1,000 in one request.
     */
    private static void entries(List<KeyValue> entries, String field) {
        if (entries.size() > MAX_ENTRIES) {
            throw ApiException.invalidParameter("A logged model request may carry at most " + MAX_ENTRIES + " " + field
                    + ", got " + entries.size() + ".");
        }
        Set<String> seen = new HashSet<>();
        for (KeyValue e : entries) {
            if (e.key() == null || e.key().isEmpty() || e.value() == null || !seen.add(e.key())) {
                throw ApiException.invalidParameter(
                        "Logged model " + field + " must have unique, non-null keys and non-null values.");
            }
            Inputs.length("Logged model " + field.substring(0, field.length() - 1) + " key", e.key(), MAX_KEY_LENGTH);
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
