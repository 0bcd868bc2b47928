package dev.skein.evaluation.metrics;

import java.util.Arrays;

/** Primitive arrays that double when full: the per-row state ranking metrics need, without boxing. */
final class GrowingArrays {

    static final class Doubles {
        private double[] values = new double[64];
        private int size;

        /** Makes room for {@code capacity} values in all, so that adding up to that many copies nothing. */
        void reserve(int capacity) {
            if (capacity > values.length) {
                values = Arrays.copyOf(values, capacity);
            }
        }

        void add(double v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, values.length * 2);
            }
            values[size++] = v;
        }

        /** Empties the array, keeping its room. */
        void clear() {
            size = 0;
        }

        double[] array() {
            return values;
        }

        int size() {
            return size;
        }
    }

    static final class Ints {
        private int[] values = new int[64];
        private int size;

        /** Makes room for {@code capacity} values in all, so that adding up to that many copies nothing. */
        void reserve(int capacity) {
            if (capacity > values.length) {
                values = Arrays.copyOf(values, capacity);
            }
        }

        void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, values.length * 2);
            }
            values[size++] = v;
        }

        /** Empties the array, keeping its room. */
        void clear() {
            size = 0;
        }

        int[] array() {
            return values;
        }

        int size() {
            return size;
        }
    }

    private GrowingArrays() {}
}
