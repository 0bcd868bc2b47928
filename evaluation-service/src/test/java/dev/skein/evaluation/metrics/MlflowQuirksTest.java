package dev.skein.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** One test per quirk in shared/reference/mlflow-evaluate-semantics.md, plus the label ordering and the refusals. */
class MlflowQuirksTest {

    private static final String[] T = {"no", "yes", "yes", "no", "yes"};
    private static final String[] P = {"no", "yes", "no", "yes", "yes"};
    private static final double[] PROB_YES = {0.2, 0.9, 0.4, 0.6, 0.8};

    private static ClassifierAccumulator yesNo() {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        for (int i = 0; i < T.length; i++) {
            acc.add(Label.of(T[i]), Label.of(P[i]), new double[] {PROB_YES[i]});
        }
        return acc;
    }

    @Test
    void shouldTakeTheLabelThatSortsLastAsPositive() {
        ClassifierResult r = yesNo().compute(ClassifierOptions.defaults());
        assertThat(r.binary()).isTrue();
        assertThat(r.positiveLabel()).isEqualTo(Label.of("yes"));
        assertThat(r.metrics().get(MetricKeys.RECALL)).isEqualTo(2.0 / 3);
    }

    @Test
    void shouldApplyPosLabelToRecallPrecisionF1AndAveragePrecisionOnly() {
        ClassifierAccumulator acc = yesNo();
        Map<String, Double> yes = acc.compute(ClassifierOptions.defaults()).metrics();
        Map<String, Double> no = acc.compute(ClassifierOptions.defaults().withPosLabel(Label.of("no")))
                .metrics();
        for (String unchanged : new String[] {
            MetricKeys.TRUE_NEGATIVES,
            MetricKeys.FALSE_POSITIVES,
            MetricKeys.FALSE_NEGATIVES,
            MetricKeys.TRUE_POSITIVES,
            MetricKeys.ACCURACY,
            MetricKeys.LOG_LOSS,
            MetricKeys.ROC_AUC
        }) {
            assertThat(no.get(unchanged)).as(unchanged).isEqualTo(yes.get(unchanged));
        }
        assertThat(no.get(MetricKeys.TRUE_POSITIVES))
                .as("still the yes/yes count")
                .isEqualTo(2.0);
        assertThat(no.get(MetricKeys.RECALL)).isEqualTo(0.5);
        assertThat(no.get(MetricKeys.PRECISION_RECALL_AUC)).isNotEqualTo(yes.get(MetricKeys.PRECISION_RECALL_AUC));
    }

    @Test
    void shouldRefuseAPosLabelThatIsNotALabel() {
        assertThatThrownBy(() -> yesNo().compute(ClassifierOptions.defaults().withPosLabel(Label.of("maybe"))))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("pos_label");
    }

    @Test
    void shouldComputePrecisionRecallAucAsStepwiseAveragePrecisionNotTrapezoid() {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        int[] y = {0, 1, 1, 0, 1};
        for (int t : y) {
            acc.add(Label.of(t), Label.of(t), new double[] {0.5});
        }
        Map<String, Double> m = acc.compute(ClassifierOptions.defaults()).metrics();
        // one tied threshold: AP is the prevalence; the trapezoid under (0,1)-(1,0.6) would be 0.8
        assertThat(m.get(MetricKeys.PRECISION_RECALL_AUC)).isEqualTo(0.6);
        assertThat(m.get(MetricKeys.ROC_AUC)).isEqualTo(0.5);
    }

    @Test
    void shouldLogRocAucForMacroAndWeightedButNotMicro() {
        for (Average average : Average.values()) {
            ClassifierAccumulator acc = new ClassifierAccumulator();
            acc.add(Label.of("a"), Label.of("a"), new double[] {0.8, 0.1, 0.1});
            acc.add(Label.of("b"), Label.of("c"), new double[] {0.2, 0.3, 0.5});
            acc.add(Label.of("c"), Label.of("c"), new double[] {0.1, 0.1, 0.8});
            acc.add(Label.of("b"), Label.of("b"), new double[] {0.1, 0.8, 0.1});
            ClassifierResult r = acc.compute(ClassifierOptions.defaults().withAverage(average));
            assertThat(r.metrics().containsKey(MetricKeys.ROC_AUC))
                    .as(average.mlflowName())
                    .isEqualTo(average != Average.MICRO);
            assertThat(r.metrics()).doesNotContainKeys(MetricKeys.PRECISION_RECALL_AUC, MetricKeys.TRUE_POSITIVES);
            assertThat(r.perClassMetrics()).hasSize(3);
            assertThat(r.perClassMetrics().get(0).metrics())
                    .containsKeys(MetricKeys.ROC_AUC, MetricKeys.PRECISION_RECALL_AUC);
        }
    }

    @Test
    void shouldGiveZeroNotNanOnZeroDivision() {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        acc.add(Label.of(0), Label.of(0));
        acc.add(Label.of(1), Label.of(0));
        Map<String, Double> m = acc.compute(ClassifierOptions.defaults()).metrics();
        assertThat(m.get(MetricKeys.PRECISION)).isEqualTo(0.0);
        assertThat(m.get(MetricKeys.F1)).isEqualTo(0.0);
    }

    @Test
    void shouldDivideByEpsilonForMapeWithAZeroTarget() {
        RegressorAccumulator acc = new RegressorAccumulator();
        acc.add(0.0, 1.0);
        acc.add(1.0, 1.0);
        assertThat(acc.compute().get(MetricKeys.MEAN_ABSOLUTE_PERCENTAGE_ERROR)).isEqualTo(1.0 / Math.ulp(1.0) / 2);
    }

    @Test
    void shouldFailRocAucWhenTheTargetsHoldOneClassWithProbabilities() {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        acc.add(Label.of(1), Label.of(1), new double[] {0.9});
        acc.add(Label.of(1), Label.of(0), new double[] {0.3});
        assertThatThrownBy(() -> acc.compute(ClassifierOptions.defaults()))
                .isInstanceOfSatisfying(UndefinedMetricException.class, e -> assertThat(e.metric())
                        .isEqualTo(MetricKeys.ROC_AUC));

        ClassifierAccumulator staticOnly = new ClassifierAccumulator();
        staticOnly.add(Label.of(1), Label.of(1));
        staticOnly.add(Label.of(1), Label.of(0));
        assertThat(staticOnly.compute(ClassifierOptions.defaults()).metrics().get(MetricKeys.RECALL))
                .isEqualTo(0.5);
    }

    @Test
    void shouldRefuseASingleLabelEverywhere() {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        acc.add(Label.of("x"), Label.of("x"));
        assertThatThrownBy(() -> acc.compute(ClassifierOptions.defaults()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("at least two unique labels");
    }

    @Test
    void shouldClipConfidentlyWrongProbabilitiesInLogLoss() {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        acc.add(Label.of(0), Label.of(1), new double[] {1.0});
        acc.add(Label.of(1), Label.of(1), new double[] {1.0});
        double logLoss = acc.compute(ClassifierOptions.defaults()).metrics().get(MetricKeys.LOG_LOSS);
        assertThat(logLoss * 2).isCloseTo(-Math.log(Math.ulp(1.0)), within(1e-9)); // 36.04 for the wrong row
    }

    @Test
    void shouldSortNumbersNumericallyAndStringsByCodePoint() {
        ClassifierAccumulator numbers = new ClassifierAccumulator();
        numbers.add(Label.of(9), Label.of(10));
        numbers.add(Label.of(10.0), Label.of(2));
        assertThat(numbers.compute(ClassifierOptions.defaults()).labels())
                .containsExactly(Label.of(2), Label.of(9), Label.of(10));

        ClassifierAccumulator strings = new ClassifierAccumulator();
        strings.add(Label.of("9"), Label.of("10"));
        strings.add(Label.of("\uD83D\uDE00"), Label.of("\uFF21")); // U+1F600 sorts after U+FF21 by code point
        assertThat(strings.compute(ClassifierOptions.defaults()).labels())
                .containsExactly(Label.of("10"), Label.of("9"), Label.of("\uFF21"), Label.of("\uD83D\uDE00"));
    }

    @Test
    void shouldRefuseLabelsMixingStringsAndNumbers() {
        ClassifierAccumulator acc = new ClassifierAccumulator();
        acc.add(Label.of(1), Label.of(1));
        assertThatThrownBy(() -> acc.add(Label.of("a"), Label.of(1))).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void shouldRefuseNoRowsAndNanValues() {
        assertThatThrownBy(() -> new ClassifierAccumulator().compute(ClassifierOptions.defaults()))
                .isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> new RegressorAccumulator().compute()).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> new RegressorAccumulator().add(1.0, Double.NaN))
                .isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Label.of(Double.NaN)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> new ClassifierAccumulator().add(Label.of(0), Label.of(0), new double[] {Double.NaN}))
                .isInstanceOf(InvalidInputException.class);
    }

    @Test
    void shouldScoreAConstantTargetAsSklearnDoes() {
        RegressorAccumulator perfect = new RegressorAccumulator();
        RegressorAccumulator off = new RegressorAccumulator();
        for (int i = 0; i < 3; i++) {
            perfect.add(0.1, 0.1);
            off.add(0.1, 0.2);
        }
        assertThat(perfect.compute().get(MetricKeys.R2)).isEqualTo(1.0);
        assertThat(off.compute().get(MetricKeys.R2)).isEqualTo(0.0);
        RegressorAccumulator one = new RegressorAccumulator();
        one.add(1.0, 2.0);
        assertThat(one.compute().get(MetricKeys.R2)).isNaN();
    }

    @Test
    void shouldWeighSumOnTargetButDivideItByTheRowCount() {
        RegressorAccumulator acc = new RegressorAccumulator();
        acc.add(2.0, 2.0, 3.0);
        acc.add(4.0, 4.0, 1.0);
        Map<String, Double> m = acc.compute();
        assertThat(m.get(MetricKeys.SUM_ON_TARGET)).isEqualTo(10.0);
        assertThat(m.get(MetricKeys.MEAN_ON_TARGET)).isEqualTo(5.0);
    }
}
