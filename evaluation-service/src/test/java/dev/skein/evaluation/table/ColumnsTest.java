package dev.skein.evaluation.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.metrics.ClassifierOptions;
import dev.skein.evaluation.metrics.InvalidInputException;
import dev.skein.evaluation.metrics.RegressorAccumulator;
import dev.skein.evaluation.metrics.RetrieverAccumulator;
import dev.skein.evaluation.metrics.RetrieverResult;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ColumnsTest {

    private static final List<String> SAME_TABLE =
            List.of("predictions.csv", "predictions.json", "predictions-with-index.json", "predictions.jsonl");

    private static Map<String, Double> classify(String fixture, Columns columns) {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        try (TableReader table = TableReaderTest.open(fixture)) {
            assertThat(columns.feed(table, acc)).isEqualTo(6);
        }
        return acc.compute(ClassifierOptions.defaults()).metrics();
    }

    private static void assertSameInEveryFormat(Function<String, Map<String, Double>> metrics) {
        Map<String, Double> csv = metrics.apply("predictions.csv");
        assertThat(csv).isNotEmpty();
        for (String fixture : SAME_TABLE) {
            assertThat(metrics.apply(fixture)).as(fixture).isEqualTo(csv);
        }
    }

    @Test
    void shouldGiveTheSameClassifierMetricsFromEveryFormat() {
        Columns withProbability = Columns.of("target", "prediction").withProbabilities("prob");
        assertSameInEveryFormat(f -> classify(f, withProbability));
        assertSameInEveryFormat(f -> classify(f, withProbability.withSampleWeight("weight")));
        assertSameInEveryFormat(f -> classify(f, Columns.of("target", "prediction")));
        Map<String, Double> fromList =
                classify("predictions.jsonl", Columns.of("target", "prediction").withProbabilities("probs"));
        assertThat(fromList.get("roc_auc"))
                .isEqualTo(classify("predictions.csv", withProbability).get("roc_auc"));
        assertThat(fromList.get("example_count")).isEqualTo(6.0);
    }

    @Test
    void shouldGiveTheSameRegressorMetricsFromEveryFormat() {
        assertSameInEveryFormat(f -> {
            RegressorAccumulator acc = new RegressorAccumulator();
            try (TableReader table = TableReaderTest.open(f)) {
                Columns.of("target", "prob").withSampleWeight("weight").feed(table, acc);
            }
            return acc.compute();
        });
    }

    @Test
    void shouldRefuseAColumnTheHeaderLacksBeforeReadingRows() {
        for (String fixture : List.of("predictions.csv", "predictions.json")) {
            try (TableReader table = TableReaderTest.open(fixture)) {
                assertThatThrownBy(() -> Columns.of("target", "label").feed(table, new ClassifierAccumulator()))
                        .isInstanceOf(TableException.class)
                        .hasMessageStartingWith("column 'label': no such column");
                assertThat(table.rowsRead()).isZero();
            }
        }
    }

    @Test
    void shouldNameTheRowAJsonLinesTableLacksAColumnIn() {
        try (TableReader table = TableReaderTest.open("predictions.jsonl")) {
            assertThatThrownBy(() -> Columns.of("target", "prediction")
                            .withProbabilities("prob")
                            .withSampleWeight("comment")
                            .feed(table, new ClassifierAccumulator()))
                    .isInstanceOf(TableException.class)
                    .hasMessage("row 1, column 'comment': expected a number, found the string 'plain'");
        }
    }

    @Test
    void shouldNameTheRowTheMetricsRefuse() {
        try (TableReader table = TableReaderTest.text("y,p,prob\na,a,0.5\nb,b,1.5\n", Format.CSV)) {
            assertThatThrownBy(() ->
                            Columns.of("y", "p").withProbabilities("prob").feed(table, new ClassifierAccumulator()))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("row 2: a probability is 1.5");
        }
    }

    @Test
    void shouldRefuseProbabilitiesForARegressor() {
        try (TableReader table = TableReaderTest.open("predictions.csv")) {
            assertThatThrownBy(() -> Columns.of("target", "prediction")
                            .withProbabilities("prob")
                            .feed(table, new RegressorAccumulator()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static RetrieverResult retrieve(String fixture, int k) {
        RetrieverAccumulator acc = new RetrieverAccumulator(k, true);
        try (TableReader table = TableReaderTest.open(fixture)) {
            assertThat(Columns.of("relevant", "retrieved").feed(table, acc)).isEqualTo(5);
        }
        return acc.compute();
    }

    @Test
    void shouldGiveTheSameRetrieverMetricsFromEveryFormat() {
        RetrieverResult csv = retrieve("retrieval.csv", 2);
        for (String fixture : List.of("retrieval.json", "retrieval.jsonl")) {
            RetrieverResult other = retrieve(fixture, 2);
            assertThat(other.metrics()).as(fixture).isEqualTo(csv.metrics());
            assertThat(other.scores().orElseThrow().get("ndcg_at_2/score"))
                    .as(fixture)
                    .containsExactly(csv.scores().orElseThrow().get("ndcg_at_2/score"));
        }
        // the rows as read: string ids, an empty list, integer ids (from a CSV cell too)
        // (top 2: doc1 doc7 | doc9 doc3 | doc2 vs none relevant | nothing retrieved | 6 1)
        assertThat(csv.scores().orElseThrow().get("precision_at_2/score")).containsExactly(0.5, 1.0, 0.0, 0.0, 0.5);
        assertThat(csv.scores().orElseThrow().get("recall_at_2/score")[4]).isEqualTo(1.0 / 3);
    }

    @Test
    void shouldRefuseAPythonReprListInACsvCellNamingTheRowAndColumn() {
        // pandas' to_csv writes a list of strings as ['a', 'b'], which is not JSON
        String csv = "relevant,retrieved\n\"[\"\"a\"\"]\",\"['a', 'b']\"\n";
        try (TableReader table = TableReaderTest.text(csv, Format.CSV)) {
            assertThatThrownBy(() -> Columns.of("relevant", "retrieved").feed(table, new RetrieverAccumulator()))
                    .isInstanceOf(TableException.class)
                    .hasMessageStartingWith(
                            "row 1, column 'retrieved': the cell starts with '[' but is not a JSON array");
        }
    }

    @Test
    void shouldNameTheRowWhoseIdsTheRetrieverRefuses() {
        try (TableReader table = TableReaderTest.text(
                "{\"relevant\": [\"a\"], \"retrieved\": [\"a\"]}\n{\"relevant\": [1.5], \"retrieved\": []}\n",
                Format.JSONL)) {
            assertThatThrownBy(() -> Columns.of("relevant", "retrieved").feed(table, new RetrieverAccumulator()))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessage("row 2: the relevant doc ids must be strings or integers; item 0 is Double 1.5");
        }
        try (TableReader table = TableReaderTest.text("{\"relevant\": \"a\", \"retrieved\": []}\n", Format.JSONL)) {
            assertThatThrownBy(() -> Columns.of("relevant", "retrieved").feed(table, new RetrieverAccumulator()))
                    .isInstanceOf(TableException.class)
                    .hasMessage("row 1, column 'relevant': expected a list, found the string 'a'");
        }
    }

    @Test
    void shouldRefuseProbabilitiesOrWeightsForARetriever() {
        try (TableReader table = TableReaderTest.open("retrieval.jsonl")) {
            assertThatThrownBy(() -> Columns.of("relevant", "retrieved")
                            .withSampleWeight("question")
                            .feed(table, new RetrieverAccumulator()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("a retriever takes no probability or sample weight columns");
        }
    }
}
