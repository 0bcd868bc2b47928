package dev.skein.evaluation.judge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JudgeAnswerTest {

    @Test
    void shouldReadJsonFirst() {
        JudgeAnswer a = JudgeAnswer.parse("{\"score\": 4, \"justification\": \"close to the target\"}");
        assertThat(a.score()).isEqualTo(4);
        assertThat(a.justification()).isEqualTo("close to the target");
        // Python's int(): a float score is truncated, a string of digits read
        assertThat(JudgeAnswer.parse("{\"Score\": 3.9, \"Justification\": \"x\"}")
                        .score())
                .isEqualTo(3);
        assertThat(JudgeAnswer.parse("{\"score\": \"2\", \"justification\": \"x\"}")
                        .score())
                .isEqualTo(2);
    }

    @Test
    void shouldReadTheTextFormsInAnyCase() {
        assertThat(JudgeAnswer.parse("score: 5, justification: all of it")).isEqualTo(new JudgeAnswer(5, "all of it"));
        // as MLflow's first pattern: the justification runs to the end of its line
        assertThat(JudgeAnswer.parse("Score: 2\nJustification: misses\nthe point"))
                .isEqualTo(new JudgeAnswer(2, "misses"));
        assertThat(JudgeAnswer.parse("  SCORE:3   JUSTIFICATION:   fair").score())
                .isEqualTo(3);
    }

    @Test
    void shouldGiveNoScoreAndTheRawAnswerWhenItCannotBeRead() {
        JudgeAnswer prose = JudgeAnswer.parse("I would say the answer is quite good overall.");
        assertThat(prose.score()).isNull();
        assertThat(prose.justification())
                .isEqualTo("Failed to extract score and justification. Raw output: "
                        + "I would say the answer is quite good overall.");
        // JSON without a usable score, or followed by more text than JSON allows, is not made up either
        assertThat(JudgeAnswer.parse("{\"score\": \"high\", \"justification\": \"x\"}")
                        .score())
                .isNull();
        assertThat(JudgeAnswer.parse("{\"justification\": \"x\"}").score()).isNull();
        assertThat(JudgeAnswer.parse("score: four justification: x").score()).isNull();
        assertThat(JudgeAnswer.parse("").score()).isNull();
    }
}
