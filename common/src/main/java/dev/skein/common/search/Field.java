package dev.skein.common.search;

/**
 * What a filter or order-by clause refers to.
 *
 * @param key the metric, param or tag key, or the canonical attribute or dataset field name
 */
public record Field(Type type, String key) {

    public enum Type {
        METRIC,
        PARAM,
        TAG,
        ATTRIBUTE,
        DATASET
    }
}
