package dev.skein.evaluation.judge;

import java.util.Map;

/**
 * The text sent to a judge for one row, in the structure of MLflow 2.17's v1 grading prompt (Skein's own wording):
 * the task and the fields to answer with, the input (when the judge sees it), the output, the grading context
 * columns, the metric's definition, its rubric, the examples, and the answer format again.
 */
public final class GradingPrompt {

    private GradingPrompt() {}

    public static String of(Judge judge, String input, String output, Map<String, String> context) {
        String name = judge.name();
        StringBuilder b = new StringBuilder();
        b.append("Task:\n");
        answerFormat(b, name);
        b.append("\nYou are a fair and impartial grader. You are shown the output a machine learning model gave")
                .append(judge.includeInput() ? " for an input" : "")
                .append(", and possibly further information the model was given.\n")
                .append("Give the output a whole-number score named ")
                .append(name)
                .append(", following the definition and the grading rubric below, and explain the score.\n")
                .append("Any examples below show how outputs were graded before; read them first.\n");
        if (judge.includeInput()) {
            b.append("\nInput:\n").append(input == null ? "" : input).append('\n');
        }
        b.append("\nOutput:\n").append(output == null ? "" : output).append('\n');
        if (!context.isEmpty()) {
            b.append('\n');
            context(b, context);
        }
        b.append("\nMetric definition:\n").append(judge.definition()).append('\n');
        b.append("\nGrading rubric:\n").append(judge.gradingPrompt()).append('\n');
        if (!judge.examples().isEmpty()) {
            b.append("\nExamples:\n");
            for (Judge.Example e : judge.examples()) {
                if (e.input() != null && judge.includeInput()) {
                    b.append("\nExample input:\n").append(e.input()).append('\n');
                }
                b.append("\nExample output:\n").append(e.output()).append('\n');
                if (!e.context().isEmpty()) {
                    b.append('\n');
                    context(b, e.context());
                }
                b.append("\nExample score: ").append(e.score()).append('\n');
                if (e.justification() != null) {
                    b.append("Example justification: ")
                            .append(e.justification())
                            .append('\n');
                }
            }
        }
        b.append('\n');
        answerFormat(b, name);
        b.append("Answer with these two lines only, nothing before or after them.\n");
        return b.toString();
    }

    private static void answerFormat(StringBuilder b, String name) {
        b.append("Answer in exactly two lines:\n")
                .append("score: your whole-number score of the output's ")
                .append(name)
                .append(", from the rubric\n")
                .append("justification: why you gave the output that ")
                .append(name)
                .append(" score\n");
    }

    private static void context(StringBuilder b, Map<String, String> context) {
        b.append("Further information the model was given:\n");
        context.forEach((k, v) ->
                b.append("key: ").append(k).append("\nvalue:\n").append(v).append('\n'));
    }
}
