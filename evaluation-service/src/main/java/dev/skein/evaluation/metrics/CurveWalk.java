package dev.skein.evaluation.metrics;

/**
 * {@link Ranking}'s curve, metrics and plotted points for one positive class, computed as the rows come by
 * descending score, without keeping them: the same points ({@code _binary_clf_curve}: one per distinct score,
 * rows weighing 0 left out), the same sums in the same order, so roc_auc and average precision come out as
 * {@link Ranking#rocAuc} and {@link Ranking#averagePrecision} compute them from the whole curve. The totals of
 * positive and negative weight must be known before the first row: for unweighted rows they are the counts, and
 * the results are the same to the last bit; for weighted rows they are sums in another order, the same to
 * rounding. The ROC and precision–recall points for the plots keep sklearn's {@code drop_intermediate} rule and
 * order, thinned by {@link PlotPoints}.
 */
final class CurveWalk {

    private final int positive;
    private final boolean weighted;
    private final double positives;
    private final double negatives;
    private final boolean points;

    private double tp;
    private double fp;
    private double pendingScore;
    private boolean pending;
    private long count;

    private double area;
    private double x0;
    private double y0;
    private double averagePrecision;
    private double r0;

    // the last two curve points (fps, tps, threshold) not yet decided on by drop_intermediate
    private double beforeFp;
    private double beforeTp;
    private double previousFp;
    private double previousTp;
    private double previousThreshold;
    private final PlotPoints roc;
    private final PlotPoints precisionRecall;

    /**
     * {@code positive}: the sorted label index taken as positive; {@code positives}, {@code negatives}: the total
     * weight of the positive and the negative rows; {@code points}: whether the plotted points are wanted.
     */
    CurveWalk(int positive, boolean weighted, double positives, double negatives, boolean points) {
        this.positive = positive;
        this.weighted = weighted;
        this.positives = positives;
        this.negatives = negatives;
        this.points = points;
        this.roc = points ? new PlotPoints() : null;
        this.precisionRecall = points ? new PlotPoints() : null;
    }

    /** The next row by descending score: its score, its target's sorted label index and its weight. */
    void row(double score, int target, double weight) {
        if (weighted && weight == 0) {
            return; // sklearn drops rows weighing 0: their scores are no thresholds
        }
        if (pending && score != pendingScore) {
            point(pendingScore);
        }
        if (target == positive) {
            tp += weight;
        } else {
            fp += weight;
        }
        pendingScore = score;
        pending = true;
    }

    private void point(double threshold) {
        double x = fp / negatives;
        double y = tp / positives;
        area += (x - x0) * (y + y0) / 2;
        x0 = x;
        y0 = y;
        double predicted = tp + fp;
        double precision = predicted != 0 ? tp / predicted : 0.0;
        double r = tp / positives;
        averagePrecision += (r - r0) * precision;
        r0 = r;
        if (points) {
            plot(threshold);
        }
        count++;
    }

    private void plot(double threshold) {
        // precision_recall_curve, highest threshold first here (reversed in curves())
        double predicted = tp + fp;
        precisionRecall.add(positives == 0 ? 1.0 : tp / positives, predicted != 0 ? tp / predicted : 0.0, threshold);
        // roc_curve(drop_intermediate=True): point i is kept when it is an end or either second difference there
        // is non-zero, decided once point i + 1 is known
        if (count == 0) {
            roc.add(negatives <= 0 ? Double.NaN : 0.0, positives <= 0 ? Double.NaN : 0.0, threshold + 1);
            rocPoint(fp, tp, threshold);
        } else if (count >= 2) {
            double fps = (fp - previousFp) - (previousFp - beforeFp);
            double tps = (tp - previousTp) - (previousTp - beforeTp);
            if (fps != 0 || tps != 0) {
                rocPoint(previousFp, previousTp, previousThreshold);
            }
        }
        beforeFp = previousFp;
        beforeTp = previousTp;
        previousFp = fp;
        previousTp = tp;
        previousThreshold = threshold;
    }

    private void rocPoint(double fps, double tps, double threshold) {
        roc.add(
                negatives <= 0 ? Double.NaN : fps / negatives,
                positives <= 0 ? Double.NaN : tps / positives,
                threshold);
    }

    /** Ends the walk: the last distinct score's point. */
    CurveWalk finish() {
        if (pending) {
            point(pendingScore);
            pending = false;
            if (points && count >= 2) {
                rocPoint(previousFp, previousTp, previousThreshold); // the last point is always kept
            }
        }
        return this;
    }

    /** As {@link Ranking#rocAuc}: throws where sklearn does. */
    double rocAuc(boolean bothClassesInTargets) {
        if (!bothClassesInTargets) {
            throw new UndefinedMetricException(
                    MetricKeys.ROC_AUC, "Only one class present in y_true. ROC AUC score is not defined in that case.");
        }
        if (!(positives > 0) || !(negatives > 0)) {
            throw new UndefinedMetricException(
                    MetricKeys.ROC_AUC, "the positive or the negative rows weigh nothing; ROC AUC is not defined");
        }
        return area;
    }

    /** As {@link Ranking#averagePrecision}. */
    double averagePrecision() {
        return positives == 0 ? -0.0 : averagePrecision;
    }

    /** The plotted points, thinned, in sklearn's order; only when asked for at construction. */
    Curves curves(Label positiveClass) {
        double[][] r = roc.finish();
        double[][] pr = precisionRecall.finish();
        int m = pr[0].length;
        double[] precision = new double[m + 1];
        double[] recall = new double[m + 1];
        double[] thresholds = new double[m];
        for (int i = 0; i < m; i++) {
            recall[i] = pr[0][m - 1 - i];
            precision[i] = pr[1][m - 1 - i];
            thresholds[i] = pr[2][m - 1 - i];
        }
        precision[m] = 1.0;
        recall[m] = 0.0;
        if (count == 0) {
            r = new double[][] {{negatives <= 0 ? Double.NaN : 0.0}, {positives <= 0 ? Double.NaN : 0.0}, {Double.NaN}};
        }
        return new Curves(positiveClass, r[0], r[1], r[2], precision, recall, thresholds);
    }
}
