package dev.skein.evaluation.judge;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A metric's aggregations over the rows that have a score, with numpy's semantics: the mean, the population
 * variance, the median and the 90th percentile by linear interpolation (numpy's default), min and max.
 */
public final class Aggregates {

    public static final List<String> NAMES = List.of("min", "max", "mean", "median", "variance", "p90");
    public static final List<String> DEFAULT = List.of("mean", "variance", "p90");

    private Aggregates() {}

    /** The aggregations asked for, in the order asked; {@code scores} without NaN, at least one. */
    public static Map<String, Double> of(double[] scores, List<String> aggregations) {
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        Map<String, Double> out = new LinkedHashMap<>();
        for (String a : aggregations) {
            out.put(
                    a,
                    switch (a) {
                        case "min" -> sorted[0];
                        case "max" -> sorted[sorted.length - 1];
                        case "mean" -> mean(sorted);
                        case "median" -> percentile(sorted, 50);
                        case "variance" -> variance(sorted);
                        case "p90" -> percentile(sorted, 90);
                        default -> throw new IllegalArgumentException("unknown aggregation " + a);
                    });
        }
        return out;
    }

    static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    static double variance(double[] values) {
        double mean = mean(values);
        double sum = 0;
        for (double v : values) {
            sum += (v - mean) * (v - mean);
        }
        return sum / values.length;
    }

    /** numpy's {@code percentile(a, q)} (method "linear") of ascending values. */
    static double percentile(double[] sorted, double q) {
        double rank = q / 100.0 * (sorted.length - 1);
        int low = (int) Math.floor(rank);
        int high = Math.min(low + 1, sorted.length - 1);
        double fraction = rank - low;
        return sorted[low] + (sorted[high] - sorted[low]) * fraction;
    }
}
