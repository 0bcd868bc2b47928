package dev.skein.llmgateway;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * MLflow's traffic route ({@code routes:} with {@code routing_strategy: TRAFFIC_SPLIT}): one name that sends each
 * call to one of its destination endpoints, at random by their {@code traffic_percentage} (summing to 100).
 * Invoked like an endpoint; the chosen endpoint's limits, budgets, retries and fallbacks apply to the call.
 */
public record TrafficRoute(String name, EndpointType type, List<Destination> destinations) {

    public record Destination(String endpoint, int percentage) {}

    /** A destination, drawn by weight. */
    public String pick() {
        int draw = ThreadLocalRandom.current().nextInt(100);
        for (Destination d : destinations) {
            draw -= d.percentage();
            if (draw < 0) {
                return d.endpoint();
            }
        }
        return destinations.get(destinations.size() - 1).endpoint();
    }
}
