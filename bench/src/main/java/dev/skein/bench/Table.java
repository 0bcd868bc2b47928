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

    /** Prints one row, each cell as its {@code toString}: format numbers with {@link #number} first. */
    void row(Object... cells) {
        System.out.println(Arrays.stream(cells).map(String::valueOf).collect(Collectors.joining(" | ", "| ", " |")));
    }

    /** {@code value} with {@code decimals} decimals and thousands grouped ("1,234.5"); "–" for NaN. */
    static String number(double value, int decimals) {
        return Double.isNaN(value) ? "–" : String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    /** A latency row: {@code what}, then p50, p95 and p99 in ms and the number of requests, then {@code more}. */
    static Object[] latencies(String what, Timings t, Object... more) {
        Object[] cells = new Object[5 + more.length];
        cells[0] = what;
        cells[1] = number(t.millis(0.5), 1);
        cells[2] = number(t.millis(0.95), 1);
        cells[3] = number(t.millis(0.99), 1);
        cells[4] = number(t.count(), 0);
        System.arraycopy(more, 0, cells, 5, more.length);
        return cells;
    }
}
