package dev.skein.evaluation.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.evaluation.metrics.InvalidInputException;
import dev.skein.evaluation.output.Artifact;
import dev.skein.evaluation.table.TableException;
import dev.skein.proto.evaluation.v1.EvaluationSpec;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code eval_results_table.json} as MLflow logs it with per-row scores (retriever and text model types): the
 * table's other columns, the target, the prediction, then the scores; pandas' split orientation.
 */
class EvalResultsTableTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ByteArrayInputStream bytes(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode read(Artifact artifact) throws Exception {
        assertThat(artifact.path()).isEqualTo("eval_results_table.json");
        return JSON.readTree(artifact.file().toFile());
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.isNull() ? null : n.asText()));
        return out;
    }

    @Test
    void shouldLogEachRetrieverRowWithItsScores() throws Exception {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setData("r.jsonl")
                .setModelType("retriever")
                .setTargets("relevant")
                .setPredictions("retrieved")
                .setRetrieverK(2)
                .build();
        String table =
                """
                {"question": "q1", "relevant": ["a", "b"], "retrieved": ["a", "c"]}
                {"retrieved": ["x"], "question": "q2", "relevant": ["y"], "extra": 1}
                """;
        Path file;
        try (Evaluator.Outcome outcome = new Evaluator(1 << 20).evaluate(spec, "r.jsonl", bytes(table))) {
            assertThat(outcome.metrics()).containsKey("precision_at_2/mean");
            assertThat(outcome.artifacts()).hasSize(1);
            JsonNode json = read(outcome.artifacts().get(0));
            file = outcome.artifacts().get(0).file();
            assertThat(texts(json.get("columns")))
                    .containsExactly(
                            "question",
                            "relevant",
                            "retrieved",
                            "precision_at_2/score",
                            "recall_at_2/score",
                            "ndcg_at_2/score");
            JsonNode first = json.get("data").get(0);
            assertThat(first.get(0).asText()).isEqualTo("q1");
            assertThat(texts(first.get(1))).containsExactly("a", "b");
            assertThat(first.get(3).asDouble()).isEqualTo(0.5);
            assertThat(first.get(4).asDouble()).isEqualTo(0.5);
            // a JSON Lines table's columns are its first row's keys, whatever the order of a later row's
            JsonNode second = json.get("data").get(1);
            assertThat(second.get(0).asText()).isEqualTo("q2");
            assertThat(second).hasSize(6);
            assertThat(second.get(3).asDouble()).isEqualTo(0.0);
            assertThat(Files.exists(file)).isTrue();
        }
        assertThat(Files.exists(file))
                .as("closing the outcome deletes the table's file")
                .isFalse();
    }

    @Test
    void shouldLogQuestionAnsweringMetricsInMlflowsKeysAndEachRowsTokenCount() throws Exception {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setData("qa.csv")
                .setModelType("question-answering")
                .setTargets("answer")
                .setPredictions("output")
                .build();
        String table = "question,answer,output\nWhere?,Paris,Paris\nWhö?,Ada Lovelace,The cat sat.\n";
        try (Evaluator.Outcome outcome = new Evaluator(1 << 20).evaluate(spec, "qa.csv", bytes(table))) {
            assertThat(outcome.metrics().keySet())
                    .containsExactly(
                            "flesch_kincaid_grade_level/v1/mean",
                            "flesch_kincaid_grade_level/v1/variance",
                            "flesch_kincaid_grade_level/v1/p90",
                            "ari_grade_level/v1/mean",
                            "ari_grade_level/v1/variance",
                            "ari_grade_level/v1/p90",
                            "exact_match/v1");
            assertThat(outcome.metrics().get("exact_match/v1")).isEqualTo(0.5);
            assertThat(outcome.unavailable()).containsOnlyKeys("toxicity/v1");
            JsonNode json = read(outcome.artifacts().get(0));
            assertThat(texts(json.get("columns")))
                    .containsExactly(
                            "question",
                            "answer",
                            "output",
                            "token_count",
                            "flesch_kincaid_grade_level/v1/score",
                            "ari_grade_level/v1/score");
            // cl100k_base: "Paris" is one token; "The", " cat", " sat", "." four
            assertThat(json.get("data").get(0).get(3).isIntegralNumber()).isTrue();
            assertThat(json.get("data").get(0).get(3).asInt()).isEqualTo(1);
            assertThat(json.get("data").get(1).get(3).asInt()).isEqualTo(4);
            // non-ASCII escaped, as pandas' to_json writes it (force_ascii)
            String text = Files.readString(outcome.artifacts().get(0).file());
            assertThat(text).containsIgnoringCase("\"Wh\\u00f6?\"").doesNotContain("ö");
            assertThat(json.get("data").get(1).get(0).asText()).isEqualTo("Whö?");
        }
    }

    @Test
    void shouldNameThePredictionOutputsAndLeaveRougeOutWithoutTargets() throws Exception {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setData("s.json")
                .setModelType("text-summarization")
                .setPredictions("summary")
                .build();
        String table = "{\"columns\": [\"summary\", \"doc\"], \"data\": [[\"Short.\", \"d1\"], [null, \"d2\"]]}";
        try (Evaluator.Outcome outcome = new Evaluator(1 << 20).evaluate(spec, "s.json", bytes(table))) {
            // a missing prediction: no readability for the table, no token count for the row
            assertThat(outcome.metrics()).isEmpty();
            assertThat(outcome.unavailable())
                    .containsOnlyKeys(
                            "toxicity/v1",
                            "flesch_kincaid_grade_level/v1",
                            "ari_grade_level/v1",
                            "rouge1/v1",
                            "rouge2/v1",
                            "rougeL/v1",
                            "rougeLsum/v1");
            JsonNode json = read(outcome.artifacts().get(0));
            assertThat(texts(json.get("columns"))).containsExactly("doc", "outputs", "token_count");
            assertThat(json.get("data").get(1).get(1).isNull()).isTrue();
            assertThat(json.get("data").get(1).get(2).isNull()).isTrue();
            // with a missing count the column is a float column to pandas: 2.0, not 2
            assertThat(json.get("data").get(0).get(2).isFloatingPointNumber()).isTrue();
            assertThat(json.get("data").get(0).get(2).asDouble()).isEqualTo(2.0);
        }
    }

    @Test
    void shouldRefuseAMissingColumnBeforeReadingRows() {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setData("r.csv")
                .setModelType("retriever")
                .setTargets("relevant")
                .setPredictions("retrieved")
                .build();
        assertThatThrownBy(() -> new Evaluator(1 << 20).evaluate(spec, "r.csv", bytes("relevant,other\n\"[1]\",2\n")))
                .isInstanceOf(TableException.class)
                .hasMessageContaining("retrieved");
    }

    @Test
    void shouldLeaveNoFileBehindWhenARowIsRefused() throws Exception {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setData("r.jsonl")
                .setModelType("retriever")
                .setTargets("relevant")
                .setPredictions("retrieved")
                .build();
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long before = countTemp(tmp);
        String table =
                """
                {"relevant": ["a"], "retrieved": ["a"]}
                {"relevant": ["a"], "retrieved": [1.5]}
                """;
        assertThatThrownBy(() -> new Evaluator(1 << 20).evaluate(spec, "r.jsonl", bytes(table)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("row 2:");
        assertThat(countTemp(tmp)).isEqualTo(before);
    }

    @Test
    void shouldFailATableWhoseResultsWouldOutgrowTwiceTheTableLimit() throws Exception {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setData("t.csv")
                .setModelType("text")
                .setPredictions("p")
                .build();
        // a control character is 1 byte in the CSV and 6 in JSON (\u0001): about 6 times the table's size
        String table = "note,p\n" + ("\u0001".repeat(100) + ",a\n").repeat(5000);
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long before = countTemp(tmp);
        assertThatThrownBy(() -> new Evaluator(1 << 20).evaluate(spec, "t.csv", bytes(table)))
                .isInstanceOf(TableException.class)
                .hasMessageContaining("eval_results_table.json would be larger than 2097152 bytes");
        assertThat(countTemp(tmp)).as("no temporary file left behind").isEqualTo(before);
        try (Evaluator.Outcome outcome = new Evaluator(4 << 20).evaluate(spec, "t.csv", bytes(table))) {
            assertThat(outcome.rows()).isEqualTo(5000);
        }
    }

    @Test
    void shouldRefuseATableWhosePerRowScoresWouldOutgrowTheLimit() {
        EvaluationSpec spec = EvaluationSpec.newBuilder()
                .setData("t.csv")
                .setModelType("text")
                .setPredictions("p")
                .build();
        // 2 bytes a row in; seven scores a row kept, about 168 bytes at the peak
        String table = "p\n" + "a\n".repeat(1000);
        assertThatThrownBy(() -> new Evaluator(16_384).evaluate(spec, "t.csv", bytes(table)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("per-row scores of");
    }

    private static long countTemp(Path dir) throws Exception {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("skein-eval-"))
                    .count();
        }
    }
}
