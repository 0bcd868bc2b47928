package dev.skein.evaluation.metrics;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * MLflow 2.17.2's per-row retriever scores ({@code mlflow/metrics/metric_definitions.py}:
 * {@code _precision_at_k_eval_fn}, {@code _recall_at_k_eval_fn}, {@code _ndcg_at_k_eval_fn}) for one row: the
 * relevant doc ids (the targets) and the retrieved ones in rank order (the predictions). Only the first {@code k}
 * retrieved count. Ids compare as Python compares them: the string {@code "1"} is not the integer {@code 1}.
 */
public final class RetrieverMetrics {

    private RetrieverMetrics() {}

    /**
     * Retrieved ids among the first k that are relevant, duplicates counted each time, over how many were
     * retrieved among the first k (fewer than k when fewer were retrieved); 0 when none were retrieved.
     */
    public static double precisionAtK(List<?> relevant, List<?> retrieved, int k) {
        List<?> top = top(retrieved, k);
        if (top.isEmpty()) {
            return 0;
        }
        Set<?> truth = new HashSet<>(relevant);
        long hits = top.stream().filter(truth::contains).count();
        return (double) hits / top.size();
    }

    /**
     * Distinct relevant ids among the first k retrieved, over the distinct relevant ids. No relevant ids: 1 when
     * nothing was retrieved, else 0.
     */
    public static double recallAtK(List<?> relevant, List<?> retrieved, int k) {
        Set<?> truth = new HashSet<>(relevant);
        Set<Object> found = new HashSet<>(top(retrieved, k));
        if (truth.isEmpty()) {
            return found.isEmpty() ? 1 : 0;
        }
        found.retainAll(truth);
        return (double) found.size() / truth.size();
    }

    /**
     * NDCG with binary relevance over the first k retrieved, as sklearn's {@code ndcg_score(..., k=len(top),
     * ignore_ties=True)} scores MLflow's encoding of the row: DCG = Σ 1/log2(i + 2) over the ranks i of relevant
     * retrieved ids; the ideal DCG puts every relevant id first, cut at {@code len(top)}. A repeated retrieved id
     * is a new document, relevant when the id is (MLflow renames it and adds it to the relevant set), so it
     * raises both the DCG and the ideal. No relevant and nothing retrieved: 1; only one of them empty: 0.
     */
    public static double ndcgAtK(List<?> relevant, List<?> retrieved, int k) {
        if (retrieved.isEmpty() || relevant.isEmpty()) {
            return retrieved.isEmpty() && relevant.isEmpty() ? 1 : 0;
        }
        List<?> top = top(retrieved, k);
        Set<?> truth = new HashSet<>(relevant);
        Set<Object> seen = new HashSet<>();
        int relevantCount = truth.size();
        double dcg = 0;
        for (int i = 0; i < top.size(); i++) {
            Object doc = top.get(i);
            boolean isRelevant = truth.contains(doc);
            if (!seen.add(doc) && isRelevant) {
                relevantCount++;
            }
            if (isRelevant) {
                dcg += discount(i);
            }
        }
        double ideal = 0;
        for (int i = 0; i < Math.min(top.size(), relevantCount); i++) {
            ideal += discount(i);
        }
        return dcg / ideal;
    }

    /** sklearn's {@code 1 / (log(i + 2) / log(2))}, computed the same way. */
    private static double discount(int rank) {
        return 1 / (Math.log(rank + 2) / Math.log(2));
    }

    private static List<?> top(List<?> retrieved, int k) {
        return retrieved.size() <= k ? retrieved : retrieved.subList(0, k);
    }
}
