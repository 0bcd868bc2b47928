package dev.skein.cli.projects;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A project as MLflow reads it: the {@code MLproject} file of a directory (any case), or none (then a {@code .py} or
 * {@code .sh} file is an entry point of its own). At most one of {@code python_env}, {@code conda_env},
 * {@code docker_env}; a {@code python_env}/{@code conda_env} file must exist; without one, {@code python_env.yaml}
 * or {@code conda.yaml} in the directory is the environment.
 */
public record Project(String name, Map<String, EntryPoint> entryPoints, Env env) {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The project's environment: its kind ({@code python_env}, {@code conda_env}, {@code docker_env}) and value. */
    public record Env(String kind, String file, String image) {

        /** MLflow's {@code mlflow.project.env} tag value. */
        public String tag() {
            return switch (kind) {
                case "docker_env" -> "docker";
                case "conda_env" -> "conda";
                default -> "virtualenv";
            };
        }
    }

    public static Project load(Path dir) {
        Path file;
        try (Stream<Path> files = Files.list(dir)) {
            file = files.filter(p -> p.getFileName().toString().equalsIgnoreCase("MLproject"))
                    .findFirst()
                    .orElse(null);
        } catch (IOException e) {
            throw new ProjectException("cannot read the project directory " + dir + ": " + e.getMessage());
        }
        JsonNode yaml = YAML.createObjectNode();
        if (file != null) {
            try {
                JsonNode read = YAML.readTree(file.toFile());
                if (read != null && !read.isMissingNode() && !read.isNull()) {
                    if (!read.isObject()) {
                        throw new ProjectException("the MLproject file must be a YAML mapping");
                    }
                    yaml = read;
                }
            } catch (IOException e) {
                throw new ProjectException("the MLproject file is not valid YAML: " + e.getMessage());
            }
        }
        List<String> envFields = new ArrayList<>();
        for (String kind : List.of("python_env", "conda_env", "docker_env")) {
            if (yaml.has(kind)) {
                envFields.add(kind);
            }
        }
        if (envFields.size() > 1) {
            throw new ProjectException("Project cannot contain multiple environment fields: " + envFields);
        }
        Map<String, EntryPoint> entryPoints = new LinkedHashMap<>();
        JsonNode eps = yaml.path("entry_points");
        if (!eps.isMissingNode() && !eps.isObject()) {
            throw new ProjectException("entry_points must be a mapping of entry point names");
        }
        eps.fields().forEachRemaining(e -> entryPoints.put(e.getKey(), entryPoint(e.getKey(), e.getValue())));
        return new Project(text(yaml.get("name")), entryPoints, env(yaml, dir));
    }

    private static EntryPoint entryPoint(String name, JsonNode node) {
        JsonNode command = node.get("command");
        if (command == null || !command.isValueNode() || command.asText().isBlank()) {
            throw new ProjectException("entry point '" + name + "' has no command");
        }
        Map<String, Parameter> params = new LinkedHashMap<>();
        node.path("parameters").fields().forEachRemaining(p -> {
            JsonNode spec = p.getValue();
            String type;
            String dflt = null;
            if (spec.isValueNode()) {
                type = spec.asText();
            } else {
                type = spec.path("type").asText("string");
                dflt = text(spec.get("default"));
            }
            if (!Parameter.TYPES.contains(type)) {
                throw new ProjectException("parameter '" + p.getKey() + "' of entry point '" + name
                        + "' has the unknown type '" + type + "' (float, int, string, path or uri)");
            }
            params.put(p.getKey(), new Parameter(p.getKey(), type, dflt));
        });
        return new EntryPoint(name, params, command.asText());
    }

    private static Env env(JsonNode yaml, Path dir) {
        JsonNode docker = yaml.get("docker_env");
        if (docker != null) {
            String image = text(docker.get("image"));
            if (image == null || image.isBlank()) {
                throw new ProjectException("Project configuration (MLproject file) was invalid: Docker environment"
                        + " specified but no image attribute found.");
            }
            return new Env("docker_env", null, image);
        }
        for (String kind : List.of("python_env", "conda_env")) {
            String file = text(yaml.get(kind));
            if (file != null) {
                if (!Files.exists(dir.resolve(file))) {
                    throw new ProjectException(
                            "Project specified " + kind + " file " + file + ", but no such file was found.");
                }
                return new Env(kind, file, null);
            }
        }
        if (Files.exists(dir.resolve("python_env.yaml"))) {
            return new Env("python_env", "python_env.yaml", null);
        }
        if (Files.exists(dir.resolve("conda.yaml"))) {
            return new Env("conda_env", "conda.yaml", null);
        }
        return new Env("python_env", null, null);
    }

    /** The entry point by name, or a {@code .py}/{@code .sh} file run as MLflow does ({@code python f}, {@code bash f}). */
    public EntryPoint entryPoint(String name) {
        EntryPoint declared = entryPoints.get(name);
        if (declared != null) {
            return declared;
        }
        if (name.endsWith(".py")) {
            return new EntryPoint(name, Map.of(), "python " + ShellQuote.quote(name));
        }
        if (name.endsWith(".sh")) {
            return new EntryPoint(name, Map.of(), "bash " + ShellQuote.quote(name));
        }
        throw new ProjectException("Could not find " + name + " among entry points " + entryPoints.keySet()
                + " or interpret " + name + " as a runnable script. Supported script file extensions: [.py, .sh]");
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
