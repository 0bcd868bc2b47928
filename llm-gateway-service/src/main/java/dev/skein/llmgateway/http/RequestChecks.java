package dev.skein.llmgateway.http;

import dev.skein.llmgateway.EndpointType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * MLflow's request schemas ({@code mlflow/gateway/schemas}): the checks pydantic makes, the defaults it fills
 * ({@code temperature} 0.0 and {@code n} 1 on chat and completions, sent on to the provider as MLflow sends
 * them — on MLflow's routes only: OpenAI's routes leave an absent parameter to the provider, as OpenAI's clients
 * expect), and unknown fields kept ({@code extra="allow"}). One difference: a chat message's {@code content} may be
 * null when it carries {@code tool_calls} (an assistant's tool call sent back), which MLflow 2.17 refuses.
 */
final class RequestChecks {

    private RequestChecks() {}

    /** The checked payload, with MLflow's defaults if {@code mlflowDefaults}, or an {@link ApiFailure} thrown. */
    static JsonObject check(EndpointType type, JsonObject body, boolean mlflowDefaults) {
        JsonObject payload = body.copy();
        switch (type) {
            case CHAT -> {
                base(payload, mlflowDefaults);
                if (!(payload.getValue("messages") instanceof JsonArray messages)) {
                    throw missingOr(payload, "messages", "value is not a valid list", "type_error.list");
                }
                if (messages.isEmpty()) {
                    throw fail("messages", "ensure this value has at least 1 items", "value_error.list.min_items");
                }
                for (int i = 0; i < messages.size(); i++) {
                    if (!(messages.getValue(i) instanceof JsonObject m)) {
                        throw fail("messages." + i, "value is not a valid dict", "type_error.dict");
                    }
                    if (!(m.getValue("role") instanceof String)) {
                        throw missingOr(m, "messages." + i + ".role", "str type expected", "type_error.str");
                    }
                    Object content = m.getValue("content");
                    boolean toolCall = content == null && m.getValue("tool_calls") instanceof JsonArray;
                    if (!(content instanceof String) && !toolCall) {
                        throw missingOr(m, "messages." + i + ".content", "str type expected", "type_error.str");
                    }
                }
            }
            case COMPLETIONS -> {
                base(payload, mlflowDefaults);
                if (!(payload.getValue("prompt") instanceof String)) {
                    throw missingOr(payload, "prompt", "str type expected", "type_error.str");
                }
            }
            case EMBEDDINGS -> {
                Object input = payload.getValue("input");
                if (input == null) {
                    throw fail("input", "field required", "value_error.missing");
                }
                if (!validInput(input)) {
                    throw fail(
                            "input",
                            "must be a string, a list of strings, a list of integers or a list of lists of integers",
                            "type_error");
                }
                Object stream = payload.getValue("stream");
                if (Boolean.TRUE.equals(stream)) {
                    throw fail("stream", "embeddings cannot be streamed", "value_error");
                }
            }
        }
        return payload;
    }

    /** {@code BaseRequestPayload}: temperature [0, 2] (default 0.0), n ≥ 1 (default 1), stop, max_tokens, stream. */
    private static void base(JsonObject payload, boolean mlflowDefaults) {
        Object temperature = payload.getValue("temperature");
        if (temperature == null) {
            if (mlflowDefaults) {
                payload.put("temperature", 0.0);
            }
        } else if (!(temperature instanceof Number t)) {
            throw fail("temperature", "value is not a valid float", "type_error.float");
        } else if (t.doubleValue() < 0 || t.doubleValue() > 2 || Double.isNaN(t.doubleValue())) {
            throw fail(
                    "temperature",
                    "ensure this value is "
                            + (t.doubleValue() < 0 ? "greater than or equal to 0" : "less than or equal to 2"),
                    t.doubleValue() < 0 ? "value_error.number.not_ge" : "value_error.number.not_le");
        }
        Object n = payload.getValue("n");
        if (n == null) {
            if (mlflowDefaults) {
                payload.put("n", 1);
            }
        } else if (!isInteger(n)) {
            throw fail("n", "value is not a valid integer", "type_error.integer");
        } else if (((Number) n).longValue() < 1) {
            throw fail("n", "ensure this value is greater than or equal to 1", "value_error.number.not_ge");
        }
        Object stop = payload.getValue("stop");
        if (stop instanceof String one && !mlflowDefaults) {
            // OpenAI takes one stop sequence as a string (MLflow's schema a list only): sent on as a list of one
            stop = new JsonArray().add(one);
            payload.put("stop", stop);
        }
        if (stop != null) {
            if (!(stop instanceof JsonArray list)) {
                throw fail("stop", "value is not a valid list", "type_error.list");
            }
            if (list.isEmpty()) {
                throw fail("stop", "ensure this value has at least 1 items", "value_error.list.min_items");
            }
            for (int i = 0; i < list.size(); i++) {
                if (!(list.getValue(i) instanceof String)) {
                    throw fail("stop." + i, "str type expected", "type_error.str");
                }
            }
        }
        Object maxTokens = payload.getValue("max_tokens");
        if (maxTokens != null) {
            if (!isInteger(maxTokens)) {
                throw fail("max_tokens", "value is not a valid integer", "type_error.integer");
            }
            if (((Number) maxTokens).longValue() < 1) {
                throw fail(
                        "max_tokens", "ensure this value is greater than or equal to 1", "value_error.number.not_ge");
            }
        }
        Object stream = payload.getValue("stream");
        if (stream != null && !(stream instanceof Boolean)) {
            throw fail("stream", "value could not be parsed to a boolean", "type_error.bool");
        }
    }

    private static boolean validInput(Object input) {
        if (input instanceof String) {
            return true;
        }
        if (!(input instanceof JsonArray list)) {
            return false;
        }
        boolean strings = list.stream().allMatch(v -> v instanceof String);
        boolean ints = list.stream().allMatch(RequestChecks::isInteger);
        boolean lists = list.stream()
                .allMatch(v -> v instanceof JsonArray inner && inner.stream().allMatch(RequestChecks::isInteger));
        return strings || ints || lists;
    }

    private static boolean isInteger(Object v) {
        return v instanceof Integer || v instanceof Long || v instanceof java.math.BigInteger;
    }

    private static ApiFailure missingOr(JsonObject o, String field, String msg, String type) {
        String last = field.substring(field.lastIndexOf('.') + 1);
        return o.containsKey(last) && o.getValue(last) != null
                ? fail(field, msg, type)
                : fail(field, "field required", "value_error.missing");
    }

    private static ApiFailure fail(String field, String msg, String type) {
        return new ApiFailure(ApiError.validation(field, msg, type));
    }
}
