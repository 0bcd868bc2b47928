package dev.skein.evaluation.metrics;

import java.util.Arrays;
import java.util.List;

/**
 * The lift curves MLflow 2.17.2 plots for a binary classifier with probabilities ({@code plot_lift_curve} in
 * {@code mlflow/models/evaluation/lift_curve.py}, scikit-plot's): for each of the two classes found in the
 * targets, the rows sorted by that class's probability, highest first ({@code np.argsort(score)[::-1]}), and
 * at the i-th row (i = 1…n) the cumulative gain (that class's rows seen so far over all its rows) divided by
 * the percentage of the sample seen ({@code i / n}). Every row counts once: MLflow passes no sample weights.
 *
 * <p>The arrays are this record's own; do not modify them. Computed by {@link ClassifierAccumulator#liftCurve()}.
 *
 * @param classes the two classes of the targets in ascending order ({@code np.unique(y_true)})
 * @param percentages {@code i / n} for i = 1…n, the x of every point
 * @param firstClassLift the lift of {@code classes[0]}, scored by its probability (1 − P(last label) when the
 *     table gives one column, as {@code predict_proba[:, 0]})
 * @param secondClassLift the lift of {@code classes[1]}, scored by P(last label)
 */
public record LiftCurve(List<Label> classes, double[] percentages, double[] firstClassLift, double[] secondClassLift) {

    /**
     * The curves over rows {@code 0..n-1}: row i is of class {@code target[i]} (0 or 1) and its probabilities
     * are {@code probabilities[i * width .. i * width + width - 1]} (width 1: P(class 1); width 2: one per
     * class). Both classes must occur in {@code target}.
     */
    static LiftCurve of(List<Label> classes, double[] probabilities, int width, int[] target, int n) {
        double[] percentages = new double[n];
        for (int i = 0; i < n; i++) {
            percentages[i] = (i + 1) / (double) n; // np.arange(1, n + 1) / float(n)
        }
        return new LiftCurve(
                List.copyOf(classes),
                percentages,
                lift(probabilities, width, 0, target, n, percentages),
                lift(probabilities, width, 1, target, n, percentages));
    }

    /**
     * One class's lift: {@code _cumulative_gain_curve(y_true, y_probas[:, cls], classes[cls])} without its
     * leading 0, divided by the percentages. numpy's {@code argsort(score)[::-1]} reverses an ascending sort,
     * so among tied scores the row further down the table comes first (numpy's default sort keeps tied rows
     * in table order for up to 16 rows; beyond that its introsort leaves their order to the implementation,
     * and only the points closing a run of ties are the same whatever the order).
     *
     * <p>The class's scores and the others' are sorted apart (primitive sorts) and walked together from the
     * highest score down; only a run of tied scores holding both kinds of rows needs the rows' order, which is
     * gathered for those runs alone.
     */
    private static double[] lift(
            double[] probabilities, int width, int cls, int[] target, int n, double[] percentages) {
        double[] scores = new double[n];
        int total = 0;
        for (int i = 0; i < n; i++) {
            double p = width == 1 ? probabilities[i] : probabilities[i * width + cls];
            scores[i] = width == 1 && cls == 0 ? 1 - p : p; // predict_proba's first column, as log_loss reads it
            if (target[i] == cls) {
                total++;
            }
        }
        double[] mine = new double[total];
        double[] others = new double[n - total];
        int a = 0;
        int b = 0;
        for (int i = 0; i < n; i++) {
            if (target[i] == cls) {
                mine[a++] = scores[i];
            } else {
                others[b++] = scores[i];
            }
        }
        Arrays.sort(mine);
        Arrays.sort(others);
        // the runs of tied scores holding both kinds of rows, highest score first, and their sizes
        double[] mixed = new double[16];
        int[] start = new int[17];
        int runs = 0;
        for (Walk w = new Walk(mine, others); w.next(); ) {
            if (w.mine > 0 && w.others > 0) {
                if (runs + 1 == mixed.length) {
                    mixed = Arrays.copyOf(mixed, mixed.length * 2);
                    start = Arrays.copyOf(start, start.length * 2);
                }
                mixed[runs] = w.score;
                start[runs + 1] = start[runs] + w.mine + w.others;
                runs++;
            }
        }
        // in those runs, whether each row is the class's, the later rows first
        boolean[] hits = new boolean[start[runs]];
        if (runs > 0) {
            double[] ascending = new double[runs];
            for (int k = 0; k < runs; k++) {
                ascending[k] = mixed[runs - 1 - k];
            }
            int[] filled = new int[runs];
            for (int i = n - 1; i >= 0; i--) {
                int found = Arrays.binarySearch(ascending, scores[i]);
                if (found >= 0) {
                    int k = runs - 1 - found;
                    hits[start[k] + filled[k]++] = target[i] == cls;
                }
            }
        }
        double[] lift = new double[n];
        long gained = 0;
        int r = 0;
        int run = 0;
        for (Walk w = new Walk(mine, others); w.next(); ) {
            int size = w.mine + w.others;
            for (int j = 0; j < size; j++) {
                boolean hit = w.others == 0 || (w.mine > 0 && hits[start[run] + j]);
                if (hit) {
                    gained++;
                }
                // gains = cumsum(y_true) / float(sum(y_true)); gains / percentages, in numpy's order of operations
                lift[r] = (gained / (double) total) / percentages[r];
                r++;
            }
            if (w.mine > 0 && w.others > 0) {
                run++;
            }
        }
        return lift;
    }

    /** Two ascending arrays walked together from the top, one distinct score at a time, with its counts. */
    private static final class Walk {
        private final double[] mineSorted;
        private final double[] othersSorted;
        private int p;
        private int q;
        double score;
        int mine;
        int others;

        Walk(double[] mineSorted, double[] othersSorted) {
            this.mineSorted = mineSorted;
            this.othersSorted = othersSorted;
            this.p = mineSorted.length - 1;
            this.q = othersSorted.length - 1;
        }

        boolean next() {
            if (p < 0 && q < 0) {
                return false;
            }
            score = p < 0 ? othersSorted[q] : q < 0 ? mineSorted[p] : Math.max(mineSorted[p], othersSorted[q]);
            mine = 0;
            others = 0;
            while (p >= 0 && mineSorted[p] == score) {
                mine++;
                p--;
            }
            while (q >= 0 && othersSorted[q] == score) {
                others++;
                q--;
            }
            return true;
        }
    }
}
