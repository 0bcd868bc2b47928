package dev.skein.cli.projects;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An entry point: its declared parameters (in order) and its command template with {@code {param}} holes. */
public record EntryPoint(String name, Map<String, Parameter> parameters, String command) {

    private static final Pattern HOLE = Pattern.compile("\\{\\{|}}|\\{([^{}]*)}");

    /** The entry point's parameters and command for the values given with {@code -P}. */
    public record Resolved(Map<String, String> params, Map<String, String> extra, String command) {

        /** Every parameter as the run records it: the declared ones (defaults included), then the extra ones. */
        public Map<String, String> all() {
            Map<String, String> all = new LinkedHashMap<>(params);
            all.putAll(extra);
            return all;
        }
    }

    /**
     * As MLflow's {@code compute_command}: required parameters checked, each value checked against its type, the
     * values shell-quoted into the template, and parameters the entry point does not declare appended as
     * {@code --key value}.
     */
    public Resolved resolve(Map<String, String> given, Path base) {
        List<String> missing = new ArrayList<>();
        parameters.values().forEach(p -> {
            if (p.required() && !given.containsKey(p.name())) {
                missing.add("'" + p.name() + "'");
            }
        });
        if (!missing.isEmpty()) {
            throw new ProjectException("No value given for missing parameters: " + String.join(", ", missing));
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (Parameter p : parameters.values()) {
            String value = given.containsKey(p.name()) ? given.get(p.name()) : p.defaultValue();
            params.put(p.name(), p.resolve(value, base));
        }
        Map<String, String> extra = new LinkedHashMap<>();
        given.forEach((k, v) -> {
            if (!parameters.containsKey(k)) {
                extra.put(k, v);
            }
        });
        StringBuilder command = new StringBuilder(fill(params));
        extra.forEach((k, v) ->
                command.append(" --").append(ShellQuote.quote(k)).append(' ').append(ShellQuote.quote(v)));
        return new Resolved(params, extra, command.toString());
    }

    /** Python's {@code str.format(**params)}: {@code {name}} replaced, {@code {{}}} for braces. */
    private String fill(Map<String, String> params) {
        Matcher m = HOLE.matcher(command);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("{{")) {
                replacement = "{";
            } else if (m.group().equals("}}")) {
                replacement = "}";
            } else if (params.containsKey(m.group(1))) {
                replacement = ShellQuote.quote(params.get(m.group(1)));
            } else {
                throw new ProjectException("the command of entry point '" + name + "' uses {" + m.group(1)
                        + "}, which is not one of its parameters " + params.keySet());
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
