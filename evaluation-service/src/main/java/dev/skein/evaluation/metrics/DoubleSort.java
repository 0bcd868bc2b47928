package dev.skein.evaluation.metrics;

import java.util.Arrays;

/**
 * Sorts doubles ascending in the order of {@link Arrays#sort(double[])} (−0.0 before 0.0; the arrays sorted here
 * hold no NaN), as a least-significant-digit radix sort on the values' bits for large arrays: four passes of 16
 * bits, each skipped when every value has the same digit there (probabilities share most exponent bits), about
 * five times faster than the comparison sort for the million scores of a large evaluation. Takes a temporary
 * array as large as the input.
 */
final class DoubleSort {

    /** Below this many values the comparison sort is faster than four passes over 65,536 buckets. */
    static final int RADIX_THRESHOLD = 1 << 15;

    private static final int BITS = 16;
    private static final int BUCKETS = 1 << BITS;

    private DoubleSort() {}

    static void sort(double[] a) {
        int n = a.length;
        if (n < RADIX_THRESHOLD) {
            Arrays.sort(a);
            return;
        }
        double[] from = a;
        double[] to = new double[n];
        int[] count = new int[BUCKETS];
        for (int shift = 0; shift < Long.SIZE; shift += BITS) {
            Arrays.fill(count, 0);
            for (double v : from) {
                count[digit(v, shift)]++;
            }
            if (count[digit(from[0], shift)] == n) {
                continue; // every value has this digit: the pass would not move anything
            }
            int sum = 0;
            for (int b = 0; b < BUCKETS; b++) {
                int c = count[b];
                count[b] = sum;
                sum += c;
            }
            for (double v : from) {
                to[count[digit(v, shift)]++] = v;
            }
            double[] t = from;
            from = to;
            to = t;
        }
        if (from != a) {
            System.arraycopy(from, 0, a, 0, n);
        }
    }

    /**
     * The value's bits as an unsigned key in the doubles' order (a negative value's bits all flipped, a positive
     * value's sign bit set), and 16 of them.
     */
    private static int digit(double v, int shift) {
        long bits = Double.doubleToRawLongBits(v);
        long key = bits ^ ((bits >> 63) | Long.MIN_VALUE);
        return (int) (key >>> shift) & (BUCKETS - 1);
    }
}
