package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.validation.Inputs;
import java.util.regex.Pattern;

/** MLflow 2.17's tracking input rules ({@code mlflow/utils/validation.py}), with MLflow's wording. */
public final class Validation {

    public static final int MAX_KEY_LENGTH = Inputs.MAX_KEY_LENGTH;
    public static final int MAX_PARAM_VALUE_LENGTH = 6000;
    public static final int MAX_TAG_VALUE_LENGTH = 5000;
    public static final int MAX_EXPERIMENT_TAG_VALUE_LENGTH = 5000;
    public static final int MAX_EXPERIMENT_NAME_LENGTH = 500;
    public static final int MAX_METRICS_PER_BATCH = 1000;
    public static final int MAX_PARAMS_TAGS_PER_BATCH = 100;
    public static final int MAX_ENTITIES_PER_BATCH = 1000;
    public static final int MAX_DATASET_NAME_LENGTH = 500;
    public static final int MAX_DATASET_DIGEST_LENGTH = 36;
    public static final int MAX_DATASET_SOURCE_LENGTH = 65535;
    public static final int MAX_DATASET_SCHEMA_LENGTH = 1 << 20;
    public static final int MAX_DATASET_PROFILE_LENGTH = 16 << 20;
    public static final int MAX_INPUT_TAG_KEY_LENGTH = 255;
    public static final int MAX_INPUT_TAG_VALUE_LENGTH = 500;

    static final Pattern RUN_ID = Pattern.compile("^[a-zA-Z0-9][\\w\\-]{0,255}$");

    private Validation() {}

    public static void runId(String runId) {
        if (!RUN_ID.matcher(runId).matches()) {
            throw ApiException.invalidParameter("Invalid run ID: '" + runId + "'");
        }
    }

    public static void param(String key, String value) {
        Inputs.key("Param", key);
        Inputs.length("Param key", key, MAX_KEY_LENGTH);
        if (value == null) {
            throw ApiException.missing("value");
        }
        Inputs.length("Param value", value, MAX_PARAM_VALUE_LENGTH);
    }

    public static void tag(String key, String value) {
        Inputs.key("Tag", key);
        Inputs.length("Tag key", key, MAX_KEY_LENGTH);
        if (value == null) {
            throw ApiException.missing("value");
        }
        Inputs.length("Tag value", value, MAX_TAG_VALUE_LENGTH);
    }

    public static void experimentTag(String key, String value) {
        Inputs.key("Tag", key);
        Inputs.length("Tag key", key, MAX_KEY_LENGTH);
        if (value == null) {
            throw ApiException.missing("value");
        }
        Inputs.length("Tag value", value, MAX_EXPERIMENT_TAG_VALUE_LENGTH);
    }

    public static void metric(String key, Double value, Long timestamp) {
        Inputs.key("Metric", key);
        Inputs.length("Metric name", key, MAX_KEY_LENGTH);
        if (value == null) {
            throw ApiException.invalidParameter("Got invalid value None for metric '" + key + "' (timestamp="
                    + timestamp + "). Please specify value as a valid double (64-bit floating point)");
        }
        if (timestamp == null || timestamp < 0) {
            throw ApiException.invalidParameter("Got invalid timestamp " + (timestamp == null ? "None" : timestamp)
                    + " for metric '" + key + "' (value=" + value
                    + "). Timestamp must be a nonnegative long (64-bit integer) ");
        }
    }

    public static void experimentName(String name) {
        if (name == null || name.isEmpty()) {
            throw ApiException.invalidParameter("Invalid experiment name: '" + (name == null ? "None" : name) + "'");
        }
        Inputs.length("Experiment name", name, MAX_EXPERIMENT_NAME_LENGTH);
    }

    public static void batchLimits(int metrics, int params, int tags) {
        batchLimit("metrics", MAX_METRICS_PER_BATCH, metrics);
        batchLimit("params", MAX_PARAMS_TAGS_PER_BATCH, params);
        batchLimit("tags", MAX_PARAMS_TAGS_PER_BATCH, tags);
        batchLimit("metrics, params, and tags", MAX_ENTITIES_PER_BATCH, metrics + params + tags);
    }

    private static void batchLimit(String entity, int limit, int size) {
        if (size > limit) {
            throw ApiException.invalidParameter("A batch logging request can contain at most " + limit + " " + entity
                    + ". Got " + size + " " + entity + ". Please split up " + entity
                    + " across multiple requests and try again.");
        }
    }
}
