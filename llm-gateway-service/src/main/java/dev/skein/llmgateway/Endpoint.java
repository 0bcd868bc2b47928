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
 * @param retry how often a call the provider failed in a way worth trying again is tried (Skein's {@code retries})
 * @param fallbacks endpoints of the same type tried in order when this one still fails (Skein's {@code fallbacks})
 */
public record Endpoint(
        String name,
        EndpointType type,
        String modelName,
        String provider,
        Limit limit,
        OpenAiSettings settings,
        List<Rule> rules,
        Price price,
        Retry retry,
        List<String> fallbacks) {

    /**
     * Skein's {@code retries: {max_attempts, initial_backoff, max_backoff}} (seconds): a call the provider
     * answered 429 or 5xx, or did not answer in time, is tried again after {@code initial_backoff}, doubled each
     * time up to {@code max_backoff} (a {@code Retry-After} within it is honoured; a longer one ends the retries).
     */
    public record Retry(int maxAttempts, long initialBackoffMs, long maxBackoffMs) {
        /** MLflow's behaviour: one attempt. */
        public static final Retry NONE = new Retry(1, 0, 0);

        /**
         * The wait before attempt {@code next} (2 or more): the backoff with ±20 % jitter (calls that failed together
         * do not all come back together), or the provider's {@code Retry-After} in seconds when longer; -1 when the
         * provider asks for longer than {@code max_backoff}, or in a form not read here (an HTTP date).
         */
        public long backoffMs(int next, String retryAfter) {
            long wait = Math.min(maxBackoffMs, initialBackoffMs << Math.min(20, next - 2));
            wait = Math.max(
                    1,
                    Math.round(wait
                            * (0.8
                                    + 0.4
                                            * java.util.concurrent.ThreadLocalRandom.current()
                                                    .nextDouble())));
            if (retryAfter == null) {
                return wait;
            }
            String value = retryAfter.strip();
            if (!value.matches("\\d{1,9}")) {
                return -1;
            }
            long asked = Long.parseLong(value) * 1000;
            return asked > maxBackoffMs ? -1 : Math.max(wait, asked);
        }
    }

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
