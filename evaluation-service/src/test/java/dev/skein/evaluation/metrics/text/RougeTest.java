package dev.skein.evaluation.metrics.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** ROUGE as rouge_score computes it (no stemming), on cases worked out by hand. */
class RougeTest {

    private static final double EPS = 1e-12;

    @Test
    void shouldScoreOverlappingSentencesAsRougeScoreDoes() {
        Rouge.Scores s = Rouge.score("the cat sat on the mat", "the cat is on the mat", true);
        // unigrams: the×2, cat, on, mat shared of 6 each side
        assertThat(s.rouge1()).isCloseTo(5.0 / 6, within(EPS));
        // bigrams: "the cat", "on the", "the mat" of 5 each side
        assertThat(s.rouge2()).isCloseTo(0.6, within(EPS));
        // LCS: the cat on the mat
        assertThat(s.rougeL()).isCloseTo(5.0 / 6, within(EPS));
        assertThat(s.rougeLsum()).isCloseTo(5.0 / 6, within(EPS));
    }

    @Test
    void shouldTakeTheUnionOfSentenceLcsForRougeLsum() {
        // Lin (2004)'s example: reference w1..w5, candidate sentences sharing w1 w2 and w1 w3 w5
        Rouge.Scores s = Rouge.score("w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5", "w1 w2 w3 w4 w5", true);
        double precision = 4.0 / 10;
        double recall = 4.0 / 5;
        assertThat(s.rougeLsum()).isCloseTo(2 * precision * recall / (precision + recall), within(EPS));
        // as one sequence the candidate shares the subsequence w1 w2 w3 w5 too
        assertThat(s.rougeL()).isCloseTo(2 * 0.4 * 0.8 / 1.2, within(EPS));
    }

    @Test
    void shouldCountEachRepeatedTokenAtMostAsOftenAsItIsUnusedInRougeLsum() {
        // both reference sentences match the same single "a" of the prediction: it is counted once
        Rouge.Scores s = Rouge.score("a", "a\na", true);
        double precision = 1.0;
        double recall = 1.0 / 2;
        assertThat(s.rougeLsum()).isCloseTo(2 * precision * recall / (precision + recall), within(EPS));
    }

    @Test
    void shouldLowerCaseAndSplitOnAnythingButAsciiLettersAndDigits() {
        assertThat(Rouge.tokens("Héllo, WORLD!! 42_x")).containsExactly("h", "llo", "world", "42", "x");
        assertThat(Rouge.tokens("  ¿¡ …  ")).isEmpty();
    }

    @Test
    void shouldScoreZeroWhenEitherSideHasNoTokens() {
        Rouge.Scores s = Rouge.score("", "some reference text", true);
        assertThat(s.rouge1()).isZero();
        assertThat(s.rouge2()).isZero();
        assertThat(s.rougeL()).isZero();
        assertThat(s.rougeLsum()).isZero();
        assertThat(Rouge.score("!!!", "...", true).rouge1()).isZero();
    }

    @Test
    void shouldScoreRouge2ZeroForOneWordTextsEvenWhenTheyMatch() {
        Rouge.Scores s = Rouge.score("yes", "yes", true);
        assertThat(s.rouge1()).isEqualTo(1.0);
        assertThat(s.rouge2()).isZero();
        assertThat(s.rougeL()).isEqualTo(1.0);
    }

    @Test
    void shouldLeaveTheLcsScoresUnscoredWhenTheTextsAreTooLongToCompare() {
        // 5,000 × 5,000 token pairs: past the limit, whether or not the texts are split into lines
        String longText = "w ".repeat(5000);
        Rouge.Scores s = Rouge.score(longText, longText, true);
        assertThat(s.rougeLsum()).isNaN();
        assertThat(s.rougeL()).isNaN();
        assertThat(s.rouge1()).isEqualTo(1.0);
        String lines = "w\n".repeat(5000);
        assertThat(Rouge.score(lines, lines, true).rougeLsum()).isNaN();
        assertThat(Rouge.score("a b", "a b", false).rougeLsum()).isNaN();
    }
}
