package dev.skein.evaluation.metrics;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * MLflow 2.17.2's {@code model_type="retriever"} metrics: per row the relevant doc ids (targets) and the
 * retrieved ones in rank order (predictions); {@link #compute()} gives {@code precision_at_k}, {@code
 * recall_at_k} and {@code ndcg_at_k} aggregated as MLflow logs them ({@code precision_at_3/mean}, {@code
 * /variance}, {@code /p90}, see {@link RetrieverResult}) and, when retained, each row's scores for
 * {@code eval_results_table.json}.
 *
 * <p>Doc ids are strings or integers (MLflow's {@code _validate_array_like_id_data}); anything else is refused
 * (MLflow logs none of the three metrics then, with a warning). {@code k} is MLflow's {@code retriever_k}, default
 * 3, a positive integer (MLflow skips the metrics for any other).
 *
 * <p>Memory: the aggregates need only the distinct scores and their counts; retaining per-row scores adds three
 * doubles a row.
 */
public final class RetrieverAccumulator {

    /** MLflow's default {@code retriever_k}. */
    public static final int DEFAULT_K = 3;

    private final int k;
    private final boolean retainScores;
    private final ScoreHistogram precision = new ScoreHistogram();
    private final ScoreHistogram recall = new ScoreHistogram();
    private final ScoreHistogram ndcg = new ScoreHistogram();
    private final GrowingArrays.Doubles precisionScores;
    private final GrowingArrays.Doubles recallScores;
    private final GrowingArrays.Doubles ndcgScores;
    private long rows;

    /** k = 3, per-row scores retained. */
    public RetrieverAccumulator() {
        this(DEFAULT_K, true);
    }

    /**
     * @param k MLflow's {@code retriever_k}: how many of the retrieved docs count
     * @param retainScores whether {@link RetrieverResult#scores()} will hold every row's scores (three doubles a
     *     row); without them the memory does not grow with the rows
     */
    public RetrieverAccumulator(int k, boolean retainScores) {
        if (k <= 0) {
            throw new IllegalArgumentException("retriever_k must be a positive integer, found " + k);
        }
        this.k = k;
        this.retainScores = retainScores;
        this.precisionScores = retainScores ? new GrowingArrays.Doubles() : null;
        this.recallScores = retainScores ? new GrowingArrays.Doubles() : null;
        this.ndcgScores = retainScores ? new GrowingArrays.Doubles() : null;
    }

    public int k() {
        return k;
    }

    public long rows() {
        return rows;
    }

    /**
     * Adds a row.
     *
     * @param relevant the ground-truth doc ids, any order, repeats ignored
     * @param retrieved the retrieved doc ids, best first
     * @throws InvalidInputException an id that is not a string or an integer (nothing is added)
     */
    public void add(List<?> relevant, List<?> retrieved) {
        List<Object> truth = ids(relevant, "relevant");
        List<Object> got = ids(retrieved, "retrieved");
        double p = RetrieverMetrics.precisionAtK(truth, got, k);
        double r = RetrieverMetrics.recallAtK(truth, got, k);
        double n = RetrieverMetrics.ndcgAtK(truth, got, k);
        precision.add(p);
        recall.add(r);
        ndcg.add(n);
        if (retainScores) {
            precisionScores.add(p);
            recallScores.add(r);
            ndcgScores.add(n);
        }
        rows++;
    }

    /**
     * The metrics in MLflow's order. @throws InvalidInputException no rows (MLflow logs no retriever metric for
     * an empty dataset)
     */
    public RetrieverResult compute() {
        if (rows == 0) {
            throw new InvalidInputException("no rows to evaluate");
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        aggregate(metrics, RetrieverResult.precisionName(k), precision);
        aggregate(metrics, RetrieverResult.recallName(k), recall);
        aggregate(metrics, RetrieverResult.ndcgName(k), ndcg);
        Optional<Map<String, double[]>> scores = Optional.empty();
        if (retainScores) {
            Map<String, double[]> columns = new LinkedHashMap<>();
            columns.put(RetrieverResult.precisionName(k) + "/score", copy(precisionScores));
            columns.put(RetrieverResult.recallName(k) + "/score", copy(recallScores));
            columns.put(RetrieverResult.ndcgName(k) + "/score", copy(ndcgScores));
            scores = Optional.of(columns);
        }
        return new RetrieverResult(k, rows, metrics, scores);
    }

    private static void aggregate(Map<String, Double> metrics, String name, ScoreHistogram scores) {
        metrics.put(name + "/mean", scores.mean());
        metrics.put(name + "/variance", scores.variance());
        metrics.put(name + "/p90", scores.percentile(90));
    }

    private static double[] copy(GrowingArrays.Doubles scores) {
        return Arrays.copyOf(scores.array(), scores.size());
    }

    /** Integers as {@code Long} (or {@code BigInteger} beyond it), so that 1 from JSON equals 1 from Java. */
    private static List<Object> ids(List<?> values, String which) {
        if (values == null) {
            throw new InvalidInputException("the " + which + " doc ids are missing");
        }
        List<Object> ids = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            Object v = values.get(i);
            if (v instanceof String) {
                ids.add(v);
            } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
                ids.add(((Number) v).longValue());
            } else if (v instanceof BigInteger b) {
                ids.add(b.bitLength() < 64 ? (Object) b.longValue() : b);
            } else {
                throw new InvalidInputException("the " + which + " doc ids must be strings or integers; item " + i
                        + " is " + (v == null ? "missing" : v.getClass().getSimpleName() + " " + v));
            }
        }
        return ids;
    }
}
