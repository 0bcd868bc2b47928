package dev.skein.llmgateway.config;

import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.EndpointType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How an endpoint of the configuration API serves: for each request type its model definitions can serve, the
 * PRIMARY models (one drawn per call by weight) and the FALLBACK models tried after it in {@code fallback_order}
 * (at most {@code max_attempts} of them). Each model becomes an {@link Endpoint} of the endpoint's name, its provider
 * configured from its definition's secret: the secret's {@code api_key} is the provider's key ({@code openai_api_key},
 * {@code anthropic_api_key}, …), its {@code auth_config} the provider's other settings ({@code api_base} as {@code
 * openai_api_base}, …; for Bedrock the {@code aws_*} values form {@code aws_config}).
 */
public final class StoredPlans {

    private StoredPlans() {}

    /** One type's plan. */
    public record Plan(List<Endpoint> primaries, double[] cumulative, List<Endpoint> fallbacks) {
        /** A primary model, drawn by weight. */
        public Endpoint pick() {
            double draw = ThreadLocalRandom.current().nextDouble() * cumulative[cumulative.length - 1];
            for (int i = 0; i < cumulative.length; i++) {
                if (draw < cumulative[i]) {
                    return primaries.get(i);
                }
            }
            return primaries.get(primaries.size() - 1);
        }
    }

    /** A stored endpoint as it serves, with what keeps a model of it from serving. */
    public record Served(String name, Map<EndpointType, Plan> plans, List<String> problems) {
        /** The endpoint shown in MLflow 2.x's listing: its first chat (else any) primary model. */
        public Endpoint shown() {
            for (EndpointType t : EndpointType.values()) {
                Plan p = plans.get(t);
                if (p != null) {
                    return p.primaries().get(0);
                }
            }
            return null;
        }
    }

    private static final Set<String> GENERIC =
            Set.of("api_key", "api_base", "api_version", "api_type", "deployment_name", "organization");

    /** The provider's {@code config} (as the endpoints file would give it) from a secret's values and settings. */
    static Map<String, Object> providerConfig(String provider, Map<String, String> auth, Map<String, String> values) {
        String canonical = GatewayFile.providerName(provider);
        String p = canonical == null ? provider : canonical;
        Map<String, Object> config = new LinkedHashMap<>();
        Map<String, Object> aws = new LinkedHashMap<>();
        Map<String, String> all = new LinkedHashMap<>(auth == null ? Map.of() : auth);
        all.putAll(values);
        boolean bedrock = p.equals("bedrock") || p.equals("amazon-bedrock");
        for (Map.Entry<String, String> e : all.entrySet()) {
            String k = e.getKey();
            if (bedrock && (k.startsWith("aws_") || k.equals("region"))) {
                aws.put(k.equals("region") || k.equals("aws_region_name") ? "aws_region" : k, e.getValue());
            } else if (p.equals("mlflow-model-serving") && k.equals("api_base")) {
                config.put("model_server_url", e.getValue());
            } else if (GENERIC.contains(k)) {
                config.put(prefix(p) + "_" + k, e.getValue());
            } else {
                config.put(k, e.getValue());
            }
        }
        if (!aws.isEmpty()) {
            config.put("aws_config", aws);
        }
        return config;
    }

    private static String prefix(String provider) {
        int cut = provider.indexOf('-');
        return (cut < 0 ? provider : provider.substring(0, cut)).replace('-', '_');
    }

    /** Why a provider, model and secret cannot serve any request type (null: they can serve one). */
    public static String refusal(String provider, String model, GatewayStore.Secret secret) {
        String first = null;
        for (EndpointType t : EndpointType.values()) {
            try {
                GatewayFile.stored(
                        "check", t, provider, model, providerConfig(provider, secret.authConfig(), secret.values()));
                return null;
            } catch (InvalidConfigException e) {
                first = first == null ? e.getMessage() : first;
            }
        }
        return "The model definition cannot serve: " + clean(first);
    }

    private static String clean(String message) {
        return message == null
                ? "unknown reason"
                : message.replace("The gateway configuration is invalid: endpoints[0] ('check')", "")
                        .replaceFirst("^[:.]\\s*", "");
    }

    /** Every stored endpoint's plans, from one snapshot. */
    public static Map<String, Served> build(GatewayStore.Snapshot snapshot) {
        Map<String, Served> out = new LinkedHashMap<>();
        for (GatewayStore.StoredEndpoint e : snapshot.endpoints()) {
            List<String> problems = new ArrayList<>();
            Map<String, Map<EndpointType, Endpoint>> members = new HashMap<>();
            for (GatewayStore.Mapping m : e.mappings()) {
                GatewayStore.Definition d = snapshot.definitions().get(m.definitionId());
                GatewayStore.Secret s = d == null || d.secretId() == null
                        ? null
                        : snapshot.secrets().get(d.secretId());
                if (d == null || s == null || s.values() == null) {
                    problems.add("model definition " + (d == null ? m.definitionId() : "'" + d.name() + "'")
                            + (d == null
                                    ? " is gone"
                                    : s == null ? " has no secret" : ": its secret cannot be opened"));
                    continue;
                }
                Map<EndpointType, Endpoint> byType = new EnumMap<>(EndpointType.class);
                for (EndpointType t : EndpointType.values()) {
                    try {
                        byType.put(
                                t,
                                GatewayFile.stored(
                                        e.name(),
                                        t,
                                        d.provider(),
                                        d.modelName(),
                                        providerConfig(d.provider(), s.authConfig(), s.values())));
                    } catch (InvalidConfigException refused) {
                        // this model does not serve that type: the others may
                    }
                }
                if (byType.isEmpty()) {
                    problems.add("model definition '" + d.name() + "' cannot serve");
                }
                members.put(m.definitionId(), byType);
            }
            List<GatewayStore.Mapping> fallbacks = e.mappings().stream()
                    .filter(m -> m.linkage().equals("FALLBACK"))
                    .sorted(Comparator.comparing(
                            GatewayStore.Mapping::fallbackOrder, Comparator.nullsLast(Comparator.naturalOrder())))
                    .toList();
            if (e.maxAttempts() != null && e.maxAttempts() > 0 && fallbacks.size() > e.maxAttempts()) {
                fallbacks = fallbacks.subList(0, e.maxAttempts());
            }
            Map<EndpointType, Plan> plans = new EnumMap<>(EndpointType.class);
            for (EndpointType t : EndpointType.values()) {
                List<Endpoint> primaries = new ArrayList<>();
                List<Double> weights = new ArrayList<>();
                for (GatewayStore.Mapping m : e.mappings()) {
                    Endpoint member =
                            members.getOrDefault(m.definitionId(), Map.of()).get(t);
                    if (m.linkage().equals("PRIMARY") && member != null) {
                        primaries.add(member);
                        weights.add(m.weight());
                    }
                }
                if (primaries.isEmpty()) {
                    continue;
                }
                double[] cumulative = new double[weights.size()];
                double sum = 0;
                for (int i = 0; i < cumulative.length; i++) {
                    sum += weights.get(i);
                    cumulative[i] = sum;
                }
                List<Endpoint> chain = new ArrayList<>();
                for (GatewayStore.Mapping m : fallbacks) {
                    Endpoint member =
                            members.getOrDefault(m.definitionId(), Map.of()).get(t);
                    if (member != null) {
                        chain.add(member);
                    }
                }
                plans.put(t, new Plan(List.copyOf(primaries), cumulative, List.copyOf(chain)));
            }
            out.put(e.name(), new Served(e.name(), Map.copyOf(plans), List.copyOf(problems)));
        }
        return out;
    }
}
