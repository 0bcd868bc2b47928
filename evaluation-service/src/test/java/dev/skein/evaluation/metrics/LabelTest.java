package dev.skein.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Numeric labels are values: a shared instance for the small whole numbers changes nothing they compare. */
class LabelTest {

    @Test
    void shouldShareTheSmallWholeNumbersAndKeepEveryLabelAValue() {
        assertThat(Label.of(1L)).isSameAs(Label.of(1.0));
        assertThat(Label.of(-0.0)).isSameAs(Label.of(0)).hasToString("0");
        assertThat(Label.of(255)).isSameAs(Label.of(255.0));
        assertThat(Label.of(256)).isEqualTo(Label.of(256.0)).hasSameHashCodeAs(Label.of(256.0));
        assertThat(Label.of(0.5)).isNotEqualTo(Label.of(0)).hasToString("0.5");
        assertThat(Label.of(-1)).isEqualTo(Label.of(-1.0)).isLessThan(Label.of(0));
        assertThat(Label.of(3)).isNotEqualTo(Label.of("3"));
    }
}
