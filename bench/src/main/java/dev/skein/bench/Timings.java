package dev.skein.bench;

import java.util.Arrays;

/** The durations of one kind of request, recorded one by one from one thread; quantiles in milliseconds. */
final class Timings {

    /** A request whose answer the caller may need. */
    interface Timed<T> {
        T call() throws Exception;
    }

    private long[] nanos = new long[128];
    private int count;

    /** Times {@code request} and records its duration; returns its answer. */
    <T> T time(Timed<T> request) throws Exception {
        long t0 = System.nanoTime();
        T answer = request.call();
        add(System.nanoTime() - t0);
        return answer;
    }

    void add(long durationNanos) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = durationNanos;
    }

    /** Adds what {@code other} recorded, such as another client's timings of the same request. */
    void addAll(Timings other) {
        for (int i = 0; i < other.count; i++) {
            add(other.nanos[i]);
        }
    }

    int count() {
        return count;
    }

    /** The {@code q} quantile (nearest rank), NaN when nothing was recorded. */
    double millis(double q) {
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        return Quantiles.millis(sorted, q);
    }
}
