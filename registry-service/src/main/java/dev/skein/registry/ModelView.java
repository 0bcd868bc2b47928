package dev.skein.registry;

import java.util.List;

/** A registered model with its tags, aliases (alias → version) and latest version per stage. */
public record ModelView(
        RegisteredModel model, List<KeyValue> tags, List<ModelAlias> aliases, List<VersionView> latestVersions) {}
