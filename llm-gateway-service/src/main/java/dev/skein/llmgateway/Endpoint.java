package dev.skein.llmgateway;

import dev.skein.llmgateway.governance.Price;
import dev.skein.llmgateway.governance.Rule;
import dev.skein.llmgateway.provider.OpenAiSettings;
import java.util.List;

/**
 * One configured endpoint: MLflow's {@code RouteConfig}. {@code settings} holds the provider's resolved
 * configuration, its key included: it never leaves this service ({@link #toString()} leaves it out).
 *
 * @param name the endpoint's name, unique, {@code [\w\-.]+}
 * @param type what it serves
 * @param modelName the provider's model ({@code model.name}; may be null, as MLflow allows)
 * @param provider the provider as MLflow names it ({@code openai})
 * @param limit MLflow's {@code limit}, shown as configured (enforced as one of {@code rules}: calls per caller)
 * @param settings the provider's settings
 * @param rules its rate limits and budgets: MLflow's {@code limit} and Skein's {@code limits} and {@code budgets}
 * @param price its model's price (the file's {@code prices}), or null: its calls have no cost
 */
public record Endpoint(
        String name,
        EndpointType type,
        String modelName,
        String provider,
        Limit limit,
        OpenAiSettings settings,
        List<Rule> rules,
        Price price) {

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
