package dev.skein.llmgateway.provider;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The bytes of answers held at once: what fits is reserved, what does not is refused without a trace. */
class AnswerBudgetTest {

    @Test
    void shouldRefuseWhatDoesNotFitAndFreeWhatIsReleased() {
        AnswerBudget budget = new AnswerBudget(100);
        assertThat(budget.reserve(60)).isTrue();
        assertThat(budget.reserve(50)).as("60 + 50 > 100").isFalse();
        assertThat(budget.used())
                .as("a refused reservation leaves nothing behind")
                .isEqualTo(60);
        assertThat(budget.reserve(40)).isTrue();
        budget.release(100);
        assertThat(budget.used()).isZero();
        assertThat(budget.reserve(100)).isTrue();
    }
}
