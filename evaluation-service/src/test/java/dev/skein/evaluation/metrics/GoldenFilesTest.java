package dev.skein.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.evaluation.metrics.ClassifierResult.PerClassMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every case scikit-learn computed in {@code src/test/resources/golden} (see generate.py there) must come
 * out the same here: the same keys in the same order, counts exactly, every other value within
 * {@link #TOLERANCE} absolute when |expected| ≤ 1 and within TOLERANCE relative above, and the same
 * failure where sklearn (and so mlflow.evaluate) raised. Classifier cases also check what MLflow plots:
 * the ROC and precision–recall curve points (every point, same count) and the normalized confusion matrix.
 */
class GoldenFilesTest {

    static final double TOLERANCE = 1e-9;
    private static final Set<String> COUNTS = Set.of(
            MetricKeys.EXAMPLE_COUNT,
            MetricKeys.TRUE_NEGATIVES,
            MetricKeys.FALSE_POSITIVES,
            MetricKeys.FALSE_NEGATIVES,
            MetricKeys.TRUE_POSITIVES);

    @TestFactory
    Stream<DynamicTest> shouldMatchScikitLearnOnEveryClassifierCase() throws IOException {
        return cases("classifier.json")
                .map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> classifier(c)));
    }

    /**
     * Past the memory budget the rows go to disk and are merged back: the same numbers, and curves thinned for
     * drawing to sklearn's points (some left out, none moved). A budget of 1 byte writes every row as a chunk of its
     * own, 500 bytes three rows at a time (one probability column, unweighted).
     */
    @TestFactory
    Stream<DynamicTest> shouldMatchScikitLearnOnEveryClassifierCaseWithRowsSpilledToDisk() throws IOException {
        return cases("classifier.json").flatMap(c -> Stream.of(1L, 500L)
                .map(budget -> DynamicTest.dynamicTest(
                        c.get("name").asText() + ", budget " + budget, () -> spilledClassifier(c, budget))));
    }

    @TempDir
    static Path spillParent;

    private static void spilledClassifier(JsonNode c, long budget) throws IOException {
        try {
            classifier(c, () -> new ClassifierAccumulator().memoryBudget(budget).spillTo(spillParent), true);
        } finally {
            try (Stream<Path> left = Files.list(spillParent)) {
                assertThat(left).as("temporary files left").isEmpty();
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchScikitLearnOnEveryRegressorCase() throws IOException {
        return cases("regressor.json")
                .map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> regressor(c)));
    }

    private static Stream<JsonNode> cases(String file) throws IOException {
        try (InputStream in = GoldenFilesTest.class.getResourceAsStream("/golden/" + file)) {
            JsonNode doc = new ObjectMapper().readTree(in);
            List<JsonNode> cases = new ArrayList<>();
            doc.get("cases").forEach(cases::add);
            assertThat(cases).isNotEmpty();
            return cases.stream();
        }
    }

    private static void classifier(JsonNode c) {
        classifier(c, ClassifierAccumulator::new, false);
    }

    private static void classifier(JsonNode c, Supplier<ClassifierAccumulator> made, boolean spilled) {
        ClassifierOptions options = ClassifierOptions.defaults();
        if (c.has("pos_label")) {
            options = options.withPosLabel(label(c.get("pos_label")));
        }
        if (c.has("average")) {
            options = options.withAverage(Average.parse(c.get("average").asText()));
        }
        ClassifierOptions chosen = options;
        if (c.has("error")) {
            try (ClassifierAccumulator acc = made.get()) {
                assertThatThrownBy(() -> feedClassifier(c, acc).compute(chosen))
                        .isInstanceOf(expectedFailure(c.get("error").asText()));
            }
            return;
        }
        try (ClassifierAccumulator acc = feedClassifier(c, made.get())) {
            if (!spilled) {
                classifier(c, acc, chosen, false);
                return;
            }
            if (c.has("probabilities") && c.get("targets").size() > 3) {
                assertThat(acc.spilled()).as("rows spilled to disk").isTrue();
            }
            classifier(c, acc, chosen, acc.spilled());
        }
    }

    private static void classifier(JsonNode c, ClassifierAccumulator acc, ClassifierOptions chosen, boolean thinned) {
        ClassifierResult result = acc.compute(chosen);
        assertMetrics(result.metrics(), c.get("metrics"));
        if (thinned) {
            assertThinnedCurves(acc.curves(chosen), c.get("curves"));
        } else {
            assertCurves(acc.curves(chosen), c.get("curves"));
        }
        assertConfusionMatrix(acc.confusionMatrix(chosen), c.get("confusion_matrix"));
        JsonNode perClass = c.get("per_class_metrics");
        if (perClass == null) {
            assertThat(result.perClassMetrics()).isEmpty();
            return;
        }
        assertThat(result.perClassMetrics()).hasSize(perClass.size());
        for (int i = 0; i < perClass.size(); i++) {
            PerClassMetrics row = result.perClassMetrics().get(i);
            JsonNode expected = perClass.get(i).deepCopy();
            assertThat(row.positiveClass()).isEqualTo(label(expected.get(MetricKeys.POSITIVE_CLASS)));
            ((com.fasterxml.jackson.databind.node.ObjectNode) expected).remove(MetricKeys.POSITIVE_CLASS);
            assertMetrics(row.metrics(), expected);
        }
    }

    private static ClassifierAccumulator feedClassifier(JsonNode c, ClassifierAccumulator acc) {
        JsonNode targets = c.get("targets");
        JsonNode predictions = c.get("predictions");
        JsonNode probabilities = c.get("probabilities");
        JsonNode weights = c.get("sample_weights");
        for (int i = 0; i < targets.size(); i++) {
            Label t = label(targets.get(i));
            Label p = label(predictions.get(i));
            double[] probs = probabilities == null ? null : row(probabilities.get(i));
            if (weights == null) {
                if (probs == null) {
                    acc.add(t, p);
                } else {
                    acc.add(t, p, probs);
                }
            } else if (probs == null) {
                acc.add(t, p, number(weights.get(i)));
            } else {
                acc.add(t, p, probs, number(weights.get(i)));
            }
        }
        return acc;
    }

    private static void regressor(JsonNode c) {
        if (c.has("error")) {
            assertThatThrownBy(() -> feedRegressor(c).compute())
                    .isInstanceOf(expectedFailure(c.get("error").asText()));
            return;
        }
        assertMetrics(feedRegressor(c).compute(), c.get("metrics"));
    }

    private static RegressorAccumulator feedRegressor(JsonNode c) {
        RegressorAccumulator acc = new RegressorAccumulator();
        JsonNode targets = c.get("targets");
        JsonNode predictions = c.get("predictions");
        JsonNode weights = c.get("sample_weights");
        for (int i = 0; i < targets.size(); i++) {
            double y = number(targets.get(i));
            double yHat = number(predictions.get(i));
            if (weights == null) {
                acc.add(y, yHat);
            } else {
                acc.add(y, yHat, number(weights.get(i)));
            }
        }
        return acc;
    }

    /** What sklearn raised, as the type a caller of this library gets. */
    private static Class<? extends EvaluationException> expectedFailure(String sklearnError) {
        if (sklearnError.contains("ROC AUC score is not defined")
                || sklearnError.contains("Number of classes in y_true")
                || sklearnError.contains("Target scores need to be probabilities")) {
            return UndefinedMetricException.class;
        }
        return InvalidInputException.class;
    }

    private static void assertMetrics(Map<String, Double> actual, JsonNode expected) {
        List<String> keys = new ArrayList<>();
        expected.fieldNames().forEachRemaining(keys::add);
        assertThat(actual.keySet()).containsExactlyElementsOf(keys);
        for (String key : keys) {
            double e = number(expected.get(key));
            double a = actual.get(key);
            if (COUNTS.contains(key)) {
                assertThat(a).as(key).isEqualTo(e);
            } else if (Double.isNaN(e)) {
                assertThat(a).as(key).isNaN();
            } else if (Math.abs(a - e) > TOLERANCE * Math.max(1.0, Math.abs(e))) {
                fail("%s: expected %s (sklearn), got %s", key, e, a);
            }
        }
    }

    private static void assertCurves(List<Curves> actual, JsonNode expected) {
        if (expected == null) {
            assertThat(actual).as("no probabilities, no curves").isEmpty();
            return;
        }
        assertThat(actual).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            Curves a = actual.get(i);
            JsonNode e = expected.get(i);
            String name = "curve of " + a.positiveClass();
            assertThat(a.positiveClass()).isEqualTo(label(e.get(MetricKeys.POSITIVE_CLASS)));
            assertPoints(name + " fpr", a.fpr(), e.get("fpr"));
            assertPoints(name + " tpr", a.tpr(), e.get("tpr"));
            assertPoints(name + " roc thresholds", a.rocThresholds(), e.get("roc_thresholds"));
            assertPoints(name + " precision", a.precision(), e.get("precision"));
            assertPoints(name + " recall", a.recall(), e.get("recall"));
            assertPoints(
                    name + " precision-recall thresholds",
                    a.precisionRecallThresholds(),
                    e.get("precision_recall_thresholds"));
        }
    }

    /** Each curve's points are sklearn's, in its order, some left out but never the first or the last. */
    private static void assertThinnedCurves(List<Curves> actual, JsonNode expected) {
        assertThat(actual).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            Curves a = actual.get(i);
            JsonNode e = expected.get(i);
            String name = "curve of " + a.positiveClass();
            assertThat(a.positiveClass()).isEqualTo(label(e.get(MetricKeys.POSITIVE_CLASS)));
            assertSubsequence(name + " roc", new double[][] {a.fpr(), a.tpr(), a.rocThresholds()}, new double[][] {
                row(e.get("fpr")), row(e.get("tpr")), row(e.get("roc_thresholds"))
            });
            int m = a.precisionRecallThresholds().length;
            assertSubsequence(
                    name + " precision-recall",
                    new double[][] {
                        Arrays.copyOf(a.precision(), m), Arrays.copyOf(a.recall(), m), a.precisionRecallThresholds()
                    },
                    new double[][] {
                        Arrays.copyOf(
                                row(e.get("precision")), e.get("precision").size() - 1),
                        Arrays.copyOf(row(e.get("recall")), e.get("recall").size() - 1),
                        row(e.get("precision_recall_thresholds"))
                    });
            assertThat(a.precision()[m]).isEqualTo(1.0);
            assertThat(a.recall()[m]).isEqualTo(0.0);
        }
    }

    private static void assertSubsequence(String what, double[][] actual, double[][] expected) {
        int n = actual[0].length;
        int m = expected[0].length;
        assertThat(n).as(what + " points").isBetween(Math.min(m, 2), m);
        int j = 0;
        for (int i = 0; i < n; i++) {
            while (j < m && !samePoint(actual, i, expected, j)) {
                assertThat(i).as(what + ": the first point is kept").isPositive();
                j++;
            }
            assertThat(j)
                    .as(what + ": point " + i + " is one of sklearn's, in order")
                    .isLessThan(m);
            j++;
        }
        assertThat(j).as(what + ": the last point is kept").isEqualTo(m);
    }

    private static boolean samePoint(double[][] a, int i, double[][] e, int j) {
        for (int k = 0; k < a.length; k++) {
            double x = a[k][i];
            double y = e[k][j];
            boolean same =
                    Double.isNaN(y) ? Double.isNaN(x) : Math.abs(x - y) <= TOLERANCE * Math.max(1.0, Math.abs(y));
            if (!same) {
                return false;
            }
        }
        return true;
    }

    private static void assertConfusionMatrix(ConfusionMatrix actual, JsonNode expected) {
        List<Label> labels = new ArrayList<>();
        expected.get("labels").forEach(l -> labels.add(label(l)));
        assertThat(actual.labels()).containsExactlyElementsOf(labels);
        JsonNode rows = expected.get("normalized");
        assertThat(actual.normalized()).hasNumberOfRows(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertPoints("confusion matrix row " + labels.get(i), actual.normalized()[i], rows.get(i));
        }
    }

    private static void assertPoints(String what, double[] actual, JsonNode expected) {
        double[] e = row(expected);
        assertThat(actual).as(what + " length").hasSize(e.length);
        for (int i = 0; i < e.length; i++) {
            if (Double.isNaN(e[i])) {
                assertThat(actual[i]).as(what + "[" + i + "]").isNaN();
            } else if (!(Math.abs(actual[i] - e[i]) <= TOLERANCE * Math.max(1.0, Math.abs(e[i])))) {
                fail("%s[%d]: expected %s (sklearn), got %s", what, i, e[i], actual[i]);
            }
        }
    }

    /** generate.py writes a float NaN label as the string "NaN" (JSON has no NaN); no case uses it as a text label. */
    private static Label label(JsonNode node) {
        if (node.isTextual() && !node.asText().equals("NaN")) {
            return Label.of(node.asText());
        }
        return Label.of(number(node));
    }

    private static double[] row(JsonNode node) {
        if (!node.isArray()) {
            return new double[] {number(node)};
        }
        double[] values = new double[node.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = number(node.get(i));
        }
        return values;
    }

    /** Numbers, and the strings the generator writes for what JSON cannot hold. */
    private static double number(JsonNode node) {
        if (node.isTextual()) {
            return switch (node.asText()) {
                case "NaN" -> Double.NaN;
                case "Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> throw new IllegalArgumentException("not a number: " + node);
            };
        }
        return node.asDouble();
    }
}
