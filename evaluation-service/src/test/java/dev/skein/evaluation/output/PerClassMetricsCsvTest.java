package dev.skein.evaluation.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.evaluation.metrics.Average;
import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.metrics.ClassifierOptions;
import dev.skein.evaluation.metrics.ClassifierResult.PerClassMetrics;
import dev.skein.evaluation.metrics.Label;
import dev.skein.evaluation.metrics.MetricKeys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * per_class_metrics.csv against what pandas wrote for the same golden case (golden/classifier.json): given
 * sklearn's numbers, the bytes pandas wrote; given Skein's, the same cells with numbers within 1e-9 (the last
 * digit of a sum can differ from numpy's).
 */
class PerClassMetricsCsvTest {

    private static List<JsonNode> multiclassCases() throws IOException {
        List<JsonNode> cases = new ArrayList<>();
        try (InputStream in = PerClassMetricsCsvTest.class.getResourceAsStream("/golden/classifier.json")) {
            new ObjectMapper().readTree(in).get("cases").forEach(c -> {
                if (c.has("per_class_metrics_csv")) {
                    cases.add(c);
                }
            });
        }
        assertThat(cases).hasSizeGreaterThan(5);
        return cases;
    }

    @TestFactory
    Stream<DynamicTest> shouldWriteTheBytesPandasWritesGivenTheSameNumbers() throws IOException {
        return multiclassCases().stream()
                .map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                    List<PerClassMetrics> rows = new ArrayList<>();
                    for (JsonNode row : c.get("per_class_metrics")) {
                        Map<String, Double> metrics = new LinkedHashMap<>();
                        row.fields().forEachRemaining(f -> {
                            if (!f.getKey().equals(MetricKeys.POSITIVE_CLASS)) {
                                metrics.put(f.getKey(), f.getValue().asDouble());
                            }
                        });
                        JsonNode label = row.get(MetricKeys.POSITIVE_CLASS);
                        rows.add(new PerClassMetrics(
                                label.isTextual() ? Label.of(label.asText()) : Label.of(label.asDouble()), metrics));
                    }
                    assertThat(new String(PerClassMetricsCsv.write(rows), StandardCharsets.UTF_8))
                            .isEqualTo(c.get("per_class_metrics_csv").asText());
                }));
    }

    @TestFactory
    Stream<DynamicTest> shouldWriteWhatPandasWritesForSkeinsOwnMetrics() throws IOException {
        return multiclassCases().stream()
                .map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                    ClassifierOptions options = ClassifierOptions.defaults();
                    if (c.has("average")) {
                        options = options.withAverage(
                                Average.parse(c.get("average").asText()));
                    }
                    byte[] csv = PerClassMetricsCsv.write(
                            GoldenCases.feed(c).compute(options).perClassMetrics());
                    List<String> actual =
                            new String(csv, StandardCharsets.UTF_8).lines().toList();
                    List<String> expected =
                            c.get("per_class_metrics_csv").asText().lines().toList();
                    assertThat(new String(csv, StandardCharsets.UTF_8)).endsWith("\n");
                    assertThat(actual).hasSameSizeAs(expected);
                    assertThat(actual.get(0)).isEqualTo(expected.get(0));
                    for (int i = 1; i < expected.size(); i++) {
                        String[] a = cells(actual.get(i));
                        String[] e = cells(expected.get(i));
                        assertThat(a).hasSameSizeAs(e);
                        assertThat(a[0]).as("positive_class").isEqualTo(e[0]);
                        for (int j = 1; j < e.length; j++) {
                            if (!e[j].contains(".") && !e[j].contains("e")) {
                                assertThat(a[j])
                                        .as("an integer column is written as an integer")
                                        .isEqualTo(e[j]);
                            } else {
                                assertThat(Double.parseDouble(a[j])).isCloseTo(Double.parseDouble(e[j]), within(1e-9));
                            }
                        }
                    }
                }));
    }

    /** Splits a line of numbers after the label, which may be quoted and hold commas. */
    private static String[] cells(String line) {
        int start = line.startsWith("\"") ? line.indexOf("\",", 1) + 1 : line.indexOf(',');
        String[] numbers = line.substring(start + 1).split(",", -1);
        String[] all = new String[numbers.length + 1];
        all[0] = line.substring(0, start);
        System.arraycopy(numbers, 0, all, 1, numbers.length);
        return all;
    }

    @Test
    void shouldWriteNumbersAsPythonReprNotAsJavaToString() {
        assertThat(PythonFormat.repr(1e-5)).isEqualTo("1e-05");
        assertThat(PythonFormat.repr(1.5e-7)).isEqualTo("1.5e-07");
        assertThat(PythonFormat.repr(0.0001)).isEqualTo("0.0001");
        assertThat(PythonFormat.repr(1.0)).isEqualTo("1.0");
        assertThat(PythonFormat.repr(123456789012345.0)).isEqualTo("123456789012345.0");
        assertThat(PythonFormat.repr(1e16)).isEqualTo("1e+16");
        assertThat(PythonFormat.repr(2.0 / 3)).isEqualTo("0.6666666666666666");
        assertThat(PythonFormat.repr(0.1 + 0.2)).isEqualTo("0.30000000000000004");
        assertThat(PythonFormat.repr(1e23))
                .as("Java 17 prints 1.0E23 from a longer expansion")
                .isEqualTo("1e+23");
        assertThat(PythonFormat.repr(-0.0)).isEqualTo("-0.0");
    }

    @Test
    void shouldFormatLegendAndCellNumbersAsPythonDoes() {
        assertThat(PythonFormat.fixed3(0.0625))
                .as("half-even on the exact binary value")
                .isEqualTo("0.062");
        assertThat(PythonFormat.fixed3(0.8125)).isEqualTo("0.812");
        assertThat(PythonFormat.fixed3(1.0)).isEqualTo("1.000");
        assertThat(PythonFormat.general2(1.0)).isEqualTo("1");
        assertThat(PythonFormat.general2(0.0)).isEqualTo("0");
        assertThat(PythonFormat.general2(1.0 / 3)).isEqualTo("0.33");
        assertThat(PythonFormat.general2(0.05)).isEqualTo("0.05");
        assertThat(PythonFormat.general2(0.00001234)).isEqualTo("1.2e-05");
    }

    @Test
    void shouldQuoteLabelsHoldingCommasQuotesOrLineBreaks() {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        String[] labels = {"a,b", "say \"hi\"", "two\nlines", "plain"};
        for (String t : labels) {
            for (String p : labels) {
                acc.add(Label.of(t), Label.of(p));
            }
        }
        String csv = new String(
                PerClassMetricsCsv.write(
                        acc.compute(ClassifierOptions.defaults()).perClassMetrics()),
                StandardCharsets.UTF_8);
        assertThat(csv)
                .contains("\n\"a,b\",")
                .contains("\n\"say \"\"hi\"\"\",")
                .contains("\n\"two\nlines\",")
                .contains("\nplain,");
    }
}
