package dev.skein.llmgateway.provider;

import dev.skein.llmgateway.EndpointType;
import io.vertx.core.json.JsonObject;

/**
 * Mistral's API ({@code https://api.mistral.ai/v1}) speaks OpenAI's wire format: {@code chat/completions} (JSON and
 * server-sent events ending with {@code [DONE]}, the usage on the last chunk) and {@code embeddings}, answers read
 * by {@link OpenAiTranslation}. Requests as MLflow's Mistral provider sends them ({@code
 * mlflow/gateway/providers/mistral.py}): a completion goes to {@code chat/completions} as one user message without
 * {@code stop} and {@code n}, and temperature is halved (Mistral's range is 0–1, MLflow's 0–2). MLflow 2.17 has no
 * Mistral chat; here a chat is sent as it came (tools included: Mistral's are OpenAI's), its temperature halved
 * likewise. OpenAI's {@code stream_options} is not sent: Mistral refuses fields it does not know, and reports every
 * stream's usage anyway.
 */
public final class MistralTranslation {

    private MistralTranslation() {}

    /** The request Mistral gets for an endpoint of {@code type}; {@code model} is added by the provider. */
    public static JsonObject request(EndpointType type, JsonObject payload) {
        JsonObject out = payload.copy();
        out.remove("stream_options");
        if (type == EndpointType.EMBEDDINGS) {
            return out;
        }
        if (type == EndpointType.COMPLETIONS) {
            out.remove("stop");
            out.remove("n");
            out = OpenAiTranslation.completionsRequest(out);
        }
        if (out.getValue("temperature") instanceof Number t) {
            out.put("temperature", 0.5 * t.doubleValue());
        }
        return out;
    }
}
