package dev.skein.evaluation.metrics;

/**
 * One class's lift ({@link LiftCurve}) computed as the rows come by descending score (among equal scores the
 * row further down the table first, as numpy's reversed argsort gives them), thinned for drawing by
 * {@link PlotPoints}: at the i-th row the share of the class's rows seen over {@code i / n}, every row once.
 */
final class LiftWalk {

    private final int cls;
    private final long n;
    private final long total;
    private final PlotPoints points = new PlotPoints();
    private long seen;
    private long gained;

    LiftWalk(int cls, long n, long total) {
        this.cls = cls;
        this.n = n;
        this.total = total;
    }

    void row(int target) {
        if (target == cls) {
            gained++;
        }
        seen++;
        double percentage = seen / (double) n; // np.arange(1, n + 1) / float(n)
        points.add(percentage, (gained / (double) total) / percentage, 0);
    }

    /** x (the percentages) and y (the lifts) of the points kept. */
    double[][] finish() {
        double[][] p = points.finish();
        return new double[][] {p[0], p[1]};
    }
}
