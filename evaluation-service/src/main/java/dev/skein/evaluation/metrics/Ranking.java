package dev.skein.evaluation.metrics;

import java.util.Arrays;

/**
 * scikit-learn 1.2.1's binary ranking metrics over (score, is-positive, weight) rows:
 * {@code roc_auc_score} and {@code average_precision_score}. Both walk the rows by descending score and
 * take one curve point per distinct score ({@code _binary_clf_curve}), so tied scores move the curve
 * diagonally (ROC) or in one step (average precision), exactly as sklearn does.
 */
final class Ranking {

    /**
     * Cumulative weights of positives and negatives at each distinct score, highest score first, and that
     * score (sklearn's {@code thresholds}); the arrays hold {@code points} values.
     */
    record Curve(double[] tps, double[] fps, double[] thresholds, int points) {}

    /**
     * sklearn's {@code _binary_clf_curve} over rows {@code 0..n-1}: row i scores {@code scores[i * stride +
     * column]} (read in place, so a column of the accumulator's probabilities is not copied) and is positive
     * when {@code target[i] == positive}. {@code weights} may be null (every row weighs 1); rows weighing 0
     * are left out, as sklearn drops them, so their scores are no thresholds.
     */
    static Curve curve(double[] scores, int stride, int column, int[] target, int positive, double[] weights, int n) {
        if (weights == null) {
            return curve(split(scores, stride, column, target, positive, n));
        }
        int[] order = descending(scores, stride, column, n);
        int kept = 0;
        for (int r = 0; r < n; r++) {
            if (weights[order[r]] != 0) {
                order[kept++] = order[r];
            }
        }
        double[] tps = new double[kept];
        double[] fps = new double[kept];
        double[] thresholds = new double[kept];
        int points = 0;
        double tp = 0;
        double fp = 0;
        for (int r = 0; r < kept; r++) {
            int i = order[r];
            double w = weights[i];
            if (target[i] == positive) {
                tp += w;
            } else {
                fp += w;
            }
            double score = scores[i * stride + column];
            if (r == kept - 1 || scores[order[r + 1] * stride + column] != score) {
                tps[points] = tp;
                fps[points] = fp;
                thresholds[points] = score;
                points++;
            }
        }
        return new Curve(
                Arrays.copyOf(tps, points), Arrays.copyOf(fps, points), Arrays.copyOf(thresholds, points), points);
    }

    /**
     * The scores of the positive rows and of the negative rows, each ascending: what an unweighted curve walks.
     * The arrays are the record's own; do not modify them.
     */
    record Split(double[] positives, double[] negatives) {

        /** The same rows with the other class positive (binary targets only). */
        Split swapped() {
            return new Split(negatives, positives);
        }

        /**
         * The split of the other class (binary targets only) scored by {@code 1 − score}, as {@code predict_proba}'s
         * first column: rounding keeps {@code 1 − x} non-increasing in x, so each array reversed is still sorted,
         * exactly as sorting the new scores afresh, with no sort.
         */
        Split complemented() {
            return new Split(oneMinusReversed(negatives), oneMinusReversed(positives));
        }

        private static double[] oneMinusReversed(double[] ascending) {
            int n = ascending.length;
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                out[i] = 1 - ascending[n - 1 - i];
            }
            return out;
        }
    }

    /**
     * Rows {@code 0..n-1} scored as in {@link #curve}, the positives' and the negatives' scores apart and each
     * sorted ({@link DoubleSort}, many times faster than ordering row indices).
     */
    static Split split(double[] scores, int stride, int column, int[] target, int positive, int n) {
        int positives = 0;
        for (int i = 0; i < n; i++) {
            if (target[i] == positive) {
                positives++;
            }
        }
        double[] pos = new double[positives];
        double[] neg = new double[n - positives];
        int p = 0;
        int q = 0;
        for (int i = 0; i < n; i++) {
            double score = scores[i * stride + column];
            if (target[i] == positive) {
                pos[p++] = score;
            } else {
                neg[q++] = score;
            }
        }
        DoubleSort.sort(pos);
        DoubleSort.sort(neg);
        return new Split(pos, neg);
    }

    /**
     * {@link #curve} without weights, from the rows' {@link #split}: the positives and the negatives walked
     * together from the highest score down, one point per distinct score, as sklearn's cumulative sums at its
     * distinct thresholds.
     */
    static Curve curve(Split split) {
        int points = 0;
        for (Walk w = new Walk(split); w.next(); ) {
            points++;
        }
        double[] tps = new double[points];
        double[] fps = new double[points];
        double[] thresholds = new double[points];
        int point = 0;
        double tp = 0;
        double fp = 0;
        for (Walk w = new Walk(split); w.next(); ) {
            tp += w.positives;
            fp += w.negatives;
            tps[point] = tp;
            fps[point] = fp;
            thresholds[point] = w.score;
            point++;
        }
        return new Curve(tps, fps, thresholds, points);
    }

    /** A split's two ascending arrays walked together from the top, one distinct score at a time, with its counts. */
    static final class Walk {
        private final double[] positivesSorted;
        private final double[] negativesSorted;
        private int p;
        private int q;
        double score;
        int positives;
        int negatives;

        Walk(Split split) {
            this.positivesSorted = split.positives;
            this.negativesSorted = split.negatives;
            this.p = positivesSorted.length - 1;
            this.q = negativesSorted.length - 1;
        }

        boolean next() {
            if (p < 0 && q < 0) {
                return false;
            }
            score = p < 0
                    ? negativesSorted[q]
                    : q < 0 ? positivesSorted[p] : Math.max(positivesSorted[p], negativesSorted[q]);
            positives = 0;
            negatives = 0;
            while (p >= 0 && positivesSorted[p] == score) {
                positives++;
                p--;
            }
            while (q >= 0 && negativesSorted[q] == score) {
                negatives++;
                q--;
            }
            return true;
        }
    }

    /**
     * sklearn 1.2.1's {@code roc_curve(drop_intermediate=True)}: the points where the curve bends (a non-zero
     * second difference of fps or tps, computed as numpy's {@code diff(x, 2)}), the ends, and a first point
     * (0, 0) with threshold {@code thresholds[0] + 1}. fpr (tpr) is NaN throughout when no row is negative
     * (positive), as sklearn returns it with a warning.
     */
    static RocPoints roc(Curve c) {
        int m = c.points;
        int[] keep = new int[m];
        int kept = 0;
        for (int i = 0; i < m; i++) {
            boolean end = m <= 2 || i == 0 || i == m - 1;
            if (end || secondDifference(c.fps, i - 1) != 0 || secondDifference(c.tps, i - 1) != 0) {
                keep[kept++] = i;
            }
        }
        double[] fpr = new double[kept + 1];
        double[] tpr = new double[kept + 1];
        double[] thresholds = new double[kept + 1];
        double fpTotal = m == 0 ? 0 : c.fps[m - 1];
        double tpTotal = m == 0 ? 0 : c.tps[m - 1];
        thresholds[0] = m == 0 ? Double.NaN : c.thresholds[0] + 1;
        fpr[0] = fpTotal <= 0 ? Double.NaN : 0.0;
        tpr[0] = tpTotal <= 0 ? Double.NaN : 0.0;
        for (int j = 0; j < kept; j++) {
            int i = keep[j];
            fpr[j + 1] = fpTotal <= 0 ? Double.NaN : c.fps[i] / fpTotal;
            tpr[j + 1] = tpTotal <= 0 ? Double.NaN : c.tps[i] / tpTotal;
            thresholds[j + 1] = c.thresholds[i];
        }
        return new RocPoints(fpr, tpr, thresholds);
    }

    record RocPoints(double[] fpr, double[] tpr, double[] thresholds) {}

    /** numpy's {@code diff(x, 2)[i]}: {@code (x[i+2] − x[i+1]) − (x[i+1] − x[i])}, in that order. */
    private static double secondDifference(double[] x, int i) {
        return (x[i + 2] - x[i + 1]) - (x[i + 1] - x[i]);
    }

    /**
     * sklearn 1.2.1's {@code precision_recall_curve}: from the lowest threshold to the highest, then a last
     * point (precision 1, recall 0) with no threshold. Precision is 0 where nothing is predicted positive;
     * recall is 1 throughout when no row is positive, as sklearn returns it with a warning.
     */
    static PrPoints precisionRecall(Curve c) {
        int m = c.points;
        double[] precision = new double[m + 1];
        double[] recall = new double[m + 1];
        double[] thresholds = new double[m];
        double tpTotal = m == 0 ? 0 : c.tps[m - 1];
        for (int i = 0; i < m; i++) {
            int from = m - 1 - i;
            double predicted = c.tps[from] + c.fps[from];
            precision[i] = predicted != 0 ? c.tps[from] / predicted : 0.0;
            recall[i] = tpTotal == 0 ? 1.0 : c.tps[from] / tpTotal;
            thresholds[i] = c.thresholds[from];
        }
        precision[m] = 1.0;
        recall[m] = 0.0;
        return new PrPoints(precision, recall, thresholds);
    }

    record PrPoints(double[] precision, double[] recall, double[] thresholds) {}

    /**
     * {@code roc_auc_score(y_true, y_score, sample_weight)}: the trapezoidal area under the ROC curve.
     * Throws as sklearn does when the targets hold one class only.
     */
    static double rocAuc(Curve c, boolean bothClassesInTargets) {
        if (!bothClassesInTargets) {
            throw new UndefinedMetricException(
                    MetricKeys.ROC_AUC, "Only one class present in y_true. ROC AUC score is not defined in that case.");
        }
        double p = c.tps[c.points - 1];
        double f = c.fps[c.points - 1];
        if (!(p > 0) || !(f > 0)) {
            throw new UndefinedMetricException(
                    MetricKeys.ROC_AUC, "the positive or the negative rows weigh nothing; ROC AUC is not defined");
        }
        double area = 0;
        double x0 = 0;
        double y0 = 0;
        for (int k = 0; k < c.points; k++) {
            double x = c.fps[k] / f;
            double y = c.tps[k] / p;
            area += (x - x0) * (y + y0) / 2;
            x0 = x;
            y0 = y;
        }
        return area;
    }

    /**
     * {@code average_precision_score}: Σ (R_k − R_{k−1}) · P_k over the distinct scores, a step-wise sum,
     * not the trapezoidal area. With no positive row sklearn sets recall to 1 everywhere and the sum is
     * {@code -0.0}.
     */
    static double averagePrecision(Curve c) {
        double p = c.tps[c.points - 1];
        if (p == 0) {
            return -0.0;
        }
        double sum = 0;
        double r0 = 0;
        for (int k = 0; k < c.points; k++) {
            double predicted = c.tps[k] + c.fps[k];
            double precision = predicted != 0 ? c.tps[k] / predicted : 0.0;
            double r = c.tps[k] / p;
            sum += (r - r0) * precision;
            r0 = r;
        }
        return sum;
    }

    /**
     * Row indices by descending score, row i scoring {@code scores[i * stride + column]} (a merge sort of
     * primitive indices; order within ties does not matter).
     */
    static int[] descending(double[] scores, int stride, int column, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return mergeDescending(scores, stride, column, a, new int[n], n);
    }

    /**
     * Sorts the first {@code n} row indices of {@code a} by descending score, row i scoring
     * {@code scores[i * stride + column]}: a stable bottom-up merge sort, so rows of equal score keep their order
     * in {@code a}. {@code b} is scratch of at least {@code n}; the answer is whichever of the two holds the result.
     */
    static int[] mergeDescending(double[] scores, int stride, int column, int[] a, int[] b, int n) {
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + 2 * width, n);
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    b[k++] = scores[a[i] * stride + column] >= scores[a[j] * stride + column] ? a[i++] : a[j++];
                }
                while (i < mid) {
                    b[k++] = a[i++];
                }
                while (j < hi) {
                    b[k++] = a[j++];
                }
            }
            int[] t = a;
            a = b;
            b = t;
        }
        return a;
    }
}
