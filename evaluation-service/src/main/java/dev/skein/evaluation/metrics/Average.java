package dev.skein.evaluation.metrics;

import java.util.Locale;

/** {@code evaluator_config["average"]} for multiclass recall, precision, f1 and (macro, weighted) roc_auc. */
public enum Average {
    WEIGHTED,
    MACRO,
    MICRO;

    /** MLflow's spelling: {@code weighted}, {@code macro}, {@code micro}. */
    public static Average parse(String value) {
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("average must be one of weighted, macro, micro (got '" + value + "')");
        }
    }

    public String mlflowName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
