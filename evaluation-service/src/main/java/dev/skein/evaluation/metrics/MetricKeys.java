package dev.skein.evaluation.metrics;

/** The metric keys exactly as MLflow 2.17.2's default evaluator logs them. */
public final class MetricKeys {

    public static final String EXAMPLE_COUNT = "example_count";
    public static final String TRUE_NEGATIVES = "true_negatives";
    public static final String FALSE_POSITIVES = "false_positives";
    public static final String FALSE_NEGATIVES = "false_negatives";
    public static final String TRUE_POSITIVES = "true_positives";
    public static final String ACCURACY = "accuracy_score";
    public static final String RECALL = "recall_score";
    public static final String PRECISION = "precision_score";
    public static final String F1 = "f1_score";
    public static final String LOG_LOSS = "log_loss";
    public static final String ROC_AUC = "roc_auc";
    public static final String PRECISION_RECALL_AUC = "precision_recall_auc";

    public static final String MEAN_ABSOLUTE_ERROR = "mean_absolute_error";
    public static final String MEAN_SQUARED_ERROR = "mean_squared_error";
    public static final String ROOT_MEAN_SQUARED_ERROR = "root_mean_squared_error";
    public static final String SUM_ON_TARGET = "sum_on_target";
    public static final String MEAN_ON_TARGET = "mean_on_target";
    public static final String R2 = "r2_score";
    public static final String MAX_ERROR = "max_error";
    public static final String MEAN_ABSOLUTE_PERCENTAGE_ERROR = "mean_absolute_percentage_error";

    /** The first column of per_class_metrics.csv. */
    public static final String POSITIVE_CLASS = "positive_class";

    private MetricKeys() {}
}
