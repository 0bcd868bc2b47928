package dev.skein.evaluation.metrics.text;

import java.util.Locale;
import java.util.Objects;

/**
 * The per-row scores of MLflow 2.17.2's {@code flesch_kincaid_grade_level} and {@code ari_grade_level}: what
 * {@code textstat.flesch_kincaid_grade(text)} and {@code textstat.automated_readability_index(text)} return in textstat
 * 0.7.4 (the release a {@code pip install textstat} gave in Oct 2024; MLflow does not pin it), with its default
 * settings (en_US, rounding on, apostrophes removed).
 *
 * <p>textstat's counts, restated on code points as Python counts them:
 *
 * <ul>
 *   <li><b>characters</b>: every code point that is not whitespace, punctuation included;
 *   <li><b>words</b>: after removing every code point that is neither a word character (Python's {@code \w}: a
 *       letter, a number or {@code _}) nor whitespace, the whitespace-separated pieces ({@code don't} and
 *       {@code well-known} are one word each, a lone {@code -} is none);
 *   <li><b>sentences</b>: the pieces {@code \b[^.!?]+[.!?]*} finds, less those of at most two words, at least 1;
 *   <li><b>syllables</b>: per word of the lower-cased text, pyphen's en_US hyphenation points (Liang's patterns from
 *       LibreOffice's {@code hyph_en_US.dic}, at least 2 letters from either end) plus one.
 * </ul>
 *
 * <p>Rounding is textstat's {@code _legacy_round}: {@code floor(x * 10^p + copysign(0.5, x)) / 10^p}, which takes
 * a negative number one step further from zero ({@code -15.59} becomes {@code -15.7}). Text without words scores
 * {@code -15.7} (Flesch-Kincaid: sentence length 0 over the minimum of one sentence, syllables per word 0 by
 * textstat's zero-division rule) and {@code 0.0} (ARI: zero division). Every string has a score; MLflow never calls
 * these on anything else (a non-string prediction skips the whole metric), so {@code null} is refused.
 */
public final class Readability {

    private static final class Holder {
        private static final LiangHyphenator EN_US = LiangHyphenator.fromResource("hyph_en_US.dic", 2, 2);
    }

    private Readability() {}

    /** {@code textstat.flesch_kincaid_grade(text)}: 0.39 × words/sentence + 11.8 × syllables/word − 15.59. */
    public static double fleschKincaidGrade(String text) {
        Objects.requireNonNull(text, "text");
        int[] cps = text.codePoints().toArray();
        int words = lexiconCount(cps, 0, cps.length);
        double sentenceLength = legacyRound((double) words / sentenceCount(cps), 1);
        double syllablesPerWord = words == 0 ? 0.0 : legacyRound((double) syllableCount(text) / words, 1);
        return legacyRound(0.39 * sentenceLength + 11.8 * syllablesPerWord - 15.59, 1);
    }

    /** {@code textstat.automated_readability_index(text)}: 4.71 × characters/word + 0.5 × words/sentence − 21.43. */
    public static double automatedReadabilityIndex(String text) {
        Objects.requireNonNull(text, "text");
        int[] cps = text.codePoints().toArray();
        int words = lexiconCount(cps, 0, cps.length);
        if (words == 0) {
            return 0.0;
        }
        double charactersPerWord = (double) charCount(cps) / words;
        double wordsPerSentence = (double) words / sentenceCount(cps);
        return legacyRound(
                4.71 * legacyRound(charactersPerWord, 2) + 0.5 * legacyRound(wordsPerSentence, 2) - 21.43, 1);
    }

    /** textstat's {@code _legacy_round(number, points)} with rounding on. */
    static double legacyRound(double number, int points) {
        double scale = points == 0 ? 1.0 : points == 1 ? 10.0 : points == 2 ? 100.0 : Math.pow(10, points);
        return Math.floor(number * scale + Math.copySign(0.5, number)) / scale;
    }

    /** textstat's {@code char_count(text)}: code points that are not whitespace. */
    static int charCount(String text) {
        return charCount(text.codePoints().toArray());
    }

    private static int charCount(int[] cps) {
        int count = 0;
        for (int cp : cps) {
            if (!isSpace(cp)) {
                count++;
            }
        }
        return count;
    }

    /** textstat's {@code lexicon_count(text)}. */
    static int lexiconCount(String text) {
        int[] cps = text.codePoints().toArray();
        return lexiconCount(cps, 0, cps.length);
    }

    private static int lexiconCount(int[] cps, int from, int to) {
        int count = 0;
        boolean inWord = false;
        for (int i = from; i < to; i++) {
            int cp = cps[i];
            if (isSpace(cp)) {
                inWord = false;
            } else if (isWord(cp)) {
                if (!inWord) {
                    count++;
                    inWord = true;
                }
            }
            // any other code point is punctuation: removed, so it neither starts nor ends a word
        }
        return count;
    }

    /** textstat's {@code sentence_count(text)}. */
    static int sentenceCount(String text) {
        return sentenceCount(text.codePoints().toArray());
    }

    private static int sentenceCount(int[] cps) {
        // re.findall(r'\b[^.!?]+[.!?]*', text): at each start, a word boundary then as many non-terminators as
        // there are (at least one) then as many terminators; the next search starts where a match ended
        int pieces = 0;
        int shortPieces = 0;
        int pos = 0;
        while (pos < cps.length) {
            boolean boundary = (pos > 0 && isWord(cps[pos - 1])) != isWord(cps[pos]);
            if (!boundary || isTerminator(cps[pos])) {
                pos++;
                continue;
            }
            int end = pos;
            while (end < cps.length && !isTerminator(cps[end])) {
                end++;
            }
            while (end < cps.length && isTerminator(cps[end])) {
                end++;
            }
            pieces++;
            if (lexiconCount(cps, pos, end) <= 2) {
                shortPieces++;
            }
            pos = end;
        }
        return Math.max(1, pieces - shortPieces);
    }

    private static boolean isTerminator(int cp) {
        return cp == '.' || cp == '!' || cp == '?';
    }

    /** textstat's {@code syllable_count(text)}: lower-case, remove punctuation, pyphen positions + 1 per word. */
    static int syllableCount(String text) {
        int[] cps = text.toLowerCase(Locale.ROOT).codePoints().toArray();
        int count = 0;
        StringBuilder word = new StringBuilder();
        for (int i = 0; i <= cps.length; i++) {
            if (i == cps.length || isSpace(cps[i])) {
                if (!word.isEmpty()) {
                    count += Holder.EN_US.positions(word.toString()).length + 1;
                    word.setLength(0);
                }
            } else if (isWord(cps[i])) {
                word.appendCodePoint(cps[i]);
            }
        }
        return count;
    }

    /** pyphen's en_US hyphenation points of an already lower-cased, punctuation-free word (for tests). */
    static int[] hyphenationPositions(String word) {
        return Holder.EN_US.positions(word);
    }

    /**
     * Python's {@code \w} on a str (and {@code str.isalnum() or '_'}): Unicode categories L* and N*, and {@code _}.
     * Java's tables are Unicode 13 (Java 17); Python 3.11's are Unicode 14.
     */
    static boolean isWord(int cp) {
        if (cp == '_') {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER,
                    Character.LOWERCASE_LETTER,
                    Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER,
                    Character.OTHER_LETTER,
                    Character.DECIMAL_DIGIT_NUMBER,
                    Character.LETTER_NUMBER,
                    Character.OTHER_NUMBER -> true;
            default -> false;
        };
    }

    /** Python's {@code \s} on a str, {@code str.isspace()} and what {@code str.split()} splits on. */
    static boolean isSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D)
                || (cp >= 0x1C && cp <= 0x20)
                || cp == 0x85
                || cp == 0xA0
                || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028
                || cp == 0x2029
                || cp == 0x202F
                || cp == 0x205F
                || cp == 0x3000;
    }

    /** Python's {@code str.strip()}. */
    static String pythonStrip(String s) {
        int[] cps = s.codePoints().toArray();
        int from = 0;
        int to = cps.length;
        while (from < to && isSpace(cps[from])) {
            from++;
        }
        while (to > from && isSpace(cps[to - 1])) {
            to--;
        }
        return new String(cps, from, to - from);
    }
}
