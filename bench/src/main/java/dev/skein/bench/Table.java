package dev.skein.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A Markdown table printed row by row as results come in, ready to paste into RESULTS.md: the first
 * column left-aligned, the others (numbers) right-aligned.
 */
final class Table {

    /** Starts the table: prints a blank line, the header and the alignment row. */
    Table(String... header) {
        System.out.println();
        System.out.println("| " + String.join(" | ", header) + " |");
        System.out.println("|---" + "|---:".repeat(header.length - 1) + "|");
    }

    /** Prints one row; numbers as given, already formatted by the caller with {@link #number}. */
    void row(Object... cells) {
        System.out.println(Arrays.stream(cells).map(String::valueOf).collect(Collectors.joining(" | ", "| ", " |")));
    }

    /** A measurement with one decimal ("12.3"), or a thousands-grouped integer when {@code decimals} is 0. */
    static String number(double value, int decimals) {
        return Double.isNaN(value) ? "–" : String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    /** The latency columns every latency table has: p50, p95, p99 in ms and the number of requests. */
    static Object[] latencies(String what, Timings t, Object... more) {
        Object[] cells = new Object[5 + more.length];
        cells[0] = what;
        cells[1] = number(t.millis(0.5), 1);
        cells[2] = number(t.millis(0.95), 1);
        cells[3] = number(t.millis(0.99), 1);
        cells[4] = t.count();
        System.arraycopy(more, 0, cells, 5, more.length);
        return cells;
    }
}
