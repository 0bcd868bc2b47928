package dev.skein.evaluation.table;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.evaluation.metrics.Label;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One row of a table: its values by column name. A value is a {@link Number} ({@code Long} or {@code Double}),
 * a {@link String}, a {@link Boolean}, a {@link List} or {@link Map} (nested JSON), or missing (an empty CSV
 * cell, a JSON {@code null}, a key absent from a JSON Lines object). The typed getters fail with a
 * {@link TableException} naming the row and the column.
 */
public final class Row {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final long number;
    private final Map<String, Object> values;
    private final boolean keyed;

    /** {@code keyed}: the columns are each row's own keys (JSON Lines, records), so an absent key is missing. */
    Row(long number, Map<String, Object> values, boolean keyed) {
        this.number = number;
        this.values = values;
        this.keyed = keyed;
    }

    /** The row's number: 1 for the first data row. */
    public long number() {
        return number;
    }

    /** The row's columns in the table's order (for JSON Lines: this object's keys). */
    public Set<String> columns() {
        return Collections.unmodifiableSet(values.keySet());
    }

    /** Whether the row has this column (for JSON Lines: whether this object has the key). */
    public boolean has(String column) {
        return values.containsKey(column);
    }

    public boolean isMissing(String column) {
        return value(column) == null;
    }

    /** The value as read, {@code null} when missing; a column the table does not have is an error. */
    public Object value(String column) {
        Object value = values.get(column);
        if (value == null && !keyed && !values.containsKey(column)) {
            throw error(column, "no such column (the table has " + String.join(", ", values.keySet()) + ")");
        }
        return value;
    }

    /** A number; a missing value or a string is an error. */
    public double number(String column) {
        Object value = present(column);
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        throw wrongType(column, "a number", value);
    }

    public String string(String column) {
        Object value = present(column);
        if (value instanceof String s) {
            return s;
        }
        throw wrongType(column, "a string", value);
    }

    /** A class label: a number or a string (see {@link Label}). */
    public Label label(String column) {
        Object value = present(column);
        if (value instanceof Number n) {
            double d = n.doubleValue();
            if (!Double.isFinite(d)) {
                throw error(column, "a class label is " + d);
            }
            return Label.of(d);
        }
        if (value instanceof String s) {
            return Label.of(s);
        }
        throw wrongType(column, "a class label (a number or a string)", value);
    }

    /**
     * A list: a JSON array, or in CSV a cell holding one (e.g. {@code "[0.1, 0.9]"}, as pandas writes a list
     * column with {@code to_csv}).
     */
    @SuppressWarnings("unchecked")
    public List<Object> list(String column) {
        Object value = present(column);
        if (value instanceof List<?> list) {
            return (List<Object>) list;
        }
        if (value instanceof String s && s.stripLeading().startsWith("[")) {
            try {
                return JSON.readValue(s, List.class);
            } catch (JsonProcessingException e) {
                throw error(column, "the cell starts with '[' but is not a JSON array: " + e.getOriginalMessage());
            }
        }
        throw wrongType(column, "a list", value);
    }

    /** A list of numbers, e.g. one probability per class. */
    public double[] numbers(String column) {
        List<Object> list = list(column);
        double[] numbers = new double[list.size()];
        for (int i = 0; i < numbers.length; i++) {
            if (!(list.get(i) instanceof Number n)) {
                throw error(column, "item " + i + " of the list is " + describe(list.get(i)) + ", not a number");
            }
            numbers[i] = n.doubleValue();
        }
        return numbers;
    }

    private Object present(String column) {
        Object value = value(column);
        if (value == null) {
            throw error(column, "the value is missing");
        }
        return value;
    }

    private TableException wrongType(String column, String expected, Object value) {
        return error(column, "expected " + expected + ", found " + describe(value));
    }

    TableException error(String column, String message) {
        return TableException.at(number, column, message);
    }

    private static String describe(Object value) {
        if (value == null) {
            return "a missing value";
        }
        if (value instanceof String s) {
            return "the string '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'";
        }
        if (value instanceof Number n) {
            return "the number " + n;
        }
        if (value instanceof Boolean b) {
            return "the boolean " + b;
        }
        return value instanceof List ? "a list" : "an object";
    }

    @Override
    public String toString() {
        return "row " + number + " " + values;
    }
}
