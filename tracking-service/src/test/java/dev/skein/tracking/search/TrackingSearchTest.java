package dev.skein.tracking.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.error.ApiException;
import dev.skein.common.search.Comparison;
import dev.skein.common.search.Field;
import dev.skein.common.search.OrderBy;
import dev.skein.common.search.SearchParser;
import dev.skein.common.search.SqlQuery;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MLflow's search language as runs and experiments use it, down to the SQL it becomes. */
class TrackingSearchTest {

    @Test
    void shouldParseEveryFieldTypeAndOperator() {
        List<Comparison> c = SearchParser.parseFilter(
                TrackingGrammars.RUNS,
                "metrics.acc >= -1.5e-3 and params.\"my key\" ILIKE '%x%' AND tags.`a.b` != 'y'"
                        + " AND attributes.run_id NOT IN ('a', 'b') AND created > 10 AND datasets.context = 'train'");
        assertThat(c)
                .containsExactly(
                        new Comparison(new Field(Field.Type.METRIC, "acc"), ">=", null, -1.5e-3, null),
                        new Comparison(new Field(Field.Type.PARAM, "my key"), "ILIKE", "%x%", null, null),
                        new Comparison(new Field(Field.Type.TAG, "a.b"), "!=", "y", null, null),
                        new Comparison(
                                new Field(Field.Type.ATTRIBUTE, "run_id"), "NOT IN", null, null, List.of("a", "b")),
                        new Comparison(new Field(Field.Type.ATTRIBUTE, "start_time"), ">", null, 10.0, null),
                        new Comparison(new Field(Field.Type.DATASET, "context"), "=", "train", null, null));
    }

    @Test
    void shouldKeepDottedTagKeysWhole() {
        assertThat(SearchParser.parseFilter(TrackingGrammars.RUNS, "tags.mlflow.source.type = 'LOCAL'"))
                .containsExactly(
                        new Comparison(new Field(Field.Type.TAG, "mlflow.source.type"), "=", "LOCAL", null, null));
    }

    @Test
    void shouldUnescapeDoubledQuotes() {
        assertThat(SearchParser.parseFilter(TrackingGrammars.RUNS, "params.p = 'it''s'")
                        .get(0)
                        .text())
                .isEqualTo("it's");
    }

    @Test
    void shouldParseOrderByClauses() {
        assertThat(SearchParser.parseOrderBy(
                        TrackingGrammars.RUNS, List.of("metrics.`f1 score` DESC", "start_time", "params.lr asc")))
                .containsExactly(
                        new OrderBy(new Field(Field.Type.METRIC, "f1 score"), false),
                        new OrderBy(new Field(Field.Type.ATTRIBUTE, "start_time"), true),
                        new OrderBy(new Field(Field.Type.PARAM, "lr"), true));
        assertThat(SearchParser.parseOrderBy(TrackingGrammars.EXPERIMENTS, List.of("experiment_id DESC")))
                .containsExactly(new OrderBy(new Field(Field.Type.ATTRIBUTE, "experiment_id"), false));
    }

    @Test
    void shouldRefuseWhatMlflowRefuses() {
        for (String bad : List.of(
                "metrics.acc",
                "metrics.acc >",
                "metrics.acc > 1 AND",
                "metrics.acc > 1 metrics.b > 2",
                "(metrics.acc > 1)",
                "params.p = 'a' OR params.p = 'b'",
                "tags.t LIKE 5",
                "metrics.acc LIKE '1'",
                "run_id IN 'a'",
                "run_id IN ('a' 'b')",
                "user_id IN ('a')",
                "metrics.a > 1 ; DELETE",
                "\"unterminated = 'x'")) {
            assertThatThrownBy(() -> SearchParser.parseFilter(TrackingGrammars.RUNS, bad))
                    .as(bad)
                    .isInstanceOf(ApiException.class)
                    .hasMessageStartingWith("Invalid filter");
        }
        assertThatThrownBy(() -> SearchParser.parseFilter(TrackingGrammars.EXPERIMENTS, "params.p = 'x'"))
                .isInstanceOf(ApiException.class);
        assertThatThrownBy(() -> SearchParser.parseOrderBy(TrackingGrammars.RUNS, List.of("metrics.a DESC extra")))
                .isInstanceOf(ApiException.class);
    }

    @Test
    void shouldBindValuesAsParametersNeverAsSqlText() {
        var filter = SearchParser.parseFilter(TrackingGrammars.RUNS, "params.p = 'x''); DROP TABLE tracking.runs; --'");
        SqlQuery q = RunSearchSql.build(new Long[] {1L}, new String[] {"active"}, filter, List.of(), 10, 0, 99);
        assertThat(q.sql()).doesNotContain("DROP").contains("= $5");
        assertThat(q.tuple().getValue(4)).isEqualTo("x'); DROP TABLE tracking.runs; --");
    }
}
