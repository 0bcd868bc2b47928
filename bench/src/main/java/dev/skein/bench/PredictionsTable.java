package dev.skein.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * A binary classifier's predictions table as {@code mlflow.evaluate} gets one: {@code label} (0 or 1, about 30%
 * positive), {@code prediction} (the probability thresholded at 0.5) and {@code proba} (P(label = 1), a
 * logistic of a noisy score, written as Java's shortest decimal like pandas' {@code repr}). Deterministic:
 * the same rows and seed give the same bytes.
 */
final class PredictionsTable {

    static final long SEED = 16;
    static final String HEADER = "label,prediction,proba\n";

    private PredictionsTable() {}

    static void write(OutputStream out, int rows, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        w.write(HEADER);
        StringBuilder line = new StringBuilder(48);
        for (int i = 0; i < rows; i++) {
            int label = random.nextDouble() < 0.3 ? 1 : 0;
            double score = (label == 1 ? 1.0 : -1.0) + random.nextGaussian() * 1.2;
            double proba = 1.0 / (1.0 + Math.exp(-1.5 * score));
            line.setLength(0);
            line.append(label)
                    .append(',')
                    .append(proba >= 0.5 ? 1 : 0)
                    .append(',')
                    .append(proba)
                    .append('\n');
            w.append(line);
        }
        w.flush();
    }
}
