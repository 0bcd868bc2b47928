package dev.skein.evaluation.output;

import dev.skein.evaluation.metrics.ClassifierResult.PerClassMetrics;
import dev.skein.evaluation.metrics.MetricKeys;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code per_class_metrics.csv} byte for byte as MLflow writes it, {@code DataFrame(rows).to_csv(index=False)}:
 * a header of the column names, one line per class in label order, {@code \n} line ends, counts as integers,
 * other numbers as Python's {@code repr(float)}, NaN as an empty cell, and Python's csv quoting
 * (QUOTE_MINIMAL: a cell holding a comma, a quote or a line break is quoted, quotes doubled).
 */
final class PerClassMetricsCsv {

    /** The columns pandas holds as int64 (confusion counts and the row count); the rest are float64. */
    private static final Set<String> INTEGER_COLUMNS = Set.of(
            MetricKeys.TRUE_NEGATIVES,
            MetricKeys.FALSE_POSITIVES,
            MetricKeys.FALSE_NEGATIVES,
            MetricKeys.TRUE_POSITIVES,
            MetricKeys.EXAMPLE_COUNT);

    private PerClassMetricsCsv() {}

    static byte[] write(List<PerClassMetrics> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("per_class_metrics.csv needs at least one class");
        }
        List<String> columns = List.copyOf(rows.get(0).metrics().keySet());
        StringBuilder out = new StringBuilder();
        out.append(cell(MetricKeys.POSITIVE_CLASS));
        for (String column : columns) {
            out.append(',').append(cell(column));
        }
        out.append('\n');
        for (PerClassMetrics row : rows) {
            out.append(cell(row.positiveClass().toString()));
            Map<String, Double> metrics = row.metrics();
            if (!metrics.keySet().equals(Set.copyOf(columns))) {
                throw new IllegalArgumentException(
                        "per-class rows must have the same columns: " + columns + " and " + metrics.keySet());
            }
            for (String column : columns) {
                out.append(',').append(number(column, metrics.get(column)));
            }
            out.append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String number(String column, double value) {
        if (Double.isNaN(value)) {
            return ""; // pandas' na_rep
        }
        if (INTEGER_COLUMNS.contains(column)) {
            return Long.toString((long) value);
        }
        return PythonFormat.repr(value);
    }

    private static String cell(String text) {
        boolean quote = false;
        for (int i = 0; i < text.length() && !quote; i++) {
            char c = text.charAt(i);
            quote = c == ',' || c == '"' || c == '\n' || c == '\r';
        }
        return quote ? '"' + text.replace("\"", "\"\"") + '"' : text;
    }
}
