package dev.skein.tracking.search;

import static dev.skein.common.search.Grammar.Kind.NUMBER;
import static dev.skein.common.search.Grammar.Kind.STRING;

import dev.skein.common.search.Field;
import dev.skein.common.search.Grammar;
import java.util.Set;

/** MLflow's search rules for runs and experiments ({@code mlflow/utils/search_utils.py}). */
public final class TrackingGrammars {

    public static final Grammar RUNS = Grammar.builder("run")
            .anyKey(Field.Type.METRIC, NUMBER)
            .anyKey(Field.Type.PARAM, STRING)
            .anyKey(Field.Type.TAG, STRING)
            .key(Field.Type.ATTRIBUTE, "run_id", STRING, true)
            .attribute("run_name", STRING)
            .attribute("status", STRING)
            .attribute("user_id", STRING)
            .attribute("artifact_uri", STRING)
            .attribute("start_time", NUMBER)
            .attribute("end_time", NUMBER)
            .alias("created", "start_time")
            .alias("Created", "start_time")
            .alias("run name", "run_name")
            .alias("Run Name", "run_name")
            .key(Field.Type.DATASET, "name", STRING, true)
            .key(Field.Type.DATASET, "digest", STRING, true)
            .key(Field.Type.DATASET, "context", STRING, true)
            .orderBy(
                    Set.of(Field.Type.METRIC, Field.Type.PARAM, Field.Type.TAG, Field.Type.ATTRIBUTE),
                    "run_id",
                    "run_name",
                    "status",
                    "user_id",
                    "artifact_uri",
                    "start_time",
                    "end_time")
            .build();

    public static final Grammar EXPERIMENTS = Grammar.builder("experiment")
            .anyKey(Field.Type.TAG, STRING)
            .attribute("name", STRING)
            .attribute("creation_time", NUMBER)
            .attribute("last_update_time", NUMBER)
            .orderBy(Set.of(Field.Type.ATTRIBUTE), "name", "experiment_id", "creation_time", "last_update_time")
            .build();

    private TrackingGrammars() {}
}
