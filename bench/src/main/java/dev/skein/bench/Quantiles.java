package dev.skein.bench;

/** Quantiles of measured durations, nearest-rank. */
final class Quantiles {

    private Quantiles() {}

    /** The {@code q} quantile of ascending nanosecond durations, in milliseconds (NaN when empty). */
    static double millis(long[] sortedNanos, double q) {
        if (sortedNanos.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q * sortedNanos.length) - 1;
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, i))] / 1e6;
    }
}
