package dev.skein.evaluation.table;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * A table that cannot be read as asked: unreadable or malformed, a column that is not there, a value of the
 * wrong type or missing. The message names the row (1 = the first data row, the header not counted) and the
 * column when there is one, so it can be shown to the user as the evaluation's reason.
 */
public final class TableException extends RuntimeException {

    private final long row;
    private final String column;

    public TableException(String message) {
        this(0, null, message, null);
    }

    TableException(long row, String column, String message, Throwable cause) {
        super(prefix(row, column) + message, cause);
        this.row = row;
        this.column = column;
    }

    static TableException at(long row, String column, String message) {
        return new TableException(row, column, message, null);
    }

    private static String prefix(long row, String column) {
        StringBuilder where = new StringBuilder();
        if (row > 0) {
            where.append("row ").append(row);
        }
        if (column != null) {
            where.append(where.isEmpty() ? "" : ", ")
                    .append("column '")
                    .append(column)
                    .append('\'');
        }
        return where.isEmpty() ? "" : where.append(": ").toString();
    }

    /** The data row (1-based), if the error is about one. */
    public OptionalLong row() {
        return row > 0 ? OptionalLong.of(row) : OptionalLong.empty();
    }

    public Optional<String> column() {
        return Optional.ofNullable(column);
    }
}
