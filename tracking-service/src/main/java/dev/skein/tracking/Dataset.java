package dev.skein.tracking;

import java.util.List;

/** A dataset a run used, with the input tags of that use (such as {@code mlflow.data.context}). */
public record Dataset(
        String name,
        String digest,
        String sourceType,
        String source,
        String schema,
        String profile,
        List<KeyValue> tags) {}
