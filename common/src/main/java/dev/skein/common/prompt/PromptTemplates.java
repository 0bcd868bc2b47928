package dev.skein.common.prompt;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MLflow's {@code {{var}}} rule ({@code PROMPT_TEMPLATE_VARIABLE_PATTERN}) for prompt templates: {@code {{ name }}}
 * with optional spaces, a name of letters, digits and '_' (not starting with a digit), dotted parts allowed;
 * everything else is text. registry-service renders registered prompts with it, evaluation-service prompt
 * evaluations' rows.
 */
public final class PromptTemplates {

    public static final Pattern VARIABLE =
            Pattern.compile("\\{\\{\\s*([a-zA-Z_][a-zA-Z0-9_]*(?:\\.[a-zA-Z_][a-zA-Z0-9_]*)*)\\s*\\}\\}");

    private PromptTemplates() {}

    /** The template's variables in order of first use. */
    public static List<String> variables(List<String> texts) {
        Set<String> found = new LinkedHashSet<>();
        for (String text : texts) {
            Matcher m = VARIABLE.matcher(text);
            while (m.find()) {
                found.add(m.group(1));
            }
        }
        return List.copyOf(found);
    }

    /** {@link #fill}'s length, without making the text: the template's text plus each variable's value. */
    public static long filledLength(String text, Map<String, String> values) {
        long length = text.length();
        Matcher m = VARIABLE.matcher(text);
        while (m.find()) {
            String v = values.get(m.group(1));
            length += (v == null ? 0 : v.length()) - (m.end() - m.start());
        }
        return length;
    }

    /** The text with every variable replaced by its value (each variable must have one). */
    public static String fill(String text, Map<String, String> values) {
        return VARIABLE.matcher(text).replaceAll(m -> Matcher.quoteReplacement(values.get(m.group(1))));
    }
}
