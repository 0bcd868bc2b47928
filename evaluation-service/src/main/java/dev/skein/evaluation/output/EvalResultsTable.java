package dev.skein.evaluation.output;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.skein.evaluation.table.TableException;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code eval_results_table.json} as MLflow 2.17.2's default evaluator logs it ({@code mlflow.log_table}, pandas'
 * {@code to_json(orient="split", index=False)}): {@code {"columns": [...], "data": [[...], ...]}}, one row per
 * table row in order, with the table's other columns, the target, the prediction and each per-row score ({@code
 * token_count}, {@code <metric>/score}). A score with no value ({@code token_count} of a non-string) and NaN are
 * {@code null}; scores are written with at most 10 decimals, as pandas' default {@code double_precision}.
 *
 * <p>Streaming: the rows' own values go to a temporary file as they are read, so the table is never held in
 * memory; the scores, known only at the end for some metrics, are joined on {@link #finish}. Each of the two
 * files is refused ({@link TableException}) once it would pass {@code maxBytes}, so a table cannot fill the disk.
 * Closing deletes the temporary files that were not handed out.
 */
public final class EvalResultsTable implements Closeable {

    public static final String FILE_NAME = "eval_results_table.json";
    static final String CONTENT_TYPE = "application/json";

    /**
     * pandas' {@code to_json} escapes every non-ASCII character ({@code force_ascii=True}): what this mapper writes
     * is ASCII, so its length in characters is its size in bytes.
     */
    private static final ObjectMapper JSON =
            JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

    private final List<String> columns;
    private final long maxBytes;
    private final Path rows;
    private final Writer rowWriter;
    private Path result;
    private long count;
    private long rowBytes;

    /**
     * @param columns the table's own columns in order, the target and the prediction included
     * @param maxBytes the most either temporary file may hold
     */
    public EvalResultsTable(List<String> columns, long maxBytes) {
        this.columns = List.copyOf(columns);
        this.maxBytes = maxBytes;
        try {
            this.rows = Files.createTempFile("skein-eval-rows", ".jsonl");
            this.rowWriter = Files.newBufferedWriter(rows, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary file for " + FILE_NAME, e);
        }
    }

    public List<String> columns() {
        return columns;
    }

    /** One row's values, in {@link #columns()}' order: strings, numbers, booleans, lists, maps or null. */
    public void addRow(List<Object> values) {
        try {
            List<Object> cleaned = new ArrayList<>(values.size());
            for (Object v : values) {
                // pandas writes NaN (a Parquet or JSON float) as null
                cleaned.add(v instanceof Double d && (d.isNaN() || d.isInfinite()) ? null : v);
            }
            String line = JSON.writeValueAsString(cleaned);
            rowBytes = within(rowBytes, line.length() - 1); // ASCII: a character is a byte
            // the array's items, without its brackets: the scores are appended to them on finish
            rowWriter.write(line, 1, line.length() - 2);
            rowWriter.write('\n');
            count++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + FILE_NAME, e);
        }
    }

    /**
     * Writes the table, the rows' values followed by the scores (each array as long as the rows added; {@code
     * integral} names the columns written as whole numbers, as {@code token_count}), and hands it out as an
     * artifact whose file the caller deletes.
     */
    public Artifact finish(Map<String, double[]> scores, Set<String> integral) {
        return finishColumns(new LinkedHashMap<>(scores), integral);
    }

    /**
     * As {@link #finish(Map, Set)}, with columns of numbers ({@code double[]}, NaN as null) or of texts ({@code
     * String[]}, null as null), in the map's order.
     */
    public Artifact finishColumns(Map<String, ?> columnsAdded, Set<String> integral) {
        Map<String, Object> scoreColumns = new LinkedHashMap<>(columnsAdded);
        List<String> names = new ArrayList<>(columns.size() + scoreColumns.size());
        // pandas' assign replaces a column of the same name: its values are the score's
        for (String c : columns) {
            names.add(scoreColumns.containsKey(c) ? c + " (table)" : c);
        }
        names.addAll(scoreColumns.keySet());
        scoreColumns.forEach((name, values) -> {
            int length = values instanceof double[] d ? d.length : ((Object[]) values).length;
            if (length != count) {
                throw new IllegalArgumentException(name + " has " + length + " scores for " + count + " rows");
            }
        });
        // a whole-number column with a missing value is a float column to pandas: 12.0, not 12
        Set<String> whole = new HashSet<>();
        scoreColumns.forEach((name, values) -> {
            if (integral.contains(name)
                    && values instanceof double[] d
                    && Arrays.stream(d).noneMatch(Double::isNaN)) {
                whole.add(name);
            }
        });
        try {
            rowWriter.close();
            Path out = Files.createTempFile("skein-eval-results", ".json");
            result = out;
            try (BufferedReader in = Files.newBufferedReader(rows, StandardCharsets.UTF_8);
                    Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                String header = "{\"columns\":" + JSON.writeValueAsString(names) + ",\"data\":[";
                long written = within(0, header.length());
                w.write(header);
                StringBuilder scoresText = new StringBuilder();
                for (int row = 0; row < count; row++) {
                    String line = in.readLine();
                    scoresText.setLength(0);
                    boolean first = line.isEmpty();
                    for (Map.Entry<String, Object> e : scoreColumns.entrySet()) {
                        if (!first) {
                            scoresText.append(',');
                        }
                        first = false;
                        if (e.getValue() instanceof double[] d) {
                            scoresText.append(number(d[row], whole.contains(e.getKey())));
                        } else {
                            scoresText.append(JSON.writeValueAsString(((Object[]) e.getValue())[row]));
                        }
                    }
                    // checked before it is written: the writer itself never fails on the limit
                    written = within(written, line.length() + scoresText.length() + 3);
                    w.write(row == 0 ? "[" : ",[");
                    w.write(line);
                    w.append(scoresText);
                    w.write(']');
                }
                w.write("]}");
            }
            Files.deleteIfExists(rows);
            result = null;
            return new Artifact(FILE_NAME, CONTENT_TYPE, null, out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + FILE_NAME, e);
        }
    }

    /** {@code bytes} more on top of {@code sofar}, refused past {@code maxBytes}. */
    private long within(long sofar, long bytes) {
        long total = sofar + bytes;
        if (total > maxBytes) {
            throw new TableException(FILE_NAME + " would be larger than " + maxBytes
                    + " bytes (twice skein.evaluation.max-table-bytes)");
        }
        return total;
    }

    /** pandas' JSON number: null for NaN, at most 10 decimals, a float keeping its ".0". */
    static String number(double v, boolean integral) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "null";
        }
        if (integral) {
            return Long.toString((long) v);
        }
        if (Math.abs(v) >= 1e16) {
            return Double.toString(v);
        }
        String s = new BigDecimal(v)
                .setScale(10, RoundingMode.HALF_EVEN)
                .stripTrailingZeros()
                .toPlainString();
        return s.contains(".") ? s : s + ".0";
    }

    @Override
    public void close() {
        try {
            rowWriter.close();
        } catch (IOException e) {
            // the file goes anyway
        } finally {
            try {
                Files.deleteIfExists(rows);
                if (result != null) {
                    Files.deleteIfExists(result);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
