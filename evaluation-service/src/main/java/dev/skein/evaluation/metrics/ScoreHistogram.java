package dev.skein.evaluation.metrics;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongToDoubleFunction;

/**
 * The multiset of one metric's per-row scores, as distinct values and their counts: enough for MLflow's {@code
 * standard_aggregations} (numpy's mean, population variance and linear 90th percentile) in memory that grows
 * with the distinct scores, not the rows. Retriever scores take few values: precision@k at most one per
 * (hits, retrieved ≤ k) pair.
 */
final class ScoreHistogram {

    private final Map<Double, long[]> counts = new HashMap<>();
    private long n;

    void add(double score) {
        counts.computeIfAbsent(score, s -> new long[1])[0]++;
        n++;
    }

    int distinct() {
        return counts.size();
    }

    double mean() {
        double sum = 0;
        for (Map.Entry<Double, long[]> e : counts.entrySet()) {
            sum += e.getKey() * e.getValue()[0];
        }
        return sum / n;
    }

    /** {@code np.var}: the mean squared deviation from the mean (ddof 0). */
    double variance() {
        double mean = mean();
        double sum = 0;
        for (Map.Entry<Double, long[]> e : counts.entrySet()) {
            double d = e.getKey() - mean;
            sum += d * d * e.getValue()[0];
        }
        return sum / n;
    }

    /** {@code np.percentile(scores, q)} with numpy 1.24's default (linear) method, step for step. */
    double percentile(double q) {
        TreeMap<Double, Long> sorted = new TreeMap<>();
        counts.forEach((v, c) -> sorted.put(v, c[0]));
        return percentile(n, q, index -> nth(sorted, index));
    }

    /**
     * {@code np.mean}, {@code np.var} and {@code np.percentile(…, 90)} of every row's score, when they are all
     * at hand (sorts {@code scores} in place).
     */
    static double[] meanVarianceP90(double[] scores) {
        Arrays.sort(scores);
        double sum = 0;
        for (double s : scores) {
            sum += s;
        }
        double mean = sum / scores.length;
        double squares = 0;
        for (double s : scores) {
            squares += (s - mean) * (s - mean);
        }
        return new double[] {mean, squares / scores.length, percentile(scores.length, 90, i -> scores[(int) i])};
    }

    private static double percentile(long n, double q, LongToDoubleFunction nth) {
        double quantile = q / 100;
        // numpy's _compute_virtual_index with alpha = beta = 1, in its order of operations
        double virtual = n * quantile + (1 + quantile * (1 - 1 - 1)) - 1;
        long below;
        long above;
        if (virtual >= n - 1) {
            below = above = n - 1;
        } else if (virtual < 0) {
            below = above = 0;
        } else {
            below = (long) Math.floor(virtual);
            above = below + 1;
        }
        double gamma = virtual - Math.floor(virtual);
        double a = nth.applyAsDouble(below);
        double b = nth.applyAsDouble(above);
        if (below == above) {
            return a;
        }
        // numpy's _lerp: from the nearer end, for accuracy
        double diff = b - a;
        return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
    }

    private static double nth(TreeMap<Double, Long> sorted, long index) {
        long seen = 0;
        for (Map.Entry<Double, Long> e : sorted.entrySet()) {
            seen += e.getValue();
            if (index < seen) {
                return e.getKey();
            }
        }
        throw new IllegalStateException("index " + index + " beyond " + seen + " scores");
    }
}
