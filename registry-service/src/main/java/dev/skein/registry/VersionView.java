package dev.skein.registry;

import java.util.List;

/** A model version with what MLflow returns beside it: its model's name, its tags and aliases. */
public record VersionView(String modelName, ModelVersion version, List<KeyValue> tags, List<String> aliases) {}
