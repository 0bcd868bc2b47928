package dev.skein.llmgateway.provider;

import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.EndpointType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/** Cohere's translation, not built yet: GatewayFile refuses the provider, so nothing reaches these. */
public final class CohereTranslation {
    private CohereTranslation() {}

    public static String path(Endpoint endpoint, boolean stream) {
        throw new RefusedRequest("not built");
    }

    public static String path(EndpointType type) {
        throw new RefusedRequest("not built");
    }

    public static JsonObject request(Endpoint endpoint, JsonObject payload) {
        throw new RefusedRequest("not built");
    }

    public static JsonObject answer(Endpoint endpoint, JsonObject json) {
        throw new RefusedRequest("not built");
    }

    public static boolean keyRefused(Buffer body, String type) {
        return false;
    }

    public static String retryDelay(JsonObject json) {
        return null;
    }

    public static final class Stream implements StreamDialect {
        public Stream(Endpoint endpoint) {}

        @Override
        public JsonObject next(JsonObject event) {
            return null;
        }
    }
}
