package dev.skein.evaluation.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.evaluation.metrics.Label;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TableReaderTest {

    static TableReader open(String fixture) {
        InputStream in = TableReaderTest.class.getResourceAsStream("/tables/" + fixture);
        assertThat(in).as(fixture).isNotNull();
        return TableReader.open(in, Format.fromPath(fixture));
    }

    static List<Row> rows(String fixture) {
        List<Row> rows = new ArrayList<>();
        try (TableReader table = open(fixture)) {
            table.forEach(rows::add);
        }
        return rows;
    }

    static TableReader text(String table, Format format) {
        return TableReader.open(new ByteArrayInputStream(table.getBytes(StandardCharsets.UTF_8)), format);
    }

    @Test
    void shouldReadTheSameRowsFromEveryFormat() {
        for (String fixture :
                List.of("predictions.csv", "predictions.json", "predictions-with-index.json", "predictions.jsonl")) {
            List<Row> rows = rows(fixture);
            assertThat(rows).as(fixture).hasSize(6);
            assertThat(rows.get(0).number()).isEqualTo(1);
            assertThat(rows.get(0).label("target")).as(fixture).isEqualTo(Label.of(1));
            assertThat(rows.get(3).number("prob")).as(fixture).isEqualTo(0.6);
            assertThat(rows.get(3).numbers("probs")).as(fixture).containsExactly(0.4, 0.6);
            assertThat(rows.stream().map(r -> r.value("comment")).toList())
                    .as(fixture)
                    .containsExactly("plain", "has, a comma", "quoted \"word\"", "line\nbreak", "ünïcödé ✓ 日本", null);
            assertThat(rows.get(5).isMissing("comment")).isTrue();
        }
    }

    @Test
    void shouldDeclareColumnsFromTheHeaderButNotForJsonLines() {
        try (TableReader csv = open("predictions.csv");
                TableReader json = open("predictions.json");
                TableReader jsonl = open("predictions.jsonl")) {
            List<String> expected = List.of("target", "prediction", "prob", "weight", "probs", "comment");
            assertThat(csv.columns()).contains(expected);
            assertThat(json.columns()).contains(expected);
            assertThat(jsonl.columns()).isEmpty();
            assertThat(csv.declaredRows())
                    .as("CSV does not say how many rows follow")
                    .isEmpty();
            assertThat(json.declaredRows()).isEmpty();
            assertThat(jsonl.declaredRows()).isEmpty();
        }
    }

    @Test
    void shouldReadACsvColumnAsNumbersWhenItsFirstValueIsOne() {
        List<Row> rows = rows("labels.csv");
        // pandas' to_csv index column has an empty name; read_csv calls it "Unnamed: 0"
        assertThat(rows.get(2).value("Unnamed: 0")).isEqualTo(2L);
        assertThat(rows.get(1).label("species")).isEqualTo(Label.of("versicolor"));
        assertThat(rows.get(0).isMissing("note")).isTrue();
        assertThat(rows.get(1).value("note")).as("a quoted number is a number").isEqualTo(1L);
        assertThat(rows.get(2).number("note")).isEqualTo(2.5);
    }

    @Test
    void shouldKeepNumbersAsStringsInAStringColumn() {
        try (TableReader table = text("id,label\nA,x\n7,y\n", Format.CSV)) {
            table.next();
            assertThat(table.next().value("id")).isEqualTo("7");
        }
    }

    @Test
    void shouldReadNestedListsAndObjects() {
        Row row = rows("retriever.jsonl").get(0);
        assertThat(row.list("retrieved")).containsExactly("doc1", "doc7", "doc3");
        assertThat(row.list("relevant")).containsExactly(List.of("doc1"), List.of("doc3", "doc9"));
        assertThat(row.value("meta")).isEqualTo(Map.of("k", 3));
    }

    @Test
    void shouldReadPandasRecords() {
        try (TableReader table = text("[{\"y\": 1, \"p\": 0.5}, {\"y\": 0}]", Format.JSON)) {
            assertThat(table.columns()).isEmpty();
            assertThat(table.next().number("p")).isEqualTo(0.5);
            assertThat(table.next().isMissing("p")).isTrue();
            assertThat(table.hasNext()).isFalse();
        }
    }

    @Test
    void shouldReadATableWithNoRowsWithoutError() {
        for (var empty : Map.of("a,b\n", Format.CSV, "{\"columns\":[\"a\"],\"data\":[]}", Format.JSON, "", Format.JSONL)
                .entrySet()) {
            try (TableReader table = text(empty.getKey(), empty.getValue())) {
                assertThat(table.hasNext()).isFalse();
                assertThat(table.rowsRead()).isZero();
            }
        }
    }

    @Test
    void shouldChooseTheFormatByExtension() {
        assertThat(Format.fromPath("eval/Results.CSV")).isEqualTo(Format.CSV);
        assertThat(Format.fromPath("eval_results_table.json")).isEqualTo(Format.JSON);
        assertThat(Format.fromPath("a.jsonl")).isEqualTo(Format.JSONL);
        assertThat(Format.fromPath("a.ndjson")).isEqualTo(Format.JSONL);
        assertThatThrownBy(() -> Format.fromPath("a.xlsx"))
                .isInstanceOf(TableException.class)
                .hasMessageContaining("a.xlsx");
    }

    @Test
    void shouldNameRowAndColumnOfAStringInANumericColumn() {
        try (TableReader table = open("not-numeric.csv")) {
            assertThatThrownBy(() -> table.forEach(row -> {}))
                    .isInstanceOf(TableException.class)
                    .hasMessageStartingWith("row 3, column 'y': 'n/a' is not a number")
                    .satisfies(e -> assertThat(((TableException) e).row()).hasValue(3));
        }
    }

    @Test
    void shouldNameRowAndColumnOfAMissingValue() {
        try (TableReader table = open("missing-value.csv")) {
            table.next();
            Row row = table.next();
            assertThatThrownBy(() -> row.number("y_hat"))
                    .isInstanceOf(TableException.class)
                    .hasMessage("row 2, column 'y_hat': the value is missing");
        }
    }

    @Test
    void shouldNameTheColumnThatIsNotThere() {
        Row row = rows("predictions.csv").get(0);
        assertThatThrownBy(() -> row.number("score"))
                .isInstanceOf(TableException.class)
                .hasMessageStartingWith("row 1, column 'score': no such column (the table has target, prediction");
    }

    @Test
    void shouldNameTheRowAndColumnOfAWrongType() {
        Row row = rows("predictions.json").get(1);
        assertThatThrownBy(() -> row.number("comment"))
                .hasMessage("row 2, column 'comment': expected a number, found the string 'has, a comma'");
        assertThatThrownBy(() -> row.numbers("prob"))
                .hasMessage("row 2, column 'prob': expected a list, found the number 0.2");
    }

    @Test
    void shouldRefuseARowWithTheWrongNumberOfCells() {
        try (TableReader table = open("ragged.csv")) {
            table.next();
            assertThatThrownBy(table::next)
                    .isInstanceOf(TableException.class)
                    .hasMessage("row 2: the row has 3 cells but the header has 2 columns");
        }
    }

    @Test
    void shouldRefuseJsonWhoseDataComesBeforeItsColumns() {
        assertThatThrownBy(() -> open("data-first.json"))
                .isInstanceOf(TableException.class)
                .hasMessageContaining("\"data\" comes before its \"columns\"");
    }

    @Test
    void shouldNameTheRowWhereATruncatedFileEnds() {
        try (TableReader table = open("truncated.json")) {
            table.next();
            table.next();
            assertThatThrownBy(table::next)
                    .isInstanceOf(TableException.class)
                    .hasMessageStartingWith("row 3: cannot read the table:");
        }
    }

    @Test
    void shouldRefuseAJsonLineThatIsNotAnObject() {
        try (TableReader table = open("array-line.jsonl")) {
            table.next();
            assertThatThrownBy(table::next)
                    .isInstanceOf(TableException.class)
                    .hasMessage("row 2: a JSON Lines row must be an object, found [ (line 2)");
        }
    }

    @Test
    void shouldRefuseAnEmptyCsvAndDuplicateColumns() {
        assertThatThrownBy(() -> text("", Format.CSV)).hasMessageContaining("needs a header row");
        assertThatThrownBy(() -> text("a,b,a\n1,2,3\n", Format.CSV)).hasMessageContaining("'a' twice");
        assertThatThrownBy(() -> text("not json", Format.JSON))
                .isInstanceOf(TableException.class)
                .hasMessageStartingWith("cannot read the JSON table:");
    }
}
