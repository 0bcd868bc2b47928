package dev.skein.evaluation.metrics;

import dev.skein.evaluation.metrics.text.Rouge;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;

/**
 * MLflow 2.17.2's metrics for its text model types, row by row: {@code question-answering} (the text metrics and
 * {@code exact_match}), {@code text-summarization} (the text metrics and ROUGE) and {@code text} (the text
 * metrics). The text metrics are {@code token_count} (per row only: MLflow logs no aggregate of it), {@code
 * toxicity} (never computed here: it needs a model, so it is reported unavailable), {@code
 * flesch_kincaid_grade_level} and {@code ari_grade_level}.
 *
 * <p>Keys as MLflow logs them: a metric made with {@code version="v1"} is named {@code <name>/v1}, its
 * aggregates {@code <name>/v1/mean}, {@code /variance}, {@code /p90} (numpy's mean, population variance and
 * linear 90th percentile over every row's score) and {@code exact_match/v1} for the single aggregate whose name
 * is the metric's. The per-row scores are {@code eval_results_table.json}'s columns: {@code token_count} and
 * {@code <name>/v1/score}.
 *
 * <p>As MLflow's {@code _validate_text_data} does, one prediction that is not a string (a number, a missing
 * value) drops the readability metrics and ROUGE for the whole table, and one such target drops ROUGE; {@code
 * token_count} then scores that row with no value. Each dropped metric is in {@link TextResult#unavailable()}
 * with the reason, never a made-up value.
 *
 * <p>Memory: each row's scores are kept (at most seven doubles a row) for the results table and the percentile.
 */
public final class TextAccumulator {

    /** MLflow's text model types. */
    public enum ModelType {
        QUESTION_ANSWERING("question-answering"),
        TEXT_SUMMARIZATION("text-summarization"),
        TEXT("text");

        private final String mlflowName;

        ModelType(String mlflowName) {
            this.mlflowName = mlflowName;
        }

        public String mlflowName() {
            return mlflowName;
        }

        public static ModelType of(String mlflowName) {
            for (ModelType t : values()) {
                if (t.mlflowName.equals(mlflowName)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("not a text model type: " + mlflowName);
        }
    }

    /** The per-row scorers MLflow takes from tiktoken and textstat. */
    public record Scorers(
            ToIntFunction<String> tokenCount,
            ToDoubleFunction<String> fleschKincaidGrade,
            ToDoubleFunction<String> automatedReadabilityIndex) {}

    public static final String TOKEN_COUNT = "token_count";
    public static final String TOXICITY = "toxicity/v1";
    public static final String FLESCH_KINCAID = "flesch_kincaid_grade_level/v1";
    public static final String ARI = "ari_grade_level/v1";
    public static final String EXACT_MATCH = "exact_match/v1";
    public static final String ROUGE1 = "rouge1/v1";
    public static final String ROUGE2 = "rouge2/v1";
    public static final String ROUGE_L = "rougeL/v1";
    public static final String ROUGE_LSUM = "rougeLsum/v1";

    /** Why toxicity is never computed here. */
    static final String TOXICITY_REASON = "toxicity needs the roberta-hate-speech-dynabench-r4 classifier model"
            + " (Hugging Face evaluate's toxicity measurement), which does not run in Skein";

    private final ModelType type;
    private final boolean hasTargets;
    private final Scorers scorers;
    private final GrowingArrays.Doubles tokens = new GrowingArrays.Doubles();
    private final GrowingArrays.Doubles fleschKincaid = new GrowingArrays.Doubles();
    private final GrowingArrays.Doubles ari = new GrowingArrays.Doubles();
    private final GrowingArrays.Doubles rouge1 = new GrowingArrays.Doubles();
    private final GrowingArrays.Doubles rouge2 = new GrowingArrays.Doubles();
    private final GrowingArrays.Doubles rougeL = new GrowingArrays.Doubles();
    private final GrowingArrays.Doubles rougeLsum = new GrowingArrays.Doubles();
    /** Why a metric was dropped, by key, the first reason only. */
    private final Map<String, String> dropped = new LinkedHashMap<>();

    private long rows;
    private long matches;
    private boolean sawString;
    private boolean sawNumber;
    private boolean readable = true;
    private boolean rougeable;
    private boolean rougeLComputed;

    /**
     * @param hasTargets whether the table has a targets column; without one {@code exact_match} and ROUGE are
     *     unavailable (MLflow cannot compute them)
     */
    public TextAccumulator(ModelType type, boolean hasTargets, Scorers scorers) {
        this.type = type;
        this.hasTargets = hasTargets;
        this.scorers = scorers;
        this.rougeable = hasTargets && type == ModelType.TEXT_SUMMARIZATION;
        this.rougeLComputed = rougeable;
    }

    public ModelType type() {
        return type;
    }

    public long rows() {
        return rows;
    }

    /**
     * Adds a row: its prediction and its target (ignored without targets), each a {@code String}, a {@code
     * Number}, another value read from the table, or {@code null} when missing.
     */
    public void add(Object prediction, Object target) {
        rows++;
        checkLength(prediction, "prediction");
        checkLength(target, "target");
        String text = prediction instanceof String s ? s : null;
        tokens.add(text == null ? Double.NaN : scorers.tokenCount().applyAsInt(text));
        if (readable && text == null) {
            drop(FLESCH_KINCAID, "row " + rows + ": the prediction is " + describe(prediction) + ", not a string");
            drop(ARI, "row " + rows + ": the prediction is " + describe(prediction) + ", not a string");
            readable = false;
        }
        if (readable) {
            fleschKincaid.add(scorers.fleschKincaidGrade().applyAsDouble(text));
            ari.add(scorers.automatedReadabilityIndex().applyAsDouble(text));
        }
        if (type == ModelType.QUESTION_ANSWERING && hasTargets && !dropped.containsKey(EXACT_MATCH)) {
            exactMatch(prediction, target);
        }
        if (rougeable) {
            rouge(text, prediction, target);
        }
    }

    private void exactMatch(Object prediction, Object target) {
        sawString |= prediction instanceof String || target instanceof String;
        sawNumber |= prediction instanceof Number || target instanceof Number;
        if (sawString && sawNumber) {
            // sklearn's accuracy_score cannot sort a column of strings and numbers
            drop(EXACT_MATCH, "row " + rows + ": the targets and predictions mix strings and numbers");
        } else if (prediction == null || target == null) {
            drop(EXACT_MATCH, "row " + rows + ": the " + (target == null ? "target" : "prediction") + " is missing");
        } else if (prediction instanceof String != target instanceof String
                || prediction instanceof Number != target instanceof Number) {
            // sklearn's accuracy_score refuses a mix of label types
            drop(
                    EXACT_MATCH,
                    "row " + rows + ": the target is " + describe(target) + " and the prediction "
                            + describe(prediction) + "; exact_match compares values of one type");
        } else if (prediction instanceof Number p && target instanceof Number t
                ? p.doubleValue() == t.doubleValue()
                : prediction.equals(target)) {
            matches++;
        }
    }

    private void rouge(String text, Object prediction, Object target) {
        if (text == null || !(target instanceof String reference)) {
            String why =
                    text == null ? "the prediction is " + describe(prediction) : "the target is " + describe(target);
            for (String key : List.of(ROUGE1, ROUGE2, ROUGE_L, ROUGE_LSUM)) {
                drop(key, "row " + rows + ": " + why + ", not a string");
            }
            rougeable = false;
            return;
        }
        Rouge.Scores s = Rouge.score(text, reference, rougeLComputed);
        rouge1.add(s.rouge1());
        rouge2.add(s.rouge2());
        if (rougeLComputed && Double.isNaN(s.rougeL())) {
            String why = "row " + rows + ": the prediction's and the target's token counts multiply past the limit of "
                    + Rouge.MAX_LCS_CELLS + " token pairs compared";
            drop(ROUGE_L, why);
            drop(ROUGE_LSUM, why);
            rougeLComputed = false;
        }
        if (rougeLComputed) {
            rougeL.add(s.rougeL());
            rougeLsum.add(s.rougeLsum());
        }
    }

    /**
     * Most characters of one text: the scorers' memory grows with a text (the tokenizer takes about 23 bytes a
     * UTF-8 byte), so one huge cell must not exhaust the heap.
     */
    public static final int MAX_TEXT_CHARS = 1_000_000;

    private void checkLength(Object value, String what) {
        if (value instanceof String s && s.length() > MAX_TEXT_CHARS) {
            throw new InvalidInputException("row " + rows + ": the " + what + " holds " + s.length()
                    + " characters; the text metrics take at most " + MAX_TEXT_CHARS + " a cell");
        }
    }

    private void drop(String key, String reason) {
        dropped.putIfAbsent(key, reason);
    }

    /** The metrics, the per-row score columns and what could not be computed. */
    public TextResult compute() {
        if (rows == 0) {
            throw new InvalidInputException("no rows to evaluate");
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        Map<String, double[]> scores = new LinkedHashMap<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        scores.put(TOKEN_COUNT, copy(tokens));
        unavailable.put(TOXICITY, TOXICITY_REASON);
        if (readable) {
            aggregate(FLESCH_KINCAID, fleschKincaid, metrics, scores);
            aggregate(ARI, ari, metrics, scores);
        }
        switch (type) {
            case QUESTION_ANSWERING -> {
                if (!hasTargets) {
                    drop(EXACT_MATCH, "exact_match needs targets (spec.targets)");
                }
                if (!dropped.containsKey(EXACT_MATCH)) {
                    // sklearn's accuracy_score: the share of rows whose prediction equals the target
                    metrics.put(EXACT_MATCH, (double) matches / rows);
                }
            }
            case TEXT_SUMMARIZATION -> {
                if (!hasTargets) {
                    for (String key : List.of(ROUGE1, ROUGE2, ROUGE_L, ROUGE_LSUM)) {
                        drop(key, key.substring(0, key.indexOf('/')) + " needs targets (spec.targets)");
                    }
                }
                if (rougeable) {
                    aggregate(ROUGE1, rouge1, metrics, scores);
                    aggregate(ROUGE2, rouge2, metrics, scores);
                    if (rougeLComputed) {
                        aggregate(ROUGE_L, rougeL, metrics, scores);
                        aggregate(ROUGE_LSUM, rougeLsum, metrics, scores);
                    }
                }
            }
            case TEXT -> {}
        }
        unavailable.putAll(dropped);
        return new TextResult(rows, metrics, scores, unavailable);
    }

    private static void aggregate(
            String key, GrowingArrays.Doubles values, Map<String, Double> metrics, Map<String, double[]> scores) {
        double[] inRowOrder = copy(values);
        double[] aggregates = ScoreHistogram.meanVarianceP90(inRowOrder.clone());
        metrics.put(key + "/mean", aggregates[0]);
        metrics.put(key + "/variance", aggregates[1]);
        metrics.put(key + "/p90", aggregates[2]);
        scores.put(key + "/score", inRowOrder);
    }

    private static double[] copy(GrowingArrays.Doubles values) {
        return Arrays.copyOf(values.array(), values.size());
    }

    private static String describe(Object value) {
        if (value == null) {
            return "missing";
        }
        if (value instanceof String) {
            return "a string";
        }
        return (value instanceof Number ? "the number " : "the value ") + abbreviate(String.valueOf(value));
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
