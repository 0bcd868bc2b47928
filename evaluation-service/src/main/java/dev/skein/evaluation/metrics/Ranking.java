package dev.skein.evaluation.metrics;

/**
 * scikit-learn 1.2.1's binary ranking metrics over (score, is-positive, weight) rows:
 * {@code roc_auc_score} and {@code average_precision_score}. Both walk the rows by descending score and
 * take one curve point per distinct score ({@code _binary_clf_curve}), so tied scores move the curve
 * diagonally (ROC) or in one step (average precision), exactly as sklearn does.
 */
final class Ranking {

    /** Cumulative weights of positives and negatives at each distinct score, highest score first. */
    record Curve(double[] tps, double[] fps, int points) {}

    private Ranking() {}

    /** {@code weights} may be null (every row weighs 1). Rows with zero weight do not move the curve. */
    static Curve curve(double[] scores, boolean[] positive, double[] weights, int n) {
        int[] order = descending(scores, n);
        double[] tps = new double[n];
        double[] fps = new double[n];
        int points = 0;
        double tp = 0;
        double fp = 0;
        for (int r = 0; r < n; r++) {
            int i = order[r];
            double w = weights == null ? 1.0 : weights[i];
            if (positive[i]) {
                tp += w;
            } else {
                fp += w;
            }
            if (r == n - 1 || scores[order[r + 1]] != scores[i]) {
                tps[points] = tp;
                fps[points] = fp;
                points++;
            }
        }
        return new Curve(tps, fps, points);
    }

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

    /** Row indices by descending score (a merge sort of primitive indices; order within ties does not matter). */
    static int[] descending(double[] scores, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        int[] b = new int[n];
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + 2 * width, n);
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    b[k++] = scores[a[i]] >= scores[a[j]] ? a[i++] : a[j++];
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
