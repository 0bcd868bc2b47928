package dev.skein.common.search;

/**
 * What a filter or order-by clause refers to.
 *
 * @param key the metric, param, tag or request metadata key, or the canonical attribute or dataset field name
 */
public record Field(Type type, String key) {

    public enum Type {
        METRIC,
        PARAM,
        TAG,
        ATTRIBUTE,
        DATASET,
        /** A trace's request metadata ({@code request_metadata.<key>}). */
        REQUEST_METADATA,
        /** A trace's spans ({@code span.name}, {@code span.type}): a trace matches if one of its spans does. */
        SPAN
    }
}
