package dev.skein.common.search;

import dev.skein.common.error.ApiException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one search accepts: which fields (metrics, params, tags with any key; attributes and dataset
 * fields from a fixed list), their kind (string or number), which of them take IN lists, and what
 * can order results. Each service declares its grammars (MLflow's rules for runs, experiments,
 * registered models, model versions) with {@link #builder(String)}.
 */
public final class Grammar {

    public enum Kind {
        STRING,
        NUMBER
    }

    static final Set<String> NUMERIC_OPS = Set.of("=", "!=", ">", ">=", "<", "<=");
    static final Set<String> STRING_OPS = Set.of("=", "!=", "LIKE", "ILIKE");
    static final Set<String> STRING_AND_LIST_OPS = Set.of("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN");
    static final Set<String> LIST_OPS = Set.of("IN", "NOT IN");

    private record Spec(Kind kind, boolean listable) {}

    final String entity;
    private final Map<Field.Type, Kind> anyKey;
    private final Map<Field.Type, Map<String, Spec>> fixedKeys;
    private final Map<String, String> aliases;
    private final Set<Field.Type> orderTypes;
    private final List<String> orderAttributes;
    private final Map<String, Field.Type> prefixes;
    private final Set<String> stringOperators;

    private Grammar(Builder b) {
        this.entity = b.entity;
        this.anyKey = b.anyKey;
        this.fixedKeys = b.fixedKeys;
        this.aliases = b.aliases;
        this.orderTypes = b.orderTypes;
        this.orderAttributes = b.orderAttributes;
        this.prefixes = b.prefixes;
        this.stringOperators = b.stringOperators;
    }

    /** @param entity what is searched, in messages ("run", "registered model") */
    public static Builder builder(String entity) {
        return new Builder(entity);
    }

    /** Maps an identifier's prefix to its field type: this grammar's own prefixes, then the common ones. */
    Field.Type typeOf(String prefix) {
        Field.Type own = prefixes.get(prefix.toLowerCase());
        return own != null ? own : type(prefix);
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
        boolean allowed =
                forOrderBy ? orderTypes.contains(type) : anyKey.containsKey(type) || fixedKeys.containsKey(type);
        if (!allowed) {
            throw ApiException.invalidParameter("Invalid " + (forOrderBy ? "order_by" : "filter") + " '" + clause
                    + "': " + type.name().toLowerCase() + " fields cannot be used to "
                    + (forOrderBy ? "order " : "search ") + entity + "s");
        }
        if (anyKey.containsKey(type)) {
            return new Field(type, key);
        }
        String canonical = aliases.getOrDefault(key, key);
        Map<String, Spec> fixed = fixedKeys.getOrDefault(type, Map.of());
        boolean known = forOrderBy && type == Field.Type.ATTRIBUTE
                ? orderAttributes.contains(canonical)
                : fixed.containsKey(canonical);
        if (!known) {
            String what = type == Field.Type.DATASET ? "dataset" : "attribute";
            List<String> valid =
                    forOrderBy && type == Field.Type.ATTRIBUTE ? orderAttributes : new ArrayList<>(fixed.keySet());
            throw ApiException.invalidParameter(
                    "Invalid " + what + " key '" + key + "' specified. Valid keys are '" + valid + "'");
        }
        return new Field(type, canonical);
    }

    Kind kind(Field field) {
        Kind any = anyKey.get(field.type());
        return any != null ? any : fixedKeys.get(field.type()).get(field.key()).kind();
    }

    Set<String> operators(Field field) {
        if (kind(field) == Kind.NUMBER) {
            return NUMERIC_OPS;
        }
        Map<String, Spec> fixed = fixedKeys.get(field.type());
        Set<String> ops = fixed != null && fixed.get(field.key()).listable() ? STRING_AND_LIST_OPS : STRING_OPS;
        if (stringOperators == null) {
            return ops;
        }
        Set<String> allowed = new java.util.LinkedHashSet<>(ops);
        allowed.retainAll(stringOperators);
        return allowed;
    }

    public static final class Builder {
        private final String entity;
        private final Map<Field.Type, Kind> anyKey = new EnumMap<>(Field.Type.class);
        private final Map<Field.Type, Map<String, Spec>> fixedKeys = new EnumMap<>(Field.Type.class);
        private final Map<String, String> aliases = new HashMap<>();
        private final Set<Field.Type> orderTypes = EnumSet.noneOf(Field.Type.class);
        private final List<String> orderAttributes = new ArrayList<>();
        private final Map<String, Field.Type> prefixes = new HashMap<>();
        private Set<String> stringOperators;

        private Builder(String entity) {
            this.entity = entity;
        }

        /** Fields of this type take any key ({@code metrics.<key>}), all of this kind. */
        public Builder anyKey(Field.Type type, Kind kind) {
            anyKey.put(type, kind);
            return this;
        }

        /** A field of a fixed list (attributes, dataset fields); {@code listable} allows IN / NOT IN. */
        public Builder key(Field.Type type, String name, Kind kind, boolean listable) {
            fixedKeys.computeIfAbsent(type, t -> new LinkedHashMap<>()).put(name, new Spec(kind, listable));
            return this;
        }

        public Builder attribute(String name, Kind kind) {
            return key(Field.Type.ATTRIBUTE, name, kind, false);
        }

        /** Another name of an attribute, in filters and order-by ({@code created} for start_time). */
        public Builder alias(String alias, String attribute) {
            aliases.put(alias, attribute);
            return this;
        }

        /** What can order results: these field types, and of attributes only those listed. */
        public Builder orderBy(Set<Field.Type> types, String... attributes) {
            orderTypes.addAll(types);
            orderAttributes.addAll(List.of(attributes));
            return this;
        }

        /** Another prefix for a field type in this grammar only ({@code trace.status} for attributes of traces). */
        public Builder prefix(String prefix, Field.Type type) {
            prefixes.put(prefix.toLowerCase(), type);
            return this;
        }

        /** Limits the operators of string fields to these (traces take no LIKE or ILIKE). */
        public Builder stringOperators(Set<String> operators) {
            stringOperators = Set.copyOf(operators);
            return this;
        }

        public Grammar build() {
            return new Grammar(this);
        }
    }
}
