package dev.skein.evaluation.output;

import dev.skein.evaluation.metrics.ConfusionMatrix;
import dev.skein.evaluation.metrics.Label;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.image.BufferedImage;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYLineAnnotation;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYDataset;
import org.jfree.data.xy.DefaultXYZDataset;

/**
 * MLflow's classifier plots drawn with JFreeChart: the same data, titles, axis labels, legends and colours
 * as MLflow's matplotlib figures, not the same pixels. Rendered off-screen; no display is needed.
 */
final class Plots {

    static {
        // A server has no display: AWT must not look for one. Respect an explicit setting.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** matplotlib's default figure, 6.4 × 4.8 in at 100 dpi. */
    static final int CURVE_WIDTH = 640;

    static final int CURVE_HEIGHT = 480;
    /** Multiclass curves put the legend right of the plot (MLflow: bbox_to_anchor=(1, 0.5)), so wider. */
    static final int MULTICLASS_CURVE_WIDTH = 960;
    /** MLflow's confusion matrix figure: 6 × 4 in at 175 dpi. */
    static final int MATRIX_WIDTH = 1050;

    static final int MATRIX_HEIGHT = 700;

    /** matplotlib's default colour cycle (tab10), which MLflow's curves use in order. */
    private static final Color[] TAB10 = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)
    };

    /** matplotlib's "Blues" colormap, its nine anchor colours from light to dark. */
    private static final Color[] BLUES = {
        new Color(0xf7fbff),
        new Color(0xdeebf7),
        new Color(0xc6dbef),
        new Color(0x9ecae1),
        new Color(0x6baed6),
        new Color(0x4292c6),
        new Color(0x2171b5),
        new Color(0x08519c),
        new Color(0x08306b)
    };

    private Plots() {}

    /** One line of a curve plot: its legend entry and its points. */
    record Line(String legend, double[] x, double[] y) {}

    /**
     * A step plot (matplotlib's {@code drawstyle="steps-post"}, line width 1) with the gray dashed diagonal MLflow
     * adds, from {@code (0, diagonalStartY)} to {@code (1, 1 − diagonalStartY)}.
     */
    static byte[] curves(
            String title, String xLabel, String yLabel, List<Line> lines, double diagonalStartY, boolean legendRight) {
        DefaultXYDataset data = new DefaultXYDataset();
        XYStepRenderer renderer = new XYStepRenderer();
        renderer.setStepPoint(1.0);
        renderer.setDefaultShapesVisible(false);
        for (int i = 0; i < lines.size(); i++) {
            Line line = lines.get(i);
            data.addSeries(line.legend(), thin(line.x(), line.y(), legendRight ? MULTICLASS_CURVE_WIDTH : CURVE_WIDTH));
            renderer.setSeriesPaint(i, TAB10[i % TAB10.length]);
            renderer.setSeriesStroke(i, new BasicStroke(1.5f));
        }
        NumberAxis x = new NumberAxis(xLabel);
        NumberAxis y = new NumberAxis(yLabel);
        // matplotlib's autoscale: the data's range (here [0, 1]) plus 5% margins
        x.setRange(-0.05, 1.05);
        y.setRange(-0.05, 1.05);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.addAnnotation(new XYLineAnnotation(
                0,
                diagonalStartY,
                1,
                1 - diagonalStartY,
                new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f),
                new Color(128, 128, 128, 77)));
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getLegend().setPosition(legendRight ? RectangleEdge.RIGHT : RectangleEdge.BOTTOM);
        return png(chart, legendRight ? MULTICLASS_CURVE_WIDTH : CURVE_WIDTH, CURVE_HEIGHT);
    }

    /**
     * The points a step plot {@code width} pixels wide can show: a point is kept when it is a quarter of a
     * pixel or more from the last one kept (in x or y), and the first and last are always kept. A curve of a
     * million distinct scores draws as a few thousand steps, the same picture, in a fraction of the time and
     * memory; the logged metrics never use these points.
     */
    static double[][] thin(double[] x, double[] y, int width) {
        return thin(x, y, width, 1.0 / (4.0 * width), 1.0 / (4.0 * width));
    }

    /**
     * {@link #thin(double[], double[], int)} for axes that are not both [0, 1]: a point is kept when it is at
     * least {@code xStep} or {@code yStep} (in data units) from the last one kept.
     */
    static double[][] thin(double[] x, double[] y, int width, double xStep, double yStep) {
        int n = x.length;
        if (n <= 4 * width) {
            return new double[][] {x, y};
        }
        double[] keptX = new double[Math.min(n, 16 * width + 2)];
        double[] keptY = new double[keptX.length];
        int k = 0;
        keptX[k] = x[0];
        keptY[k++] = y[0];
        for (int i = 1; i < n - 1; i++) {
            if (Math.abs(x[i] - keptX[k - 1]) >= xStep || Math.abs(y[i] - keptY[k - 1]) >= yStep) {
                if (k == keptX.length - 1) {
                    keptX = java.util.Arrays.copyOf(keptX, keptX.length * 2);
                    keptY = java.util.Arrays.copyOf(keptY, keptY.length * 2);
                }
                keptX[k] = x[i];
                keptY[k++] = y[i];
            }
        }
        keptX[k] = x[n - 1];
        keptY[k++] = y[n - 1];
        return new double[][] {java.util.Arrays.copyOf(keptX, k), java.util.Arrays.copyOf(keptY, k)};
    }

    /**
     * scikit-plot's lift chart as MLflow draws it ({@code plot_lift_curve}): each line plotted point to point
     * (matplotlib's {@code lw=3}) in the default colours, the black dashed "Baseline" at lift 1 from x = 0 to 1
     * ({@code "k--", lw=2}) as the last legend entry, a grid, and matplotlib's autoscale: the data's range
     * (the baseline included) plus 5% margins. Lines of many points are thinned to what the image can show.
     */
    static byte[] lines(String title, String xLabel, String yLabel, List<Line> lines, String baselineLegend) {
        double low = 1;
        double high = 1;
        for (Line line : lines) {
            for (double v : line.y()) {
                low = Math.min(low, v);
                high = Math.max(high, v);
            }
        }
        double ySpan = high - low;
        DefaultXYDataset data = new DefaultXYDataset();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < lines.size(); i++) {
            Line line = lines.get(i);
            double yStep = ySpan > 0 ? ySpan / (4.0 * CURVE_HEIGHT) : Double.POSITIVE_INFINITY;
            data.addSeries(line.legend(), thin(line.x(), line.y(), CURVE_WIDTH, 1.0 / (4.0 * CURVE_WIDTH), yStep));
            renderer.setSeriesPaint(i, TAB10[i % TAB10.length]);
            renderer.setSeriesStroke(i, new BasicStroke(4f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        }
        int baseline = lines.size();
        data.addSeries(baselineLegend, new double[][] {{0, 1}, {1, 1}});
        renderer.setSeriesPaint(baseline, Color.BLACK);
        renderer.setSeriesStroke(
                baseline,
                new BasicStroke(2.8f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {10f, 4f}, 0f));
        NumberAxis x = new NumberAxis(xLabel);
        NumberAxis y = new NumberAxis(yLabel);
        x.setRange(-0.05, 1.05);
        double margin = ySpan > 0 ? ySpan * 0.05 : 0.05; // matplotlib widens a flat range too
        y.setRange(low - margin, high + margin);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        // ax.grid("on"): matplotlib's default grid, thin solid light gray at the major ticks
        plot.setDomainGridlinesVisible(true);
        plot.setRangeGridlinesVisible(true);
        plot.setDomainGridlinePaint(new Color(0xb0b0b0));
        plot.setRangeGridlinePaint(new Color(0xb0b0b0));
        plot.setDomainGridlineStroke(new BasicStroke(1f));
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getLegend().setPosition(RectangleEdge.BOTTOM);
        return png(chart, CURVE_WIDTH, CURVE_HEIGHT);
    }

    /**
     * sklearn's ConfusionMatrixDisplay as MLflow calls it: true labels down, predicted labels across, the
     * "Blues" colormap scaled to the matrix's range with a colour bar, each cell's value as {@code .2g} in the
     * darkest colour on light cells and the lightest on dark ones (below or above the range's midpoint).
     */
    static byte[] confusionMatrix(ConfusionMatrix matrix) {
        List<Label> labels = matrix.labels();
        int k = labels.size();
        double[][] cm = matrix.normalized();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double[] xs = new double[k * k];
        double[] ys = new double[k * k];
        double[] zs = new double[k * k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                xs[i * k + j] = j;
                ys[i * k + j] = i;
                zs[i * k + j] = cm[i][j];
                min = Math.min(min, cm[i][j]);
                max = Math.max(max, cm[i][j]);
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("normalized", new double[][] {xs, ys, zs});
        String[] names = labels.stream().map(Label::toString).toArray(String[]::new);
        SymbolAxis predicted = new SymbolAxis("Predicted label", names);
        SymbolAxis truth = new SymbolAxis("True label", names);
        truth.setInverted(true); // the first label on top, as imshow draws row 0
        predicted.setGridBandsVisible(false);
        truth.setGridBandsVisible(false);
        // MLflow: font.size = min(8, ceil(50 / classes)) points, at 175 dpi
        float points = (float) Math.min(8, Math.ceil(50.0 / k));
        Font tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, Math.round(points * 175 / 72));
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, Math.round(8f * 175 / 72));
        predicted.setTickLabelFont(tickFont);
        truth.setTickLabelFont(tickFont);
        predicted.setLabelFont(labelFont);
        truth.setLabelFont(labelFont);
        BluesScale scale = new BluesScale(min, max);
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        XYPlot plot = new XYPlot(data, predicted, truth, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        double threshold = (max + min) / 2;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                XYTextAnnotation text = new XYTextAnnotation(PythonFormat.general2(cm[i][j]), j, i);
                text.setFont(tickFont);
                text.setPaint(cm[i][j] < threshold ? BLUES[BLUES.length - 1] : BLUES[0]);
                plot.addAnnotation(text);
            }
        }
        JFreeChart chart = new JFreeChart(plot);
        chart.removeLegend();
        chart.setTitle(new TextTitle("Normalized confusion matrix", labelFont));
        NumberAxis barAxis = new NumberAxis();
        barAxis.setTickLabelFont(tickFont);
        PaintScaleLegend bar = new PaintScaleLegend(scale, barAxis);
        bar.setPosition(RectangleEdge.RIGHT);
        bar.setStripWidth(30);
        bar.setMargin(40, 20, 40, 10);
        chart.addSubtitle(bar);
        chart.setBackgroundPaint(Color.WHITE);
        return png(chart, MATRIX_WIDTH, MATRIX_HEIGHT);
    }

    /** The chart drawn opaque (its background is white) and encoded by {@link Png}. */
    private static byte[] png(JFreeChart chart, int width, int height) {
        return Png.encode(chart.createBufferedImage(width, height, BufferedImage.TYPE_INT_RGB, null));
    }

    /** "Blues" between the matrix's min and max, linear between the anchors, as imshow's default norm. */
    private record BluesScale(double lower, double upper) implements PaintScale {

        @Override
        public double getLowerBound() {
            return lower;
        }

        @Override
        public double getUpperBound() {
            // a constant matrix still needs a non-empty range for the colour bar
            return upper > lower ? upper : lower + 1;
        }

        @Override
        public Paint getPaint(double value) {
            double t = (value - lower) / (getUpperBound() - lower);
            t = Double.isNaN(t) ? 0 : Math.max(0, Math.min(1, t));
            double position = t * (BLUES.length - 1);
            int a = (int) Math.floor(position);
            int b = Math.min(a + 1, BLUES.length - 1);
            double f = position - a;
            return new Color(
                    mix(BLUES[a].getRed(), BLUES[b].getRed(), f),
                    mix(BLUES[a].getGreen(), BLUES[b].getGreen(), f),
                    mix(BLUES[a].getBlue(), BLUES[b].getBlue(), f));
        }

        private static int mix(int from, int to, double f) {
            return (int) Math.round(from + (to - from) * f);
        }
    }
}
