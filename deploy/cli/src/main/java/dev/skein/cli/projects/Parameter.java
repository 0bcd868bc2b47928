package dev.skein.cli.projects;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/** A typed parameter of an entry point: MLflow's {@code float}, {@code int}, {@code string}, {@code path}, {@code uri}. */
public record Parameter(String name, String type, String defaultValue) {

    static final java.util.Set<String> TYPES = java.util.Set.of("float", "int", "string", "path", "uri");

    public boolean required() {
        return defaultValue == null;
    }

    /**
     * The value as the command receives it, checked against the type: numbers must parse, a {@code uri} must have a
     * scheme, a {@code path} without a scheme must exist and becomes absolute (relative to {@code base}, the
     * directory {@code skein run} was started in). A {@code path} with a scheme is passed as given.
     */
    public String resolve(String value, Path base) {
        switch (type) {
            case "float" -> {
                try {
                    Double.parseDouble(value.strip());
                } catch (NumberFormatException e) {
                    throw new ProjectException("parameter '" + name + "' is a float, not '" + value + "'");
                }
            }
            case "int" -> {
                try {
                    Long.parseLong(value.strip());
                } catch (NumberFormatException e) {
                    throw new ProjectException("parameter '" + name + "' is an int, not '" + value + "'");
                }
            }
            case "uri" -> {
                if (!hasScheme(value)) {
                    throw new ProjectException("Expected URI for parameter " + name + " but got " + value);
                }
            }
            case "path" -> {
                if (!hasScheme(value) || value.startsWith("file:")) {
                    Path local = value.startsWith("file:") ? Path.of(URI.create(value)) : base.resolve(value);
                    if (!Files.exists(local)) {
                        throw new ProjectException("Got value " + value + " for parameter " + name
                                + ", but no such file or directory was found.");
                    }
                    return local.toAbsolutePath().normalize().toString();
                }
            }
            default -> {
                // string: as given
            }
        }
        return value;
    }

    private static boolean hasScheme(String value) {
        try {
            URI uri = new URI(value);
            return uri.getScheme() != null && uri.getScheme().length() > 1;
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }
}
