package dev.skein.evaluation.service;

import dev.skein.common.json.PythonJson;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * What MLflow 2.17 writes for a prompt-lab run ({@code mlflow/utils/promptlab_utils.py} and
 * {@code mlflow.promptlab.save_model}): the prompt's pyfunc model under {@code model/} — {@code MLmodel},
 * {@code parameters.yaml}, the environment files and the input example — and {@code eval_results_table.json}, one
 * row of the parameters, the prompt, the output and the output's parameters. JSON as Python's {@code json.dumps}
 * writes it, YAML with sorted keys in block style as PyYAML's {@code safe_dump}.
 */
final class PromptlabModel {

    /** A parameter as MLflow logs it: its value already Python's {@code str()} of what the client sent. */
    record Param(String key, String value) {}

    /** What the run is made of. */
    record Prompt(
            String runId,
            String template,
            List<Param> promptParameters,
            String route,
            List<Param> modelParameters,
            String modelInput,
            String modelOutput,
            List<Param> outputParameters,
            String mlflowVersion,
            String pythonVersion,
            String utcTimeCreated,
            String modelUuid) {}

    static final String TABLE = "eval_results_table.json";

    private PromptlabModel() {}

    /** The run's {@code mlflow.loggedArtifacts} tag: the table, for MLflow's UI to show. */
    static String loggedArtifacts() {
        return PythonJson.dumps(List.of(map("path", TABLE, "type", "table")));
    }

    /**
     * The model as {@code record_logged_model} keeps it in {@code mlflow.log-model.history}, logged before the
     * model's files are written (so with no flavor yet, as MLflow's).
     */
    static String historyJson(Prompt p) {
        return PythonJson.dumps(map(
                "run_id",
                p.runId(),
                "artifact_path",
                "model",
                "utc_time_created",
                p.utcTimeCreated(),
                "flavors",
                Map.of(),
                "model_uuid",
                p.modelUuid(),
                "mlflow_version",
                p.mlflowVersion()));
    }

    /** Every file, by its path under the run's artifact root, in the order MLflow writes them. */
    static Map<String, byte[]> files(Prompt p) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        List<String> values = p.promptParameters().stream().map(Param::value).toList();
        files.put("model/input_example.json", utf8(PythonJson.dumps(map("inputs", values))));
        files.put("model/serving_input_example.json", utf8(PythonJson.dumps(map("inputs", map("inputs", values)), 2)));
        files.put(
                "model/parameters.yaml",
                utf8(yaml(map(
                        "prompt_template", p.template(),
                        "prompt_parameters", params(p.promptParameters()),
                        "model_parameters", params(p.modelParameters()),
                        "model_route", p.route()))));
        files.put("model/MLmodel", utf8(yaml(mlmodel(p))));
        String requirement = "mlflow[gateway]==" + p.mlflowVersion();
        files.put(
                "model/conda.yaml",
                utf8(yaml(map(
                        "channels",
                        List.of("conda-forge"),
                        "dependencies",
                        List.of("python=" + p.pythonVersion(), "pip", map("pip", List.of(requirement))),
                        "name",
                        "mlflow-env"))));
        files.put("model/requirements.txt", utf8(requirement));
        files.put(
                "model/python_env.yaml",
                utf8(yaml(map(
                        "python",
                        p.pythonVersion(),
                        "build_dependencies",
                        List.of("pip", "setuptools", "wheel"),
                        "dependencies",
                        List.of("-r requirements.txt")))));
        files.put(TABLE, utf8(table(p)));
        return files;
    }

    /** {@code {"columns": [parameters…, "prompt", "output", output parameters…], "data": [[…]]}}. */
    static String table(Prompt p) {
        List<String> columns = new ArrayList<>();
        List<String> row = new ArrayList<>();
        p.promptParameters().forEach(param -> {
            columns.add(param.key());
            row.add(param.value());
        });
        columns.add("prompt");
        row.add(p.modelInput());
        columns.add("output");
        row.add(p.modelOutput());
        p.outputParameters().forEach(param -> {
            columns.add(param.key());
            row.add(param.value());
        });
        return PythonJson.dumps(map("columns", columns, "data", List.of(row)));
    }

    private static Map<String, Object> mlmodel(Prompt p) {
        Map<String, Object> model = new TreeMap<>();
        model.put("artifact_path", "model");
        model.put(
                "flavors",
                map(
                        "python_function",
                        new TreeMap<>(map(
                                "env",
                                map("conda", "conda.yaml", "virtualenv", "python_env.yaml"),
                                "loader_module",
                                "mlflow.promptlab",
                                "parameters_path",
                                "parameters.yaml",
                                "python_version",
                                p.pythonVersion()))));
        model.put("mlflow_version", p.mlflowVersion());
        model.put("model_uuid", p.modelUuid());
        model.put("run_id", p.runId());
        model.put(
                "saved_input_example_info",
                new TreeMap<>(map(
                        "artifact_path",
                        "input_example.json",
                        "serving_input_path",
                        "serving_input_example.json",
                        "type",
                        "json_object")));
        List<Object> inputs = new ArrayList<>();
        p.promptParameters().forEach(param -> inputs.add(colSpec(param.key())));
        Map<String, Object> signature = new TreeMap<>();
        signature.put("inputs", PythonJson.dumps(inputs));
        signature.put("outputs", PythonJson.dumps(List.of(colSpec("output"))));
        signature.put("params", null);
        model.put("signature", signature);
        model.put("utc_time_created", p.utcTimeCreated());
        return model;
    }

    /** MLflow's ColSpec of a string column, as its {@code to_dict} orders it. */
    private static Map<String, Object> colSpec(String name) {
        return map("type", "string", "name", name, "required", true);
    }

    private static Map<String, Object> params(List<Param> params) {
        Map<String, Object> out = new TreeMap<>();
        params.forEach(p -> out.put(p.key(), p.value()));
        return out;
    }

    /** A map in the order given (keys and values alternating). */
    private static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /** PyYAML's {@code safe_dump(data, default_flow_style=False)}: block style, keys sorted. */
    static String yaml(Map<String, Object> data) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        // a control character is escaped in a quoted string, as PyYAML writes it (not !!binary, read back as bytes)
        options.setNonPrintableStyle(DumperOptions.NonPrintableStyle.ESCAPE);
        options.setIndicatorIndent(0);
        options.setWidth(80);
        return new Yaml(options).dump(sorted(data));
    }

    @SuppressWarnings("unchecked")
    private static Object sorted(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new TreeMap<>();
            m.forEach((k, v) -> out.put((String) k, sorted(v)));
            return out;
        }
        if (value instanceof List<?> l) {
            return l.stream().map(PromptlabModel::sorted).toList();
        }
        return value;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
