package dev.skein.evaluation.output;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.metrics.ClassifierOptions;
import dev.skein.evaluation.metrics.Label;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The artifacts a user finds under the run: MLflow's names, real PNGs, and none where MLflow logs none. */
class ClassifierOutputsTest {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    /** matplotlib's first colours, the first curves' lines. */
    private static final int BLUE = 0x1f77b4;

    private static final int ORANGE = 0xff7f0e;
    private static final int GREEN = 0x2ca02c;
    private static final int RED = 0xd62728;
    /** "Blues" at its darkest: the confusion matrix's largest cell. */
    private static final int DARKEST_BLUE = 0x08306b;

    private static List<Artifact> outputs(ClassifierAccumulator acc, ClassifierOptions options) {
        return ClassifierOutputs.of(acc, acc.compute(options), options);
    }

    private static ClassifierAccumulator binary(boolean probabilities) {
        Random random = new Random(7);
        ClassifierAccumulator acc = new ClassifierAccumulator();
        for (int i = 0; i < 400; i++) {
            boolean yes = random.nextBoolean();
            double p = Math.min(1, Math.max(0, (yes ? 0.65 : 0.35) + random.nextGaussian() * 0.2));
            Label target = Label.of(yes ? "yes" : "no");
            Label prediction = Label.of(p >= 0.5 ? "yes" : "no");
            if (probabilities) {
                acc.add(target, prediction, new double[] {p});
            } else {
                acc.add(target, prediction);
            }
        }
        return acc;
    }

    private static ClassifierAccumulator multiclass(int classes, boolean probabilities) {
        Random random = new Random(11);
        ClassifierAccumulator acc = new ClassifierAccumulator();
        for (int i = 0; i < 60 * classes; i++) {
            int target = i % classes;
            double[] p = new double[classes];
            double sum = 0;
            for (int j = 0; j < classes; j++) {
                p[j] = random.nextDouble() + (j == target ? 1.2 : 0);
                sum += p[j];
            }
            int best = 0;
            for (int j = 0; j < classes; j++) {
                p[j] /= sum;
                best = p[j] > p[best] ? j : best;
            }
            if (probabilities) {
                acc.add(Label.of(target), Label.of(best), p);
            } else {
                acc.add(Label.of(target), Label.of(best));
            }
        }
        return acc;
    }

    private static List<String> paths(List<Artifact> artifacts) {
        return artifacts.stream().map(Artifact::path).toList();
    }

    private static Artifact get(List<Artifact> artifacts, String path) {
        return artifacts.stream().filter(a -> a.path().equals(path)).findFirst().orElseThrow();
    }

    /** Decodes a PNG artifact, checking what any image viewer needs. */
    private static BufferedImage image(Artifact artifact, int width, int height) throws IOException {
        assertThat(artifact.contentType()).isEqualTo("image/png");
        assertThat(Arrays.copyOf(artifact.content(), 8)).as("PNG signature").isEqualTo(PNG_SIGNATURE);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(artifact.content()));
        assertThat(image).as(artifact.path() + " decodes").isNotNull();
        assertThat(image.getWidth()).isEqualTo(width);
        assertThat(image.getHeight()).isEqualTo(height);
        assertThat(colours(image)).as(artifact.path() + " is not blank").hasSizeGreaterThan(8);
        return image;
    }

    private static Set<Integer> colours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                colours.add(image.getRGB(x, y) & 0xffffff);
            }
        }
        return colours;
    }

    @Test
    void shouldLogRocPrLiftAndConfusionMatrixForABinaryClassifierWithProbabilities() throws IOException {
        List<Artifact> artifacts = outputs(binary(true), ClassifierOptions.defaults());
        // _log_binary_classifier_artifacts (roc, precision-recall, lift), then _log_confusion_matrix
        assertThat(paths(artifacts))
                .containsExactly(
                        "roc_curve_plot.png",
                        "precision_recall_curve_plot.png",
                        "lift_curve_plot.png",
                        "confusion_matrix.png");
        assertThat(colours(image(get(artifacts, "lift_curve_plot.png"), 640, 480)))
                .as("a line per class and the black dashed baseline")
                .contains(BLUE, ORANGE, 0x000000);
        assertThat(colours(image(get(artifacts, "roc_curve_plot.png"), 640, 480)))
                .contains(BLUE);
        assertThat(colours(image(get(artifacts, "precision_recall_curve_plot.png"), 640, 480)))
                .contains(BLUE);
        assertThat(colours(image(get(artifacts, "confusion_matrix.png"), 1050, 700)))
                .contains(DARKEST_BLUE);
    }

    @Test
    void shouldLogOnlyTheConfusionMatrixForABinaryClassifierWithoutProbabilities() throws IOException {
        List<Artifact> artifacts = outputs(binary(false), ClassifierOptions.defaults());
        assertThat(paths(artifacts)).containsExactly("confusion_matrix.png");
        image(artifacts.get(0), 1050, 700);
    }

    @Test
    void shouldDrawOneCurvePerClassAndWritePerClassMetricsForAMulticlassClassifier() throws IOException {
        ClassifierAccumulator acc = multiclass(4, true);
        ClassifierOptions options = ClassifierOptions.defaults();
        List<Artifact> artifacts = ClassifierOutputs.of(acc, acc.compute(options), options);
        assertThat(paths(artifacts))
                .containsExactly(
                        "roc_curve_plot.png",
                        "precision_recall_curve_plot.png",
                        "per_class_metrics.csv",
                        "confusion_matrix.png");
        for (String plot : List.of("roc_curve_plot.png", "precision_recall_curve_plot.png")) {
            assertThat(colours(image(get(artifacts, plot), 960, 480)))
                    .as(plot + " has a line per class")
                    .contains(BLUE, ORANGE, GREEN, RED);
        }
        Artifact csv = get(artifacts, "per_class_metrics.csv");
        assertThat(csv.contentType()).isEqualTo("text/csv");
        String text = new String(csv.content(), StandardCharsets.UTF_8);
        assertThat(text.lines().toList())
                .hasSize(5)
                .first()
                .asString()
                .startsWith("positive_class,true_negatives,")
                .endsWith(",roc_auc,precision_recall_auc");
        image(get(artifacts, "confusion_matrix.png"), 1050, 700);
    }

    @Test
    void shouldDrawNoCurvesForAMulticlassClassifierWithoutProbabilities() {
        List<Artifact> artifacts = outputs(multiclass(3, false), ClassifierOptions.defaults());
        assertThat(paths(artifacts)).containsExactly("per_class_metrics.csv", "confusion_matrix.png");
    }

    @Test
    void shouldDrawNoCurvesAboveMaxClassesForMulticlassRocPr() {
        List<Artifact> artifacts = outputs(multiclass(11, true), ClassifierOptions.defaults());
        assertThat(paths(artifacts)).containsExactly("per_class_metrics.csv", "confusion_matrix.png");
        String header = new String(get(artifacts, "per_class_metrics.csv").content(), StandardCharsets.UTF_8)
                .lines()
                .findFirst()
                .orElseThrow();
        assertThat(header).doesNotContain("roc_auc");
    }

    @Test
    void shouldDrawTheLiftOfAMillionRowsAsAPng() throws IOException {
        Random random = new Random(5);
        ClassifierAccumulator acc = new ClassifierAccumulator();
        for (int i = 0; i < 1_000_000; i++) {
            boolean yes = random.nextInt(10) == 0; // 10% positives: the lift starts near 10
            double p = Math.min(1, Math.max(0, (yes ? 0.6 : 0.4) + random.nextGaussian() * 0.15));
            acc.add(Label.of(yes ? 1 : 0), Label.of(p >= 0.5 ? 1 : 0), new double[] {p});
        }
        List<Artifact> artifacts = outputs(acc, ClassifierOptions.defaults());
        assertThat(paths(artifacts)).contains("lift_curve_plot.png");
        assertThat(colours(image(get(artifacts, "lift_curve_plot.png"), 640, 480)))
                .contains(BLUE, ORANGE);
    }

    @Test
    void shouldThinALongLiftCurveToWhatTheImageCanShow() {
        int n = 1_000_000;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i + 1) / (double) n;
            y[i] = 1 + 9 * Math.exp(-10 * x[i]); // a smooth lift from 10 down to 1
        }
        double[][] kept = Plots.thin(x, y, 640, 1.0 / 2560, 9.0 / 1920);
        assertThat(kept[0].length).isBetween(100, 16 * 640 + 2);
        assertThat(kept[0][0]).isEqualTo(x[0]);
        assertThat(kept[1][kept[1].length - 1]).isEqualTo(y[n - 1]);
        for (int i = 1; i < kept[0].length; i++) {
            assertThat(kept[0][i]).isGreaterThan(kept[0][i - 1]);
        }
    }

    @Test
    void shouldMarkThePositiveClassInTheLiftLegendOnlyWhenPosLabelIsTruthy() {
        ClassifierAccumulator numbers = new ClassifierAccumulator();
        ClassifierAccumulator strings = new ClassifierAccumulator();
        int[] targets = {1, 0, 1, 1, 0, 0};
        double[] p = {0.9, 0.8, 0.7, 0.2, 0.1, 0.3};
        for (int i = 0; i < targets.length; i++) {
            numbers.add(Label.of(targets[i]), Label.of(targets[i]), new double[] {p[i]});
            Label s = Label.of(targets[i] == 1 ? "yes" : "no");
            strings.add(s, s, new double[] {p[i]});
        }
        assertThat(legends(numbers, ClassifierOptions.defaults())).containsExactly("Class 0", "Class 1 (positive)");
        // pos_label 0 is falsy in Python: MLflow marks no class
        assertThat(legends(numbers, ClassifierOptions.defaults().withPosLabel(Label.of(0))))
                .containsExactly("Class 0", "Class 1");
        assertThat(legends(strings, ClassifierOptions.defaults().withPosLabel(Label.of("no"))))
                .containsExactly("Class no (positive)", "Class yes");
    }

    private static List<String> legends(ClassifierAccumulator acc, ClassifierOptions options) {
        return ClassifierOutputs.liftLegends(
                acc.compute(options).positiveLabel(), acc.liftCurve().orElseThrow());
    }

    @Test
    void shouldRenderWithoutADisplay() {
        outputs(binary(true), ClassifierOptions.defaults());
        assertThat(java.awt.GraphicsEnvironment.isHeadless()).isTrue();
    }
}
