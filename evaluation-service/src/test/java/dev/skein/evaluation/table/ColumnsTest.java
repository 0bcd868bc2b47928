package dev.skein.evaluation.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.metrics.ClassifierOptions;
import dev.skein.evaluation.metrics.InvalidInputException;
import dev.skein.evaluation.metrics.RegressorAccumulator;
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
}
