package dev.skein.llmgateway;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@link OpenAiMockResource}'s MLflow model servers: {@code POST /serving/<name>/invocations} with MLflow's
 * scoring protocol ({@code {"inputs": [...], "params": {...}}} in, {@code {"predictions": ...}} out; errors as
 * {@code {"error_code", "message"}}). {@code text} answers one prediction per input, {@code embed} a vector per
 * input, {@code dict} predictions as a dict with {@code choices}, {@code missing} no predictions, {@code
 * throttled} 429 with Retry-After, {@code broken} 500, {@code malformed} a body that is not JSON, {@code slow}
 * nothing, {@code cut} a closed connection. Each server's last request is kept under {@code serving-<name>}.
 */
final class MlflowServingMock {

    private MlflowServingMock() {}

    static void yaml(StringBuilder y, String base) {
        endpoint(y, base, "serving-chat", "llm/v1/chat", "text");
        endpoint(y, base, "serving-completions", "llm/v1/completions", "text");
        endpoint(y, base, "serving-embeddings", "llm/v1/embeddings", "embed");
        for (String server : new String[] {"dict", "missing", "throttled", "broken", "malformed", "slow", "cut"}) {
            endpoint(y, base, "serving-" + server, "llm/v1/chat", server);
        }
    }

    private static void endpoint(StringBuilder y, String base, String name, String type, String server) {
        y.append("  - name: ").append(name).append("\n    endpoint_type: ").append(type);
        y.append("\n    model:\n      provider: mlflow-model-serving\n      name: my-")
                .append(server);
        y.append("-model\n      config:\n        model_server_url: ")
                .append(base)
                .append("/serving/");
        y.append(server).append('\n');
    }

    static void handle(HttpServerRequest req, JsonObject seen) {
        String server = req.path().split("/")[2];
        OpenAiMockResource.LAST.put("serving-" + server, seen);
        JsonArray inputs = seen.getJsonObject("body").getJsonArray("inputs", new JsonArray());
        switch (server) {
            case "text" -> {
                JsonArray predictions = new JsonArray();
                inputs.forEach(input -> predictions.add("You said: " + input));
                json(req, 200, new JsonObject().put("predictions", predictions));
            }
            case "embed" -> {
                JsonArray predictions = new JsonArray();
                inputs.forEach(input -> predictions.add(
                        new JsonArray().add(String.valueOf(input).length()).add(0.25)));
                json(req, 200, new JsonObject().put("predictions", predictions));
            }
            case "dict" ->
                json(
                        req,
                        200,
                        new JsonObject()
                                .put(
                                        "predictions",
                                        new JsonObject()
                                                .put(
                                                        "choices",
                                                        new JsonArray()
                                                                .add("first")
                                                                .add("second"))
                                                .put(
                                                        "scores",
                                                        new JsonArray().add(0.9).add(0.1))));
            case "missing" -> json(req, 200, new JsonObject().put("outputs", new JsonArray().add("hi")));
            case "throttled" -> {
                req.response().putHeader("Retry-After", "4");
                json(req, 429, error("REQUEST_LIMIT_EXCEEDED", "Too many requests: the model is busy"));
            }
            case "broken" ->
                json(req, 500, error("INTERNAL_ERROR", "Encountered an unexpected error: ZeroDivisionError"));
            case "malformed" ->
                req.response().putHeader("Content-Type", "application/json").end("{\"predictions\": [\"unfinished");
            case "slow" -> {
                // never answers: the gateway's silence limit must end the call
            }
            default -> req.connection().close();
        }
    }

    private static JsonObject error(String code, String message) {
        return new JsonObject().put("error_code", code).put("message", message);
    }

    private static void json(HttpServerRequest req, int status, JsonObject body) {
        req.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(body.encode());
    }
}
