package dev.skein.evaluation.metrics;

import java.util.Arrays;

/**
 * A curve's points as they come, kept for drawing only: x is cut into {@link #BUCKETS} slices of equal width
 * over [0, 1] (finer than a quarter of a pixel of the widest plot), and in each slice at most four points are
 * kept, in their order: the first, the lowest, the highest and the last. A step or line plot drawn from them
 * looks as one drawn from every point, and a curve of any number of points keeps at most {@code 4 × BUCKETS}.
 * Each point carries a third value (a threshold) along. A NaN x falls in a slice of its own.
 */
final class PlotPoints {

    /** Four per pixel of the widest curve plot (960 pixels). */
    static final int BUCKETS = 4 * 960;

    private double[] x = new double[64];
    private double[] y = new double[64];
    private double[] z = new double[64];
    private int size;

    private long bucket = Long.MIN_VALUE;
    private long sequence;
    // the slice's candidates: sequence number and values of the first, lowest, highest and last point
    private final long[] seq = new long[4];
    private final double[][] point = new double[4][3];
    private boolean open;

    void add(double px, double py, double pz) {
        long b = Double.isNaN(px) ? -1 : (long) Math.floor(Math.max(0, Math.min(1, px)) * BUCKETS);
        long s = sequence++;
        if (!open || b != bucket) {
            flush();
            bucket = b;
            open = true;
            for (int i = 0; i < 4; i++) {
                set(i, s, px, py, pz);
            }
            return;
        }
        if (py < point[1][1]) {
            set(1, s, px, py, pz);
        }
        if (py > point[2][1]) {
            set(2, s, px, py, pz);
        }
        set(3, s, px, py, pz);
    }

    private void set(int i, long s, double px, double py, double pz) {
        seq[i] = s;
        point[i][0] = px;
        point[i][1] = py;
        point[i][2] = pz;
    }

    private void flush() {
        if (!open) {
            return;
        }
        open = false;
        Integer[] order = {0, 1, 2, 3};
        Arrays.sort(order, (a, b) -> Long.compare(seq[a], seq[b]));
        long last = -1;
        for (int i : order) {
            if (seq[i] != last) {
                append(point[i][0], point[i][1], point[i][2]);
                last = seq[i];
            }
        }
    }

    private void append(double px, double py, double pz) {
        if (size == x.length) {
            x = Arrays.copyOf(x, size * 2);
            y = Arrays.copyOf(y, size * 2);
            z = Arrays.copyOf(z, size * 2);
        }
        x[size] = px;
        y[size] = py;
        z[size] = pz;
        size++;
    }

    /** The points kept: x, y and z, each as long as the points; no more may be added. */
    double[][] finish() {
        flush();
        return new double[][] {Arrays.copyOf(x, size), Arrays.copyOf(y, size), Arrays.copyOf(z, size)};
    }
}
