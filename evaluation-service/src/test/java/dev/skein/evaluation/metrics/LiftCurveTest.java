package dev.skein.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The lift curves of lift_curve_plot.png: by hand, and every golden case of golden/lift.json (numpy's
 * restatement of MLflow 2.17.2's plot_lift_curve, see generate_lift.py) point for point, exactly.
 */
class LiftCurveTest {

    @Test
    void shouldComputeTheLiftOfBothClassesByHand() {
        // P(1) = 0.9 0.8 0.7 0.2 0.1 for targets 1 0 1 1 0
        ClassifierAccumulator acc = new ClassifierAccumulator();
        int[] targets = {1, 0, 1, 1, 0};
        double[] p = {0.9, 0.8, 0.7, 0.2, 0.1};
        for (int i = 0; i < targets.length; i++) {
            acc.add(Label.of(targets[i]), Label.of(targets[i]), new double[] {p[i]});
        }
        LiftCurve lift = acc.liftCurve().orElseThrow();
        assertThat(lift.classes()).containsExactly(Label.of(0), Label.of(1));
        assertThat(lift.firstClassPercentages()).containsExactly(0.2, 0.4, 0.6, 0.8, 1.0);
        // class 1 by P(1): 1 0 1 1 0 -> gains 1/3 1/3 2/3 1 1
        assertThat(lift.secondClassLift())
                .containsExactly((1.0 / 3) / 0.2, (1.0 / 3) / 0.4, (2.0 / 3) / 0.6, 1 / 0.8, 1.0);
        // class 0 by 1 - P(1) = 0.1 0.2 0.3 0.8 0.9: rows 5 4 3 2 1 are 0 1 1 0 1 -> gains 1/2 1/2 1/2 1 1
        assertThat(lift.firstClassLift()).containsExactly(0.5 / 0.2, 0.5 / 0.4, 0.5 / 0.6, 1 / 0.8, 1.0);
    }

    @Test
    void shouldTieTheFirstClassWhereOneMinusPRoundsDistinctProbabilitiesTogether() {
        // P(1) = 1e-17 2e-17 0.5 0.4 for targets 1 0 1 0: 1 - P(1) = 1.0 1.0 0.5 0.6, the first two rows tied
        ClassifierAccumulator acc = new ClassifierAccumulator();
        int[] targets = {1, 0, 1, 0};
        double[] p = {1e-17, 2e-17, 0.5, 0.4};
        for (int i = 0; i < targets.length; i++) {
            acc.add(Label.of(targets[i]), Label.of(targets[i]), new double[] {p[i]});
        }
        LiftCurve lift = acc.liftCurve().orElseThrow();
        // argsort(1 - P(1))[::-1] = rows 2 1 4 3 (the tie's later row first), of class 0: yes no yes no
        assertThat(lift.firstClassLift()).containsExactly(0.5 / 0.25, 0.5 / 0.5, 1 / 0.75, 1.0);
        // class 1 by P(1) = rows 3 4 2 1: yes no no yes
        assertThat(lift.secondClassLift()).containsExactly(0.5 / 0.25, 0.5 / 0.5, 0.5 / 0.75, 1.0);
    }

    @Test
    void shouldDrawNoLiftWithoutProbabilitiesOrForMulticlass() {
        ClassifierAccumulator noProbabilities = new ClassifierAccumulator();
        noProbabilities.add(Label.of(0), Label.of(1));
        noProbabilities.add(Label.of(1), Label.of(1));
        assertThat(noProbabilities.liftCurve()).isEmpty();

        ClassifierAccumulator multiclass = new ClassifierAccumulator();
        multiclass.add(Label.of("a"), Label.of("a"), new double[] {0.8, 0.1, 0.1});
        multiclass.add(Label.of("b"), Label.of("c"), new double[] {0.2, 0.3, 0.5});
        multiclass.add(Label.of("c"), Label.of("c"), new double[] {0.1, 0.1, 0.8});
        assertThat(multiclass.liftCurve()).isEmpty();
    }

    static Stream<JsonNode> cases() throws IOException {
        try (InputStream in = LiftCurveTest.class.getResourceAsStream("/golden/lift.json")) {
            JsonNode doc = new ObjectMapper().readTree(in);
            List<JsonNode> cases = new ArrayList<>();
            doc.get("cases").forEach(cases::add);
            return cases.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldMatchNumpy(JsonNode c) {
        Optional<LiftCurve> got = feed(c).liftCurve();
        JsonNode expected = c.get("lift");
        if (expected.isNull()) {
            assertThat(got)
                    .as(c.get("name").asText() + ": scikit-plot raises, MLflow draws none")
                    .isEmpty();
            return;
        }
        LiftCurve lift = got.orElseThrow();
        assertThat(lift.classes())
                .containsExactly(
                        label(expected.get("classes").get(0)),
                        label(expected.get("classes").get(1)));
        assertThat(lift.firstClassPercentages()).containsExactly(doubles(expected.get("percentages")));
        compare(lift.firstClassLift(), expected.get("first_class"), expected.get("first_class_exact_at"));
        compare(lift.secondClassLift(), expected.get("second_class"), expected.get("second_class_exact_at"));
    }

    /** Exactly numpy's doubles: at every point, or (ties beyond 16 rows) where a run of tied scores ends. */
    private static void compare(double[] got, JsonNode expected, JsonNode exactAt) {
        double[] want = doubles(expected);
        assertThat(got).hasSize(want.length);
        if (exactAt == null) {
            assertThat(got).containsExactly(want);
            return;
        }
        assertThat(exactAt.size()).as("runs of ties").isLessThan(want.length);
        for (JsonNode at : exactAt) {
            int i = at.asInt();
            assertThat(got[i]).as("point " + i).isEqualTo(want[i]);
        }
    }

    private static ClassifierAccumulator feed(JsonNode c) {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        JsonNode targets = c.get("targets");
        JsonNode predictions = c.get("predictions");
        JsonNode probabilities = c.get("probabilities");
        JsonNode weights = c.get("sample_weights");
        for (int i = 0; i < targets.size(); i++) {
            Label t = label(targets.get(i));
            Label prediction = label(predictions.get(i));
            JsonNode row = probabilities.get(i);
            double[] probs = row.isArray() ? doubles(row) : new double[] {row.asDouble()};
            if (weights == null) {
                acc.add(t, prediction, probs);
            } else {
                acc.add(t, prediction, probs, weights.get(i).asDouble());
            }
        }
        return acc;
    }

    private static Label label(JsonNode node) {
        return node.isTextual() ? Label.of(node.asText()) : Label.of(node.asDouble());
    }

    private static double[] doubles(JsonNode node) {
        double[] values = new double[node.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = node.get(i).asDouble();
        }
        return values;
    }
}
