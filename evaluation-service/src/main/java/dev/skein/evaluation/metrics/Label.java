package dev.skein.evaluation.metrics;

import java.util.Objects;

/**
 * A class label: a string or a number, as in a predictions table. Labels sort as numpy sorts them for
 * MLflow's {@code label_list}: numbers numerically ({@code 1} and {@code 1.0} are one label), strings by
 * Unicode code point. A table whose labels mix strings and numbers cannot be sorted (numpy raises
 * {@code TypeError}); {@link ClassifierAccumulator} refuses it.
 */
public final class Label implements Comparable<Label> {

    /** The labels 0, 1, … made once: see {@link #of(double)}. */
    private static final int SMALL_LABELS = 256;

    private static final Label[] SMALL = new Label[SMALL_LABELS];

    static {
        for (int i = 0; i < SMALL_LABELS; i++) {
            SMALL[i] = new Label(null, i);
        }
    }

    private final String text;
    private final double number;

    private Label(String text, double number) {
        this.text = text;
        this.number = number;
    }

    public static Label of(String text) {
        return new Label(Objects.requireNonNull(text, "text"), 0.0);
    }

    /**
     * A numeric label; NaN and infinities are refused ({@code Input y_true contains NaN}). The whole numbers 0 to
     * {@value #SMALL_LABELS} − 1, the usual classes, are shared instances: a table's cells make no new object each.
     */
    public static Label of(double number) {
        if (!Double.isFinite(number)) {
            throw new InvalidInputException("a class label is " + number + " (Input y_true contains NaN)");
        }
        if (number >= 0 && number < SMALL_LABELS && number == (int) number) {
            return SMALL[(int) number]; // -0.0 too: the label 0.0, as below
        }
        return new Label(null, number + 0.0); // + 0.0 makes -0.0 the same label as 0.0, as numpy compares
    }

    public static Label of(long number) {
        return of((double) number);
    }

    public boolean isNumber() {
        return text == null;
    }

    /** The string, or the number as MLflow's per_class_metrics.csv would print an integer label ({@code 3}, not {@code 3.0}). */
    @Override
    public String toString() {
        if (text != null) {
            return text;
        }
        if (number == Math.rint(number) && Math.abs(number) < 1e15) {
            return Long.toString((long) number);
        }
        return Double.toString(number);
    }

    @Override
    public int compareTo(Label other) {
        if (isNumber() != other.isNumber()) {
            throw new InvalidInputException(
                    "labels mix strings and numbers (" + this + ", " + other + "); MLflow cannot sort them either");
        }
        if (isNumber()) {
            return Double.compare(number, other.number);
        }
        return compareCodePoints(text, other.text);
    }

    /** numpy orders unicode strings by code point; String.compareTo orders UTF-16 units, which differs above U+FFFF. */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Label l
                && Objects.equals(text, l.text)
                && Double.doubleToLongBits(number) == Double.doubleToLongBits(l.number);
    }

    @Override
    public int hashCode() {
        return text != null ? text.hashCode() : Double.hashCode(number);
    }
}
