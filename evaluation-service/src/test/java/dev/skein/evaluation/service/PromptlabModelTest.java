package dev.skein.evaluation.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.skein.common.error.ApiException;
import dev.skein.common.json.PythonJson;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** The files and tags of a prompt-lab run, as MLflow 2.17 writes them (its tests/utils/test_promptlab_utils.py). */
class PromptlabModelTest {

    private static final PromptlabModel.Prompt PROMPT = new PromptlabModel.Prompt(
            "abc123",
            "answer this question: {{question}} using the following context: {{context}}",
            List.of(
                    new PromptlabModel.Param("question", "my_question"),
                    new PromptlabModel.Param("context", "my_context")),
            "chat",
            List.of(new PromptlabModel.Param("temperature", "0.1"), new PromptlabModel.Param("max_tokens", "100")),
            "answer this question: my_question using the following context: my_context",
            "my_answer",
            List.of(new PromptlabModel.Param("tokens", "10"), new PromptlabModel.Param("latency", "100")),
            "2.17.2",
            "3.10.12",
            "2026-12-03 13:00:00.123456",
            "0123456789abcdef0123456789abcdef");

    private static String file(String path) {
        return new String(PromptlabModel.files(PROMPT).get(path), StandardCharsets.UTF_8);
    }

    @Test
    void theResultsTableHoldsTheParametersThePromptTheOutputAndItsParameters() {
        assertThat(file("eval_results_table.json"))
                .isEqualTo("{\"columns\": [\"question\", \"context\", \"prompt\", \"output\", \"tokens\", \"latency\"],"
                        + " \"data\": [[\"my_question\", \"my_context\", \"answer this question: my_question using the"
                        + " following context: my_context\", \"my_answer\", \"10\", \"100\"]]}");
        assertThat(PromptlabModel.loggedArtifacts())
                .isEqualTo("[{\"path\": \"eval_results_table.json\", \"type\": \"table\"}]");
    }

    @Test
    void theModelIsMlflowsPromptlabPyfuncWithItsEnvironmentAndExample() {
        assertThat(PromptlabModel.files(PROMPT).keySet())
                .containsExactly(
                        "model/input_example.json",
                        "model/serving_input_example.json",
                        "model/parameters.yaml",
                        "model/MLmodel",
                        "model/conda.yaml",
                        "model/requirements.txt",
                        "model/python_env.yaml",
                        "eval_results_table.json");
        Map<String, Object> mlmodel = new Yaml().load(file("model/MLmodel"));
        assertThat(mlmodel)
                .containsEntry("artifact_path", "model")
                .containsEntry("run_id", "abc123")
                .containsEntry("mlflow_version", "2.17.2")
                .containsEntry("utc_time_created", "2026-12-03 13:00:00.123456")
                .containsEntry(
                        "flavors",
                        Map.of(
                                "python_function",
                                Map.of(
                                        "env", Map.of("conda", "conda.yaml", "virtualenv", "python_env.yaml"),
                                        "loader_module", "mlflow.promptlab",
                                        "parameters_path", "parameters.yaml",
                                        "python_version", "3.10.12")));
        @SuppressWarnings("unchecked")
        Map<String, Object> signature = (Map<String, Object>) mlmodel.get("signature");
        assertThat(signature.get("inputs"))
                .isEqualTo("[{\"type\": \"string\", \"name\": \"question\", \"required\": true},"
                        + " {\"type\": \"string\", \"name\": \"context\", \"required\": true}]");
        assertThat(signature.get("outputs"))
                .isEqualTo("[{\"type\": \"string\", \"name\": \"output\", \"required\": true}]");
        // PyYAML's safe_dump sorts keys
        assertThat(file("model/MLmodel")).startsWith("artifact_path: model\nflavors:\n");
        Map<String, Object> parameters = new Yaml().load(file("model/parameters.yaml"));
        assertThat(parameters)
                .containsEntry("prompt_template", PROMPT.template())
                .containsEntry("model_route", "chat")
                .containsEntry("prompt_parameters", Map.of("question", "my_question", "context", "my_context"))
                .containsEntry("model_parameters", Map.of("temperature", "0.1", "max_tokens", "100"));
        assertThat(file("model/input_example.json")).isEqualTo("{\"inputs\": [\"my_question\", \"my_context\"]}");
        assertThat(file("model/requirements.txt")).isEqualTo("mlflow[gateway]==2.17.2");
        Map<String, Object> pythonEnv = new Yaml().load(file("model/python_env.yaml"));
        assertThat(pythonEnv)
                .containsEntry("python", "3.10.12")
                .containsEntry("dependencies", List.of("-r requirements.txt"));
        assertThat(PromptlabModel.historyJson(PROMPT))
                .isEqualTo("{\"run_id\": \"abc123\", \"artifact_path\": \"model\", \"utc_time_created\":"
                        + " \"2026-12-03 13:00:00.123456\", \"flavors\": {}, \"model_uuid\":"
                        + " \"0123456789abcdef0123456789abcdef\", \"mlflow_version\": \"2.17.2\"}");
    }

    @Test
    void aTemplateWithControlCharactersStaysAStringInTheYaml() {
        String template = "colour \u001b[31mred\u001b[0m and \u007f {{x}}";
        Map<String, Object> read = new Yaml().load(PromptlabModel.yaml(Map.of("prompt_template", template)));
        assertThat(read.get("prompt_template")).isEqualTo(template);
    }

    @Test
    void jsonIsPythonsWithNonAsciiAndControlCharactersEscaped() {
        assertThat(PythonJson.dumps(List.of("café \"q\" \\ \n\t\u0001 ☃ 😀")))
                .isEqualTo("[\"caf\\u00e9 \\\"q\\\" \\\\ \\n\\t\\u0001 \\u2603 \\ud83d\\ude00\"]");
        assertThat(PythonJson.dumps(Map.of("inputs", List.of("a")), 2))
                .isEqualTo("{\n  \"inputs\": [\n    \"a\"\n  ]\n}");
    }

    @Test
    void aParameterIsLoggedAsPythonsStrOfItsJsonValue() {
        assertThat(PromptlabRuns.str(Value.newBuilder().setNumberValue(0.1).build()))
                .isEqualTo("0.1");
        assertThat(PromptlabRuns.str(Value.newBuilder().setNumberValue(100).build()))
                .isEqualTo("100");
        assertThat(PromptlabRuns.str(Value.newBuilder().setNumberValue(1e-5).build()))
                .isEqualTo("1e-05");
        assertThat(PromptlabRuns.str(Value.newBuilder().setBoolValue(true).build()))
                .isEqualTo("True");
        assertThat(PromptlabRuns.str(
                        Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build()))
                .isEqualTo("None");
        assertThat(PromptlabRuns.str(Value.newBuilder().setStringValue("gpt").build()))
                .isEqualTo("gpt");
        assertThatThrownBy(() -> PromptlabRuns.str(Value.newBuilder()
                        .setStructValue(Struct.getDefaultInstance())
                        .build()))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("a string, a number or a boolean");
    }
}
