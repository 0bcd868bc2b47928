package dev.skein.evaluation.metrics.text;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * ROUGE F-measures of one prediction against one reference, as MLflow 2.17.2's {@code rouge1}, {@code rouge2},
 * {@code rougeL} and {@code rougeLsum} compute them: Hugging Face {@code evaluate}'s {@code rouge} with its
 * defaults ({@code use_stemmer=False}, {@code use_aggregator=False}), which is Google's {@code rouge_score}
 * scorer. Each row's score is the F-measure {@code 2PR/(P+R)} (0 when P+R is 0).
 *
 * <ul>
 *   <li>Tokens: the text lower-cased, every run of characters other than {@code a-z} and {@code 0-9} a
 *       separator (so accented and non-Latin letters separate words and are dropped).
 *   <li>{@code rougeN}: n-gram overlap, each n-gram counted at most as often as it occurs on both sides; P over
 *       the prediction's n-grams, R over the reference's.
 *   <li>{@code rougeL}: the longest common subsequence of the two token lists.
 *   <li>{@code rougeLsum}: summary-level LCS: both texts split into sentences at {@code "\n"} (empty lines
 *       dropped); for each reference sentence the union of its LCS positions with every prediction sentence,
 *       each token counted at most as often as it is still unused on both sides.
 * </ul>
 */
public final class Rouge {

    /** The F-measures of one (prediction, reference) pair. */
    public record Scores(double rouge1, double rouge2, double rougeL, double rougeLsum) {}

    private static final Pattern NON_ALPHANUMERIC = Pattern.compile("[^a-z0-9]+");

    private Rouge() {}

    /**
     * Most token pairs the LCS of one row may compare: {@code rougeL} and {@code rougeLsum} take time in the product
     * of the two texts' token counts, and {@code rougeLsum} keeps each sentence pair's table whole (rouge_score
     * walks it back): at most 64 MiB of ints.
     */
    public static final long MAX_LCS_CELLS = 16_000_000;

    /**
     * The four F-measures; {@code rougeL} and {@code rougeLsum} are NaN when the texts' token counts multiply past
     * {@link #MAX_LCS_CELLS}, and {@code rougeLsum} is NaN too with {@code withLsum} false.
     */
    public static Scores score(String prediction, String reference, boolean withLsum) {
        List<String> predicted = tokens(prediction);
        List<String> target = tokens(reference);
        boolean lcs = (long) predicted.size() * target.size() <= MAX_LCS_CELLS;
        return new Scores(
                ngram(target, predicted, 1),
                ngram(target, predicted, 2),
                lcs ? lcs(target, predicted) : Double.NaN,
                lcs && withLsum ? summaryLevelLcs(sentences(reference), sentences(prediction)) : Double.NaN);
    }

    /** rouge_score's default tokenizer, without stemming. */
    static List<String> tokens(String text) {
        // Python's str.lower() and Java's root-locale lower case agree on what can survive the filter: a-z, 0-9
        String cleaned = NON_ALPHANUMERIC.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ");
        List<String> tokens = new ArrayList<>();
        for (String t : cleaned.split(" ")) {
            if (!t.isEmpty()) {
                tokens.add(t);
            }
        }
        return tokens;
    }

    private static List<List<String>> sentences(String text) {
        List<List<String>> sentences = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (!line.isEmpty()) {
                sentences.add(tokens(line));
            }
        }
        return sentences;
    }

    static double fmeasure(double precision, double recall) {
        return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
    }

    private static double ngram(List<String> target, List<String> prediction, int n) {
        Map<List<String>, Integer> targetGrams = ngrams(target, n);
        Map<List<String>, Integer> predictionGrams = ngrams(prediction, n);
        int overlap = 0;
        for (Map.Entry<List<String>, Integer> e : targetGrams.entrySet()) {
            overlap += Math.min(e.getValue(), predictionGrams.getOrDefault(e.getKey(), 0));
        }
        int targetCount = Math.max(0, target.size() - n + 1);
        int predictionCount = Math.max(0, prediction.size() - n + 1);
        double precision = (double) overlap / Math.max(predictionCount, 1);
        double recall = (double) overlap / Math.max(targetCount, 1);
        return fmeasure(precision, recall);
    }

    private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
        Map<List<String>, Integer> grams = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            grams.merge(tokens.subList(i, i + n), 1, Integer::sum);
        }
        return grams;
    }

    private static double lcs(List<String> target, List<String> prediction) {
        if (target.isEmpty() || prediction.isEmpty()) {
            return 0.0;
        }
        // the length only: two rows of the table
        int[] previous = new int[prediction.size() + 1];
        int[] current = new int[prediction.size() + 1];
        for (String token : target) {
            for (int j = 1; j <= prediction.size(); j++) {
                current[j] = token.equals(prediction.get(j - 1))
                        ? previous[j - 1] + 1
                        : Math.max(previous[j], current[j - 1]);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        int length = previous[prediction.size()];
        return fmeasure((double) length / prediction.size(), (double) length / target.size());
    }

    private static int[][] lcsTable(List<String> ref, List<String> can) {
        int[][] t = new int[ref.size() + 1][can.size() + 1];
        for (int i = 1; i <= ref.size(); i++) {
            for (int j = 1; j <= can.size(); j++) {
                t[i][j] = ref.get(i - 1).equals(can.get(j - 1))
                        ? t[i - 1][j - 1] + 1
                        : Math.max(t[i - 1][j], t[i][j - 1]);
            }
        }
        return t;
    }

    /** Positions in {@code ref} of one LCS with {@code can}, walked back as rouge_score does (ties go up). */
    private static void lcsPositions(List<String> ref, List<String> can, BitSet into) {
        int[][] t = lcsTable(ref, can);
        int i = ref.size();
        int j = can.size();
        while (i > 0 && j > 0) {
            if (ref.get(i - 1).equals(can.get(j - 1))) {
                into.set(i - 1);
                i--;
                j--;
            } else if (t[i][j - 1] > t[i - 1][j]) {
                j--;
            } else {
                i--;
            }
        }
    }

    private static double summaryLevelLcs(List<List<String>> reference, List<List<String>> prediction) {
        if (reference.isEmpty() || prediction.isEmpty()) {
            return 0.0;
        }
        int m = reference.stream().mapToInt(List::size).sum();
        int n = prediction.stream().mapToInt(List::size).sum();
        if (m == 0 || n == 0) {
            return 0.0;
        }
        Map<String, Integer> unusedReference = counts(reference);
        Map<String, Integer> unusedPrediction = counts(prediction);
        int hits = 0;
        for (List<String> sentence : reference) {
            BitSet union = new BitSet(sentence.size());
            for (List<String> candidate : prediction) {
                lcsPositions(sentence, candidate, union);
            }
            for (int i = union.nextSetBit(0); i >= 0; i = union.nextSetBit(i + 1)) {
                String token = sentence.get(i);
                if (unusedPrediction.getOrDefault(token, 0) > 0 && unusedReference.getOrDefault(token, 0) > 0) {
                    hits++;
                    unusedPrediction.merge(token, -1, Integer::sum);
                    unusedReference.merge(token, -1, Integer::sum);
                }
            }
        }
        return fmeasure((double) hits / n, (double) hits / m);
    }

    private static Map<String, Integer> counts(List<List<String>> sentences) {
        Map<String, Integer> counts = new HashMap<>();
        for (List<String> s : sentences) {
            for (String token : s) {
                counts.merge(token, 1, Integer::sum);
            }
        }
        return counts;
    }
}
