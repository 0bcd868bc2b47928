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
    void shouldLogRocPrAndConfusionMatrixForABinaryClassifierWithProbabilities() throws IOException {
        List<Artifact> artifacts = outputs(binary(true), ClassifierOptions.defaults());
        assertThat(paths(artifacts))
                .containsExactly("roc_curve_plot.png", "precision_recall_curve_plot.png", "confusion_matrix.png");
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
    void shouldRenderWithoutADisplay() {
        outputs(binary(true), ClassifierOptions.defaults());
        assertThat(java.awt.GraphicsEnvironment.isHeadless()).isTrue();
    }
}
