package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.getRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.skein.common.testing.TestInfra;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A prompt evaluated over three chat endpoints of Skein's LLM gateway with LLM judges, through the running suite:
 * raw HTTP in the shape of Skein's evaluation API, the local OpenAI-format provider answering deterministically
 * ({@link OpenAiProvider}: "[b] You said: …", a judge answering MLflow's score JSON, one answering prose).
 */
@ExtendWith(Suite.class)
class JudgeEvaluationIT {

    private static OpenAiProvider provider;

    @BeforeAll
    static void startProvider() {
        provider = OpenAiProvider.start(Suite.LLM_PROVIDER_PORT);
    }

    @AfterAll
    static void stopProvider() {
        provider.close();
    }

    static Response create(JsonObject spec) {
        return api().contentType(ContentType.JSON)
                .body(new JsonObject().put("spec", spec).encode())
                .post("/api/2.0/skein/evaluations");
    }

    static JsonObject ended(String id) throws InterruptedException {
        TestInfra.await("evaluation " + id + " ends", Duration.ofSeconds(120), () -> {
            String status = ok(api().queryParam("evaluation_id", id).get("/api/2.0/skein/evaluations/get"))
                    .getJsonObject("evaluation")
                    .getString("status");
            return status.equals("SUCCEEDED") || status.equals("FAILED");
        });
        return ok(api().queryParam("evaluation_id", id).get("/api/2.0/skein/evaluations/get"))
                .getJsonObject("evaluation");
    }

    static List<Object> column(JsonObject table, String name) {
        int at = table.getJsonArray("columns").getList().indexOf(name);
        assertThat(at).as(name + " in " + table.getJsonArray("columns")).isNotNegative();
        List<Object> out = new ArrayList<>();
        for (Object row : table.getJsonArray("data")) {
            out.add(((JsonArray) row).getValue(at));
        }
        return out;
    }

    static int runsIn(String experimentId) {
        return ok(post("runs/search", new JsonObject().put("experiment_ids", new JsonArray().add(experimentId))))
                .getJsonArray("runs", new JsonArray())
                .size();
    }

    @Test
    void shouldEvaluateAPromptOverThreeEndpointsWithJudges() throws Exception {
        String experiment = Http.newExperiment();
        JsonArray rows = new JsonArray()
                .add(new JsonObject().put("word", "tree"))
                .add(new JsonObject().put("word", "sleepless"))
                .add(new JsonObject().put("word", "sky"));
        JsonObject spec = new JsonObject()
                .put(
                        "prompt",
                        new JsonObject()
                                .put("experiment_id", experiment)
                                .put("template", "Repeat the word {{ word }}")
                                .put("rows", rows)
                                .put(
                                        "endpoints",
                                        new JsonArray()
                                                .add("chat")
                                                .add(Suite.LLM_CHAT_B)
                                                .add(Suite.LLM_CHAT_C))
                                .put("model_parameters", new JsonObject().put("temperature", 0.2))
                                .put("run_name", "repeat"))
                .put(
                        "judges",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("name", "answer_relevance")
                                        .put("model", "endpoints:/" + Suite.LLM_JUDGE))
                                .add(new JsonObject()
                                        .put("name", "echo")
                                        .put("model", "endpoints:/" + Suite.LLM_JUDGE_MALFORMED)
                                        .put("definition", "Whether the output repeats the word.")
                                        .put("grading_prompt", "5: repeated exactly; 1: not at all.")));
        JsonArray evaluations = ok(create(spec)).getJsonArray("evaluations");
        assertThat(evaluations).hasSize(3);
        String group = evaluations.getJsonObject(0).getString("evaluation_id");
        Map<String, String> prefixes = Map.of("chat", "", Suite.LLM_CHAT_B, "[b] ", Suite.LLM_CHAT_C, "[c] ");
        List<String> endpoints = List.of("chat", Suite.LLM_CHAT_B, Suite.LLM_CHAT_C);
        for (int i = 0; i < 3; i++) {
            JsonObject e = ended(evaluations.getJsonObject(i).getString("evaluation_id"));
            assertThat(e.getString("status")).as(e.getString("status_message")).isEqualTo("SUCCEEDED");
            assertThat(e.getString("group_id")).isEqualTo(group);
            String runId = e.getString("run_id");
            JsonObject run = getRun(runId);
            assertThat(run.getJsonObject("info").getString("status")).isEqualTo("FINISHED");
            assertThat(run.getJsonObject("info").getString("run_name")).isEqualTo("repeat-" + endpoints.get(i));
            Map<String, String> params = new HashMap<>();
            run.getJsonObject("data")
                    .getJsonArray("params")
                    .forEach(p -> params.put(((JsonObject) p).getString("key"), ((JsonObject) p).getString("value")));
            assertThat(params)
                    .containsEntry("prompt_template", "Repeat the word {{ word }}")
                    .containsEntry("model_route", endpoints.get(i))
                    .containsEntry("temperature", "0.2");

            JsonObject table = new JsonObject(api().queryParam("run_id", runId)
                    .queryParam("path", "eval_results_table.json")
                    .get("/get-artifact")
                    .asString());
            List<Object> outputs = column(table, "outputs");
            for (int r = 0; r < 3; r++) {
                String word = rows.getJsonObject(r).getString("word");
                assertThat(outputs.get(r))
                        .isEqualTo(prefixes.get(endpoints.get(i)) + "You said: Repeat the word " + word);
            }
            // the provider's usage: 3 completion tokens a row
            assertThat(column(table, "token_count")).containsOnly(3);
            List<Double> scores = new ArrayList<>();
            column(table, "answer_relevance/v1/score").forEach(s -> scores.add(((Number) s).doubleValue()));
            assertThat(scores).allSatisfy(s -> assertThat(s).isBetween(1.0, 5.0));
            double mean =
                    scores.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double variance =
                    scores.stream().mapToDouble(s -> (s - mean) * (s - mean)).sum() / scores.size();
            Map<String, Double> metrics = new HashMap<>();
            e.getJsonArray("metrics")
                    .forEach(m -> metrics.put(((JsonObject) m).getString("key"), ((JsonObject) m).getDouble("value")));
            assertThat(metrics.get("answer_relevance/v1/mean")).isCloseTo(mean, within(1e-9));
            assertThat(metrics.get("answer_relevance/v1/variance")).isCloseTo(variance, within(1e-9));
            assertThat(metrics).containsEntry("failed_rows", 0.0).containsEntry("completion_tokens/sum", 9.0);
            // the judge answering prose: no score, the reason, the aggregates unavailable
            assertThat(column(table, "echo/v1/score")).containsOnlyNulls();
            assertThat(column(table, "echo/v1/justification"))
                    .allSatisfy(j -> assertThat((String) j).startsWith("Failed to extract score and justification."));
            assertThat(metrics).doesNotContainKey("echo/v1/mean");
            assertThat(e.getJsonArray("unavailable_metrics").stream()
                            .map(u -> ((JsonObject) u).getString("key"))
                            .toList())
                    .contains("echo/v1/mean", "echo/v1/variance", "echo/v1/p90");
        }
    }

    @Test
    void shouldRefuseAMissingVariableAndBadSpecsWithNothingMade() {
        String experiment = Http.newExperiment();
        JsonObject prompt = new JsonObject()
                .put("experiment_id", experiment)
                .put("template", "{{ word }} and {{ other }}")
                .put(
                        "rows",
                        new JsonArray()
                                .add(new JsonObject().put("word", "a").put("other", "b"))
                                .add(new JsonObject().put("word", "c")))
                .put("endpoints", new JsonArray().add("chat"));
        Response missing = create(new JsonObject().put("prompt", prompt));
        assertThat(Http.error(missing)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(new JsonObject(missing.asString()).getString("message"))
                .contains("'other'")
                .contains("row 1");

        JsonObject good = prompt.copy()
                .put(
                        "rows",
                        new JsonArray().add(new JsonObject().put("word", "a").put("other", "b")));
        assertThat(Http.error(create(
                        new JsonObject().put("prompt", good.copy().put("endpoints", new JsonArray().add("nowhere"))))))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(Http.error(create(new JsonObject()
                        .put("prompt", good)
                        .put(
                                "judges",
                                new JsonArray()
                                        .add(new JsonObject()
                                                .put("name", "relevance")
                                                .put("model", "openai:/gpt-4"))))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(runsIn(experiment)).isZero();
    }

    /**
     * A registered prompt (prompts:/name/1) judged with the grading context MLflow's built-ins read — the row's
     * {@code targets} for answer_similarity, its {@code context} for faithfulness — and a custom judge with an example
     * and its own aggregations; {@code max_tokens} reaches the endpoint as the integer it was written as.
     */
    @Test
    void shouldJudgeARegisteredPromptWithItsTargetsAndContext() throws Exception {
        String experiment = Http.newExperiment();
        String name = "it-judged-" + java.util.UUID.randomUUID();
        ok(api().contentType(ContentType.JSON)
                .body(new JsonObject()
                        .put("name", name)
                        .put("template", new JsonObject().put("text", "The capital of {{country}}?"))
                        .encode())
                .post("/api/2.0/skein/prompts/create"));
        JsonArray rows = new JsonArray()
                .add(new JsonObject()
                        .put("country", "France")
                        .put("targets", "Paris")
                        .put("context", "Paris is the capital of France."))
                .add(new JsonObject()
                        .put("country", "Peru")
                        .put("targets", "Lima")
                        .put("context", "Lima is the capital of Peru."));
        JsonObject custom = new JsonObject()
                .put("name", "city_only")
                .put("model", "endpoints:/" + Suite.LLM_JUDGE)
                .put("definition", "Whether the answer names a city and nothing else.")
                .put("grading_prompt", "5: only a city. 1: no city.")
                .put(
                        "examples",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("input", "The capital of Italy?")
                                        .put("output", "Rome")
                                        .put("score", 5)
                                        .put("justification", "Only the city.")))
                .put("aggregations", new JsonArray().add("min").add("max"));
        JsonObject spec = new JsonObject()
                .put(
                        "prompt",
                        new JsonObject()
                                .put("experiment_id", experiment)
                                .put("prompt_uri", "prompts:/" + name + "/1")
                                .put("rows", rows)
                                .put("endpoints", new JsonArray().add(Suite.LLM_CHAT_B))
                                .put("model_parameters", new JsonObject().put("max_tokens", 256)))
                .put(
                        "judges",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("name", "answer_similarity")
                                        .put("model", "endpoints:/" + Suite.LLM_JUDGE))
                                .add(new JsonObject()
                                        .put("name", "faithfulness")
                                        .put("model", "endpoints:/" + Suite.LLM_JUDGE))
                                .add(custom));
        JsonObject e = ended(
                ok(create(spec)).getJsonArray("evaluations").getJsonObject(0).getString("evaluation_id"));
        assertThat(e.getString("status")).as(e.getString("status_message")).isEqualTo("SUCCEEDED");
        JsonObject table = new JsonObject(api().queryParam("run_id", e.getString("run_id"))
                .queryParam("path", "eval_results_table.json")
                .get("/get-artifact")
                .asString());
        assertThat(column(table, "inputs")).containsExactly("The capital of France?", "The capital of Peru?");
        assertThat(column(table, "outputs"))
                .containsExactly("[b] You said: The capital of France?", "[b] You said: The capital of Peru?");
        assertThat(column(table, "error")).containsOnlyNulls();
        Map<String, Double> metrics = new HashMap<>();
        e.getJsonArray("metrics")
                .forEach(m -> metrics.put(((JsonObject) m).getString("key"), ((JsonObject) m).getDouble("value")));
        for (String judge : List.of("answer_similarity", "faithfulness", "city_only")) {
            List<Double> scores = new ArrayList<>();
            column(table, judge + "/v1/score").forEach(s -> scores.add(((Number) s).doubleValue()));
            assertThat(column(table, judge + "/v1/justification")).containsOnly("Judged by the e2e judge.");
            if (judge.equals("city_only")) {
                assertThat(metrics.get("city_only/v1/min")).isEqualTo(Math.min(scores.get(0), scores.get(1)));
                assertThat(metrics.get("city_only/v1/max")).isEqualTo(Math.max(scores.get(0), scores.get(1)));
                assertThat(metrics).doesNotContainKey("city_only/v1/mean");
            } else {
                assertThat(metrics.get(judge + "/v1/mean"))
                        .isCloseTo((scores.get(0) + scores.get(1)) / 2, within(1e-9));
            }
        }
        // the judges saw what each grades by: the row's context (faithfulness), the custom judge's example
        List<String> judgeAsked = provider.asked.stream()
                .filter(a -> a.startsWith("judge-e2e: ") && a.contains("[b] You said: The capital of Peru?"))
                .toList();
        assertThat(judgeAsked).anyMatch(a -> a.contains("Lima is the capital of Peru."));
        assertThat(judgeAsked).anyMatch(a -> a.contains("Only the city.") && a.contains("Rome"));
        Map<String, String> params = new HashMap<>();
        getRun(e.getString("run_id"))
                .getJsonObject("data")
                .getJsonArray("params")
                .forEach(p -> params.put(((JsonObject) p).getString("key"), ((JsonObject) p).getString("value")));
        assertThat(params).containsEntry("max_tokens", "256").containsEntry("model_route", Suite.LLM_CHAT_B);
    }
}
