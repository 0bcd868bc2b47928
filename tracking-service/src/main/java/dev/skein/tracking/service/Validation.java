package dev.skein.tracking.service;

import dev.skein.common.error.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** MLflow 2.17's input rules ({@code mlflow/utils/validation.py}), with MLflow's wording. */
public final class Validation {

    public static final int MAX_KEY_LENGTH = 250;
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

    private static final Pattern VALID_NAME = Pattern.compile("^[/\\w.\\- ]*$", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern RUN_ID = Pattern.compile("^[a-zA-Z0-9][\\w\\-]{0,255}$");
    private static final String BAD_CHARACTERS = "Names may only contain alphanumerics, underscores (_), dashes (-),"
            + " periods (.), spaces ( ), and slashes (/).";

    private Validation() {}

    public static String required(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw ApiException.missing(field);
        }
        return value;
    }

    public static void runId(String runId) {
        if (!RUN_ID.matcher(runId).matches()) {
            throw ApiException.invalidParameter("Invalid run ID: '" + runId + "'");
        }
    }

    /** Metric, param and tag keys: MLflow's character set, and stable when read as a file path. */
    public static void key(String kind, String key) {
        if (key == null) {
            throw ApiException.invalidParameter(kind + " name cannot be None. A key name must be provided.");
        }
        if (!VALID_NAME.matcher(key).matches()) {
            throw ApiException.invalidParameter(
                    "Invalid " + kind.toLowerCase() + " name: '" + key + "'. " + BAD_CHARACTERS);
        }
        String normalized = normalizePath(key);
        if (!normalized.equals(key)
                || normalized.equals(".")
                || normalized.startsWith("..")
                || normalized.startsWith("/")) {
            throw ApiException.invalidParameter("Invalid " + kind.toLowerCase() + " name: '" + key + "'. Names may be"
                    + " treated as files in certain cases, and must not resolve to other names when treated as such."
                    + " This name would resolve to '" + normalized + "'");
        }
    }

    public static void length(String entity, String value, int limit) {
        if (value != null && value.length() > limit) {
            String shown = value.length() > 250 ? value.substring(0, 250) : value;
            throw ApiException.invalidParameter(entity + " '" + shown + "' had length " + value.length()
                    + ", which exceeded length limit of " + limit);
        }
    }

    public static void param(String key, String value) {
        key("Param", key);
        length("Param key", key, MAX_KEY_LENGTH);
        if (value == null) {
            throw ApiException.missing("value");
        }
        length("Param value", value, MAX_PARAM_VALUE_LENGTH);
    }

    public static void tag(String key, String value) {
        key("Tag", key);
        length("Tag key", key, MAX_KEY_LENGTH);
        if (value == null) {
            throw ApiException.missing("value");
        }
        length("Tag value", value, MAX_TAG_VALUE_LENGTH);
    }

    public static void experimentTag(String key, String value) {
        key("Tag", key);
        length("Tag key", key, MAX_KEY_LENGTH);
        if (value == null) {
            throw ApiException.missing("value");
        }
        length("Tag value", value, MAX_EXPERIMENT_TAG_VALUE_LENGTH);
    }

    public static void metric(String key, Double value, Long timestamp) {
        key("Metric", key);
        length("Metric name", key, MAX_KEY_LENGTH);
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
        length("Experiment name", name, MAX_EXPERIMENT_NAME_LENGTH);
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

    /** Python's {@code posixpath.normpath}, which MLflow uses to decide whether a key is path-stable. */
    static String normalizePath(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        int leadingSlashes = path.startsWith("/") ? (path.startsWith("//") && !path.startsWith("///") ? 2 : 1) : 0;
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")
                    && (leadingSlashes == 0
                            && (parts.isEmpty() || parts.get(parts.size() - 1).equals("..")))) {
                parts.add(part);
            } else if (part.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
            } else {
                parts.add(part);
            }
        }
        String joined = "/".repeat(leadingSlashes) + String.join("/", parts);
        return joined.isEmpty() ? "." : joined;
    }
}
