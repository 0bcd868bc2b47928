package dev.skein.tracking.trace;

import static dev.skein.common.search.Grammar.Kind.NUMBER;
import static dev.skein.common.search.Grammar.Kind.STRING;

import dev.skein.common.search.Field;
import dev.skein.common.search.Grammar;
import java.util.Set;

/**
 * MLflow 2.17's search rules for traces ({@code SearchTraceUtils}): attributes (also as {@code
 * trace.<name>}), {@code tag.<key>} and {@code request_metadata.<key>} (or {@code metadata.}); no
 * LIKE. {@code name} is tag {@value TraceInfo#TRACE_NAME}, {@code run_id} request metadata
 * {@value TraceInfo#SOURCE_RUN}.
 */
final class TraceGrammar {

    static final Grammar TRACES = Grammar.builder("trace")
            .prefix("trace", Field.Type.ATTRIBUTE)
            .prefix("request_metadata", Field.Type.REQUEST_METADATA)
            .prefix("metadata", Field.Type.REQUEST_METADATA)
            .anyKey(Field.Type.TAG, STRING)
            .anyKey(Field.Type.REQUEST_METADATA, STRING)
            .key(Field.Type.ATTRIBUTE, "request_id", STRING, true)
            .attribute("timestamp_ms", NUMBER)
            .attribute("execution_time_ms", NUMBER)
            .key(Field.Type.ATTRIBUTE, "status", STRING, true)
            .key(Field.Type.ATTRIBUTE, "name", STRING, true)
            .key(Field.Type.ATTRIBUTE, "run_id", STRING, true)
            .alias("timestamp", "timestamp_ms")
            .alias("execution_time", "execution_time_ms")
            .stringOperators(Set.of("=", "!=", "IN", "NOT IN"))
            .orderBy(
                    Set.of(Field.Type.ATTRIBUTE, Field.Type.TAG, Field.Type.REQUEST_METADATA),
                    "experiment_id",
                    "timestamp_ms",
                    "execution_time_ms",
                    "status",
                    "request_id",
                    "name",
                    "run_id")
            .build();

    private TraceGrammar() {}
}
