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

    static final Grammar TRACES =
            base().stringOperators(Set.of("=", "!=", "IN", "NOT IN")).build();

    /**
     * MLflow 3's search rules: MLflow 2's, plus {@code trace_id} and {@code state} as names of
     * request_id and status, {@code client_request_id}, {@code span.name}, {@code span.type} and
     * {@code span.status} (a trace matches if one of its stored spans does), and LIKE / ILIKE on
     * strings.
     */
    static final Grammar TRACES_V3 = base().prefix("span", Field.Type.SPAN)
            .key(Field.Type.ATTRIBUTE, "client_request_id", STRING, true)
            .key(Field.Type.SPAN, "name", STRING, true)
            .key(Field.Type.SPAN, "type", STRING, true)
            .key(Field.Type.SPAN, "status", STRING, true)
            .alias("trace_id", "request_id")
            .alias("state", "status")
            .build();

    /** What both versions share: MLflow 2.17's fields, prefixes, aliases and sort keys. */
    private static Grammar.Builder base() {
        return Grammar.builder("trace")
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
                .orderBy(
                        Set.of(Field.Type.ATTRIBUTE, Field.Type.TAG, Field.Type.REQUEST_METADATA),
                        "experiment_id",
                        "timestamp_ms",
                        "execution_time_ms",
                        "status",
                        "request_id",
                        "name",
                        "run_id");
    }

    private TraceGrammar() {}
}
