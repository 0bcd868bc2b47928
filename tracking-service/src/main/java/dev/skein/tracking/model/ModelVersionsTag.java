package dev.skein.tracking.model;

import dev.skein.common.json.PythonJson;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The value of MLflow 3's logged-model tag {@code mlflow.modelVersions}: a JSON list of the versions
 * registered from the model, written as MLflow's server writes it (Python's {@code json.dumps}:
 * {@code [{"name": "iris", "version": 1}]}, non-ASCII escaped).
 */
final class ModelVersionsTag {

    private ModelVersionsTag() {}

    /**
     * The tag's value once version {@code number} of model {@code name} is listed in {@code existing}
     * (null or empty: none yet); null when nothing is to be written — the version is listed already,
     * or the value is not a JSON list, which MLflow would fail on too and which is left as it is.
     */
    static String append(String existing, String name, int number) {
        String entry = "{\"name\": " + PythonJson.quote(name) + ", \"version\": " + number + "}";
        if (existing == null || existing.isEmpty()) {
            return "[" + entry + "]";
        }
        JsonArray listed;
        try {
            listed = new JsonArray(existing);
        } catch (DecodeException | ClassCastException notAList) {
            return null;
        }
        for (Object o : listed) {
            if (o instanceof JsonObject mv
                    && mv.size() == 2
                    && name.equals(mv.getValue("name"))
                    && mv.getValue("version") instanceof Number n
                    && !(n instanceof Double || n instanceof Float)
                    && n.longValue() == number) {
                return null;
            }
        }
        String trimmed = existing.strip();
        String body = trimmed.substring(1, trimmed.length() - 1).strip();
        return body.isEmpty() ? "[" + entry + "]" : "[" + body + ", " + entry + "]";
    }
}
