package dev.skein.evaluation.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Retriever metrics as MLflow 2.17.2 logs them for {@code retriever_k = k}: for each of {@code precision_at_k},
 * {@code recall_at_k}, {@code ndcg_at_k} (in that order) the keys {@code <name>/mean}, {@code <name>/variance}
 * and {@code <name>/p90} (e.g. {@code precision_at_3/mean}).
 *
 * @param k the {@code retriever_k} used
 * @param rows the rows evaluated
 * @param metrics the nine values by key, in MLflow's order
 * @param scores when retained, each row's scores by the column name MLflow gives them in {@code
 *     eval_results_table.json} ({@code precision_at_3/score}, {@code recall_at_3/score}, {@code ndcg_at_3/score}),
 *     in row order
 */
public record RetrieverResult(int k, long rows, Map<String, Double> metrics, Optional<Map<String, double[]>> scores) {

    public RetrieverResult {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        scores = scores.map(s -> Collections.unmodifiableMap(new LinkedHashMap<>(s)));
    }

    public static String precisionName(int k) {
        return "precision_at_" + k;
    }

    public static String recallName(int k) {
        return "recall_at_" + k;
    }

    public static String ndcgName(int k) {
        return "ndcg_at_" + k;
    }
}
