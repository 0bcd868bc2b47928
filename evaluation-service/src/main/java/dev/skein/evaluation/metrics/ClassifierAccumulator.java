package dev.skein.evaluation.metrics;

import static dev.skein.evaluation.metrics.MetricKeys.ACCURACY;
import static dev.skein.evaluation.metrics.MetricKeys.EXAMPLE_COUNT;
import static dev.skein.evaluation.metrics.MetricKeys.F1;
import static dev.skein.evaluation.metrics.MetricKeys.FALSE_NEGATIVES;
import static dev.skein.evaluation.metrics.MetricKeys.FALSE_POSITIVES;
import static dev.skein.evaluation.metrics.MetricKeys.LOG_LOSS;
import static dev.skein.evaluation.metrics.MetricKeys.PRECISION;
import static dev.skein.evaluation.metrics.MetricKeys.PRECISION_RECALL_AUC;
import static dev.skein.evaluation.metrics.MetricKeys.RECALL;
import static dev.skein.evaluation.metrics.MetricKeys.ROC_AUC;
import static dev.skein.evaluation.metrics.MetricKeys.TRUE_NEGATIVES;
import static dev.skein.evaluation.metrics.MetricKeys.TRUE_POSITIVES;

import dev.skein.evaluation.metrics.ClassifierResult.PerClassMetrics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MLflow 2.17.2's default evaluator for {@code model_type="classifier"}, fed one row at a time.
 *
 * <p>A row is a target, a prediction, optionally probabilities and optionally a sample weight. Either
 * every row has a weight or none; every row has the same number of probabilities: none, one (binary:
 * P(the label that sorts last)) or one per class in ascending label order (a model's
 * {@code predict_proba}). The label set, and so binary or multiclass, is known only at the end:
 * {@code label_list = sorted(unique(targets ∪ predictions))}, binary when it has two labels.
 *
 * <p>Memory: a confusion matrix of counts and weights for everything but the ranking metrics; only with
 * probabilities are rows kept (the target's label id, the probabilities and the weight, in primitive
 * arrays), because roc_auc and average precision rank every row. They are kept in memory while the curves of the
 * rows kept ({@link #PEAK_FACTOR} times their bytes) fit in the memory budget ({@link #memoryBudget}); past it
 * they go to temporary files in chunks of that size ({@link SpilledRows}), and the metrics are computed from
 * a merge of the chunks, with the same values ({@link CurveWalk}) and the plotted curves thinned for drawing.
 * {@link #close} removes the files.
 *
 * <p>Not thread-safe while rows are added: one accumulator per evaluation. Once fed and handed to other threads
 * safely (an executor's hand-off), its results ({@link #compute}, {@link #curves}, {@link #liftCurve}, {@link
 * #confusionMatrix}) may be asked for from several threads at once.
 */
public final class ClassifierAccumulator implements AutoCloseable {

    /** numpy's float64 eps, sklearn 1.2.1's log_loss clipping: probabilities are clipped to [eps, 1 − eps]. */
    static final double EPS = Math.ulp(1.0);

    private final Map<Label, Integer> ids = new HashMap<>();
    private final List<Label> seen = new ArrayList<>();
    /** The first {@link #FEW_LABELS} labels seen, by id: looked up before {@link #ids}. */
    private final Label[] firstLabels = new Label[FEW_LABELS];

    private long[][] counts = new long[4][4];
    private double[][] weights = new double[4][4];
    private long rows;
    private Boolean labelsAreNumbers;
    private Boolean weighted;
    private int width = -1;
    private final GrowingArrays.Ints rowTargets = new GrowingArrays.Ints();
    private final GrowingArrays.Doubles rowProbabilities = new GrowingArrays.Doubles();
    private final GrowingArrays.Doubles rowWeights = new GrowingArrays.Doubles();
    private long budget = Long.MAX_VALUE;
    /** The rows written to disk once the kept rows passed the budget; null while every row is in memory. */
    private SpilledRows spilled;

    private boolean negativeWeights;
    /** What the merged chunks give, valid while no row is added. */
    private Spill spill;

    private boolean closed;
    private long maxDiskBytes = Long.MAX_VALUE;
    private java.nio.file.Path spillParent = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
    /** Rows announced by {@link #expectRows} and not yet reserved for: the kept arrays are sized at the next row. */
    private long expectedRows;
    /** What {@link Rows} derives from the kept rows (targets, sorts, curves), valid while no row is added. */
    private volatile Derived derived;

    /**
     * Derived from the first {@code rows} kept rows: the targets as sorted label indices and how many rows each
     * label has, the curves by column and positive label and (binary only: the lift curves read them) the sorted
     * splits, so that the metrics, the plotted curves and the lift curves of one evaluation sort each column and
     * walk each curve once. Dropped when a row is added.
     */
    private record Derived(
            long rows,
            int[] target,
            long[] targetCounts,
            Map<Long, Ranking.Split> splits,
            Map<Long, Ranking.Curve> curves) {}

    private static final int FEW_LABELS = 8;

    /** Most distinct labels: past it the table is refused (a regressor's values given as a classifier's). */
    public static final int MAX_LABELS = 1000;

    /**
     * How much more memory than the kept rows the curves take at their peak, for one probability column (kept:
     * 12 bytes a row), counted: the kept arrays with their growth slack (24), the targets as sorted labels (4), the
     * sorted split (8; while it is sorted, before any curve exists, the radix sort's temporary array, 8 more), the
     * curve (24), the ROC points (28) and the precision-recall points (24) while the lift curves are computed on
     * another core (the other class's split 8, percentages 8, two lifts 16): 144 bytes a row. Runs of tied scores
     * holding both classes add up to 16 bytes a run to the lift's computation, so a table of such ties can pass it
     * by some tens of percent.
     */
    static final long PEAK_FACTOR = 12;

    /**
     * Keeps rows in memory while their curves (a label id, the probabilities and a weight per row, {@link
     * #PEAK_FACTOR} times that at the peak) take at most {@code bytes}; past it the rows go to temporary files
     * in chunks of that many rows, so that the evaluation's memory is bounded by the budget whatever the table.
     */
    public ClassifierAccumulator memoryBudget(long bytes) {
        this.budget = bytes;
        return this;
    }

    /**
     * Removes the temporary files of evaluations that a process ending without cleaning up left in {@code
     * java.io.tmpdir}, untouched for longer than {@code olderThan}: called when the service starts.
     */
    public static void sweepTemporaryFiles(java.time.Duration olderThan) {
        SpilledRows.sweep(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")), olderThan);
    }

    /** Where the temporary files go (a directory of their own is made in it): by default {@code java.io.tmpdir}. */
    public ClassifierAccumulator spillTo(java.nio.file.Path parent) {
        this.spillParent = parent;
        return this;
    }

    /** Refuses rows (an {@link InvalidInputException}) once the temporary files would take more than {@code bytes}. */
    public ClassifierAccumulator limitDiskBytes(long bytes) {
        this.maxDiskBytes = bytes;
        return this;
    }

    /** Whether rows have gone to temporary files (the budget was passed). */
    public boolean spilled() {
        return spilled != null;
    }

    /** The directory of the temporary files, while there are any. */
    public Optional<java.nio.file.Path> spillDirectory() {
        return spilled == null || closed ? Optional.empty() : Optional.of(spilled.directory());
    }

    /**
     * Announces that about {@code more} rows will be added (a table's declared row count): the kept arrays are then
     * sized once, at the next row, instead of doubling as they fill — when that many rows are within the memory
     * budget ({@link #memoryBudget}); past it nothing is reserved, and the rows go to disk in chunks as they come.
     * A hint: fewer or more rows may follow.
     */
    public void expectRows(long more) {
        expectedRows = Math.max(0, more);
    }

    public void add(Label target, Label prediction) {
        add(target, prediction, null, false, 1.0);
    }

    public void add(Label target, Label prediction, double sampleWeight) {
        add(target, prediction, null, true, sampleWeight);
    }

    /** {@code probabilities}: one value (binary, P(last label)) or one per class in ascending label order. */
    public void add(Label target, Label prediction, double[] probabilities) {
        add(target, prediction, probabilities, false, 1.0);
    }

    public void add(Label target, Label prediction, double[] probabilities, double sampleWeight) {
        add(target, prediction, probabilities, true, sampleWeight);
    }

    private void add(Label target, Label prediction, double[] probabilities, boolean hasWeight, double weight) {
        if (weighted == null) {
            weighted = hasWeight;
        } else if (weighted != hasWeight) {
            throw new InvalidInputException("either every row has a sample weight or none does");
        }
        if (hasWeight && !Double.isFinite(weight)) {
            throw new InvalidInputException("a sample weight is " + weight + " (Input contains NaN)");
        }
        if (hasWeight && weight < 0) {
            if (spilled != null) {
                throw negativeWeightsSpilled();
            }
            negativeWeights = true;
        }
        int rowWidth = probabilities == null ? 0 : probabilities.length;
        if (rowWidth > MAX_LABELS) {
            // refused before anything is kept: a column per label, at most MAX_LABELS labels
            throw new InvalidInputException(
                    "a row has " + rowWidth + " probabilities; at most " + MAX_LABELS + " (one per label)");
        }
        if (width < 0) {
            width = rowWidth;
        } else if (width != rowWidth) {
            throw new InvalidInputException(
                    "every row needs the same number of probabilities (" + width + ", then " + rowWidth + ")");
        }
        if (probabilities != null) {
            for (double p : probabilities) {
                // predict_proba never gives anything else; sklearn's check_array refuses NaN and infinity
                if (!(p >= 0.0 && p <= 1.0)) {
                    throw new InvalidInputException(
                            "a probability is " + p + (Double.isNaN(p) ? " (Input contains NaN)" : ", outside [0, 1]"));
                }
            }
        }
        int t = id(target);
        int p = id(prediction);
        counts[t][p]++;
        weights[t][p] += weight;
        rows++;
        if (derived != null) {
            derived = null; // derived from fewer rows: stale, and its memory is not left outside the budget
        }
        spill = null;
        if (width > 0) {
            if (closed) {
                throw new IllegalStateException("the accumulator is closed");
            }
            int kept = rowTargets.size();
            if (kept > 0 && PEAK_FACTOR * (kept + 1L) * (4L + 8L * width + (hasWeight ? 8L : 0L)) > budget) {
                spillKept();
            }
            if (expectedRows > 0) {
                reserve(hasWeight);
            }
            rowTargets.add(t);
            for (double v : probabilities) {
                rowProbabilities.add(v + 0.0); // -0.0 and 0.0 are one score, as numpy compares them
            }
            if (hasWeight) {
                rowWeights.add(weight);
            }
        }
    }

    /** Sizes the kept arrays for the rows {@link #expectRows} announced (this one included), if within the limit. */
    private void reserve(boolean hasWeight) {
        // the row being added is one of those announced
        long total = expectedRows > Long.MAX_VALUE - rows ? Long.MAX_VALUE : rows - 1 + expectedRows;
        expectedRows = 0;
        long rowBytes = 4L + 8L * width + (hasWeight ? 8L : 0L);
        if (total <= rows || total > (Integer.MAX_VALUE - 8) / width || total > budget / PEAK_FACTOR / rowBytes) {
            return;
        }
        rowTargets.reserve((int) total);
        rowProbabilities.reserve((int) total * width);
        if (hasWeight) {
            rowWeights.reserve((int) total);
        }
    }

    /**
     * Negative sample weights make a curve walk back and forth, so its plotted points could not be thinned to a
     * bound: they are taken only while the rows fit in memory.
     */
    private InvalidInputException negativeWeightsSpilled() {
        return new InvalidInputException("negative sample weights are taken only while the classifier's rows fit"
                + " skein.evaluation.curves-memory-bytes; this table has more rows");
    }

    /** Writes the kept rows to disk as one more chunk and empties them (their arrays stay, for the next chunk). */
    private void spillKept() {
        if (spilled == null) {
            if (negativeWeights) {
                throw negativeWeightsSpilled();
            }
            spilled = new SpilledRows(width, weighted, budget, spillParent, maxDiskBytes);
        }
        int n = rowTargets.size();
        spilled.spill(rowTargets.array(), rowProbabilities.array(), weighted ? rowWeights.array() : null, n);
        rowTargets.clear();
        rowProbabilities.clear();
        rowWeights.clear();
    }

    /** Removes the temporary files, if rows went to disk; the results are not available afterwards. */
    @Override
    public synchronized void close() {
        closed = true;
        spill = null;
        if (spilled != null) {
            spilled.close();
        }
    }

    private int id(Label label) {
        // the few labels of most tables are found by comparing with each, without hashing and boxing
        int few = Math.min(seen.size(), FEW_LABELS);
        for (int i = 0; i < few; i++) {
            Label known = firstLabels[i];
            if (known == label || known.equals(label)) { // the same instance for small whole numbers
                return i;
            }
        }
        Integer id = few < FEW_LABELS ? null : ids.get(label);
        if (id != null) {
            return id;
        }
        if (labelsAreNumbers == null) {
            labelsAreNumbers = label.isNumber();
        } else if (labelsAreNumbers != label.isNumber()) {
            throw new InvalidInputException("labels mix strings and numbers (" + seen.get(0) + ", " + label
                    + "); numpy cannot sort them, so MLflow fails too");
        }
        int next = seen.size();
        if (next == MAX_LABELS) {
            throw new InvalidInputException("more than " + MAX_LABELS
                    + " distinct labels in targets and predictions: is this a regressor's table?");
        }
        ids.put(label, next);
        seen.add(label);
        if (next < FEW_LABELS) {
            firstLabels[next] = label;
        }
        if (next == counts.length) {
            int size = counts.length * 2;
            long[][] c = new long[size][size];
            double[][] w = new double[size][size];
            for (int i = 0; i < next; i++) {
                System.arraycopy(counts[i], 0, c[i], 0, next);
                System.arraycopy(weights[i], 0, w[i], 0, next);
            }
            counts = c;
            weights = w;
        }
        return next;
    }

    public long rows() {
        return rows;
    }

    /** The labels seen so far in targets and predictions, sorted as MLflow's {@code label_list}. */
    public List<Label> labels() {
        List<Label> sorted = new ArrayList<>(seen);
        java.util.Collections.sort(sorted);
        return sorted;
    }

    /** The metrics of the rows added so far; the accumulator can take more rows afterwards. */
    public ClassifierResult compute(ClassifierOptions options) {
        Tally t = tally();
        Ranked ranked = width > 0 ? ranked(t, options) : null;
        return t.labels.size() == 2
                ? binary(t.labels, t.counts, t.weights, t.total, ranked, options)
                : multiclass(t.labels, t.counts, t.weights, t.total, ranked, options);
    }

    /**
     * The ROC and precision–recall curves MLflow plots, one sort of the kept rows per curve: binary, one curve
     * for {@code pos_label} scored by P(the last label) (what {@code _gen_classifier_curve} is given);
     * multiclass, one per class against the rest when there are at most {@code max_classes_for_multiclass_roc_pr}
     * classes. Empty without probabilities or above that limit, where MLflow draws none.
     */
    public List<Curves> curves(ClassifierOptions options) {
        if (width <= 0) {
            return List.of();
        }
        Tally t = tally();
        int k = t.labels.size();
        Ranked ranked = ranked(t, options);
        if (k == 2) {
            if (width > 2) {
                throw new InvalidInputException(
                        "the labels are binary " + t.labels + " but rows have " + width + " probabilities");
            }
            Label positive = positive(t.labels, options);
            return List.of(ranked.lastLabel(t.labels.indexOf(positive)).curves(positive));
        }
        if (width != k) {
            throw new InvalidInputException("rows have " + width + " probabilities but there are " + k + " labels "
                    + t.labels + "; multiclass needs one per class in ascending label order");
        }
        if (k > options.maxClassesForMulticlassRocPr()) {
            return List.of();
        }
        List<Curves> curves = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
            curves.add(ranked.oneVsRest(j).curves(t.labels.get(j)));
        }
        return List.copyOf(curves);
    }

    /**
     * The lift curves MLflow draws for a binary classifier with probabilities ({@code plot_lift_curve}), from the
     * kept rows, unweighted as MLflow computes them. Empty where MLflow draws none: without probabilities, for
     * a multiclass evaluation, and when the targets hold one class only (scikit-plot's ValueError, which MLflow
     * swallows).
     */
    public Optional<LiftCurve> liftCurve() {
        if (width <= 0) {
            return Optional.empty();
        }
        Tally t = tally();
        if (t.labels.size() != 2) {
            return Optional.empty();
        }
        if (width > 2) {
            throw new InvalidInputException(
                    "the labels are binary " + t.labels + " but rows have " + width + " probabilities");
        }
        if (spilled != null) {
            Spill s = spill(t, ClassifierOptions.defaults());
            return Optional.ofNullable(s.lift());
        }
        Rows rows = new Rows(t.sortedOf, 2);
        if (rows.targetCount(0) == 0 || rows.targetCount(1) == 0) {
            return Optional.empty();
        }
        int column = rows.lastLabelColumn();
        // class 0 is scored by predict_proba's first column: 1 − P(last label) when the table gives one column
        Ranking.Split first = width == 1 ? rows.split(column, 1).complemented() : rows.split(0, 0);
        return Optional.of(
                LiftCurve.of(t.labels, rows.probabilities, width, rows.target, rows.n, first, rows.split(column, 1)));
    }

    private static Curves curves(Label positive, Ranking.Curve curve) {
        Ranking.RocPoints roc = Ranking.roc(curve);
        Ranking.PrPoints pr = Ranking.precisionRecall(curve);
        return new Curves(
                positive, roc.fpr(), roc.tpr(), roc.thresholds(), pr.precision(), pr.recall(), pr.thresholds());
    }

    /**
     * {@code confusion_matrix(y, y_pred, labels=label_list, normalize="true", sample_weight)} as MLflow plots
     * it: weighted, each target's row divided by its sum (an all-zero row stays 0), in {@code label_list}
     * order, which for a binary evaluation puts {@code pos_label} last.
     */
    public ConfusionMatrix confusionMatrix(ClassifierOptions options) {
        Tally t = tally();
        int k = t.labels.size();
        int[] order = new int[k];
        for (int i = 0; i < k; i++) {
            order[i] = i;
        }
        if (k == 2) {
            int pos = t.labels.indexOf(positive(t.labels, options));
            order[0] = 1 - pos;
            order[1] = pos;
        }
        List<Label> labels = new ArrayList<>(k);
        double[][] normalized = new double[k][k];
        for (int i = 0; i < k; i++) {
            labels.add(t.labels.get(order[i]));
            double rowSum = 0;
            for (int j = 0; j < k; j++) {
                rowSum += t.weights[order[i]][order[j]];
            }
            for (int j = 0; j < k; j++) {
                double v = t.weights[order[i]][order[j]] / rowSum;
                normalized[i][j] = Double.isNaN(v) ? 0.0 : v; // np.nan_to_num after 0 / 0
            }
        }
        return new ConfusionMatrix(List.copyOf(labels), normalized);
    }

    /**
     * A binary evaluation's positive label: {@code pos_label}, by default the label that sorts last; refused when
     * it is not one of the labels.
     */
    public Label positiveLabel(ClassifierOptions options) {
        return positive(labels(), options);
    }

    private static Label positive(List<Label> labels, ClassifierOptions options) {
        Label positive = options.posLabel() == null ? labels.get(1) : options.posLabel();
        if (!labels.contains(positive)) {
            throw new InvalidInputException(
                    "pos_label=" + positive + " is not a valid label. It should be one of " + labels);
        }
        return positive;
    }

    /** The labels sorted and the confusion matrix (counts and weights) in that order. */
    private record Tally(List<Label> labels, int[] sortedOf, long[][] counts, double[][] weights, double total) {}

    private Tally tally() {
        if (rows == 0) {
            throw new InvalidInputException("no rows to evaluate (Found array with 0 sample(s))");
        }
        List<Label> labels = new ArrayList<>(seen);
        Collections.sort(labels);
        int k = labels.size();
        if (k < 2) {
            throw new InvalidInputException("Evaluation dataset for classification must contain at least two unique "
                    + "labels, but only " + k + " unique labels were found.");
        }
        int[] sortedOf = new int[k];
        for (int i = 0; i < k; i++) {
            sortedOf[ids.get(labels.get(i))] = i;
        }
        long[][] c = new long[k][k];
        double[][] w = new double[k][k];
        double total = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                c[sortedOf[i]][sortedOf[j]] = counts[i][j];
                w[sortedOf[i]][sortedOf[j]] = weights[i][j];
                total += weights[i][j];
            }
        }
        if (total == 0) {
            throw new InvalidInputException(
                    "the sample weights sum to zero (Weights sum to zero, can't be normalized)");
        }
        return new Tally(labels, sortedOf, c, w, total);
    }

    private ClassifierResult binary(
            List<Label> labels, long[][] c, double[][] w, double total, Ranked ranked, ClassifierOptions options) {
        Label positive = positive(labels, options);
        int pos = labels.indexOf(positive);
        int neg = 1 - pos;
        Map<String, Double> m = new LinkedHashMap<>();
        // confusion_matrix(y, y_pred).ravel(): sorted label order, unweighted, whatever pos_label says
        m.put(TRUE_NEGATIVES, (double) c[0][0]);
        m.put(FALSE_POSITIVES, (double) c[0][1]);
        m.put(FALSE_NEGATIVES, (double) c[1][0]);
        m.put(TRUE_POSITIVES, (double) c[1][1]);
        m.put(EXAMPLE_COUNT, (double) rows);
        m.put(ACCURACY, (w[0][0] + w[1][1]) / total);
        putPrf(m, w[pos][pos], w[neg][pos] + w[pos][pos], w[pos][neg] + w[pos][pos]);
        if (ranked != null) {
            if (width > 2) {
                throw new InvalidInputException(
                        "the labels are binary " + labels + " but rows have " + width + " probabilities");
            }
            m.put(LOG_LOSS, ranked.logLoss());
            // y_probs[:, 1]: the probability of the label that sorts last, whatever pos_label says
            boolean bothClasses = ranked.targetCount(0) > 0 && ranked.targetCount(1) > 0;
            RankedCurve lastLabel = ranked.lastLabel(1);
            m.put(ROC_AUC, lastLabel.rocAuc(bothClasses));
            // average_precision_score(y, y_probs[:, 1], pos_label): with pos_label the first label, P(last) scores it
            m.put(PRECISION_RECALL_AUC, (pos == 1 ? lastLabel : ranked.lastLabel(pos)).averagePrecision());
        }
        return new ClassifierResult(true, List.copyOf(labels), positive, Collections.unmodifiableMap(m), List.of());
    }

    private ClassifierResult multiclass(
            List<Label> labels, long[][] c, double[][] w, double total, Ranked ranked, ClassifierOptions options) {
        int k = labels.size();
        if (ranked != null && width != k) {
            throw new InvalidInputException("rows have " + width + " probabilities but there are " + k + " labels "
                    + labels + "; multiclass needs one per class in ascending label order");
        }
        double[] tp = new double[k];
        double[] predicted = new double[k];
        double[] actual = new double[k];
        for (int i = 0; i < k; i++) {
            tp[i] = w[i][i];
            for (int j = 0; j < k; j++) {
                predicted[j] += w[i][j];
                actual[i] += w[i][j];
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(EXAMPLE_COUNT, (double) rows);
        m.put(ACCURACY, sum(tp) / total);
        Average average = options.average();
        if (average == Average.MICRO) {
            putPrf(m, sum(tp), sum(predicted), sum(actual));
        } else {
            double[] precision = new double[k];
            double[] recall = new double[k];
            double[] f1 = new double[k];
            for (int i = 0; i < k; i++) {
                precision[i] = ratio(tp[i], predicted[i]);
                recall[i] = ratio(tp[i], actual[i]);
                f1[i] = f1(precision[i], recall[i]);
            }
            double[] by = average == Average.WEIGHTED ? actual : null;
            m.put(RECALL, mean(recall, by));
            m.put(PRECISION, mean(precision, by));
            m.put(F1, mean(f1, by));
        }
        RankedCurve[] curves = null;
        if (ranked != null) {
            m.put(LOG_LOSS, ranked.logLoss());
            if (average != Average.MICRO) {
                ranked.requireRowsSumToOne();
                int present = 0;
                for (int i = 0; i < k; i++) {
                    present += ranked.targetCount(i) > 0 ? 1 : 0;
                }
                if (present != k) {
                    throw new UndefinedMetricException(
                            ROC_AUC,
                            "Number of classes in y_true not equal to the number of columns in 'y_score' (" + present
                                    + " of the " + k + " labels occur as targets)");
                }
                curves = ranked.oneVsRestCurves(k);
                double[] auc = new double[k];
                double[] targetWeight = new double[k];
                for (int i = 0; i < k; i++) {
                    auc[i] = curves[i].rocAuc(true);
                    targetWeight[i] = actual[i];
                }
                m.put(ROC_AUC, mean(auc, average == Average.WEIGHTED ? targetWeight : null));
            }
        }
        boolean perClassRanking = ranked != null && k <= options.maxClassesForMulticlassRocPr();
        if (perClassRanking && curves == null) {
            curves = ranked.oneVsRestCurves(k);
        }
        List<PerClassMetrics> perClass = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            perClass.add(new PerClassMetrics(
                    labels.get(i),
                    oneVsRest(i, c, w, total, perClassRanking ? ranked : null, perClassRanking ? curves[i] : null)));
        }
        return new ClassifierResult(
                false, List.copyOf(labels), null, Collections.unmodifiableMap(m), List.copyOf(perClass));
    }

    /** _get_binary_classifier_metrics(y == label, y_pred == label, pos_label=1) plus the class's curves. */
    private Map<String, Double> oneVsRest(
            int cls, long[][] c, double[][] w, double total, Ranked ranked, RankedCurve curve) {
        int k = c.length;
        long tn = 0;
        long fp = 0;
        long fn = 0;
        double tnW = 0;
        double fpW = 0;
        double fnW = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                if (i != cls && j != cls) {
                    tn += c[i][j];
                    tnW += w[i][j];
                } else if (i != cls) {
                    fp += c[i][j];
                    fpW += w[i][j];
                } else if (j != cls) {
                    fn += c[i][j];
                    fnW += w[i][j];
                }
            }
        }
        double tpW = w[cls][cls];
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(TRUE_NEGATIVES, (double) tn);
        m.put(FALSE_POSITIVES, (double) fp);
        m.put(FALSE_NEGATIVES, (double) fn);
        m.put(TRUE_POSITIVES, (double) c[cls][cls]);
        m.put(EXAMPLE_COUNT, (double) rows);
        m.put(ACCURACY, (tpW + tnW) / total);
        putPrf(m, tpW, tpW + fpW, tpW + fnW);
        if (ranked != null) {
            m.put(ROC_AUC, curve.rocAuc(ranked.targetCount(cls) > 0 && ranked.targetCount(cls) < ranked.n()));
            m.put(PRECISION_RECALL_AUC, curve.averagePrecision());
        }
        return Collections.unmodifiableMap(m);
    }

    /** sklearn's precision_recall_fscore_support for one positive class; zero division gives 0.0. */
    private static void putPrf(Map<String, Double> m, double tp, double predicted, double actual) {
        double precision = ratio(tp, predicted);
        double recall = ratio(tp, actual);
        m.put(RECALL, recall);
        m.put(PRECISION, precision);
        m.put(F1, f1(precision, recall));
    }

    private static double ratio(double numerator, double denominator) {
        return denominator == 0 ? 0.0 : numerator / denominator;
    }

    /** sklearn 1.2.1: (1 + β²)·P·R / (β²·P + R) with β = 1, a zero denominator giving 0. */
    private static double f1(double precision, double recall) {
        double denominator = precision + recall;
        return denominator == 0 ? 0.0 : 2 * precision * recall / denominator;
    }

    private static double sum(double[] values) {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s;
    }

    /** np.average(values, weights=by); by null is the plain mean. A zero weight sum gives 0.0 (sklearn's zero_division). */
    private static double mean(double[] values, double[] by) {
        if (by == null) {
            return sum(values) / values.length;
        }
        double s = 0;
        double total = 0;
        for (int i = 0; i < values.length; i++) {
            s += values[i] * by[i];
            total += by[i];
        }
        return total == 0 ? 0.0 : s / total;
    }

    /**
     * The memo of the kept rows, made once however many threads ask at once (a second target array and sort would
     * cost the time and the memory the memo saves).
     */
    private Derived derived(int[] sortedOf, int k) {
        Derived known = derived;
        if (known != null && known.rows() == rows) {
            return known;
        }
        synchronized (this) {
            known = derived;
            if (known == null || known.rows() != rows) {
                int n = rowTargets.size();
                long[] counts = new long[k];
                int[] ids = rowTargets.array();
                boolean sorted = true; // labels first seen in their sorted order: the ids are the sorted indices
                for (int i = 0; i < k; i++) {
                    sorted &= sortedOf[i] == i;
                }
                int[] target;
                if (sorted) {
                    target = ids; // read only, and only its first n (a row added later is past them)
                    for (int i = 0; i < n; i++) {
                        counts[ids[i]]++;
                    }
                } else {
                    target = new int[n];
                    for (int i = 0; i < n; i++) {
                        target[i] = sortedOf[ids[i]];
                        counts[target[i]]++;
                    }
                }
                known = new Derived(rows, target, counts, new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
                derived = known;
            }
            return known;
        }
    }

    /** The rows as the metrics read them: kept in memory ({@link Rows}) or spilled to disk ({@link Spill}). */
    private interface Ranked {
        long n();

        long targetCount(int label);

        double logLoss();

        void requireRowsSumToOne();

        /** Binary: the rows scored by P(the last label), {@code positive} (a sorted label index) as positive. */
        RankedCurve lastLabel(int positive);

        /** Multiclass: class j against the rest, scored by its own column. */
        RankedCurve oneVsRest(int j);

        default RankedCurve[] oneVsRestCurves(int k) {
            RankedCurve[] curves = new RankedCurve[k];
            for (int j = 0; j < k; j++) {
                curves[j] = oneVsRest(j);
            }
            return curves;
        }
    }

    /** One positive class's curve: its metrics and its plotted points. */
    private interface RankedCurve {
        double rocAuc(boolean bothClassesInTargets);

        double averagePrecision();

        Curves curves(Label positive);
    }

    /** A curve of kept rows, every point of it. */
    private record KeptCurve(Ranking.Curve curve) implements RankedCurve {
        @Override
        public double rocAuc(boolean bothClassesInTargets) {
            return Ranking.rocAuc(curve, bothClassesInTargets);
        }

        @Override
        public double averagePrecision() {
            return Ranking.averagePrecision(curve);
        }

        @Override
        public Curves curves(Label positive) {
            return ClassifierAccumulator.curves(positive, curve);
        }
    }

    /** A curve walked from the merged chunks on disk. */
    private record WalkedCurve(CurveWalk walk) implements RankedCurve {
        @Override
        public double rocAuc(boolean bothClassesInTargets) {
            return walk.rocAuc(bothClassesInTargets);
        }

        @Override
        public double averagePrecision() {
            return walk.averagePrecision();
        }

        @Override
        public Curves curves(Label positive) {
            return walk.curves(positive);
        }
    }

    private Ranked ranked(Tally t, ClassifierOptions options) {
        return spilled != null ? new SpilledRanked(t, options) : new Rows(t.sortedOf, t.labels.size());
    }

    /**
     * What the merged chunks give, computed once for every question asked of them (each score's chunks merged
     * once): per (scored class, positive class) a walked curve, the lift curves (binary, both classes present),
     * {@code log_loss} and the first row whose probabilities do not sum to 1.
     */
    private record Spill(
            long rows,
            boolean points,
            long[] targetCounts,
            double logLoss,
            long badRow,
            double badSum,
            Map<Long, CurveWalk> curves,
            LiftCurve lift) {}

    /** The view of {@link Spill} the metrics read; merges nothing until a ranking metric is asked for. */
    private final class SpilledRanked implements Ranked {
        private final Tally t;
        private final ClassifierOptions options;
        private final long[] targetCounts;

        SpilledRanked(Tally t, ClassifierOptions options) {
            this.t = t;
            this.options = options;
            int k = t.labels.size();
            targetCounts = new long[k];
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    targetCounts[i] += t.counts[i][j];
                }
            }
        }

        @Override
        public long n() {
            return rows;
        }

        @Override
        public long targetCount(int label) {
            return targetCounts[label];
        }

        @Override
        public double logLoss() {
            return spill(t, options).logLoss();
        }

        @Override
        public void requireRowsSumToOne() {
            Spill s = spill(t, options);
            if (s.badRow() >= 0) {
                throw new UndefinedMetricException(
                        ROC_AUC,
                        "Target scores need to be probabilities for multiclass roc_auc, i.e. they should sum up to"
                                + " 1.0 over classes (row " + s.badRow() + " sums to " + s.badSum() + ")");
            }
        }

        @Override
        public RankedCurve lastLabel(int positive) {
            return new WalkedCurve(spill(t, options).curves().get(key(1, positive)));
        }

        @Override
        public RankedCurve oneVsRest(int j) {
            return new WalkedCurve(spill(t, options).curves().get(key(j, j)));
        }
    }

    private static long key(int scoredBy, int positive) {
        return scoredBy * (long) MAX_LABELS + positive;
    }

    /**
     * The memo of the spilled rows, made once however many threads ask at once: the kept rows are written as the
     * last chunk, then each score's chunks merged once, with the plotted points (binary always; multiclass up to
     * {@code max_classes_for_multiclass_roc_pr} classes).
     */
    private synchronized Spill spill(Tally t, ClassifierOptions options) {
        Spill known = spill;
        int k = t.labels.size();
        // the points are made whoever asks first (bounded, and cheap beside the merge), so that the lift curves'
        // thread and the metrics' share one merge with the plotted curves
        boolean wantPoints = k == 2 || k <= options.maxClassesForMulticlassRocPr();
        if (known != null && known.rows() == rows && (known.points() || !wantPoints)) {
            return known;
        }
        if (closed) {
            throw new IllegalStateException("the accumulator is closed");
        }
        if (rowTargets.size() > 0) {
            spillKept();
        }
        spilled.release();
        int[] sortedOf = t.sortedOf;
        long[] targetCounts = new long[k];
        double[] actual = new double[k]; // each target's weight, as the confusion matrix sums it
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                targetCounts[i] += t.counts[i][j];
                actual[i] += t.weights[i][j];
            }
        }
        boolean isWeighted = weighted;
        // log_loss and the row sums, in the table's order, as Rows computes them
        int columns = width == 1 ? 2 : width;
        double[] row = new double[columns];
        double[] loss = new double[2]; // the weighted sum of losses, the total weight
        long[] bad = {-1};
        double[] badSum = {0};
        spilled.forEachRow((index, id, p, weight) -> {
            int target = sortedOf[id];
            if (width == 1) {
                row[0] = 1 - p[0];
                row[1] = p[0];
            } else {
                System.arraycopy(p, 0, row, 0, width);
                if (bad[0] < 0) {
                    double s = 0;
                    for (int j = 0; j < width; j++) {
                        s += p[j];
                    }
                    if (!(Math.abs(1 - s) <= 1e-8 + 1e-5 * Math.abs(s))) {
                        bad[0] = index;
                        badSum[0] = s;
                    }
                }
            }
            double rowSum = 0;
            for (int j = 0; j < columns; j++) {
                row[j] = Math.min(Math.max(row[j], EPS), 1 - EPS);
                rowSum += row[j];
            }
            double l = -Math.log(row[target] / rowSum);
            double w = isWeighted ? weight : 1.0;
            loss[0] += l * w;
            loss[1] += w;
        });
        Map<Long, CurveWalk> curves = new HashMap<>();
        LiftCurve lift = null;
        if (k == 2 && width <= 2) {
            double positives = isWeighted ? actual[1] : targetCounts[1];
            double negatives = isWeighted ? actual[0] : targetCounts[0];
            CurveWalk one = new CurveWalk(1, isWeighted, positives, negatives, wantPoints);
            CurveWalk zero = new CurveWalk(0, isWeighted, negatives, positives, wantPoints);
            boolean both = targetCounts[0] > 0 && targetCounts[1] > 0;
            LiftWalk second = both ? new LiftWalk(1, rows, targetCounts[1]) : null;
            spilled.forEachSorted(1, (score, id, weight) -> {
                int target = sortedOf[id];
                one.row(score, target, weight);
                zero.row(score, target, weight);
                if (second != null) {
                    second.row(target);
                }
            });
            curves.put(key(1, 1), one.finish());
            curves.put(key(1, 0), zero.finish());
            if (both) {
                LiftWalk first = new LiftWalk(0, rows, targetCounts[0]);
                spilled.forEachSorted(0, (score, id, weight) -> first.row(sortedOf[id]));
                double[][] a = first.finish();
                double[][] b = second.finish();
                lift = new LiftCurve(List.copyOf(t.labels), a[0], a[1], b[0], b[1]);
            }
        } else if (k > 2 && width == k) {
            double all = 0;
            for (int i = 0; i < k; i++) {
                all += isWeighted ? actual[i] : targetCounts[i];
            }
            for (int j = 0; j < k; j++) {
                double positives = isWeighted ? actual[j] : targetCounts[j];
                double negatives = 0;
                for (int i = 0; i < k; i++) {
                    negatives += i == j ? 0 : isWeighted ? actual[i] : targetCounts[i];
                }
                CurveWalk walk = new CurveWalk(j, isWeighted, positives, negatives, wantPoints);
                spilled.forEachSorted(j, (score, id, weight) -> walk.row(score, sortedOf[id], weight));
                curves.put(key(j, j), walk.finish());
            }
        }
        known = new Spill(
                rows, wantPoints, targetCounts, loss[0] / loss[1], bad[0], badSum[0], Map.copyOf(curves), lift);
        spill = known;
        return known;
    }

    /** The kept rows, with targets as indices into the sorted labels. */
    private final class Rows implements Ranked {
        final int n;
        final int[] target;
        final double[] probabilities;
        final double[] weights;
        final long[] targetCounts;
        private final Derived memo;

        Rows(int[] sortedOf, int k) {
            n = rowTargets.size();
            probabilities = rowProbabilities.array();
            weights = weighted ? rowWeights.array() : null;
            Derived known = derived(sortedOf, k);
            memo = known;
            target = known.target();
            targetCounts = known.targetCounts();
        }

        @Override
        public long n() {
            return n;
        }

        @Override
        public long targetCount(int label) {
            return targetCounts[label];
        }

        @Override
        public RankedCurve lastLabel(int positive) {
            return new KeptCurve(lastLabelCurve(positive));
        }

        @Override
        public RankedCurve oneVsRest(int j) {
            return new KeptCurve(oneVsRestCurve(j));
        }

        /** Binary: the rows scored by P(the last label), {@code positive} (a sorted label index) as positive. */
        Ranking.Curve lastLabelCurve(int positive) {
            return curve(lastLabelColumn(), positive);
        }

        int lastLabelColumn() {
            return width == 1 ? 0 : 1;
        }

        /** Multiclass: class j against the rest, scored by its own column. */
        Ranking.Curve oneVsRestCurve(int j) {
            return curve(j, j);
        }

        /**
         * The curve of the rows scored by {@code column} with label {@code positive} positive; with binary targets
         * label 0's is label 1's with the positives and the negatives swapped.
         */
        private Ranking.Curve curve(int column, int positive) {
            if (targetCounts.length == 2 && positive == 0) {
                Ranking.Curve c = curve(column, 1);
                return new Ranking.Curve(c.fps(), c.tps(), c.thresholds(), c.points());
            }
            return memo.curves()
                    .computeIfAbsent(
                            key(column, positive),
                            key -> weights == null
                                    ? Ranking.curve(split(column, positive))
                                    : Ranking.curve(probabilities, width, column, target, positive, weights, n));
        }

        /**
         * The rows' scores in {@code column} split by whether the target is {@code positive}, each sorted; with
         * binary targets, label 0's split is label 1's swapped.
         */
        Ranking.Split split(int column, int positive) {
            if (targetCounts.length == 2 && positive == 0) {
                return split(column, 1).swapped();
            }
            if (targetCounts.length != 2) {
                return Ranking.split(probabilities, width, column, target, positive, n); // its curve is remembered
            }
            return memo.splits()
                    .computeIfAbsent(
                            key(column, positive),
                            key -> Ranking.split(probabilities, width, column, target, positive, n));
        }

        /** sklearn 1.2.1 log_loss: clip to [eps, 1 − eps], renormalise each row, −ln p(target), (weighted) mean. */
        @Override
        public double logLoss() {
            int columns = width == 1 ? 2 : width;
            double[] row = new double[columns];
            double s = 0;
            double total = 0;
            for (int i = 0; i < n; i++) {
                if (width == 1) {
                    double p = probabilities[i];
                    row[0] = 1 - p;
                    row[1] = p;
                } else {
                    System.arraycopy(probabilities, i * width, row, 0, width);
                }
                double rowSum = 0;
                for (int j = 0; j < columns; j++) {
                    row[j] = Math.min(Math.max(row[j], EPS), 1 - EPS);
                    rowSum += row[j];
                }
                double loss = -Math.log(row[target[i]] / rowSum);
                double weight = weights == null ? 1.0 : weights[i];
                s += loss * weight;
                total += weight;
            }
            return s / total;
        }

        /** roc_auc_score(multi_class="ovr") first checks np.allclose(1, row sums): |1 − s| ≤ 1e-8 + 1e-5·|s|. */
        @Override
        public void requireRowsSumToOne() {
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < width; j++) {
                    s += probabilities[i * width + j];
                }
                if (!(Math.abs(1 - s) <= 1e-8 + 1e-5 * Math.abs(s))) {
                    throw new UndefinedMetricException(
                            ROC_AUC,
                            "Target scores need to be probabilities for multiclass "
                                    + "roc_auc, i.e. they should sum up to 1.0 over classes (row " + i + " sums to " + s
                                    + ")");
                }
            }
        }
    }

    @Override
    public String toString() {
        return "ClassifierAccumulator[rows=" + rows + ", labels=" + seen.size() + ", probabilities="
                + Math.max(width, 0) + ", weighted=" + Boolean.TRUE.equals(weighted) + "]";
    }
}
