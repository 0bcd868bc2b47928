package dev.skein.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What a command prints: the API's JSON ({@code --output json}) or an aligned table for people. */
public final class Output {

    public enum Format {
        json,
        table
    }

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private final Format format;
    private final PrintWriter out;

    public Output(Format format, PrintWriter out) {
        this.format = format;
        this.out = out;
    }

    public boolean json() {
        return format == Format.json;
    }

    public PrintWriter writer() {
        return out;
    }

    /** JSON as the API answered it (pretty), or the table made from it. */
    public void print(JsonNode json, Table table) {
        if (json()) {
            printJson(json);
        } else {
            out.print(table.render());
            out.flush();
        }
    }

    public void printJson(JsonNode json) {
        try {
            out.println(Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }

    /** A line for people (table output only: JSON output stays one document). */
    public void message(String line) {
        if (!json()) {
            out.println(line);
            out.flush();
        }
    }

    /** Epoch milliseconds as UTC time; empty when absent. */
    public static String time(JsonNode millis) {
        return millis == null || millis.isMissingNode() || millis.isNull() || millis.asLong() == 0
                ? ""
                : TIME.format(Instant.ofEpochMilli(millis.asLong()));
    }

    /** A text field, or empty. */
    public static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isMissingNode() || value.isNull() ? "" : value.isValueNode() ? value.asText() : value.toString();
    }

    /** Columns separated by two spaces, each as wide as its widest cell. */
    public static final class Table {
        private final List<String> headers;
        private final List<List<String>> rows = new ArrayList<>();

        public Table(String... headers) {
            this.headers = Arrays.asList(headers);
        }

        public Table row(Object... cells) {
            List<String> row = new ArrayList<>();
            for (Object cell : cells) {
                row.add(cell == null ? "" : String.valueOf(cell).replace('\n', ' '));
            }
            rows.add(row);
            return this;
        }

        public int size() {
            return rows.size();
        }

        public String render() {
            int[] widths = new int[headers.size()];
            for (int i = 0; i < widths.length; i++) {
                widths[i] = headers.get(i).length();
                for (List<String> row : rows) {
                    widths[i] = Math.max(widths[i], i < row.size() ? row.get(i).length() : 0);
                }
            }
            StringBuilder text = new StringBuilder();
            line(text, headers, widths);
            for (List<String> row : rows) {
                line(text, row, widths);
            }
            return text.toString();
        }

        private static void line(StringBuilder text, List<String> cells, int[] widths) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < widths.length; i++) {
                String cell = i < cells.size() ? cells.get(i) : "";
                line.append(cell);
                if (i < widths.length - 1) {
                    line.append(" ".repeat(widths[i] - cell.length() + 2));
                }
            }
            text.append(line.toString().stripTrailing()).append('\n');
        }
    }
}
