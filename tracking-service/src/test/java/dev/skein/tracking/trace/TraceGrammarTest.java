package dev.skein.tracking.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.error.ApiException;
import dev.skein.common.search.Comparison;
import dev.skein.common.search.Field;
import dev.skein.common.search.SearchParser;
import dev.skein.tracking.search.TrackingGrammars;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MLflow 2.17's trace filter rules (SearchTraceUtils) on the shared parser. */
class TraceGrammarTest {

    private static List<Comparison> parse(String filter) {
        return SearchParser.parseFilter(TraceGrammar.TRACES, filter);
    }

    @Test
    void shouldReadTracePrefixesAndAliases() {
        List<Comparison> c = parse("trace.status = 'OK' AND metadata.`mlflow.sourceRun` = 'r'"
                + " AND request_metadata.k != 'v' AND tags.t = 'x' AND timestamp > 5 AND execution_time <= 9");
        assertThat(c)
                .extracting(Comparison::field)
                .containsExactly(
                        new Field(Field.Type.ATTRIBUTE, "status"),
                        new Field(Field.Type.REQUEST_METADATA, "mlflow.sourceRun"),
                        new Field(Field.Type.REQUEST_METADATA, "k"),
                        new Field(Field.Type.TAG, "t"),
                        new Field(Field.Type.ATTRIBUTE, "timestamp_ms"),
                        new Field(Field.Type.ATTRIBUTE, "execution_time_ms"));
        assertThat(parse("name IN ('a', 'b')").get(0).list()).containsExactly("a", "b");
    }

    @Test
    void shouldRefuseLikeAndFieldsTracesDoNotHave() {
        assertThatThrownBy(() -> parse("tag.t LIKE 'x%'"))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("operator 'LIKE' cannot be used");
        assertThatThrownBy(() -> parse("tag.t IN ('x')")).hasMessageContaining("operator 'IN' cannot be used");
        assertThatThrownBy(() -> parse("params.p = 'x'"))
                .hasMessageContaining("param fields cannot be used to search traces");
        assertThatThrownBy(() -> parse("trace.user_id = 'x'")).hasMessageContaining("Invalid attribute key 'user_id'");
    }

    @Test
    void shouldKeepTracePrefixesOutOfRunSearch() {
        assertThatThrownBy(() -> SearchParser.parseFilter(TrackingGrammars.RUNS, "request_metadata.k = 'v'"))
                .hasMessageContaining("invalid field type 'request_metadata'");
        assertThatThrownBy(() -> SearchParser.parseFilter(TrackingGrammars.RUNS, "trace.status = 'OK'"))
                .hasMessageContaining("invalid field type 'trace'");
        assertThat(SearchParser.parseFilter(TrackingGrammars.RUNS, "params.p LIKE 'x%'"))
                .extracting(Comparison::op)
                .containsExactly("LIKE");
    }
}
