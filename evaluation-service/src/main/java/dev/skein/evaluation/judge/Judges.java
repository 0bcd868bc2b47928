package dev.skein.evaluation.judge;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.skein.common.error.ApiException;
import dev.skein.proto.evaluation.v1.JudgeExample;
import dev.skein.proto.evaluation.v1.JudgeMetric;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Judge metrics as a spec gives them: checked when the evaluation is created (every limit before the work), and
 * resolved into {@link Judge}s. The five built-ins carry MLflow 2.17's meaning (what each grades, which grading
 * context columns it reads, whether it sees the input), in Skein's own words.
 */
public final class Judges {

    public static final int MAX_JUDGES = 10;
    public static final int MAX_DEFINITION = 10_000;
    public static final int MAX_GRADING_PROMPT = 20_000;
    public static final int MAX_EXAMPLES = 20;
    public static final int MAX_EXAMPLE_CHARS = 20_000;
    public static final int MAX_CONTEXT_COLUMNS = 10;
    static final String SCHEME = "endpoints:/";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,100}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** MLflow's default parameters of a judge call. */
    static final Map<String, Object> DEFAULT_PARAMETERS = defaults();

    private static Map<String, Object> defaults() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("temperature", 0.0);
        m.put("max_tokens", 200);
        m.put("top_p", 1.0);
        return m;
    }

    private record BuiltIn(String definition, String gradingPrompt, List<String> context, boolean includeInput) {}

    private static final Map<String, BuiltIn> BUILT_INS = Map.of(
            "answer_similarity",
            new BuiltIn(
                    "Answer similarity is how close the output's meaning is to the provided targets (the reference"
                            + " answer): the same facts and intent score high whatever the wording.",
                    rubric(
                            "The output's meaning has almost nothing in common with the targets.",
                            "The output shares some meaning with the targets but misses much of it.",
                            "The output's meaning matches the targets in about half of what matters.",
                            "The output matches the targets in most respects, with small gaps.",
                            "The output conveys everything significant that the targets convey."),
                    List.of("targets"),
                    false),
            "answer_correctness",
            new BuiltIn(
                    "Answer correctness is whether the output answers the input accurately, judged against the"
                            + " provided targets (the correct answer): right facts score high, wrong or"
                            + " contradicting ones low.",
                    rubric(
                            "The output is wrong: it contradicts the targets or has nothing in common with them.",
                            "The output gets a little right but is mostly inaccurate.",
                            "The output gets some of what the input asks right and some wrong.",
                            "The output is mostly accurate, with minor errors or omissions.",
                            "The output is accurate and agrees with the targets throughout."),
                    List.of("targets"),
                    true),
            "answer_relevance",
            new BuiltIn(
                    "Answer relevance is how well the output addresses the input: whether it answers what was"
                            + " asked and stays on it.",
                    rubric(
                            "The output ignores the input or is about something else.",
                            "The output touches the input's subject but does not answer it.",
                            "The output answers part of the input, or with much that is off the point.",
                            "The output answers the input, with a little that is off the point.",
                            "The output answers every part of the input and all of it is to the point."),
                    List.of(),
                    true),
            "relevance",
            new BuiltIn(
                    "Relevance is how well the output answers the input using the provided context: an output"
                            + " that draws on the context to answer the question scores high.",
                    rubric(
                            "The output ignores the input or the context.",
                            "The output relates to the input but makes little use of the context.",
                            "The output mostly answers the input and is largely in line with the context.",
                            "The output answers the input and is in line with the context.",
                            "The output answers the input fully, drawing on the context."),
                    List.of("context"),
                    true),
            "faithfulness",
            new BuiltIn(
                    "Faithfulness is whether the claims the output makes are supported by the provided context."
                            + " Claims the context does not support lower the score, whether or not they are"
                            + " true; what the output leaves out does not.",
                    rubric(
                            "None of the output's claims can be found in or inferred from the context.",
                            "A few of the output's claims are supported by the context; most are not.",
                            "About half or more of the output's claims are supported by the context.",
                            "Most of the output's claims are supported by the context; a few are not.",
                            "Every claim of the output is supported by the context."),
                    List.of("context"),
                    false));

    private static String rubric(String... levels) {
        StringBuilder b = new StringBuilder("Score by these levels:");
        for (int i = 0; i < levels.length; i++) {
            b.append("\n- Score ").append(i + 1).append(": ").append(levels[i]);
        }
        return b.toString();
    }

    private Judges() {}

    public static boolean isBuiltIn(String name) {
        return BUILT_INS.containsKey(name);
    }

    /**
     * Checks every judge (INVALID_PARAMETER_VALUE naming it) and resolves them; the endpoints' existence is checked
     * by the caller.
     */
    public static List<Judge> resolve(List<JudgeMetric> metrics) {
        if (metrics.size() > MAX_JUDGES) {
            throw ApiException.invalidParameter(
                    "An evaluation takes at most " + MAX_JUDGES + " judges, got " + metrics.size());
        }
        List<Judge> out = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < metrics.size(); i++) {
            Judge j = resolve(metrics.get(i), "spec.judges[" + i + "]");
            if (!keys.add(j.key())) {
                throw ApiException.invalidParameter("Judge " + j.key() + " is given more than once");
            }
            out.add(j);
        }
        return out;
    }

    private static Judge resolve(JudgeMetric m, String field) {
        if (!m.hasName() || !NAME.matcher(m.getName()).matches()) {
            throw ApiException.invalidParameter(field + ".name must be 1 to 100 letters, digits, '_', '.' or '-'"
                    + (m.hasName() ? ", got '" + cut(m.getName()) + "'" : ""));
        }
        String name = m.getName();
        String version = m.hasVersion() ? m.getVersion() : "v1";
        if (!NAME.matcher(version).matches()) {
            throw ApiException.invalidParameter(
                    field + ".version must be 1 to 100 letters, digits, '_', '.' or '-', got '" + cut(version) + "'");
        }
        if (!m.hasModel() || m.getModel().isEmpty()) {
            throw ApiException.invalidParameter("Missing value for required parameter '" + field + ".model'.");
        }
        if (!m.getModel().startsWith(SCHEME) || m.getModel().length() == SCHEME.length()) {
            throw ApiException.invalidParameter("Judge " + name + ": model '" + cut(m.getModel())
                    + "' is not supported; a judge is an endpoint of Skein's LLM gateway, given as"
                    + " 'endpoints:/<endpoint name>'");
        }
        String endpoint = m.getModel().substring(SCHEME.length());
        checkText(field + ".model", endpoint, 500);
        BuiltIn builtIn = BUILT_INS.get(name);
        boolean custom = m.hasDefinition() || m.hasGradingPrompt();
        String definition;
        String gradingPrompt;
        List<String> context;
        boolean includeInput;
        if (builtIn != null && !custom) {
            if (m.getGradingContextColumnsCount() > 0) {
                throw ApiException.invalidParameter("Judge " + name
                        + " is built in and reads the columns " + builtIn.context()
                        + "; map them with col_mapping instead of grading_context_columns");
            }
            definition = builtIn.definition();
            gradingPrompt = builtIn.gradingPrompt();
            context = builtIn.context();
            includeInput = m.hasIncludeInput() ? m.getIncludeInput() : builtIn.includeInput();
        } else {
            if (!m.hasDefinition() || m.getDefinition().isBlank()) {
                throw ApiException.invalidParameter("Missing value for required parameter '" + field
                        + ".definition' (a custom judge needs a definition and a grading_prompt"
                        + (builtIn != null ? "; give neither to use the built-in " + name : "")
                        + ").");
            }
            if (!m.hasGradingPrompt() || m.getGradingPrompt().isBlank()) {
                throw ApiException.invalidParameter(
                        "Missing value for required parameter '" + field + ".grading_prompt'.");
            }
            definition = m.getDefinition();
            gradingPrompt = m.getGradingPrompt();
            context = List.copyOf(m.getGradingContextColumnsList());
            includeInput = !m.hasIncludeInput() || m.getIncludeInput();
        }
        checkText(field + ".definition", definition, MAX_DEFINITION);
        checkText(field + ".grading_prompt", gradingPrompt, MAX_GRADING_PROMPT);
        if (context.size() > MAX_CONTEXT_COLUMNS) {
            throw ApiException.invalidParameter(
                    field + ".grading_context_columns names at most " + MAX_CONTEXT_COLUMNS + " columns");
        }
        for (String c : context) {
            if (c.isEmpty()) {
                throw ApiException.invalidParameter(field + ".grading_context_columns holds an empty name");
            }
            checkText(field + ".grading_context_columns", c, 500);
        }
        if (m.getExamplesCount() > MAX_EXAMPLES) {
            throw ApiException.invalidParameter(field + ".examples holds at most " + MAX_EXAMPLES + " examples");
        }
        List<Judge.Example> examples = new ArrayList<>();
        for (int i = 0; i < m.getExamplesCount(); i++) {
            examples.add(example(m.getExamples(i), field + ".examples[" + i + "]", context));
        }
        List<String> aggregations = m.getAggregationsCount() == 0
                ? Aggregates.DEFAULT
                : List.copyOf(new java.util.LinkedHashSet<>(m.getAggregationsList()));
        for (String a : aggregations) {
            if (!Aggregates.NAMES.contains(a)) {
                throw ApiException.invalidParameter(
                        field + ".aggregations: '" + cut(a) + "' is not one of " + String.join(", ", Aggregates.NAMES));
            }
        }
        Map<String, Object> parameters = new LinkedHashMap<>(DEFAULT_PARAMETERS);
        if (m.hasParameters()) {
            Map<String, Object> given = parameters(m.getParameters(), field + ".parameters");
            refuseSent(given, field + ".parameters");
            parameters.putAll(given);
        }
        return new Judge(
                name,
                version,
                endpoint,
                definition,
                gradingPrompt,
                examples,
                context,
                includeInput,
                aggregations,
                !m.hasGreaterIsBetter() || m.getGreaterIsBetter(),
                parameters);
    }

    private static Judge.Example example(JudgeExample e, String field, List<String> context) {
        int chars = e.getInput().length()
                + e.getOutput().length()
                + e.getJustification().length();
        for (Map.Entry<String, String> c : e.getGradingContextMap().entrySet()) {
            chars += c.getKey().length() + c.getValue().length();
        }
        if (chars > MAX_EXAMPLE_CHARS) {
            throw ApiException.invalidParameter(
                    field + " is " + chars + " characters long; an example holds at most " + MAX_EXAMPLE_CHARS);
        }
        if (!e.hasOutput() || !e.hasScore()) {
            throw ApiException.invalidParameter(field + " needs at least an output and a score");
        }
        for (String key : e.getGradingContextMap().keySet()) {
            if (!context.contains(key)) {
                throw ApiException.invalidParameter(field + ".grading_context names '" + cut(key)
                        + "', which is not one of the judge's grading context columns " + context);
            }
        }
        return new Judge.Example(
                e.hasInput() ? e.getInput() : null,
                e.getOutput(),
                e.getScore(),
                e.hasJustification() ? e.getJustification() : null,
                new LinkedHashMap<>(e.getGradingContextMap()));
    }

    /** A Struct as plain values (numbers, strings, booleans, lists, maps). */
    /**
     * Parameters the evaluation sets itself ({@code messages}, {@code prompt}), or that would change the answer's shape
     * ({@code stream}: a stream of chunks; {@code n}: several choices, of which one is read): refused.
     */
    public static void refuseSent(Map<String, Object> parameters, String field) {
        for (String k : SENT) {
            if (parameters.containsKey(k)) {
                throw ApiException.invalidParameter(field + " must not set '" + k + "': "
                        + (k.equals("stream") || k.equals("n")
                                ? "the evaluation reads one whole answer per call"
                                : "the evaluation sends it"));
            }
        }
    }

    static final List<String> SENT = List.of("messages", "prompt", "stream", "n");

    public static Map<String, Object> parameters(Struct struct, String field) {
        if (struct.getSerializedSize() > 10_000) {
            throw ApiException.invalidParameter(field + " is larger than 10000 bytes");
        }
        try {
            Map<String, Object> values =
                    JSON.readValue(JsonFormat.printer().print(struct), new TypeReference<Map<String, Object>>() {});
            values.replaceAll((k, v) -> whole(v));
            return values;
        } catch (Exception e) {
            throw ApiException.invalidParameter(field + " cannot be read: " + e.getMessage());
        }
    }

    /**
     * A Struct keeps every number as a double, so {@code max_tokens: 256} arrives as 256.0, which providers (and
     * llm-gateway-service) refuse where an integer is due: whole numbers go out as integers, as the caller wrote them.
     */
    @SuppressWarnings("unchecked")
    static Object whole(Object value) {
        if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
            return d.longValue();
        }
        if (value instanceof Map<?, ?> map) {
            ((Map<String, Object>) map).replaceAll((k, v) -> whole(v));
        } else if (value instanceof List<?> list) {
            ((List<Object>) list).replaceAll(Judges::whole);
        }
        return value;
    }

    static void checkText(String field, String value, int max) {
        if (value.length() > max) {
            throw ApiException.invalidParameter(field + " is at most " + max + " characters, got " + value.length());
        }
        if (value.chars().anyMatch(c -> c == 0)) {
            throw ApiException.invalidParameter(field + " must not hold NUL characters");
        }
    }

    private static String cut(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "…" : s;
    }
}
