package dev.skein.evaluation.audit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads validation rules from JSON, with MLflow's names: {@code {"accuracy_score": {"threshold": 0.8,
 * "min_absolute_change": 0.01, "min_relative_change": 0.05, "greater_is_better": true}}}.
 *
 * <p>Each value is what MLflow's {@code MetricThreshold(...)} takes, checked as MLflow checks it (so a JSON
 * document that a Python client built from its {@code MetricThreshold}s is accepted, and anything MLflow's
 * constructor refuses is refused with its message): {@code threshold} and {@code min_absolute_change} are
 * numbers (not booleans, not strings), {@code min_relative_change} a floating point number ({@code 0.0}, not
 * {@code 0}: MLflow requires a Python float), {@code greater_is_better} a boolean; MLflow's deprecated {@code
 * higher_is_better} is accepted in its place, not with it. {@code null} is an absent member, as Python's None.
 * Unknown members, duplicate keys and anything that is not an object of objects are refused. Every failure is a
 * {@link MetricThresholdException} naming the metric.
 */
public final class ValidationRules {

    static final Set<String> FIELDS =
            Set.of("threshold", "min_absolute_change", "min_relative_change", "greater_is_better", "higher_is_better");

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ValidationRules() {}

    /** The rules in the document's order. */
    public static Map<String, MetricThreshold> parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new MetricThresholdException(null, "validation rules are not valid JSON: " + e.getOriginalMessage());
        }
        return parse(root);
    }

    public static Map<String, MetricThreshold> parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new MetricThresholdException(
                    null,
                    "The validation thresholds argument must be a dictionary that maps strings to MetricThreshold"
                            + " objects.");
        }
        Map<String, MetricThreshold> rules = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            try {
                rules.put(e.getKey(), rule(e.getValue()));
            } catch (MetricThresholdException ex) {
                throw ex.forMetric(e.getKey());
            }
        }
        return Collections.unmodifiableMap(rules);
    }

    private static MetricThreshold rule(JsonNode node) {
        if (!node.isObject()) {
            throw new MetricThresholdException(
                    null,
                    "expected an object of MetricThreshold arguments ("
                            + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
        }
        node.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                throw new MetricThresholdException(
                        null,
                        "unknown field '" + name + "' (MetricThreshold takes "
                                + "threshold, min_absolute_change, min_relative_change, greater_is_better)");
            }
        });
        JsonNode threshold = present(node, "threshold");
        if (threshold != null && !threshold.isNumber()) {
            throw MetricThresholdException.invalid("`threshold` parameter must be a number.");
        }
        JsonNode absolute = present(node, "min_absolute_change");
        if (absolute != null && !(absolute.isNumber() && absolute.doubleValue() > 0)) {
            throw MetricThresholdException.invalid("`min_absolute_change` parameter must be a positive number.");
        }
        JsonNode relative = present(node, "min_relative_change");
        if (relative != null && !relative.isFloatingPointNumber()) {
            throw MetricThresholdException.invalid("`min_relative_change` parameter must be a floating point number.");
        }
        if (relative != null && !(relative.doubleValue() >= 0 && relative.doubleValue() <= 1)) {
            throw MetricThresholdException.invalid("`min_relative_change` parameter must be between 0 and 1.");
        }
        JsonNode greater = present(node, "greater_is_better");
        JsonNode higher = present(node, "higher_is_better");
        if (greater == null && higher == null) {
            throw MetricThresholdException.invalid("`greater_is_better` parameter must be defined.");
        }
        if (greater != null && higher != null) {
            throw MetricThresholdException.invalid(
                    "`higher_is_better` parameter must be None when `greater_is_better` is defined.");
        }
        JsonNode better = greater != null ? greater : higher;
        if (!better.isBoolean()) {
            throw MetricThresholdException.invalid("`greater_is_better` parameter must be a boolean.");
        }
        return new MetricThreshold(
                threshold == null ? null : threshold.doubleValue(),
                absolute == null ? null : absolute.doubleValue(),
                relative == null ? null : relative.doubleValue(),
                better.booleanValue());
    }

    private static JsonNode present(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value;
    }
}
