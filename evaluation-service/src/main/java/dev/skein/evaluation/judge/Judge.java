package dev.skein.evaluation.judge;

import java.util.List;
import java.util.Map;

/**
 * A judge metric ready to score rows: a built-in filled in from its definition, or a custom one as given.
 *
 * @param endpoint the LLM gateway endpoint that judges ({@code endpoints:/<name>} without its scheme)
 * @param contextColumns the grading context columns, in order (MLflow's {@code grading_context_columns})
 */
public record Judge(
        String name,
        String version,
        String endpoint,
        String definition,
        String gradingPrompt,
        List<Example> examples,
        List<String> contextColumns,
        boolean includeInput,
        List<String> aggregations,
        boolean greaterIsBetter,
        Map<String, Object> parameters) {

    /** One example for the grading prompt (MLflow's {@code EvaluationExample}). */
    public record Example(
            String input, String output, Integer score, String justification, Map<String, String> context) {}

    /** The metric's key prefix: {@code <name>/<version>}. */
    public String key() {
        return name + "/" + version;
    }
}
