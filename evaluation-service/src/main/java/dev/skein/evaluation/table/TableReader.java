package dev.skein.evaluation.table;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Reads a table row by row from a stream: memory does not grow with the table (one row at a time, plus the
 * header). Not thread-safe. Closing the reader closes the stream.
 *
 * <pre>{@code
 * try (TableReader table = TableReader.open(in, Format.fromPath("eval.csv"))) {
 *     table.forEach(row -> acc.add(row.number("y"), row.number("y_hat")));
 * }
 * }</pre>
 *
 * A table with no rows is read without error; whether that is acceptable is the caller's decision.
 */
public abstract class TableReader implements Iterator<Row>, Closeable {

    private Row next;
    private boolean done;
    private long rows;
    private boolean closed;

    TableReader() {}

    /**
     * Opens a table; reads its header (CSV, MLflow JSON) at once, so a malformed one fails here. A Parquet table
     * is first copied whole to a temporary file (its footer, at the end, comes first), then its footer is read.
     */
    public static TableReader open(InputStream in, Format format) {
        return open(in, format, Long.MAX_VALUE);
    }

    /**
     * As {@link #open(InputStream, Format)}, for a stream held to {@code maxTableBytes} (a Parquet table's rows
     * and decoded bytes are bounded from it: see {@link ParquetTableReader}; the other formats decode to no
     * more than their bytes).
     */
    public static TableReader open(InputStream in, Format format, long maxTableBytes) {
        try {
            return switch (format) {
                case CSV -> new CsvTableReader(in);
                case JSON -> new JsonTableReader(in);
                case JSONL -> new JsonLinesTableReader(in);
                case PARQUET -> new ParquetTableReader(in, null, maxTableBytes);
            };
        } catch (IOException e) {
            closeQuietly(in, e);
            throw new TableException(0, null, "cannot read the " + format + " table: " + message(e), e);
        } catch (RuntimeException e) {
            closeQuietly(in, e);
            throw e;
        }
    }

    /**
     * The columns, when the table declares them before its rows (CSV's header, MLflow JSON's
     * {@code columns}, Parquet's schema: its top-level fields); empty for JSON Lines and records, whose rows carry their own keys.
     */
    public abstract Optional<List<String>> columns();

    /**
     * How many rows the table says it holds before they are read (Parquet: its footer), so that a reader of every
     * row can size its arrays once; empty when the table does not say (CSV, JSON). A hint: the rows read decide.
     */
    public OptionalLong declaredRows() {
        return OptionalLong.empty();
    }

    /** The rows returned so far. */
    public long rowsRead() {
        return rows;
    }

    @Override
    public boolean hasNext() {
        if (next == null && !done) {
            try {
                next = read(rows + 1);
            } catch (IOException e) {
                throw new TableException(rows + 1, null, "cannot read the table: " + message(e), e);
            }
            done = next == null;
        }
        return next != null;
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Row row = next;
        next = null;
        rows++;
        return row;
    }

    /** Hands every remaining row to {@code action}. */
    public void forEach(Consumer<? super Row> action) {
        forEachRemaining(action);
    }

    /** The next row, numbered {@code number}, or {@code null} at the end of the table. */
    abstract Row read(long number) throws IOException;

    abstract void closeSource() throws IOException;

    @Override
    /** Closes the source once; closing again does nothing. */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            closeSource();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String message(IOException e) {
        if (e instanceof com.fasterxml.jackson.core.JacksonException j) {
            return j.getOriginalMessage() + locationOf(j);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String locationOf(com.fasterxml.jackson.core.JacksonException j) {
        var location = j.getLocation();
        return location == null || location.getLineNr() < 0
                ? ""
                : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static void closeQuietly(InputStream in, Exception failure) {
        try {
            in.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
