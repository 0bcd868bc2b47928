package dev.skein.evaluation.metrics.text;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Liang's hyphenation over a Hunspell/LibreOffice {@code hyph_*.dic} pattern file, reading it and placing the
 * break points the way the Python package pyphen (0.13 to 0.17) does, because textstat counts a word's syllables as
 * the number of pyphen's positions plus one.
 *
 * <p>pyphen's ways, kept here on purpose: the first line names the charset; a line is stripped of whitespace and
 * skipped when empty or starting with {@code %}, {@code #}, {@code LEFTHYPHENMIN}, {@code RIGHTHYPHENMIN},
 * {@code COMPOUNDLEFTHYPHENMIN} or {@code COMPOUNDRIGHTHYPHENMIN} (so the file's own LEFT/RIGHTHYPHENMIN are ignored:
 * the minima are the caller's, textstat keeps pyphen's 2 and 2); {@code ^^hh} stands for a character; a non-standard
 * pattern ({@code /} and {@code =}) counts only by its part before {@code /}; a pattern whose values are all zero is
 * dropped; a later pattern with the same letters replaces an earlier one; there is no {@code NEXTLEVEL}. Positions
 * are counted in code points, like Python's strings.
 */
final class LiangHyphenator {

    private record Rule(int offset, int[] values) {}

    private final Map<String, Rule> rules;
    /** Every non-empty prefix of a pattern's letters: a longer pattern cannot start where a prefix is missing. */
    private final Set<String> prefixes = new HashSet<>();

    private final int maxLength;
    private final int left;
    private final int right;

    private LiangHyphenator(Map<String, Rule> rules, int left, int right) {
        this.rules = rules;
        this.left = left;
        this.right = right;
        this.maxLength = rules.keySet().stream()
                .mapToInt(k -> k.codePointCount(0, k.length()))
                .max()
                .orElse(0);
        for (String key : rules.keySet()) {
            if (key.isEmpty()) {
                continue; // pyphen keeps it but never looks it up
            }
            for (int end = key.offsetByCodePoints(0, 1); ; end = key.offsetByCodePoints(end, 1)) {
                prefixes.add(key.substring(0, end));
                if (end == key.length()) {
                    break;
                }
            }
        }
    }

    /** Reads a dictionary as pyphen's {@code HyphDict} does; {@code left}/{@code right} as {@code Pyphen}'s. */
    static LiangHyphenator read(InputStream in, int left, int right) throws IOException {
        byte[] bytes = in.readAllBytes();
        int firstLineEnd = indexOf(bytes, (byte) '\n');
        String charsetName = Readability.pythonStrip(
                new String(bytes, 0, firstLineEnd < 0 ? bytes.length : firstLineEnd, StandardCharsets.US_ASCII));
        if (charsetName.toLowerCase(Locale.ROOT).equals("microsoft-cp1251")) {
            charsetName = "windows-1251";
        }
        Charset charset = Charset.forName(charsetName);
        Map<String, Rule> rules = new HashMap<>();
        int start = firstLineEnd < 0 ? bytes.length : firstLineEnd + 1;
        while (start < bytes.length) {
            int end = indexOf(bytes, (byte) '\n', start);
            int stop = end < 0 ? bytes.length : end + 1;
            String line = Readability.pythonStrip(new String(bytes, start, stop - start, charset));
            start = stop;
            addPattern(rules, line);
        }
        return new LiangHyphenator(rules, left, right);
    }

    private static void addPattern(Map<String, Rule> rules, String line) {
        if (line.isEmpty()
                || line.startsWith("%")
                || line.startsWith("#")
                || line.startsWith("LEFTHYPHENMIN")
                || line.startsWith("RIGHTHYPHENMIN")
                || line.startsWith("COMPOUNDLEFTHYPHENMIN")
                || line.startsWith("COMPOUNDRIGHTHYPHENMIN")) {
            return;
        }
        String pattern = replaceHexEscapes(line);
        if (pattern.contains("/") && pattern.contains("=")) {
            pattern = pattern.substring(0, pattern.indexOf('/'));
        }
        // Python's re.findall(r'(\d?)(\D?)', pattern): one (digit, letter) pair per step, either part may be empty
        int[] cps = pattern.codePoints().toArray();
        StringBuilder letters = new StringBuilder();
        List<Integer> values = new ArrayList<>();
        int i = 0;
        while (i < cps.length) {
            int value = 0;
            if (Character.getType(cps[i]) == Character.DECIMAL_DIGIT_NUMBER) {
                value = Character.digit(cps[i], 10);
                i++;
            }
            if (i < cps.length && Character.getType(cps[i]) != Character.DECIMAL_DIGIT_NUMBER) {
                letters.appendCodePoint(cps[i]);
                i++;
            }
            values.add(value);
        }
        values.add(0); // the empty match at the end
        int first = 0;
        int last = values.size();
        while (first < last && values.get(first) == 0) {
            first++;
        }
        if (first == last) {
            return;
        }
        while (values.get(last - 1) == 0) {
            last--;
        }
        int[] kept =
                values.subList(first, last).stream().mapToInt(Integer::intValue).toArray();
        rules.put(letters.toString(), new Rule(first, kept));
    }

    private static String replaceHexEscapes(String line) {
        StringBuilder out = new StringBuilder(line.length());
        int i = 0;
        while (i < line.length()) {
            if (i + 3 < line.length()
                    && line.charAt(i) == '^'
                    && line.charAt(i + 1) == '^'
                    && isLowerHex(line.charAt(i + 2))
                    && isLowerHex(line.charAt(i + 3))) {
                out.append((char) Integer.parseInt(line.substring(i + 2, i + 4), 16));
                i += 4;
            } else {
                out.append(line.charAt(i));
                i++;
            }
        }
        return out.toString();
    }

    private static boolean isLowerHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }

    private static int indexOf(byte[] bytes, byte b) {
        return indexOf(bytes, b, 0);
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * pyphen's {@code Pyphen.positions(word)}: the break points of {@code word} (code point offsets), those closer
     * than {@code left} to its start or {@code right} to its end left out. The patterns see the word lower-cased.
     */
    int[] positions(String word) {
        int wordLength = word.codePointCount(0, word.length());
        int[] dotted = ("." + word.toLowerCase(Locale.ROOT) + ".").codePoints().toArray();
        int[] points = new int[dotted.length + 1];
        for (int i = 0; i < dotted.length - 1; i++) {
            int stop = Math.min(i + maxLength, dotted.length);
            for (int j = i + 1; j <= stop; j++) {
                String letters = new String(dotted, i, j - i);
                if (!prefixes.contains(letters)) {
                    break; // what pyphen would look up from here on is in no pattern
                }
                Rule rule = rules.get(letters);
                if (rule == null) {
                    continue;
                }
                for (int k = 0; k < rule.values.length; k++) {
                    int at = i + rule.offset + k;
                    if (at < points.length) {
                        points[at] = Math.max(points[at], rule.values[k]);
                    }
                }
            }
        }
        int limit = wordLength - right;
        return IntStream.range(0, points.length)
                .filter(i -> points[i] % 2 == 1)
                .map(i -> i - 1)
                .filter(p -> p >= left && p <= limit)
                .toArray();
    }

    /** Reads the class-path resource {@code name} next to this class. */
    static LiangHyphenator fromResource(String name, int left, int right) {
        try (InputStream in = LiangHyphenator.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return read(in, left, right);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
