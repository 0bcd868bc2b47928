package dev.skein.llmgateway.provider;

import dev.skein.llmgateway.EndpointType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An MLflow model server's {@code POST {model_server_url}/invocations} ↔ the OpenAI shapes the rest of the gateway
 * speaks, as MLflow's {@code mlflow-model-serving} provider maps them ({@code mlflow/gateway/providers/mlflow.py}):
 * the prompt, the chat's one message's text or the embeddings' inputs become {@code inputs} (a list), every other
 * parameter {@code params}; {@code predictions} come back as choices or embeddings. No usage (the server reports
 * none), no streaming (MLflow's 501).
 */
public final class MlflowServingTranslation {

    /** MLflow's {@code MlflowModelServingProvider.NAME}, in its messages. */
    static final String NAME = "MLflow Model Serving";

    private MlflowServingTranslation() {}

    /** MLflow's {@code _process_payload}: the request's main field as {@code inputs}, the rest as {@code params}. */
    public static JsonObject request(EndpointType type, JsonObject payload) {
        JsonObject params = new JsonObject();
        payload.forEach(e -> {
            if (e.getValue() != null) {
                params.put(e.getKey(), e.getValue()); // jsonable_encoder(exclude_none=True)
            }
        });
        String key =
                switch (type) {
                    case CHAT -> "messages";
                    case COMPLETIONS -> "prompt";
                    case EMBEDDINGS -> "input";
                };
        Object input = params.remove(key);
        JsonArray inputs = input instanceof JsonArray list ? list : new JsonArray().add(input);
        if (type == EndpointType.CHAT) {
            if (inputs.size() > 1) {
                throw new AnthropicTranslation.Refused(
                        "MLflow chat models are only capable of processing a single query at a time. The request"
                                + " submitted consists of " + inputs.size() + " queries.");
            }
            Object content = inputs.getValue(0) instanceof JsonObject m ? m.getValue("content") : null;
            inputs = new JsonArray().add(content);
        }
        JsonObject out = new JsonObject().put("inputs", inputs);
        if (!params.isEmpty()) {
            out.put("params", params);
        }
        return out;
    }

    /** MLflow's 501 for a stream: the provider has no streaming route. */
    public static UpstreamException streamRefused(EndpointType type) {
        return new UpstreamException(
                501,
                "The " + (type == EndpointType.CHAT ? "chat" : "completions")
                        + " streaming route is not implemented for " + NAME + " models.",
                "stream_not_supported");
    }

    /**
     * The server's text {@code predictions} (MLflow's {@code ServingTextResponse}: a list of strings, or a dict of
     * one list or with {@code choices}) as OpenAI's {@code chat.completion}, one choice per prediction, no usage; a
     * completion reads its choices' message content as its text.
     */
    public static JsonObject textResponse(JsonObject resp, String model) {
        Object predictions = predictions(resp);
        if (predictions instanceof JsonObject dict) {
            if (!dict.containsKey("choices") && dict.size() > 1) {
                throw unreadable("The dict format is invalid for this route type. Ensure the served model returns a"
                        + " dict key containing 'choices'");
            }
            predictions = dict.size() == 1 ? dict.iterator().next().getValue() : dict.getValue("choices");
        }
        if (!(predictions instanceof JsonArray list)) {
            throw unreadable("predictions: value is not a valid list");
        }
        if (list.isEmpty()) {
            throw unreadable("The input list is empty");
        }
        JsonArray choices = new JsonArray();
        for (Object text : list) {
            if (!(text instanceof String)) {
                throw unreadable("predictions." + choices.size() + ": str type expected");
            }
            choices.add(new JsonObject()
                    .put("index", choices.size())
                    .put("message", new JsonObject().put("role", "assistant").put("content", text))
                    .putNull("finish_reason"));
        }
        return new JsonObject()
                .putNull("id")
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", model)
                .put("choices", choices)
                .put("usage", new JsonObject());
    }

    /**
     * The server's {@code predictions} (MLflow's {@code EmbeddingsResponse}: a list of lists of numbers, or one
     * list of numbers for a single input) as OpenAI's embeddings list, no usage.
     */
    public static JsonObject embeddingsResponse(JsonObject resp, String model) {
        if (!(predictions(resp) instanceof JsonArray list) || list.isEmpty()) {
            throw unreadable("The input list is empty");
        }
        JsonArray vectors = list.stream().allMatch(v -> v instanceof Number) ? new JsonArray().add(list) : list;
        JsonArray data = new JsonArray();
        for (Object v : vectors) {
            if (!(v instanceof JsonArray vector) || !vector.stream().allMatch(x -> x instanceof Number)) {
                throw unreadable("predictions." + data.size() + ": a list of numbers expected");
            }
            if (vector.isEmpty()) {
                throw unreadable("One or more lists in the returned prediction response are empty");
            }
            data.add(new JsonObject().put("embedding", vector));
        }
        return new JsonObject()
                .put("object", "list")
                .put("data", data)
                .put("model", model)
                .put("usage", new JsonObject());
    }

    private static Object predictions(JsonObject resp) {
        if (!resp.containsKey("predictions")) {
            throw new UpstreamException(502, "The response is missing the required key: predictions.");
        }
        return resp.getValue("predictions");
    }

    private static UpstreamException unreadable(String detail) {
        return new UpstreamException(502, "The model server's answer cannot be read: " + detail);
    }
}
