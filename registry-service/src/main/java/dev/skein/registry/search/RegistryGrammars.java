package dev.skein.registry.search;

import static dev.skein.common.search.Grammar.Kind.NUMBER;
import static dev.skein.common.search.Grammar.Kind.STRING;

import dev.skein.common.search.Field;
import dev.skein.common.search.Grammar;
import java.util.Set;

/** MLflow's search rules for registered models and model versions. */
public final class RegistryGrammars {

    public static final Grammar REGISTERED_MODELS = Grammar.builder("registered model")
            .anyKey(Field.Type.TAG, STRING)
            .attribute("name", STRING)
            .alias("timestamp", "creation_timestamp")
            .orderBy(Set.of(Field.Type.ATTRIBUTE), "name", "creation_timestamp", "last_updated_timestamp")
            .build();

    public static final Grammar MODEL_VERSIONS = Grammar.builder("model version")
            .anyKey(Field.Type.TAG, STRING)
            .attribute("name", STRING)
            .key(Field.Type.ATTRIBUTE, "run_id", STRING, true)
            .attribute("source_path", STRING)
            .attribute("version_number", NUMBER)
            .alias("timestamp", "creation_timestamp")
            .orderBy(
                    Set.of(Field.Type.ATTRIBUTE),
                    "name",
                    "version_number",
                    "creation_timestamp",
                    "last_updated_timestamp")
            .build();

    private RegistryGrammars() {}
}
