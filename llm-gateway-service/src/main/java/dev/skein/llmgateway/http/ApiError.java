package dev.skein.llmgateway.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An error answered to a client, written in the shape of the API it called: MLflow's gateway (FastAPI's
 * {@code {"detail": …}}) or OpenAI's ({@code {"error": {"message", "type", "param", "code"}}}).
 *
 * @param status HTTP status on MLflow's routes
 * @param openAiStatus HTTP status on OpenAI's routes (a bad body is 422 in FastAPI, 400 at OpenAI)
 * @param detail MLflow's {@code detail}: a message, or FastAPI's list of validation errors
 * @param openAiError OpenAI's {@code error} object
 * @param retryAfter a {@code Retry-After} to pass on, or null
 */
record ApiError(int status, int openAiStatus, Object detail, JsonObject openAiError, String retryAfter) {

    static ApiError of(int status, String message, String openAiType, String param, String code) {
        return new ApiError(status, status, message, openAiError(message, openAiType, param, code), null);
    }

    /** FastAPI's 422 for a body that fails the schema: {@code detail} is a list of {@code {loc, msg, type}}. */
    static ApiError validation(String field, String msg, String type) {
        JsonArray loc = new JsonArray().add("body");
        if (field != null) {
            for (String part : field.split("\\.")) {
                loc.add(part.matches("\\d+") ? Integer.valueOf(part) : part);
            }
        }
        JsonArray detail = new JsonArray()
                .add(new JsonObject().put("loc", loc).put("msg", msg).put("type", type));
        String message = (field == null ? "body" : field) + ": " + msg;
        return new ApiError(422, 400, detail, openAiError(message, "invalid_request_error", field, null), null);
    }

    static JsonObject openAiError(String message, String type, String param, String code) {
        return new JsonObject()
                .put("message", message)
                .put("type", type)
                .put("param", param)
                .put("code", code);
    }

    int status(ApiStyle style) {
        return style == ApiStyle.OPENAI ? openAiStatus : status;
    }

    JsonObject body(ApiStyle style) {
        return style == ApiStyle.MLFLOW
                ? new JsonObject().put("detail", detail)
                : new JsonObject().put("error", openAiError);
    }
}
