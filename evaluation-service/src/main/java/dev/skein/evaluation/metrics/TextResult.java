package dev.skein.evaluation.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metrics of a text model type as MLflow 2.17.2 logs them (see {@link TextAccumulator}).
 *
 * @param rows the rows evaluated
 * @param metrics the aggregates by key, in MLflow's order
 * @param scores each row's scores by their {@code eval_results_table.json} column ({@code token_count}, {@code
 *     <metric>/v1/score}), in row order; NaN where a row has no score
 * @param unavailable the metrics MLflow would log for the type that were not computed, by key, with the reason
 */
public record TextResult(
        long rows, Map<String, Double> metrics, Map<String, double[]> scores, Map<String, String> unavailable) {

    public TextResult {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        scores = Collections.unmodifiableMap(new LinkedHashMap<>(scores));
        unavailable = Collections.unmodifiableMap(new LinkedHashMap<>(unavailable));
    }
}
