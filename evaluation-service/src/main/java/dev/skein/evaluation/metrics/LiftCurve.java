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
 * <p>From kept rows every point is given, both lines at the same x; from rows spilled to disk (past the
 * classifier's memory budget) each line is thinned for drawing ({@link PlotPoints}), at x of its own.
 *
 * @param classes the two classes of the targets in ascending order ({@code np.unique(y_true)})
 * @param firstClassPercentages the x of the first class's points: {@code i / n} for i = 1…n
 * @param firstClassLift the lift of {@code classes[0]}, scored by its probability (1 − P(last label) when the
 *     table gives one column, as {@code predict_proba[:, 0]})
 * @param secondClassPercentages the x of the second class's points
 * @param secondClassLift the lift of {@code classes[1]}, scored by P(last label)
 */
public record LiftCurve(
        List<Label> classes,
        double[] firstClassPercentages,
        double[] firstClassLift,
        double[] secondClassPercentages,
        double[] secondClassLift) {

    /**
     * The curves over rows {@code 0..n-1}: row i is of class {@code target[i]} (0 or 1) and its probabilities
     * are {@code probabilities[i * width .. i * width + width - 1]} (width 1: P(class 1); width 2: one per
     * class). Both classes must occur in {@code target}. {@code first} and {@code second} are the rows'
     * scores for class 0 and for class 1 ({@code predict_proba}'s columns), split by whether the row is of
     * that class and sorted ({@link Ranking#split}).
     */
    static LiftCurve of(
            List<Label> classes,
            double[] probabilities,
            int width,
            int[] target,
            int n,
            Ranking.Split first,
            Ranking.Split second) {
        double[] percentages = new double[n];
        for (int i = 0; i < n; i++) {
            percentages[i] = (i + 1) / (double) n; // np.arange(1, n + 1) / float(n)
        }
        return new LiftCurve(
                List.copyOf(classes),
                percentages,
                lift(probabilities, width, 0, target, n, first, percentages),
                percentages,
                lift(probabilities, width, 1, target, n, second, percentages));
    }

    /** Row i's score for class {@code cls}: {@code predict_proba[i, cls]}, 1 − P(class 1) for class 0 of one column. */
    private static double score(double[] probabilities, int width, int cls, int i) {
        if (width == 1) {
            double p = probabilities[i];
            return cls == 0 ? 1 - p : p;
        }
        return probabilities[i * width + cls];
    }

    /**
     * One class's lift: {@code _cumulative_gain_curve(y_true, y_probas[:, cls], classes[cls])} without its
     * leading 0, divided by the percentages. numpy's {@code argsort(score)[::-1]} reverses an ascending sort,
     * so among tied scores the row further down the table comes first (numpy's default sort keeps tied rows
     * in table order for up to 16 rows; beyond that its introsort leaves their order to the implementation,
     * and only the points closing a run of ties are the same whatever the order).
     *
     * <p>The class's scores and the others' ({@code split}, sorted apart) are walked together from the highest
     * score down; only a run of tied scores holding both kinds of rows needs the rows' order, which is gathered
     * for those runs alone.
     */
    private static double[] lift(
            double[] probabilities,
            int width,
            int cls,
            int[] target,
            int n,
            Ranking.Split split,
            double[] percentages) {
        int total = split.positives().length;
        // one walk from the highest score down; a run of tied scores holding both kinds of rows is noted (its
        // score, where it starts, its size; the gain before it is kept in its first point until that is known)
        // and filled in once the rows' order is known
        double[] lift = new double[n];
        double[] mixed = new double[16];
        int[] at = new int[16];
        int[] start = new int[17];
        int runs = 0;
        long gained = 0;
        int r = 0;
        for (Ranking.Walk w = new Ranking.Walk(split); w.next(); ) {
            int size = w.positives + w.negatives;
            if (w.positives > 0 && w.negatives > 0) {
                if (runs + 1 == mixed.length) {
                    mixed = Arrays.copyOf(mixed, mixed.length * 2);
                    at = Arrays.copyOf(at, at.length * 2);
                    start = Arrays.copyOf(start, start.length * 2);
                }
                mixed[runs] = w.score;
                at[runs] = r;
                lift[r] = gained; // a count below 2^53: exact as a double
                start[runs + 1] = start[runs] + size;
                runs++;
                gained += w.positives;
                r += size;
                continue;
            }
            for (int j = 0; j < size; j++) {
                if (w.negatives == 0) {
                    gained++;
                }
                lift[r] = lift(gained, total, percentages[r]);
                r++;
            }
        }
        if (runs == 0) {
            return lift;
        }
        // in those runs, whether each row is the class's, the later rows first
        boolean[] hits = new boolean[start[runs]];
        double[] ascending = new double[runs];
        for (int k = 0; k < runs; k++) {
            ascending[k] = mixed[runs - 1 - k];
        }
        int[] filled = new int[runs];
        for (int i = n - 1; i >= 0; i--) {
            int found = Arrays.binarySearch(ascending, score(probabilities, width, cls, i));
            if (found >= 0) {
                int k = runs - 1 - found;
                hits[start[k] + filled[k]++] = target[i] == cls;
            }
        }
        for (int k = 0; k < runs; k++) {
            long g = (long) lift[at[k]];
            for (int j = 0; j < start[k + 1] - start[k]; j++) {
                if (hits[start[k] + j]) {
                    g++;
                }
                lift[at[k] + j] = lift(g, total, percentages[at[k] + j]);
            }
        }
        return lift;
    }

    /** gains = cumsum(y_true) / float(sum(y_true)); gains / percentages, in numpy's order of operations. */
    private static double lift(long gained, int total, double percentage) {
        return (gained / (double) total) / percentage;
    }
}
