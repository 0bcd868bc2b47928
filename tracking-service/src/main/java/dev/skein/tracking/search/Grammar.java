package dev.skein.tracking.search;

import dev.skein.common.error.ApiException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which fields and operators a search accepts: MLflow's rules for runs and for experiments
 * ({@code mlflow/utils/search_utils.py}).
 */
public final class Grammar {

    static final Set<String> NUMERIC_OPS = Set.of("=", "!=", ">", ">=", "<", "<=");
    static final Set<String> STRING_OPS = Set.of("=", "!=", "LIKE", "ILIKE");
    static final Set<String> STRING_AND_LIST_OPS = Set.of("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN");
    static final Set<String> LIST_OPS = Set.of("IN", "NOT IN");

    enum Kind {
        STRING,
        NUMBER
    }

    /** Runs: metrics, params, tags, attributes and dataset fields. */
    public static final Grammar RUNS = new Grammar(
            "run",
            Set.of(Field.Type.METRIC, Field.Type.PARAM, Field.Type.TAG, Field.Type.ATTRIBUTE, Field.Type.DATASET),
            orderedMap(
                    "run_id", Kind.STRING,
                    "run_name", Kind.STRING,
                    "status", Kind.STRING,
                    "user_id", Kind.STRING,
                    "artifact_uri", Kind.STRING,
                    "start_time", Kind.NUMBER,
                    "end_time", Kind.NUMBER),
            Map.of("created", "start_time", "run name", "run_name", "Created", "start_time", "Run Name", "run_name"),
            Set.of(Field.Type.METRIC, Field.Type.PARAM, Field.Type.TAG, Field.Type.ATTRIBUTE),
            List.of("run_id", "run_name", "status", "user_id", "artifact_uri", "start_time", "end_time"));

    /** Experiments: name, creation and update times, tags. */
    public static final Grammar EXPERIMENTS = new Grammar(
            "experiment",
            Set.of(Field.Type.TAG, Field.Type.ATTRIBUTE),
            orderedMap(
                    "name", Kind.STRING,
                    "creation_time", Kind.NUMBER,
                    "last_update_time", Kind.NUMBER),
            Map.of(),
            Set.of(Field.Type.ATTRIBUTE),
            List.of("name", "experiment_id", "creation_time", "last_update_time"));

    final String entity;
    private final Set<Field.Type> filterTypes;
    private final Map<String, Kind> attributes;
    private final Map<String, String> aliases;
    private final Set<Field.Type> orderTypes;
    private final List<String> orderAttributes;

    private Grammar(
            String entity,
            Set<Field.Type> filterTypes,
            Map<String, Kind> attributes,
            Map<String, String> aliases,
            Set<Field.Type> orderTypes,
            List<String> orderAttributes) {
        this.entity = entity;
        this.filterTypes = filterTypes;
        this.attributes = attributes;
        this.aliases = aliases;
        this.orderTypes = orderTypes;
        this.orderAttributes = orderAttributes;
    }

    /** Maps an identifier's prefix to its field type ({@code metrics} → METRIC…). */
    static Field.Type type(String prefix) {
        return switch (prefix.toLowerCase()) {
            case "metric", "metrics" -> Field.Type.METRIC;
            case "param", "params", "parameter", "parameters" -> Field.Type.PARAM;
            case "tag", "tags" -> Field.Type.TAG;
            case "attribute", "attributes", "attr", "run" -> Field.Type.ATTRIBUTE;
            case "dataset", "datasets" -> Field.Type.DATASET;
            default -> null;
        };
    }

    Field field(Field.Type type, String key, boolean forOrderBy, String clause) {
        Set<Field.Type> allowed = forOrderBy ? orderTypes : filterTypes;
        if (!allowed.contains(type)) {
            throw ApiException.invalidParameter("Invalid " + (forOrderBy ? "order_by" : "filter") + " '" + clause
                    + "': " + type.name().toLowerCase() + " fields cannot be used to "
                    + (forOrderBy ? "order " : "search ") + entity + "s");
        }
        if (type == Field.Type.ATTRIBUTE) {
            String canonical = aliases.getOrDefault(key, key);
            boolean known = forOrderBy ? orderAttributes.contains(canonical) : attributes.containsKey(canonical);
            if (!known) {
                throw ApiException.invalidParameter("Invalid attribute key '" + key + "' specified. Valid keys are '"
                        + (forOrderBy ? orderAttributes : attributes.keySet()) + "'");
            }
            return new Field(type, canonical);
        }
        if (type == Field.Type.DATASET && !Set.of("name", "digest", "context").contains(key)) {
            throw ApiException.invalidParameter(
                    "Invalid dataset key '" + key + "' specified. Valid keys are '[name, digest, context]'");
        }
        return new Field(type, key);
    }

    Kind kind(Field field) {
        return switch (field.type()) {
            case METRIC -> Kind.NUMBER;
            case PARAM, TAG, DATASET -> Kind.STRING;
            case ATTRIBUTE -> attributes.get(field.key());
        };
    }

    Set<String> operators(Field field) {
        if (kind(field) == Kind.NUMBER) {
            return NUMERIC_OPS;
        }
        if (field.type() == Field.Type.DATASET
                || (field.type() == Field.Type.ATTRIBUTE && field.key().equals("run_id"))) {
            return STRING_AND_LIST_OPS;
        }
        return STRING_OPS;
    }

    private static Map<String, Kind> orderedMap(Object... kv) {
        Map<String, Kind> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Kind) kv[i + 1]);
        }
        return m;
    }
}
