package dev.skein.cli.recipes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.cli.Api;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code {{ NAME }}} in a recipe's text replaced by the profile's value of NAME, as MLflow Recipes fill recipe.yaml
 * from {@code profiles/<profile>.yaml}: a scalar as its text, a list or a mapping as a YAML flow collection (JSON), so
 * {@code columns: {{ COLUMNS }}} becomes a list. A name the profile does not define is an error naming the file and
 * the line. Whole-line comments are left as they are.
 */
final class Template {

    static final Pattern VARIABLE = Pattern.compile("\\{\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*}}");
    private static final Pattern UNCLOSED = Pattern.compile("\\{\\{(?![^\\n]*}})");

    private Template() {}

    /** {@code text} (read from {@code file}, named in errors) with every variable filled from {@code values}. */
    static String render(String text, String file, Map<String, JsonNode> values, String valuesFile) {
        StringBuilder out = new StringBuilder();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.stripLeading().startsWith("#")) {
                // a comment line is left as it is (it may speak of {{ NAME }})
                out.append(line);
                if (i < lines.length - 1) {
                    out.append('\n');
                }
                continue;
            }
            if (UNCLOSED.matcher(line).find()) {
                throw new RecipeException(file + ":" + (i + 1) + ": '{{' without its '}}'");
            }
            Matcher m = VARIABLE.matcher(line);
            StringBuilder rendered = new StringBuilder();
            while (m.find()) {
                String name = m.group(1);
                JsonNode value = values.get(name);
                if (value == null) {
                    throw new RecipeException(file + ":" + (i + 1) + ": {{ " + name + " }} is not defined in "
                            + valuesFile + " (it defines " + new TreeSet<>(values.keySet()) + ")");
                }
                m.appendReplacement(rendered, Matcher.quoteReplacement(text(value)));
            }
            m.appendTail(rendered);
            out.append(rendered);
            if (i < lines.length - 1) {
                out.append('\n');
            }
        }
        return out.toString();
    }

    private static String text(JsonNode value) {
        if (value.isNull()) {
            return "null";
        }
        if (value.isValueNode()) {
            return value.asText();
        }
        try {
            return Api.JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
