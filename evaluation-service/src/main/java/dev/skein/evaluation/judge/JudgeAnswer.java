package dev.skein.evaluation.judge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A judge's answer read as MLflow 2.17 reads it ({@code _extract_score_and_justification}): the words "score" and
 * "justification" in any case; JSON first ({@code {"score": 4, "justification": "..."}}, the score taken as a whole
 * number), then {@code score: N, justification: ...} on one line, then {@code score: N} and {@code justification: ...}
 * across lines. Anything else gives no score and, as the justification, why — never a made-up value.
 */
public record JudgeAnswer(Integer score, String justification) {

    /** A justification is kept up to this many characters (it is a cell of the results table, per row and judge). */
    static final int MAX_JUSTIFICATION = 5000;

    public JudgeAnswer {
        if (justification != null && justification.length() > MAX_JUSTIFICATION) {
            justification = justification.substring(0, MAX_JUSTIFICATION) + "…";
        }
    }

    /** As Python's json.loads: text after the value is an error (then the text forms are tried). */
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final Pattern SCORE_WORD = Pattern.compile("(?i)score");
    private static final Pattern JUSTIFICATION_WORD = Pattern.compile("(?i)justification");
    private static final Pattern ONE_LINE = Pattern.compile("score: (\\d+),?\\s*justification: (.+)");
    private static final Pattern LINES =
            Pattern.compile("\\s*score:\\s*(\\d+)\\s*justification:\\s*(.+)", Pattern.DOTALL);
    /** A raw answer quoted in a reason is cut to this many characters. */
    static final int MAX_QUOTED = 2000;

    public static JudgeAnswer failed(String reason) {
        return new JudgeAnswer(null, reason);
    }

    public static JudgeAnswer parse(String raw) {
        if (raw == null || raw.isEmpty()) {
            return failed("The judge gave an empty answer.");
        }
        String text = SCORE_WORD.matcher(raw).replaceAll("score");
        text = JUSTIFICATION_WORD.matcher(text).replaceAll("justification");
        JsonNode node = null;
        try {
            node = JSON.readTree(text);
        } catch (Exception e) {
            // not JSON: the text forms below
        }
        if (node != null && !node.isMissingNode()) {
            JsonNode score = node.path("score");
            JsonNode justification = node.path("justification");
            Integer value = wholeScore(score);
            if (value == null || !justification.isTextual()) {
                return unreadable(text);
            }
            return new JudgeAnswer(value, justification.asText());
        }
        Matcher m = ONE_LINE.matcher(text);
        if (!m.find()) {
            m = LINES.matcher(text);
            if (!m.find()) {
                return unreadable(text);
            }
        }
        try {
            return new JudgeAnswer(Integer.parseInt(m.group(1)), m.group(2));
        } catch (NumberFormatException e) {
            return unreadable(text);
        }
    }

    /** Python's {@code int()} of the JSON score: a number (truncated) or a string of digits. */
    private static Integer wholeScore(JsonNode score) {
        if (score.isNumber()) {
            double d = score.asDouble();
            return Double.isFinite(d) && Math.abs(d) < Integer.MAX_VALUE ? (int) d : null;
        }
        if (score.isTextual()) {
            try {
                return Integer.parseInt(score.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static JudgeAnswer unreadable(String text) {
        String quoted = text.length() > MAX_QUOTED ? text.substring(0, MAX_QUOTED) + "…" : text;
        return failed("Failed to extract score and justification. Raw output: " + quoted);
    }
}
