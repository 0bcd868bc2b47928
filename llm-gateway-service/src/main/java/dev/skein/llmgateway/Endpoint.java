package dev.skein.llmgateway;

import dev.skein.llmgateway.provider.OpenAiSettings;

/**
 * One configured endpoint: MLflow's {@code RouteConfig}. {@code settings} holds the provider's resolved
 * configuration, its key included: it never leaves this service ({@link #toString()} leaves it out).
 *
 * @param name the endpoint's name, unique, {@code [\w\-.]+}
 * @param type what it serves
 * @param modelName the provider's model ({@code model.name}; may be null, as MLflow allows)
 * @param provider the provider as MLflow names it ({@code openai})
 * @param limit MLflow's {@code limit}, shown as configured; not enforced yet (README)
 * @param settings the provider's settings
 */
public record Endpoint(
        String name, EndpointType type, String modelName, String provider, Limit limit, OpenAiSettings settings) {

    /** MLflow's {@code limit: {calls, key, renewal_period}}. */
    public record Limit(long calls, String key, String renewalPeriod) {}

    /** Where MLflow 2.x's server says the endpoint is invoked ({@code endpoint_url}); both paths are served. */
    public String endpointUrl() {
        return "/gateway/" + name + "/invocations";
    }

    @Override
    public String toString() {
        return "Endpoint[" + name + ", " + type.wire() + ", " + provider + "/" + modelName + "]";
    }
}
