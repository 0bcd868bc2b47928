package dev.skein.evaluation.judge;

import dev.skein.evaluation.client.LlmGatewayClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Scores rows with judges through the LLM gateway, as the user who started the evaluation: each row's grading
 * prompt sent to the judge's endpoint (bounded concurrency and retries: {@link LlmGatewayClient}), its answer read
 * ({@link JudgeAnswer}). A call that failed for good gives that row no score and the reason as its justification.
 */
public final class JudgeRunner {

    /** One row as judges see it: the input, the output and the values of the grading context columns. */
    public record Row(String input, String output, Map<String, String> context) {}

    /** Per-row scores (NaN: none) and justifications, the aggregates and, when no row has a score, why. */
    public record Scored(
            Judge judge,
            double[] scores,
            String[] justifications,
            Map<String, Double> metrics,
            Map<String, String> unavailable) {}

    private final LlmGatewayClient client;

    public JudgeRunner(LlmGatewayClient client) {
        this.client = client;
    }

    /**
     * Scores every row with {@code judge}; {@code endpointType} is the judge endpoint's type (chat or
     * completions).
     */
    public Scored score(Judge judge, String endpointType, List<Row> rows, String actor) {
        List<Callable<JudgeAnswer>> calls = new ArrayList<>(rows.size());
        java.util.concurrent.atomic.AtomicBoolean unreachable = new java.util.concurrent.atomic.AtomicBoolean();
        for (Row row : rows) {
            calls.add(() -> {
                Map<String, String> context = new LinkedHashMap<>();
                for (String c : judge.contextColumns()) {
                    context.put(c, row.context().get(c));
                }
                String prompt = GradingPrompt.of(judge, row.input(), row.output(), context);
                try {
                    LlmGatewayClient.Answer answer =
                            client.invoke(judge.endpoint(), endpointType, prompt, judge.parameters(), actor);
                    return JudgeAnswer.parse(answer.text());
                } catch (LlmGatewayClient.CallFailed e) {
                    if (e.unreachable()) {
                        unreachable.set(true);
                    }
                    return JudgeAnswer.failed("Failed to score model on payload. Error: " + e.getMessage());
                }
            });
        }
        List<JudgeAnswer> answers = client.all(calls);
        if (unreachable.get()) {
            // some rows found no gateway: if it still cannot be reached, that is an outage (UpstreamUnavailable, the
            // evaluation is tried again later), not rows left unscored
            client.endpointType(judge.endpoint(), actor);
        }
        return collect(judge, answers);
    }

    /** The per-row columns and the aggregates over the rows that have a score. */
    public static Scored collect(Judge judge, List<JudgeAnswer> answers) {
        double[] scores = new double[answers.size()];
        String[] justifications = new String[answers.size()];
        List<Double> present = new ArrayList<>();
        String firstFailure = null;
        for (int i = 0; i < answers.size(); i++) {
            JudgeAnswer a = answers.get(i);
            scores[i] = a.score() == null ? Double.NaN : a.score();
            justifications[i] = a.justification();
            if (a.score() != null) {
                present.add((double) a.score());
            } else if (firstFailure == null) {
                firstFailure = "row " + i + ": " + a.justification();
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        if (present.isEmpty()) {
            String why = "no row has a score from judge " + judge.key()
                    + (firstFailure == null ? "" : " (first: " + cut(firstFailure) + ")");
            judge.aggregations().forEach(a -> unavailable.put(judge.key() + "/" + a, why));
        } else {
            double[] values = present.stream().mapToDouble(Double::doubleValue).toArray();
            Aggregates.of(values, judge.aggregations()).forEach((a, v) -> metrics.put(judge.key() + "/" + a, v));
        }
        return new Scored(judge, scores, justifications, metrics, unavailable);
    }

    /** Each judge endpoint's type, checked to be chat or completions. */
    public static String checkType(String endpoint, java.util.Optional<String> type) {
        if (type.isEmpty()) {
            throw dev.skein.common.error.ApiException.notFound(
                    "LLM endpoint '" + endpoint + "' does not exist in Skein's LLM gateway");
        }
        if (!LlmGatewayClient.CHAT.equals(type.get()) && !LlmGatewayClient.COMPLETIONS.equals(type.get())) {
            throw dev.skein.common.error.ApiException.invalidParameter("LLM endpoint '" + endpoint + "' is of type "
                    + type.get() + "; only llm/v1/chat and llm/v1/completions endpoints can be called here");
        }
        return type.get();
    }

    private static String cut(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
