package dev.skein.common.validation;

import dev.skein.common.error.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** MLflow's input rules that every service shares ({@code mlflow/utils/validation.py}), with MLflow's wording. */
public final class Inputs {

    public static final int MAX_KEY_LENGTH = 250;

    private static final Pattern VALID_NAME = Pattern.compile("^[/\\w.\\- ]*$", Pattern.UNICODE_CHARACTER_CLASS);
    private static final String BAD_CHARACTERS = "Names may only contain alphanumerics, underscores (_), dashes (-),"
            + " periods (.), spaces ( ), and slashes (/).";

    private Inputs() {}

    /** The value, or MLflow's "Missing value for required parameter" when absent or empty. */
    public static String required(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw ApiException.missing(field);
        }
        return value;
    }

    /** Metric, param and tag keys: MLflow's character set, and stable when read as a file path. */
    public static void key(String kind, String key) {
        if (key == null) {
            throw ApiException.invalidParameter(kind + " name cannot be None. A key name must be provided.");
        }
        if (!VALID_NAME.matcher(key).matches()) {
            throw ApiException.invalidParameter(
                    "Invalid " + kind.toLowerCase() + " name: '" + key + "'. " + BAD_CHARACTERS);
        }
        String normalized = normalizePath(key);
        if (!normalized.equals(key)
                || normalized.equals(".")
                || normalized.startsWith("..")
                || normalized.startsWith("/")) {
            throw ApiException.invalidParameter("Invalid " + kind.toLowerCase() + " name: '" + key + "'. Names may be"
                    + " treated as files in certain cases, and must not resolve to other names when treated as such."
                    + " This name would resolve to '" + normalized + "'");
        }
    }

    public static void length(String entity, String value, int limit) {
        if (value != null && value.length() > limit) {
            String shown = value.length() > 250 ? value.substring(0, 250) : value;
            throw ApiException.invalidParameter(entity + " '" + shown + "' had length " + value.length()
                    + ", which exceeded length limit of " + limit);
        }
    }

    /** Python's {@code posixpath.normpath}, which MLflow uses to decide whether a key is path-stable. */
    public static String normalizePath(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        int leadingSlashes = path.startsWith("/") ? (path.startsWith("//") && !path.startsWith("///") ? 2 : 1) : 0;
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")
                    && (leadingSlashes == 0
                            && (parts.isEmpty() || parts.get(parts.size() - 1).equals("..")))) {
                parts.add(part);
            } else if (part.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
            } else {
                parts.add(part);
            }
        }
        String joined = "/".repeat(leadingSlashes) + String.join("/", parts);
        return joined.isEmpty() ? "." : joined;
    }
}
