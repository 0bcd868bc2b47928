package dev.skein.evaluation.output;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.evaluation.metrics.ClassifierAccumulator;
import dev.skein.evaluation.metrics.Label;

/** Feeds a classifier case of golden/classifier.json (see generate.py) into an accumulator. */
final class GoldenCases {

    private GoldenCases() {}

    static ClassifierAccumulator feed(JsonNode c) {
        ClassifierAccumulator acc = new ClassifierAccumulator();
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
                acc.add(t, p, weights.get(i).asDouble());
            } else {
                acc.add(t, p, probs, weights.get(i).asDouble());
            }
        }
        return acc;
    }

    private static Label label(JsonNode node) {
        return node.isTextual() ? Label.of(node.asText()) : Label.of(node.asDouble());
    }

    private static double[] row(JsonNode node) {
        if (!node.isArray()) {
            return new double[] {node.asDouble()};
        }
        double[] values = new double[node.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = node.get(i).asDouble();
        }
        return values;
    }
}
