package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Writer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Runs as a CSV table, MLflow's {@code search_runs(output_format="pandas")} columns: the run's info, then
 * {@code metrics.<key>} (latest value), {@code params.<key>}, {@code tags.<key>}, each group in key order.
 * The columns are known only once every run is read, so the rows are kept until {@link #write}.
 */
final class RunsCsv {

    static final List<String> INFO =
            List.of("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time");

    private final List<Map<String, String>> rows = new ArrayList<>();
    private final TreeSet<String> metrics = new TreeSet<>();
    private final TreeSet<String> params = new TreeSet<>();
    private final TreeSet<String> tags = new TreeSet<>();

    void add(JsonNode run) {
        Map<String, String> row = new LinkedHashMap<>();
        JsonNode info = run.path("info");
        row.put("run_id", info.path("run_id").asText(""));
        row.put("experiment_id", info.path("experiment_id").asText(""));
        row.put("status", info.path("status").asText(""));
        row.put("artifact_uri", info.path("artifact_uri").asText(""));
        row.put("start_time", time(info.path("start_time")));
        row.put("end_time", time(info.path("end_time")));
        JsonNode data = run.path("data");
        for (JsonNode m : data.path("metrics")) {
            metrics.add(m.path("key").asText());
            row.put("metrics." + m.path("key").asText(), number(m.path("value")));
        }
        for (JsonNode p : data.path("params")) {
            params.add(p.path("key").asText());
            row.put("params." + p.path("key").asText(), p.path("value").asText(""));
        }
        for (JsonNode t : data.path("tags")) {
            tags.add(t.path("key").asText());
            row.put("tags." + t.path("key").asText(), t.path("value").asText(""));
        }
        rows.add(row);
    }

    int size() {
        return rows.size();
    }

    List<String> columns() {
        List<String> columns = new ArrayList<>(INFO);
        metrics.forEach(k -> columns.add("metrics." + k));
        params.forEach(k -> columns.add("params." + k));
        tags.forEach(k -> columns.add("tags." + k));
        return columns;
    }

    void write(Writer out) throws IOException {
        List<String> columns = columns();
        line(out, columns);
        for (Map<String, String> row : rows) {
            List<String> cells = new ArrayList<>(columns.size());
            for (String column : columns) {
                cells.add(row.getOrDefault(column, ""));
            }
            line(out, cells);
        }
        out.flush();
    }

    private static void line(Writer out, List<String> cells) throws IOException {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.write(quote(cells.get(i)));
        }
        out.write('\n');
    }

    /** RFC 4180: a cell with a comma, quote or line break is quoted, its quotes doubled. */
    static String quote(String cell) {
        if (cell.indexOf(',') < 0 && cell.indexOf('"') < 0 && cell.indexOf('\n') < 0 && cell.indexOf('\r') < 0) {
            return cell;
        }
        return '"' + cell.replace("\"", "\"\"") + '"';
    }

    private static String time(JsonNode millis) {
        return millis.isMissingNode() || millis.isNull()
                ? ""
                : Instant.ofEpochMilli(millis.asLong()).toString();
    }

    /** MLflow's JSON carries NaN and infinities as strings; numbers as they are. */
    private static String number(JsonNode value) {
        return value.isMissingNode() || value.isNull() ? "" : value.asText();
    }
}
