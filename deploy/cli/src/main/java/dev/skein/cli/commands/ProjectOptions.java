package dev.skein.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.cli.Api;
import dev.skein.cli.CliException;
import dev.skein.cli.ExitCodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The options of a project run that {@code skein run} and {@code skein sweep} share: the project, its entry point and
 * version, the parameters, the experiment, the backend and its configuration.
 */
public final class ProjectOptions {

    @Parameters(paramLabel = "URI", description = "A project directory, or a Git URI (https://host/repo.git#sub/dir).")
    String uri;

    @Option(
            names = {"-e", "--entry-point"},
            defaultValue = "main",
            description = "The entry point, or a .py/.sh file of the project (default: ${DEFAULT-VALUE}).")
    String entryPoint;

    @Option(
            names = {"-v", "--version"},
            paramLabel = "VERSION",
            description = "A Git commit, branch or tag of a Git project.")
    String version;

    @Option(
            names = {"-P", "--param-list"},
            paramLabel = "NAME=VALUE",
            description =
                    "A parameter (repeatable); ones the entry point does not declare are appended as --name value.")
    List<String> params;

    @Option(names = "--experiment-name", description = "The experiment by name (created if missing).")
    String experimentName;

    @Option(names = "--experiment-id", description = "The experiment by id (default: MLFLOW_EXPERIMENT_ID, else 0).")
    String experimentId;

    @Option(
            names = {"-b", "--backend"},
            defaultValue = "local",
            description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    RunCommand.BackendName backend;

    @Option(
            names = {"-c", "--backend-config"},
            paramLabel = "FILE",
            description = "The backend's JSON configuration (kubernetes: MLflow's kubernetes_config.json;"
                    + " spark: master, deploy_mode, conf, main_class, spark_submit, jars, py_files, packages, files).")
    Path backendConfig;

    /** The experiment's id and name as given, else from MLFLOW_EXPERIMENT_ID/_NAME; at most one of them. */
    String[] experiment(Map<String, String> env) {
        if (experimentName != null && experimentId != null) {
            throw new CliException(ExitCodes.USAGE, "give --experiment-name or --experiment-id, not both");
        }
        String expId = experimentId;
        String expName = experimentName;
        if (expId == null && expName == null) {
            expId = blankToNull(env.get("MLFLOW_EXPERIMENT_ID"));
            expName = blankToNull(env.get("MLFLOW_EXPERIMENT_NAME"));
        }
        return new String[] {expId, expName};
    }

    /** The backend's configuration: the JSON object of {@code -c}, or an empty one. */
    JsonNode config() {
        JsonNode config = Api.object();
        if (backendConfig != null) {
            try {
                config = Api.JSON.readTree(Files.readString(backendConfig));
            } catch (IOException e) {
                throw new CliException(
                        ExitCodes.USAGE,
                        "cannot read the backend configuration " + backendConfig + ": " + e.getMessage());
            }
            if (config == null || !config.isObject()) {
                throw new CliException(ExitCodes.USAGE, "the backend configuration must be a JSON object");
            }
        }
        return config;
    }

    /** The caller's tracking credentials (and the in-cluster tracking URI), passed on to the run's command. */
    static Map<String, String> credentials(Map<String, String> env) {
        Map<String, String> credentials = new LinkedHashMap<>();
        for (String name : List.of(
                "MLFLOW_TRACKING_USERNAME",
                "MLFLOW_TRACKING_PASSWORD",
                "MLFLOW_TRACKING_TOKEN",
                "MLFLOW_TRACKING_INSECURE_TLS",
                "KUBE_MLFLOW_TRACKING_URI")) {
            if (env.get(name) != null) {
                credentials.put(name, env.get(name));
            }
        }
        return credentials;
    }

    static Map<String, String> parse(List<String> pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        if (pairs == null) {
            return map;
        }
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new CliException(ExitCodes.USAGE, "a parameter is NAME=VALUE, not '" + pair + "'");
            }
            map.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return map;
    }

    static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
