package dev.skein.evaluation.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.skein.common.prompt.PromptTemplates;
import dev.skein.evaluation.client.LlmGatewayClient;
import dev.skein.evaluation.judge.Aggregates;
import dev.skein.evaluation.judge.Judge;
import dev.skein.evaluation.judge.JudgeAnswer;
import dev.skein.evaluation.judge.JudgeRunner;
import dev.skein.evaluation.judge.Judges;
import dev.skein.evaluation.metrics.TextAccumulator;
import dev.skein.evaluation.metrics.TextResult;
import dev.skein.evaluation.metrics.text.Readability;
import dev.skein.evaluation.metrics.text.TokenCounter;
import dev.skein.evaluation.output.Artifact;
import dev.skein.evaluation.output.EvalResultsTable;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import dev.skein.proto.evaluation.v1.PromptEvaluationSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * The work of one endpoint's evaluation of a prompt: each row rendered and sent to the endpoint (bounded concurrency,
 * retries: {@link LlmGatewayClient}), then the results table and the metrics.
 *
 * <p>{@code eval_results_table.json}: the row's own columns, {@code inputs} (the rendered prompt; a chat prompt's
 * messages as JSON), {@code outputs}, {@code error} (why the call failed after its retries, else null), then per-row
 * scores: {@code token_count} (the provider's completion tokens when it gave them, else tiktoken's count of the
 * output as MLflow's), {@code prompt_tokens}, {@code completion_tokens}, {@code total_tokens}, {@code latency} (ms),
 * the readability scores, and each judge's {@code <name>/<version>/score} and {@code /justification}.
 *
 * <p>Metrics: {@code latency/mean|variance|p90}, {@code prompt_tokens/sum}, {@code completion_tokens/sum}, {@code
 * total_tokens/sum} (over the rows whose provider gave them), {@code failed_rows} (rows whose call failed), the
 * readability aggregates over the rows that have an output, and the judges' aggregates. A failed row never fails the
 * run: it is counted, has no output and no scores, and the reason is in its {@code error} column and in its judges'
 * justifications.
 */
final class PromptEvaluator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final TextAccumulator.Scorers TEXT_SCORERS = new TextAccumulator.Scorers(
            text -> TokenCounter.cl100kBase().count(text),
            Readability::fleschKincaidGrade,
            Readability::automatedReadabilityIndex);

    /** One row's call: the answer, or why it failed. */
    record Call(LlmGatewayClient.Answer answer, String error) {}

    private final LlmGatewayClient llm;
    private final long maxResultsBytes;

    private final long maxAnswersBytes;

    /** {@code maxTableBytes}: the results table may take twice it; the answers kept in memory half of it. */
    PromptEvaluator(LlmGatewayClient llm, long maxTableBytes) {
        this.llm = llm;
        this.maxResultsBytes = 2 * maxTableBytes;
        this.maxAnswersBytes = maxTableBytes / 2;
    }

    /**
     * Evaluates {@code template} over the spec's rows on its one endpoint, as {@code actor}; {@code endpointType} and
     * the judges' endpoint types already read.
     */
    Evaluator.Outcome evaluate(
            EvaluationSpec spec,
            PromptEvaluations.Template template,
            String endpointType,
            Function<String, String> judgeEndpointType,
            String actor) {
        PromptEvaluationSpec p = spec.getPrompt();
        String endpoint = p.getEndpoints(0);
        Map<String, Object> parameters = p.hasModelParameters()
                ? Judges.parameters(p.getModelParameters(), "spec.prompt.model_parameters")
                : Map.of();
        List<Struct> rows = p.getRowsList();
        PromptEvaluations.checkVariables(template, rows);
        // rendered when called (and again for the table), not all held at once: each row's size was bounded when
        // the evaluation was created
        java.util.function.IntFunction<Object> render = i -> {
            Map<String, String> values = new LinkedHashMap<>();
            rows.get(i).getFieldsMap().forEach((k, v) -> values.put(k, PromptlabRuns.str(v)));
            if (template.text() != null) {
                return PromptTemplates.fill(template.text(), values);
            }
            List<Map<String, String>> messages = new ArrayList<>();
            for (Map<String, String> m : template.messages()) {
                Map<String, String> one = new LinkedHashMap<>();
                one.put("role", m.get("role"));
                one.put("content", PromptTemplates.fill(m.get("content"), values));
                messages.add(one);
            }
            return messages;
        };
        java.util.function.IntFunction<String> inputText = i -> {
            Object input = render.apply(i);
            return input instanceof String text ? text : json(input);
        };
        List<Callable<Call>> calls = new ArrayList<>();
        java.util.concurrent.atomic.AtomicLong kept = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean unreachable = new java.util.concurrent.atomic.AtomicBoolean();
        for (int row = 0; row < rows.size(); row++) {
            int at = row;
            calls.add(() -> {
                try {
                    LlmGatewayClient.Answer a = llm.invoke(endpoint, endpointType, render.apply(at), parameters, actor);
                    // the answers are kept until the table is written: bounded, as a table is
                    if (kept.addAndGet(2L * a.text().length()) > maxAnswersBytes) {
                        return new Call(
                                null,
                                "the endpoint's answers of this evaluation passed " + maxAnswersBytes
                                        + " bytes (half of skein.evaluation.max-table-bytes); this row's answer was not kept");
                    }
                    return new Call(a, null);
                } catch (LlmGatewayClient.CallFailed e) {
                    if (e.unreachable()) {
                        unreachable.set(true);
                    }
                    return new Call(null, e.getMessage());
                }
            });
        }
        List<Call> results = llm.all(calls);
        if (unreachable.get() || results.stream().allMatch(c -> c.answer() == null)) {
            // every call failed, or some found no gateway at all: if the gateway itself cannot be reached now, that
            // is an outage and the evaluation is tried again later (UpstreamUnavailable) rather than finished with
            // rows failed for it
            llm.endpointType(endpoint, actor);
        }
        int n = rows.size();

        // the table's own columns: every row's keys, in order of first appearance
        Set<String> own = new LinkedHashSet<>();
        rows.forEach(r -> own.addAll(r.getFieldsMap().keySet()));
        List<String> columns = new ArrayList<>(own);
        columns.addAll(List.of("inputs", "outputs", "error"));

        TextAccumulator text = new TextAccumulator(TextAccumulator.ModelType.TEXT, false, TEXT_SCORERS);
        double[] tokenCount = nan(n);
        double[] promptTokens = nan(n);
        double[] completionTokens = nan(n);
        double[] totalTokens = nan(n);
        double[] latency = nan(n);
        List<Integer> answered = new ArrayList<>();
        long failed = 0;
        try (EvalResultsTable table = new EvalResultsTable(columns, maxResultsBytes)) {
            for (int i = 0; i < n; i++) {
                Struct row = rows.get(i);
                Call call = results.get(i);
                List<Object> values = new ArrayList<>();
                for (String c : own) {
                    values.add(row.containsFields(c) ? plain(row.getFieldsOrThrow(c)) : null);
                }
                values.add(inputText.apply(i));
                values.add(call.answer() == null ? null : call.answer().text());
                values.add(call.error());
                table.addRow(values);
                if (call.answer() == null) {
                    failed++;
                    continue;
                }
                LlmGatewayClient.Answer a = call.answer();
                answered.add(i);
                text.add(a.text(), null);
                promptTokens[i] = a.promptTokens() == null ? Double.NaN : a.promptTokens();
                completionTokens[i] = a.completionTokens() == null ? Double.NaN : a.completionTokens();
                totalTokens[i] = a.totalTokens() == null ? Double.NaN : a.totalTokens();
                latency[i] = a.latencyMillis();
            }
            Map<String, Object> scoreColumns = new LinkedHashMap<>();
            Map<String, Double> metrics = new LinkedHashMap<>();
            Map<String, String> unavailable = new LinkedHashMap<>();
            Map<String, double[]> textScores = Map.of();
            if (!answered.isEmpty()) {
                TextResult result = text.compute();
                textScores = result.scores();
                double[] counted = result.scores().get(TextAccumulator.TOKEN_COUNT);
                for (int k = 0; k < answered.size(); k++) {
                    int i = answered.get(k);
                    tokenCount[i] = Double.isNaN(completionTokens[i]) ? counted[k] : completionTokens[i];
                }
                metrics.putAll(result.metrics());
                unavailable.putAll(result.unavailable());
            } else {
                unavailable.put("latency", "every row's call failed");
            }
            scoreColumns.put(TextAccumulator.TOKEN_COUNT, tokenCount);
            scoreColumns.put("prompt_tokens", promptTokens);
            scoreColumns.put("completion_tokens", completionTokens);
            scoreColumns.put("total_tokens", totalTokens);
            scoreColumns.put("latency", latency);
            textScores.forEach((key, values) -> {
                if (!key.equals(TextAccumulator.TOKEN_COUNT)) {
                    scoreColumns.put(key, spread(values, answered, n));
                }
            });
            double[] latencies = present(latency);
            if (latencies.length > 0) {
                Aggregates.of(latencies, Aggregates.DEFAULT).forEach((a, v) -> metrics.put("latency/" + a, v));
            }
            sum("prompt_tokens", promptTokens, metrics);
            sum("completion_tokens", completionTokens, metrics);
            sum("total_tokens", totalTokens, metrics);
            metrics.put("failed_rows", (double) failed);

            // the judges: the rendered prompt is the input, the answer the output, the row's columns the context
            List<Judge> judges = Judges.resolve(spec.getJudgesList());
            List<JudgeRunner.Row> judgeRows = new ArrayList<>();
            for (int i : answered) {
                Map<String, String> context = new LinkedHashMap<>();
                for (Judge j : judges) {
                    for (String c : j.contextColumns()) {
                        String column = spec.getColMappingMap().getOrDefault(c, c);
                        Struct row = rows.get(i);
                        context.put(
                                c, row.containsFields(column) ? PromptlabRuns.str(row.getFieldsOrThrow(column)) : "");
                    }
                }
                judgeRows.add(new JudgeRunner.Row(
                        inputText.apply(i), results.get(i).answer().text(), context));
            }
            JudgeRunner runner = new JudgeRunner(llm);
            for (Judge j : judges) {
                List<JudgeAnswer> answers = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    answers.add(null);
                }
                if (!judgeRows.isEmpty()) {
                    JudgeRunner.Scored scored =
                            runner.score(j, judgeEndpointType.apply(j.endpoint()), judgeRows, actor);
                    for (int k = 0; k < answered.size(); k++) {
                        answers.set(
                                answered.get(k),
                                new JudgeAnswer(
                                        Double.isNaN(scored.scores()[k]) ? null : (int) scored.scores()[k],
                                        scored.justifications()[k]));
                    }
                }
                for (int i = 0; i < n; i++) {
                    if (answers.get(i) == null) {
                        answers.set(
                                i,
                                JudgeAnswer.failed("Not judged: the endpoint's call failed ("
                                        + results.get(i).error() + ")"));
                    }
                }
                JudgeRunner.Scored all = JudgeRunner.collect(j, answers);
                scoreColumns.put(j.key() + "/score", all.scores());
                scoreColumns.put(j.key() + "/justification", all.justifications());
                metrics.putAll(all.metrics());
                unavailable.putAll(all.unavailable());
            }
            Artifact artifact = table.finishColumns(
                    scoreColumns,
                    Set.of(
                            TextAccumulator.TOKEN_COUNT,
                            "prompt_tokens",
                            "completion_tokens",
                            "total_tokens",
                            "latency"));
            return new Evaluator.Outcome(n, metrics, List.of(artifact), unavailable);
        }
    }

    private static double[] nan(int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, Double.NaN);
        return a;
    }

    private static double[] spread(double[] values, List<Integer> at, int n) {
        double[] out = nan(n);
        for (int k = 0; k < at.size(); k++) {
            out[at.get(k)] = values[k];
        }
        return out;
    }

    private static double[] present(double[] values) {
        return java.util.Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
    }

    private static void sum(String key, double[] values, Map<String, Double> metrics) {
        double[] p = present(values);
        if (p.length > 0) {
            metrics.put(key + "/sum", java.util.Arrays.stream(p).sum());
        }
    }

    /** A row's value as its JSON: a string, a number, a boolean or null. */
    private static Object plain(Value v) {
        return switch (v.getKindCase()) {
            case STRING_VALUE -> v.getStringValue();
            case NUMBER_VALUE -> {
                double d = v.getNumberValue();
                yield d == Math.rint(d) && Math.abs(d) < 1e15 ? (Object) (long) d : (Object) d;
            }
            case BOOL_VALUE -> v.getBoolValue();
            default -> null;
        };
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
