package dev.skein.llmgateway.config;

import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.EndpointType;
import dev.skein.llmgateway.TrafficRoute;
import dev.skein.llmgateway.governance.Price;
import dev.skein.llmgateway.governance.Rule;
import dev.skein.llmgateway.governance.Window;
import dev.skein.llmgateway.provider.OpenAiSettings;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * MLflow 2.x's gateway YAML, read and checked with MLflow's rules ({@code mlflow/gateway/config.py}) and
 * messages: {@code endpoints} (or the deprecated {@code routes}) of {@code name}, {@code endpoint_type} (or
 * {@code route_type}), {@code model: {provider, name, config}} and {@code limit: {calls, renewal_period, key}}.
 * Unknown fields are ignored, as MLflow's config models ignore them.
 */
public final class GatewayFile {

    /** MLflow 2.x's providers (its {@code Provider} enum); only {@link #SUPPORTED} are built here. */
    static final Set<String> MLFLOW_PROVIDERS = Set.of(
            "openai",
            "anthropic",
            "cohere",
            "ai21labs",
            "mlflow-model-serving",
            "mosaicml",
            "huggingface-text-generation-inference",
            "palm",
            "bedrock",
            "amazon-bedrock",
            "databricks-model-serving",
            "databricks",
            "mistral",
            "togetherai",
            "gemini"); // Skein's name for Google's Gemini API (MLflow 2.17 knows only its retired PaLM API)

    static final List<String> SUPPORTED = List.of(
            "openai", "anthropic", "mistral", "gemini", "cohere", "bedrock", "amazon-bedrock", "mlflow-model-serving");

    /** MLflow's {@code is_valid_endpoint_name}: Python's {@code [\w\-\.]+} (Unicode word characters). */
    private static final Pattern NAME = Pattern.compile("[\\w\\-.]+", Pattern.UNICODE_CHARACTER_CLASS);

    private static final int MAX_FILE_BYTES = 4 * 1024 * 1024;

    private static final BigDecimal MAX_USD = BigDecimal.valueOf(1_000_000_000L);

    private GatewayFile() {}

    /** The file's endpoints and traffic routes. */
    public record Config(List<Endpoint> endpoints, List<TrafficRoute> routes) {}

    /** Reads and checks the file; {@code env} resolves {@code $NAME} keys. */
    public static List<Endpoint> load(Path path, Function<String, String> env) {
        return read(path, env).endpoints();
    }

    /** Reads and checks the file, its traffic routes too. */
    public static Config read(Path path, Function<String, String> env) {
        if (!Files.isRegularFile(path)) {
            throw new InvalidConfigException(path + " does not exist");
        }
        String text;
        try {
            if (Files.size(path) > MAX_FILE_BYTES) {
                throw new InvalidConfigException(
                        "The file at " + path + " is larger than " + MAX_FILE_BYTES + " bytes");
            }
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InvalidConfigException(
                    "The file at " + path + " cannot be read: " + e.getClass().getSimpleName());
        }
        Object document;
        try {
            document = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (RuntimeException e) {
            throw new InvalidConfigException("The file at " + path + " is not a valid yaml file");
        }
        List<Endpoint> endpoints = parse(document, env, path.getParent());
        return new Config(endpoints, routes((Map<?, ?>) document, endpoints));
    }

    /**
     * MLflow's traffic routes: {@code routes} beside {@code endpoints} (alone, {@code routes} is the deprecated
     * name of {@code endpoints}), each {@code {name, task_type, destinations: [{name, traffic_percentage}],
     * routing_strategy: TRAFFIC_SPLIT}}: destinations are endpoints of the route's type, percentages sum to 100.
     */
    static List<TrafficRoute> routes(Map<?, ?> root, List<Endpoint> endpoints) {
        if (root.get("endpoints") == null || root.get("routes") == null) {
            return List.of();
        }
        Map<String, Endpoint> byName = new HashMap<>();
        endpoints.forEach(e -> byName.put(e.name(), e));
        Set<String> names = new HashSet<>(byName.keySet());
        List<TrafficRoute> routes = new ArrayList<>();
        for (Map<?, ?> m : entries("routes", root.get("routes"))) {
            String where = "routes[" + routes.size() + "]";
            if (!(m.get("name") instanceof String name) || !NAME.matcher(name).matches()) {
                throw invalid(where + ".name: a name of letters, digits, '-', '_' and '.' required");
            }
            if (!names.add(name)) {
                throw invalid(where + ": the name '" + name + "' is taken by an endpoint or another route");
            }
            Object strategy = m.get("routing_strategy") == null ? "TRAFFIC_SPLIT" : m.get("routing_strategy");
            if (!"TRAFFIC_SPLIT".equals(strategy)) {
                throw invalid(where + ".routing_strategy: only TRAFFIC_SPLIT is supported, not '" + strategy + "'");
            }
            EndpointType type = EndpointType.fromWire(m.get("task_type"))
                    .orElseThrow(() -> invalid(
                            where + ".task_type: llm/v1/chat, llm/v1/completions or" + " llm/v1/embeddings required"));
            List<TrafficRoute.Destination> destinations = new ArrayList<>();
            int total = 0;
            for (Map<?, ?> d : entries(where + ".destinations", m.get("destinations"))) {
                String at = where + ".destinations[" + destinations.size() + "]";
                if (!(d.get("name") instanceof String target) || byName.get(target) == null) {
                    throw invalid(at + ".name: the name of an endpoint required");
                }
                if (byName.get(target).type() != type) {
                    throw invalid(at + ": the endpoint '" + target + "' is of type "
                            + byName.get(target).type().wire() + ", not the route's " + type.wire());
                }
                long percentage = count(at + ".traffic_percentage", d.get("traffic_percentage"));
                if (percentage < 1 || percentage > 100) {
                    throw invalid(at + ".traffic_percentage: a whole number from 1 to 100 required");
                }
                total += (int) percentage;
                destinations.add(new TrafficRoute.Destination(target, (int) percentage));
            }
            if (destinations.isEmpty() || total != 100) {
                throw invalid(where + ".destinations: their traffic_percentage must sum to 100, not " + total);
            }
            routes.add(new TrafficRoute(name, type, List.copyOf(destinations)));
        }
        return List.copyOf(routes);
    }

    /**
     * Keys taken as they are: a stored secret's value is the key itself, never an environment variable's name or a
     * path on this machine (which would let whoever stores a secret send this service's files or settings to a
     * provider).
     */
    static final Function<String, String> LITERAL = name -> null;

    /**
     * One model of an endpoint of the configuration API, as an endpoint of {@code type} named {@code name}: its
     * provider's {@code config} checked as the file's would be, its keys taken literally. Throws
     * {@link InvalidConfigException} when the provider cannot serve that type or the config is refused.
     */
    public static Endpoint stored(
            String name, EndpointType type, String provider, String modelName, Map<String, Object> config) {
        Map<String, Object> model = new java.util.HashMap<>();
        model.put("provider", provider);
        model.put("name", modelName);
        model.put("config", config);
        Map<String, Object> entry = new java.util.HashMap<>();
        entry.put("name", name);
        entry.put("endpoint_type", type.wire());
        entry.put("model", model);
        return endpoint(0, entry, LITERAL, null, Map.of());
    }

    /** Checks a parsed document; relative key file paths are read from {@code baseDir} (MLflow: the working directory). */
    static List<Endpoint> parse(Object document, Function<String, String> env, Path baseDir) {
        if (!(document instanceof Map<?, ?> root)) {
            throw invalid("the file must be a mapping with 'endpoints'");
        }
        // "routes" alone is the deprecated name of "endpoints"; beside "endpoints" it holds traffic routes
        Object list = root.get("endpoints") != null ? root.get("endpoints") : root.get("routes");
        if (list == null) {
            throw invalid("endpoints: field required");
        }
        if (!(list instanceof List<?> entries)) {
            throw invalid("endpoints: value is not a valid list");
        }
        Map<String, Price> prices = prices(root.get("prices"));
        Set<String> names = new HashSet<>();
        for (Object entry : entries) {
            if (entry instanceof Map<?, ?> m && m.get("name") instanceof String name && !names.add(name)) {
                throw new InvalidConfigException(
                        "Duplicate names found in endpoint configurations. Please remove the duplicate endpoint"
                                + " name from the configuration to ensure that endpoints are created properly.");
            }
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            endpoints.add(endpoint(i, entries.get(i), env, baseDir, prices));
        }
        checkFallbacks(endpoints);
        return List.copyOf(endpoints);
    }

    private static Endpoint endpoint(
            int index, Object entry, Function<String, String> env, Path baseDir, Map<String, Price> prices) {
        String where = "endpoints[" + index + "]";
        if (!(entry instanceof Map<?, ?> map)) {
            throw invalid(where + ": value is not a valid mapping");
        }
        if (!(map.get("name") instanceof String name)) {
            throw invalid(where + ".name: field required (a string)");
        }
        where = where + " ('" + name + "')";
        if (!NAME.matcher(name).matches()) {
            throw invalid(where + ": The route name provided contains disallowed characters for a url endpoint. '"
                    + name + "' is invalid. Names cannot contain spaces or any non alphanumeric characters other"
                    + " than hyphen and underscore.");
        }
        Object typeValue = map.get("endpoint_type") != null ? map.get("endpoint_type") : map.get("route_type");
        if (typeValue == null) {
            throw invalid(where + ".endpoint_type: field required");
        }
        EndpointType type = EndpointType.fromWire(typeValue)
                .orElseThrow(() -> new InvalidConfigException("The gateway configuration is invalid: " + "endpoints"
                        + "[" + index + "] ('" + name + "'): The route_type '" + typeValue + "' is not supported."));
        if (!(map.get("model") instanceof Map<?, ?> model)) {
            throw invalid(where + ".model: field required (a mapping of provider, name and config)");
        }
        Object modelName = model.get("name");
        if (modelName != null && !(modelName instanceof String)) {
            throw invalid(where + ".model.name: str type expected");
        }
        if (!(model.get("provider") instanceof String providerValue)) {
            throw invalid(where + ": A provider must be provided for each gateway route.");
        }
        String provider = providerName(providerValue);
        if (provider == null) {
            throw invalid(where + ": The provider '" + providerValue + "' is not supported.");
        }
        if (!SUPPORTED.contains(provider)) {
            throw invalid(where + ": The provider '" + providerValue + "' is not supported by Skein yet (supported: "
                    + String.join(", ", SUPPORTED) + ").");
        }
        if (!(model.get("config") instanceof Map<?, ?> config)) {
            throw invalid(where + ": A config must be supplied when setting a provider. The provider entry for "
                    + provider + " is incorrect.");
        }
        OpenAiSettings settings =
                switch (provider) {
                    case "anthropic" -> anthropic(where, type, config, env, baseDir);
                    case "mistral", "gemini", "cohere" -> keyed(where, provider, modelName, config, env, baseDir);
                    case "bedrock", "amazon-bedrock" -> bedrock(where, modelName, config, env, baseDir);
                    case "mlflow-model-serving" -> mlflowServing(where, modelName, config);
                    default -> openAi(where, config, env, baseDir);
                };
        Endpoint.Limit limit = limit(where, map.get("limit"));
        List<Rule> rules = new ArrayList<>();
        if (limit != null) {
            // MLflow keys its limit by the client's address: here, by the signed-in caller
            rules.add(Rule.of(
                    name,
                    Rule.Scope.CALLER,
                    Window.renewalPeriod(limit.renewalPeriod()).orElseThrow(),
                    limit.calls(),
                    0,
                    null,
                    Rule.Action.REJECT));
        }
        rules.addAll(limits(where, name, map.get("limits")));
        Price price = modelName == null ? null : prices.get((String) modelName);
        List<Rule> budgets = budgets(where, name, map.get("budgets"));
        if (!budgets.isEmpty() && price == null) {
            throw invalid(where + ".budgets: the model '" + modelName + "' has no price (prices: {" + modelName
                    + ": {input_per_million_tokens, output_per_million_tokens}}): its calls would cost nothing");
        }
        rules.addAll(budgets);
        if ((settings.apiType() == OpenAiSettings.ApiType.AZURE || settings.apiType() == OpenAiSettings.ApiType.AZUREAD)
                && rules.stream().anyMatch(r -> r.maxTokens() > 0 || r.maxUsd() != null)) {
            // Azure's streams report no usage (the gateway asks only OpenAI for it): they would count nothing
            throw invalid(where + ": token limits and budgets need the usage of every call, which Azure OpenAI's"
                    + " streams do not report; use calls limits on this endpoint");
        }
        if (settings.apiType() == OpenAiSettings.ApiType.MLFLOW_SERVING
                && rules.stream().anyMatch(r -> r.maxTokens() > 0 || r.maxUsd() != null)) {
            throw invalid(where + ": token limits and budgets need the usage of every call, which an MLflow model"
                    + " server does not report; use calls limits on this endpoint");
        }
        return new Endpoint(
                name,
                type,
                (String) modelName,
                provider,
                limit,
                settings,
                List.copyOf(rules),
                price,
                retry(where, map.get("retries")),
                fallbacks(where, name, map.get("fallbacks")));
    }

    /** Skein's {@code retries: {max_attempts (1–10), initial_backoff, max_backoff}}, in seconds. */
    private static Endpoint.Retry retry(String where, Object value) {
        if (value == null) {
            return Endpoint.Retry.NONE;
        }
        if (!(value instanceof Map<?, ?> m)) {
            throw invalid(where + ".retries: {max_attempts, initial_backoff, max_backoff} expected");
        }
        long attempts = count(where + ".retries.max_attempts", m.get("max_attempts"));
        if (attempts < 1 || attempts > 10) {
            throw invalid(where + ".retries.max_attempts: a whole number from 1 to 10 expected");
        }
        BigDecimal initial = seconds(where + ".retries.initial_backoff", m.get("initial_backoff"), "0.5");
        BigDecimal max = seconds(where + ".retries.max_backoff", m.get("max_backoff"), "10");
        if (max.compareTo(BigDecimal.valueOf(300)) > 0 || initial.compareTo(max) > 0) {
            throw invalid(where + ".retries: initial_backoff ≤ max_backoff ≤ 300 (seconds) expected");
        }
        if (initial.compareTo(new BigDecimal("0.01")) < 0) {
            throw invalid(where + ".retries.initial_backoff: at least 0.01 (seconds): retries need a pause");
        }
        return new Endpoint.Retry(
                (int) attempts,
                initial.movePointRight(3).longValue(),
                max.movePointRight(3).longValue());
    }

    /** A number of seconds, or {@code otherwise} when absent. */
    private static BigDecimal seconds(String where, Object value, String otherwise) {
        if (value == null) {
            return new BigDecimal(otherwise);
        }
        if (!(value instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() < 0) {
            throw invalid(where + ": a number of seconds expected");
        }
        return new BigDecimal(n.toString());
    }

    /** Skein's {@code fallbacks}: names of other endpoints (checked once all are read). */
    private static List<String> fallbacks(String where, String name, Object value) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list) || list.stream().anyMatch(v -> !(v instanceof String))) {
            throw invalid(where + ".fallbacks: a list of endpoint names expected");
        }
        List<String> names = list.stream().map(String.class::cast).toList();
        if (names.contains(name) || new HashSet<>(names).size() != names.size()) {
            throw invalid(where + ".fallbacks: the endpoint itself or a name twice");
        }
        return names;
    }

    /** Every fallback names an endpoint of the file, of the same type. */
    private static void checkFallbacks(List<Endpoint> endpoints) {
        Map<String, Endpoint> byName = new HashMap<>();
        endpoints.forEach(e -> byName.put(e.name(), e));
        for (Endpoint e : endpoints) {
            for (String f : e.fallbacks()) {
                Endpoint fallback = byName.get(f);
                if (fallback == null) {
                    throw invalid("endpoint '" + e.name() + "': its fallback '" + f + "' is not an endpoint");
                }
                if ((fallback.settings().apiType() == OpenAiSettings.ApiType.AZURE
                                || fallback.settings().apiType() == OpenAiSettings.ApiType.AZUREAD)
                        && e.rules().stream().anyMatch(r -> r.maxTokens() > 0 || r.maxUsd() != null)) {
                    throw invalid("endpoint '" + e.name() + "': its fallback '" + f + "' is Azure OpenAI, whose streams"
                            + " report no usage, and this endpoint has token limits or budgets");
                }
                if (fallback.settings().apiType() == OpenAiSettings.ApiType.MLFLOW_SERVING
                        && e.rules().stream().anyMatch(r -> r.maxTokens() > 0 || r.maxUsd() != null)) {
                    throw invalid("endpoint '" + e.name() + "': its fallback '" + f + "' is an MLflow model server,"
                            + " which reports no usage, and this endpoint has token limits or budgets");
                }
                if (fallback.type() != e.type()) {
                    throw invalid("endpoint '" + e.name() + "': its fallback '" + f + "' is of type "
                            + fallback.type().wire() + ", not " + e.type().wire());
                }
            }
        }
    }

    /** Skein's {@code prices}: {@code model name: {input_per_million_tokens, output_per_million_tokens}} in USD. */
    private static Map<String, Price> prices(Object value) {
        Map<String, Price> prices = new HashMap<>();
        if (value == null) {
            return prices;
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw invalid("prices: a mapping of model names to {input_per_million_tokens, output_per_million_tokens}");
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String where = "prices." + e.getKey();
            if (!(e.getValue() instanceof Map<?, ?> p)) {
                throw invalid(where + ": {input_per_million_tokens, output_per_million_tokens} expected");
            }
            prices.put(
                    String.valueOf(e.getKey()),
                    new Price(
                            amount(where + ".input_per_million_tokens", p.get("input_per_million_tokens"), true),
                            amount(where + ".output_per_million_tokens", p.get("output_per_million_tokens"), true)));
        }
        return prices;
    }

    /** Skein's {@code limits}: {@code [{per: endpoint|caller, renewal_period, calls, tokens}]}. */
    private static List<Rule> limits(String where, String endpoint, Object value) {
        List<Rule> rules = new ArrayList<>();
        for (Map<?, ?> m : entries(where + ".limits", value)) {
            String at = where + ".limits[" + rules.size() + "]";
            Window window = m.get("renewal_period") instanceof String p
                    ? Window.renewalPeriod(p).orElse(null)
                    : null;
            if (window == null) {
                throw invalid(at + ".renewal_period: a granularity such as minute, hour, day or '10 seconds'");
            }
            long calls = count(at + ".calls", m.get("calls"));
            long tokens = count(at + ".tokens", m.get("tokens"));
            if (calls == 0 && tokens == 0) {
                throw invalid(at + ": calls or tokens (a positive number) required");
            }
            rules.add(Rule.of(endpoint, scope(at, m.get("per")), window, calls, tokens, null, Rule.Action.REJECT));
        }
        return rules;
    }

    /** Skein's {@code budgets}: {@code [{per: endpoint|caller, period: day|week|month, usd, on_exceed}]}. */
    private static List<Rule> budgets(String where, String endpoint, Object value) {
        List<Rule> rules = new ArrayList<>();
        for (Map<?, ?> m : entries(where + ".budgets", value)) {
            String at = where + ".budgets[" + rules.size() + "]";
            Window window =
                    m.get("period") instanceof String p ? Window.calendar(p).orElse(null) : null;
            if (window == null) {
                throw invalid(at + ".period: day, week or month required");
            }
            BigDecimal usd = amount(at + ".usd", m.get("usd"), false);
            Object action = m.get("on_exceed") == null ? "REJECT" : m.get("on_exceed");
            Rule.Action onExceed;
            try {
                onExceed = Rule.Action.valueOf(String.valueOf(action).toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw invalid(at + ".on_exceed: REJECT or ALERT expected, not '" + action + "'");
            }
            rules.add(Rule.of(endpoint, scope(at, m.get("per")), window, 0, 0, usd, onExceed));
        }
        return rules;
    }

    private static List<Map<?, ?>> entries(String where, Object value) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw invalid(where + ": value is not a valid list");
        }
        List<Map<?, ?>> maps = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> m)) {
                throw invalid(where + "[" + maps.size() + "]: value is not a valid mapping");
            }
            maps.add(m);
        }
        return maps;
    }

    private static Rule.Scope scope(String where, Object per) {
        if (per == null || "endpoint".equals(per)) {
            return Rule.Scope.ENDPOINT;
        }
        if ("caller".equals(per)) {
            return Rule.Scope.CALLER;
        }
        throw invalid(where + ".per: endpoint or caller expected, not '" + per + "'");
    }

    private static long count(String where, Object value) {
        if (value == null) {
            return 0;
        }
        if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() <= 0) {
            throw invalid(where + ": a positive whole number expected");
        }
        return ((Number) value).longValue();
    }

    private static BigDecimal amount(String where, Object value, boolean zeroAllowed) {
        if (!(value instanceof Number n)) {
            throw invalid(where + ": a number (USD) required");
        }
        BigDecimal amount;
        try {
            amount = new BigDecimal(n.toString());
        } catch (NumberFormatException e) {
            throw invalid(where + ": a finite number (USD) required");
        }
        if (amount.signum() < 0 || (!zeroAllowed && amount.signum() == 0) || amount.compareTo(MAX_USD) > 0) {
            throw invalid(
                    where + ": a number from " + (zeroAllowed ? "0" : "above 0") + " to " + MAX_USD + " expected");
        }
        return amount;
    }

    /** MLflow's {@code Model.validate_provider}: {@code value.replace("-", "_").upper()} among its providers. */
    static String providerName(String value) {
        String normal = value.replace('-', '_').toUpperCase(Locale.ROOT);
        for (String p : MLFLOW_PROVIDERS) {
            if (p.replace('-', '_').toUpperCase(Locale.ROOT).equals(normal)) {
                return p;
            }
        }
        return null;
    }

    private static OpenAiSettings openAi(String where, Map<?, ?> config, Function<String, String> env, Path baseDir) {
        Object keyInput = config.get("openai_api_key");
        if (keyInput == null) {
            throw invalid(where + ".model.config.openai_api_key: field required");
        }
        String key = resolveKey(keyInput, env, baseDir, where + ".model.config.openai_api_key");
        Object typeValue = config.get("openai_api_type");
        OpenAiSettings.ApiType apiType = OpenAiSettings.ApiType.OPENAI;
        if (typeValue != null) {
            apiType = null;
            for (OpenAiSettings.ApiType t : OpenAiSettings.ApiType.values()) {
                boolean openAiType = t == OpenAiSettings.ApiType.OPENAI
                        || t == OpenAiSettings.ApiType.AZURE
                        || t == OpenAiSettings.ApiType.AZUREAD;
                if (openAiType && t.wire().equals(String.valueOf(typeValue).toLowerCase(Locale.ROOT))) {
                    apiType = t;
                }
            }
            if (apiType == null) {
                throw invalid(where + ": Invalid OpenAI API type '" + typeValue + "'");
            }
        }
        String base = string(config, "openai_api_base", where);
        String version = string(config, "openai_api_version", where);
        String deployment = string(config, "openai_deployment_name", where);
        String organization = string(config, "openai_organization", where);
        if (apiType == OpenAiSettings.ApiType.OPENAI) {
            if (deployment != null) {
                throw invalid(
                        where + ": OpenAI route configuration can only specify a value for"
                                + " 'openai_deployment_name' if 'openai_api_type' is 'azure' or 'azuread'. Found type: 'openai'");
            }
            if (base == null) {
                base = OpenAiSettings.DEFAULT_API_BASE;
            }
        } else {
            if (organization != null) {
                throw invalid(where + ": OpenAI route configuration can only specify a value for"
                        + " 'openai_organization' if 'openai_api_type' is 'openai'");
            }
            if (base == null || deployment == null || version == null) {
                throw invalid(where + ": OpenAI route configuration must specify 'openai_api_base',"
                        + " 'openai_deployment_name', and 'openai_api_version' if 'openai_api_type' is 'azure' or"
                        + " 'azuread'.");
            }
        }
        if (!validBase(base)) {
            throw invalid(where + ".model.config.openai_api_base: an http:// or https:// URL with a host expected");
        }
        return new OpenAiSettings(key, apiType, base, version, deployment, organization);
    }

    /**
     * MLflow's {@code AnthropicConfig}: {@code anthropic_api_key} (required; {@code $ENV}, file or literal),
     * {@code anthropic_version} ({@code 2023-06-01}); and Skein's {@code anthropic_api_base} (MLflow's fixed
     * {@code https://api.anthropic.com/v1}: a proxy or a local server in tests). No embeddings (as MLflow).
     */
    private static OpenAiSettings anthropic(
            String where, EndpointType type, Map<?, ?> config, Function<String, String> env, Path baseDir) {
        if (type == EndpointType.EMBEDDINGS) {
            throw invalid(where + ": the anthropic provider serves llm/v1/chat and llm/v1/completions, not embeddings");
        }
        Object keyInput = config.get("anthropic_api_key");
        if (keyInput == null) {
            throw invalid(where + ".model.config.anthropic_api_key: field required");
        }
        String key = resolveKey(keyInput, env, baseDir, where + ".model.config.anthropic_api_key");
        String version = string(config, "anthropic_version", where);
        String base = string(config, "anthropic_api_base", where);
        base = base == null ? OpenAiSettings.ANTHROPIC_API_BASE : base;
        if (!validBase(base)) {
            throw invalid(where + ".model.config.anthropic_api_base: an http:// or https:// URL with a host expected");
        }
        return new OpenAiSettings(
                key,
                OpenAiSettings.ApiType.ANTHROPIC,
                base,
                version == null ? OpenAiSettings.ANTHROPIC_VERSION : version,
                null,
                null);
    }

    /**
     * MLflow's {@code MistralConfig} and {@code CohereConfig} ({@code {provider}_api_key}, required; {@code $ENV},
     * file or literal), and Skein's {@code gemini} likewise; plus Skein's {@code {provider}_api_base} (MLflow's base
     * URLs are fixed: a proxy, or a local server in tests). Gemini names the model in its URL: {@code model.name} is
     * required there.
     */
    private static OpenAiSettings keyed(
            String where,
            String provider,
            Object modelName,
            Map<?, ?> config,
            Function<String, String> env,
            Path baseDir) {
        String field = provider + "_api_key";
        Object keyInput = config.get(field);
        if (keyInput == null) {
            throw invalid(where + ".model.config." + field + ": field required");
        }
        String key = resolveKey(keyInput, env, baseDir, where + ".model.config." + field);
        OpenAiSettings.ApiType apiType =
                switch (provider) {
                    case "mistral" -> OpenAiSettings.ApiType.MISTRAL;
                    case "gemini" -> OpenAiSettings.ApiType.GEMINI;
                    default -> OpenAiSettings.ApiType.COHERE;
                };
        if (apiType == OpenAiSettings.ApiType.GEMINI && modelName == null) {
            throw invalid(where + ".model.name: required for the gemini provider (the model is part of its URL)");
        }
        String base = string(config, provider + "_api_base", where);
        if (base == null) {
            base = switch (apiType) {
                case MISTRAL -> OpenAiSettings.MISTRAL_API_BASE;
                case GEMINI -> OpenAiSettings.GEMINI_API_BASE;
                default -> OpenAiSettings.COHERE_API_BASE;
            };
        }
        if (!validBase(base)) {
            throw invalid(where + ".model.config." + provider + "_api_base: an http:// or https:// URL with a host"
                    + " expected");
        }
        return new OpenAiSettings(key, apiType, base, null, null, null);
    }

    /**
     * MLflow's {@code AmazonBedrockConfig}: {@code aws_config: {aws_region, aws_access_key_id,
     * aws_secret_access_key, aws_session_token}} (each key {@code $ENV}, a file or literal, unlike MLflow, which
     * takes them literally). Without keys, AWS's own environment variables ({@code AWS_ACCESS_KEY_ID}, {@code
     * AWS_SECRET_ACCESS_KEY}, {@code AWS_SESSION_TOKEN}; the region also from {@code AWS_REGION} or {@code
     * AWS_DEFAULT_REGION}), the first step of boto3's chain. {@code aws_role_arn} (STS) is refused. Skein's {@code
     * bedrock_api_base} replaces {@code https://bedrock-runtime.<region>.amazonaws.com} (a VPC endpoint, a proxy,
     * a local server in tests). {@code model.name} is the model ID (or an inference profile's ID or ARN).
     */
    private static OpenAiSettings bedrock(
            String where, Object modelName, Map<?, ?> config, Function<String, String> env, Path baseDir) {
        if (modelName == null) {
            throw invalid(where + ".model.name: field required (the Bedrock model ID, e.g."
                    + " anthropic.claude-3-5-sonnet-20240620-v1:0)");
        }
        Object awsValue = config.get("aws_config");
        if (awsValue == null) {
            throw invalid(where + ".model.config.aws_config: field required");
        }
        if (!(awsValue instanceof Map<?, ?> aws)) {
            throw invalid(where + ".model.config.aws_config: value is not a valid mapping");
        }
        String at = where + ".model.config.aws_config";
        if (aws.get("aws_role_arn") != null) {
            throw invalid(at + ".aws_role_arn: assuming a role (STS) is not supported by Skein yet; give"
                    + " aws_access_key_id and aws_secret_access_key (a role's session keys with aws_session_token)");
        }
        String region = string(aws, "aws_region", where + ".model.config.aws_config");
        if (region == null) {
            region = env.apply("AWS_REGION") != null ? env.apply("AWS_REGION") : env.apply("AWS_DEFAULT_REGION");
        }
        if (region == null || !region.matches("[a-z0-9-]{1,64}")) {
            throw invalid(at + ".aws_region: a region such as us-east-1 required (or AWS_REGION)");
        }
        Object idInput = aws.get("aws_access_key_id");
        Object secretInput = aws.get("aws_secret_access_key");
        Object tokenInput = aws.get("aws_session_token");
        if (idInput == null && secretInput == null) {
            idInput = env.apply("AWS_ACCESS_KEY_ID") == null ? null : "$AWS_ACCESS_KEY_ID";
            secretInput = env.apply("AWS_SECRET_ACCESS_KEY") == null ? null : "$AWS_SECRET_ACCESS_KEY";
            tokenInput =
                    tokenInput != null || env.apply("AWS_SESSION_TOKEN") == null ? tokenInput : "$AWS_SESSION_TOKEN";
        }
        if (idInput == null || secretInput == null) {
            throw invalid(at + ": aws_access_key_id and aws_secret_access_key required (or AWS_ACCESS_KEY_ID and"
                    + " AWS_SECRET_ACCESS_KEY); instance profiles and roles are not supported by Skein yet");
        }
        OpenAiSettings.Aws credentials = new OpenAiSettings.Aws(
                region,
                resolveKey(idInput, env, baseDir, at + ".aws_access_key_id"),
                resolveKey(secretInput, env, baseDir, at + ".aws_secret_access_key"),
                tokenInput == null ? null : resolveKey(tokenInput, env, baseDir, at + ".aws_session_token"));
        String base = string(config, "bedrock_api_base", where);
        base = base == null ? OpenAiSettings.bedrockApiBase(region) : base;
        if (!validBase(base)) {
            throw invalid(where + ".model.config.bedrock_api_base: an http:// or https:// URL with a host expected");
        }
        // the secret key is the one scrubbed from whatever the provider says
        return new OpenAiSettings(
                credentials.secretAccessKey(), OpenAiSettings.ApiType.BEDROCK, base, null, null, null, credentials);
    }

    /**
     * MLflow's {@code MlflowModelServingConfig}: {@code model_server_url} (required), the base of the server's
     * {@code /invocations}. No key. {@code model.name} is required here (it names the answers' model).
     */
    private static OpenAiSettings mlflowServing(String where, Object modelName, Map<?, ?> config) {
        if (modelName == null) {
            throw invalid(where + ".model.name: field required (the name the answers give as their model)");
        }
        String url = string(config, "model_server_url", where);
        if (url == null) {
            throw invalid(where + ".model.config.model_server_url: field required");
        }
        if (!validBase(url)) {
            throw invalid(where + ".model.config.model_server_url: an http:// or https:// URL with a host expected");
        }
        return new OpenAiSettings("", OpenAiSettings.ApiType.MLFLOW_SERVING, url, null, null, null);
    }

    /**
     * MLflow's {@code _resolve_api_key_from_input}: {@code $NAME} is the environment variable NAME (an error if it
     * is unset or empty), a path to an existing file is that file's content, anything else is the key itself.
     * Unlike MLflow, surrounding white space (a file's final newline) is stripped: it cannot be part of a key
     * sent in a header.
     */
    static String resolveKey(Object input, Function<String, String> env, Path baseDir, String where) {
        if (!(input instanceof String value)) {
            throw invalid(where + ": The api key provided is not a string. Please provide either an environment"
                    + " variable key, a path to a file containing the api key, or the api key itself");
        }
        String key;
        if (env == LITERAL) {
            key = value;
        } else if (value.startsWith("$")) {
            String name = value.substring(1);
            String found = env.apply(name);
            if (found == null || found.isEmpty()) {
                throw invalid(where + ": Environment variable '" + name + "' is not set");
            }
            key = found;
        } else {
            key = readIfFile(value, baseDir).orElse(value);
        }
        key = key.strip();
        if (key.isEmpty() || key.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw invalid(where + ": the api key is empty or holds control characters");
        }
        return key;
    }

    private static java.util.Optional<String> readIfFile(String value, Path baseDir) {
        try {
            Path file = Path.of(value);
            if (!file.isAbsolute() && baseDir != null && !Files.isRegularFile(file)) {
                file = baseDir.resolve(file);
            }
            if (Files.isRegularFile(file)) {
                return java.util.Optional.of(Files.readString(file, StandardCharsets.UTF_8));
            }
        } catch (java.nio.file.InvalidPathException | IOException e) {
            // not a readable path: MLflow then takes the value as the key itself
        }
        return java.util.Optional.empty();
    }

    private static Endpoint.Limit limit(String where, Object value) {
        if (value == null) {
            return null;
        }
        String failed = where + ": Failed to parse the rate limit configuration.Please make sure limit.calls is a"
                + " positive number andlimit.renewal_period is a right granularity";
        if (!(value instanceof Map<?, ?> map)) {
            throw invalid(failed);
        }
        Object calls = map.get("calls");
        Object period = map.get("renewal_period");
        Object key = map.get("key");
        if (!(calls instanceof Integer || calls instanceof Long)
                || ((Number) calls).longValue() <= 0
                || !(period instanceof String p)
                || Window.renewalPeriod(p).isEmpty()
                || (key != null && !(key instanceof String))) {
            throw invalid(failed);
        }
        return new Endpoint.Limit(((Number) calls).longValue(), (String) key, (String) period);
    }

    private static String string(Map<?, ?> config, String field, String where) {
        Object value = config.get(field);
        if (value != null && !(value instanceof String)) {
            throw invalid(where + ".model.config." + field + ": str type expected");
        }
        return (String) value;
    }

    /** A base URL the HttpClient can call: http(s), a host, no query or fragment (the paths are appended). */
    private static boolean validBase(String base) {
        try {
            URI uri = new URI(base);
            String scheme = uri.getScheme();
            return ("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
                    && uri.getHost() != null
                    && uri.getRawQuery() == null
                    && uri.getRawFragment() == null
                    && uri.getRawUserInfo() == null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static InvalidConfigException invalid(String detail) {
        return new InvalidConfigException("The gateway configuration is invalid: " + detail);
    }
}
