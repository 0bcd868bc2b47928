package dev.skein.evaluation.metrics.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link Readability} against {@code golden/text/readability_golden.json}, written by readability_golden.py: textstat
 * 0.7.4's counts and formulas restated in Python, with Debian's pyphen counting syllables on the committed dictionary;
 * pyphen's own break points for ~5,600 words; Python 3.11's {@code \w}, {@code \s} and {@code str.lower()} for every
 * code point.
 */
class ReadabilityTest {

    private static final double TOLERANCE = 1e-9;
    private static JsonNode golden;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = ReadabilityTest.class.getResourceAsStream("/golden/text/readability_golden.json")) {
            golden = new ObjectMapper().readTree(in);
        }
    }

    @TestFactory
    Stream<DynamicTest> shouldScoreEveryGoldenTextAsTextstatDoes() {
        List<JsonNode> cases = new ArrayList<>();
        golden.get("cases").forEach(cases::add);
        assertThat(cases).hasSizeGreaterThanOrEqualTo(40);
        return cases.stream()
                .map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                    String text = c.get("text").asText();
                    assertThat(Readability.charCount(text))
                            .as("chars")
                            .isEqualTo(c.get("chars").asInt());
                    assertThat(Readability.lexiconCount(text))
                            .as("words")
                            .isEqualTo(c.get("words").asInt());
                    assertThat(Readability.sentenceCount(text))
                            .as("sentences")
                            .isEqualTo(c.get("sentences").asInt());
                    assertThat(Readability.syllableCount(text))
                            .as("syllables")
                            .isEqualTo(c.get("syllables").asInt());
                    assertThat(Readability.fleschKincaidGrade(text))
                            .as("flesch_kincaid_grade")
                            .isCloseTo(c.get("flesch_kincaid_grade").asDouble(), within(TOLERANCE));
                    assertThat(Readability.automatedReadabilityIndex(text))
                            .as("automated_readability_index")
                            .isCloseTo(c.get("automated_readability_index").asDouble(), within(TOLERANCE));
                }));
    }

    @Test
    void shouldPlaceHyphenationPointsWherePyphenDoes() {
        JsonNode words = golden.get("words");
        assertThat(words.size()).isGreaterThan(5000);
        List<String> wrong = new ArrayList<>();
        for (JsonNode w : words) {
            String word = w.get(0).asText();
            int[] expected = new int[w.get(1).size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = w.get(1).get(i).asInt();
            }
            int[] actual = Readability.hyphenationPositions(word);
            if (!Arrays.equals(actual, expected)) {
                wrong.add(word + ": " + Arrays.toString(actual) + " != " + Arrays.toString(expected));
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void shouldUseTheDictionaryTheGoldenWasMadeWith() throws Exception {
        try (InputStream in = Readability.class.getResourceAsStream("hyph_en_US.dic")) {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(in.readAllBytes());
            assertThat(HexFormat.of().formatHex(digest))
                    .isEqualTo(golden.get("dictionary_sha256").asText());
        }
    }

    @Test
    void shouldClassifyWordCharactersAsPythonDoesWhereJavaKnowsTheCodePoint() {
        boolean[] pythonWord = new boolean[Character.MAX_CODE_POINT + 1];
        for (JsonNode range : golden.get("unicode").get("word_ranges")) {
            for (int cp = range.get(0).asInt(); cp <= range.get(1).asInt(); cp++) {
                pythonWord[cp] = true;
            }
        }
        List<String> differences = new ArrayList<>();
        int newerThanJava = 0;
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (Readability.isWord(cp) == pythonWord[cp]) {
                continue;
            }
            if (Character.getType(cp) == Character.UNASSIGNED) {
                newerThanJava++; // assigned in Python's Unicode 14, not yet in Java 17's Unicode 13
            } else {
                differences.add(Integer.toHexString(cp));
            }
        }
        assertThat(differences).isEmpty();
        assertThat(newerThanJava).isLessThan(1000);
    }

    @Test
    void shouldClassifyWhitespaceAsPythonDoes() {
        List<Integer> python = new ArrayList<>();
        golden.get("unicode").get("spaces").forEach(n -> python.add(n.asInt()));
        List<Integer> java = new ArrayList<>();
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (Readability.isSpace(cp)) {
                java.add(cp);
            }
        }
        assertThat(java).isEqualTo(python);
    }

    @Test
    void shouldLowerCaseEveryCodePointAsPythonDoesWhereJavaKnowsIt() {
        String[] pythonLower = new String[Character.MAX_CODE_POINT + 1];
        for (JsonNode pair : golden.get("unicode").get("lower")) {
            StringBuilder s = new StringBuilder();
            pair.get(1).forEach(n -> s.appendCodePoint(n.asInt()));
            pythonLower[pair.get(0).asInt()] = s.toString();
        }
        List<String> differences = new ArrayList<>();
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            String self = new String(Character.toChars(cp));
            String expected = pythonLower[cp] == null ? self : pythonLower[cp];
            if (!self.toLowerCase(Locale.ROOT).equals(expected) && Character.getType(cp) != Character.UNASSIGNED) {
                differences.add(Integer.toHexString(cp));
            }
        }
        assertThat(differences).isEmpty();
    }

    @Test
    void shouldRoundAsTextstatsLegacyRoundDoes() {
        // floor(x * 10^p + copysign(0.5, x)) / 10^p: half away from zero for positives, one step further for negatives
        assertThat(Readability.legacyRound(2.25, 1)).isEqualTo(2.3);
        assertThat(Readability.legacyRound(-15.59, 1)).isEqualTo(-15.7);
        assertThat(Readability.legacyRound(-0.04, 1)).isEqualTo(-0.1);
        assertThat(Readability.legacyRound(4.4449, 2)).isEqualTo(4.44);
    }

    @Test
    void shouldScoreTextWithoutWordsAsTextstatsZeroDivisionRulesDo() {
        for (String text : new String[] {"", "   \n\t", "?!... ---"}) {
            assertThat(Readability.fleschKincaidGrade(text)).as(text).isEqualTo(-15.7);
            assertThat(Readability.automatedReadabilityIndex(text)).as(text).isEqualTo(0.0);
        }
    }

    @Test
    void shouldRefuseNullSinceMlflowSkipsTheMetricForNonStrings() {
        assertThatThrownBy(() -> Readability.fleschKincaidGrade(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Readability.automatedReadabilityIndex(null)).isInstanceOf(NullPointerException.class);
    }
}
