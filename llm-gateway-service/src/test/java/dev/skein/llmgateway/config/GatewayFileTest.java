package dev.skein.llmgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.llmgateway.Endpoint;
import dev.skein.llmgateway.EndpointType;
import dev.skein.llmgateway.TrafficRoute;
import dev.skein.llmgateway.governance.Rule;
import dev.skein.llmgateway.governance.Window;
import dev.skein.llmgateway.provider.OpenAiSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MLflow 2.x's gateway YAML, read and refused with MLflow's rules and messages. */
class GatewayFileTest {

    @TempDir
    Path dir;

    static final Function<String, String> ENV = Map.of("OPENAI_API_KEY", "sk-from-env")::get;

    private List<Endpoint> load(String yaml) throws IOException {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, yaml);
        return GatewayFile.load(file, ENV);
    }

    private static String endpoint(String name, String type, String provider, String config) {
        return "  - name: " + name + "\n    endpoint_type: " + type + "\n    model:\n      provider: " + provider
                + "\n      name: gpt-4o-mini\n" + (config == null ? "" : "      config:\n" + config);
    }

    static final String KEY = "        openai_api_key: $OPENAI_API_KEY\n";

    @Test
    void shouldReadMlflowsExampleConfig() throws IOException {
        List<Endpoint> endpoints = load("endpoints:\n" + endpoint("chat", "llm/v1/chat", "openai", KEY)
                + endpoint("embeddings", "llm/v1/embeddings", "OpenAI", KEY)
                + "    limit:\n      calls: 10\n      renewal_period: minute\n");
        assertThat(endpoints).extracting(Endpoint::name).containsExactly("chat", "embeddings");
        Endpoint chat = endpoints.get(0);
        assertThat(chat.type()).isEqualTo(EndpointType.CHAT);
        assertThat(chat.provider()).isEqualTo("openai");
        assertThat(chat.settings().apiKey()).isEqualTo("sk-from-env");
        assertThat(chat.settings().apiBase()).isEqualTo(OpenAiSettings.DEFAULT_API_BASE);
        assertThat(endpoints.get(1).provider()).isEqualTo("openai");
        assertThat(endpoints.get(1).limit()).isEqualTo(new Endpoint.Limit(10, null, "minute"));
        assertThat(chat.toString()).doesNotContain("sk-from-env");
        assertThat(chat.settings().toString()).doesNotContain("sk-from-env");
    }

    @Test
    void shouldAcceptTheDeprecatedRoutesAndRouteTypeKeys() throws IOException {
        List<Endpoint> endpoints = load("routes:\n  - name: c\n    route_type: llm/v1/completions\n    model:\n"
                + "      provider: openai\n      config:\n" + KEY);
        assertThat(endpoints.get(0).type()).isEqualTo(EndpointType.COMPLETIONS);
        assertThat(endpoints.get(0).modelName()).isNull();
    }

    @Test
    void shouldResolveKeysAsMlflowDoes() throws IOException {
        Path keyFile = dir.resolve("key.txt");
        Files.writeString(keyFile, "sk-from-file\n");
        assertThat(GatewayFile.resolveKey(keyFile.toString(), ENV, null, "k")).isEqualTo("sk-from-file");
        assertThat(GatewayFile.resolveKey("key.txt", ENV, dir, "k")).isEqualTo("sk-from-file");
        assertThat(GatewayFile.resolveKey("$OPENAI_API_KEY", ENV, null, "k")).isEqualTo("sk-from-env");
        assertThat(GatewayFile.resolveKey("sk-literal", ENV, null, "k")).isEqualTo("sk-literal");
        assertThatThrownBy(() -> GatewayFile.resolveKey("$MISSING_KEY", ENV, null, "k"))
                .hasMessageContaining("Environment variable 'MISSING_KEY' is not set");
        assertThatThrownBy(() -> GatewayFile.resolveKey(42, ENV, null, "k"))
                .hasMessageContaining("The api key provided is not a string");
    }

    @Test
    void shouldRefuseDuplicateNames() {
        assertThatThrownBy(() -> load("endpoints:\n" + endpoint("a", "llm/v1/chat", "openai", KEY)
                        + endpoint("a", "llm/v1/embeddings", "openai", KEY)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("Duplicate names found in endpoint configurations");
    }

    @Test
    void shouldRefuseAnUnknownProvider() {
        assertThatThrownBy(() -> load("endpoints:\n" + endpoint("a", "llm/v1/chat", "acme", KEY)))
                .hasMessageContaining("The provider 'acme' is not supported.");
    }

    @Test
    void shouldSayWhichMlflowProvidersAreNotBuiltYet() {
        assertThatThrownBy(() -> load(
                        "endpoints:\n" + endpoint("a", "llm/v1/chat", "togetherai", "        togetherai_api_key: x\n")))
                .hasMessageContaining(
                        "The provider 'togetherai' is not supported by Skein yet (supported: openai, anthropic, mistral, gemini, cohere, bedrock, amazon-bedrock, mlflow-model-serving)");
    }

    @Test
    void shouldReadGeminisConfigAndRequireItsModelName() throws IOException {
        Endpoint g = load("endpoints:\n"
                        + endpoint("g", "llm/v1/chat", "gemini", "        gemini_api_key: $OPENAI_API_KEY\n"))
                .get(0);
        assertThat(g.settings().apiType()).isEqualTo(OpenAiSettings.ApiType.GEMINI);
        assertThat(g.settings().apiKey()).isEqualTo("sk-from-env");
        assertThat(g.settings().apiBase()).isEqualTo("https://generativelanguage.googleapis.com/v1beta");
        assertThatThrownBy(() -> load("endpoints:\n  - name: g\n    endpoint_type: llm/v1/chat\n    model:\n"
                        + "      provider: gemini\n      config:\n        gemini_api_key: k\n"))
                .hasMessageContaining("model.name: required for the gemini provider");
        assertThatThrownBy(() -> load("endpoints:\n" + endpoint("g", "llm/v1/chat", "gemini", "        x: y\n")))
                .hasMessageContaining("gemini_api_key: field required");
    }

    @Test
    void shouldReadCoheresConfigWithMlflowsBase() throws IOException {
        Endpoint c = load("endpoints:\n"
                        + endpoint("c", "llm/v1/completions", "cohere", "        cohere_api_key: $OPENAI_API_KEY\n"))
                .get(0);
        assertThat(c.settings().apiType()).isEqualTo(OpenAiSettings.ApiType.COHERE);
        assertThat(c.settings().apiKey()).isEqualTo("sk-from-env");
        assertThat(c.settings().apiBase()).isEqualTo("https://api.cohere.ai/v1");
        assertThatThrownBy(() -> load("endpoints:\n" + endpoint("c", "llm/v1/chat", "cohere", "        x: y\n")))
                .hasMessageContaining("cohere_api_key: field required");
    }

    @Test
    void shouldReadMistralsConfigWithItsKeyAndSkeinsBase() throws IOException {
        Endpoint m = load("endpoints:\n"
                        + endpoint("m", "llm/v1/embeddings", "mistral", "        mistral_api_key: $OPENAI_API_KEY\n"))
                .get(0);
        assertThat(m.provider()).isEqualTo("mistral");
        assertThat(m.settings().apiType()).isEqualTo(OpenAiSettings.ApiType.MISTRAL);
        assertThat(m.settings().apiKey()).isEqualTo("sk-from-env");
        assertThat(m.settings().apiBase()).isEqualTo("https://api.mistral.ai/v1");
        assertThat(m.toString() + m.settings()).doesNotContain("sk-from-env");
        assertThat(load("endpoints:\n"
                                + endpoint(
                                        "m",
                                        "llm/v1/chat",
                                        "mistral",
                                        "        mistral_api_key: k\n        mistral_api_base: http://127.0.0.1:9/v1\n"))
                        .get(0)
                        .settings()
                        .apiBase())
                .isEqualTo("http://127.0.0.1:9/v1");
        assertThatThrownBy(() -> load("endpoints:\n" + endpoint("m", "llm/v1/chat", "mistral", "        x: y\n")))
                .hasMessageContaining("mistral_api_key: field required");
        assertThatThrownBy(() -> load("endpoints:\n"
                        + endpoint("m", "llm/v1/chat", "openai", KEY + "        openai_api_type: mistral\n")))
                .hasMessageContaining("Invalid OpenAI API type 'mistral'");
    }

    @Test
    void shouldRefuseAWrongEndpointType() {
        assertThatThrownBy(() -> load("endpoints:\n" + endpoint("a", "llm/v2/chat", "openai", KEY)))
                .hasMessageContaining("The route_type 'llm/v2/chat' is not supported.");
    }

    @Test
    void shouldRefuseAProviderWithoutConfig() {
        assertThatThrownBy(() -> load("endpoints:\n" + endpoint("a", "llm/v1/chat", "openai", null)))
                .hasMessageContaining(
                        "A config must be supplied when setting a provider. The provider entry for openai is incorrect.");
    }

    @Test
    void shouldRefuseANameThatCannotBeAPath() {
        assertThatThrownBy(() -> load("endpoints:\n" + endpoint("a/b", "llm/v1/chat", "openai", KEY)))
                .hasMessageContaining("'a/b' is invalid");
    }

    @Test
    void shouldApplyOpenAisTypeRules() {
        assertThatThrownBy(
                        () -> load(
                                "endpoints:\n"
                                        + endpoint(
                                                "a",
                                                "llm/v1/chat",
                                                "openai",
                                                KEY
                                                        + "        openai_api_type: azure\n        openai_api_base: https://x.openai.azure.com\n")))
                .hasMessageContaining(
                        "must specify 'openai_api_base', 'openai_deployment_name', and 'openai_api_version'");
        assertThatThrownBy(() -> load("endpoints:\n"
                        + endpoint("a", "llm/v1/chat", "openai", KEY + "        openai_deployment_name: d\n")))
                .hasMessageContaining("can only specify a value for 'openai_deployment_name'");
        assertThatThrownBy(() -> load("endpoints:\n"
                        + endpoint("a", "llm/v1/chat", "openai", KEY + "        openai_api_type: bogus\n")))
                .hasMessageContaining("Invalid OpenAI API type 'bogus'");
    }

    @Test
    void shouldRefuseABadLimit() {
        assertThatThrownBy(() -> load("endpoints:\n" + endpoint("a", "llm/v1/chat", "openai", KEY)
                        + "    limit:\n      calls: 0\n      renewal_period: minute\n"))
                .hasMessageContaining("Failed to parse the rate limit configuration");
        assertThatThrownBy(() -> load("endpoints:\n" + endpoint("a", "llm/v1/chat", "openai", KEY)
                        + "    limit:\n      calls: 5\n      renewal_period: fortnight\n"))
                .hasMessageContaining("Failed to parse the rate limit configuration");
    }

    @Test
    void shouldReadLimitsBudgetsAndPrices() throws IOException {
        List<Endpoint> endpoints = load("endpoints:\n" + endpoint("a", "llm/v1/chat", "openai", KEY)
                + "    limit: {calls: 5, renewal_period: 2 minutes}\n"
                + "    limits:\n      - {per: caller, renewal_period: hour, calls: 100, tokens: 5000}\n"
                + "    budgets:\n      - {per: endpoint, period: week, usd: 12.5, on_exceed: alert}\n"
                + "prices:\n  gpt-4o-mini: {input_per_million_tokens: 0.15, output_per_million_tokens: 0.6}\n");
        Endpoint a = endpoints.get(0);
        assertThat(a.rules()).hasSize(3);
        Rule mlflow = a.rules().get(0);
        assertThat(mlflow.scope()).isEqualTo(Rule.Scope.CALLER);
        assertThat(mlflow.maxRequests()).isEqualTo(5);
        assertThat(mlflow.window()).isEqualTo(new Window.Span(120, "2 minutes"));
        assertThat(mlflow.counterFor("alice")).isEqualTo("a|caller|2 minutes|alice");
        Rule tokens = a.rules().get(1);
        assertThat(tokens.maxTokens()).isEqualTo(5000);
        assertThat(tokens.maxRequests()).isEqualTo(100);
        Rule budget = a.rules().get(2);
        assertThat(budget.scope()).isEqualTo(Rule.Scope.ENDPOINT);
        assertThat(budget.action()).isEqualTo(Rule.Action.ALERT);
        assertThat(budget.maxUsd()).isEqualByComparingTo("12.5");
        assertThat(budget.counterFor("alice")).isEqualTo("a|endpoint|week|calendar|12.5usd|ALERT");
        // a REJECT budget's row does not name its amount: raising the amount keeps the period's spend
        Rule reject = Rule.of(
                "a",
                Rule.Scope.CALLER,
                Window.calendar("month").orElseThrow(),
                0,
                0,
                new java.math.BigDecimal("600"),
                Rule.Action.REJECT);
        assertThat(reject.counterFor("alice")).isEqualTo("a|caller|month|calendar|REJECT|alice");
        // 1,000 input and 2,000 output tokens: 0.00015 + 0.0012
        assertThat(a.price().cost(1000L, 2000L)).isEqualByComparingTo("0.00135");
        // an ISO week from Monday, UTC
        assertThat(budget.window().start(Instant.parse("2026-12-03T10:15:00Z")))
                .isEqualTo(Instant.parse("2026-11-30T00:00:00Z"));
        assertThat(Window.calendar("month").orElseThrow().end(Instant.parse("2026-12-01T00:00:00Z")))
                .isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
    }

    @Test
    void shouldReadMlflowsAnthropicConfig() throws IOException {
        String anthropic = "  - name: c\n    endpoint_type: llm/v1/chat\n    model:\n      provider: anthropic\n"
                + "      name: claude-3-5-sonnet-latest\n      config:\n        anthropic_api_key: $OPENAI_API_KEY\n";
        Endpoint c = load("endpoints:\n" + anthropic).get(0);
        assertThat(c.provider()).isEqualTo("anthropic");
        assertThat(c.settings().anthropic()).isTrue();
        assertThat(c.settings().apiKey()).isEqualTo("sk-from-env");
        assertThat(c.settings().apiBase()).isEqualTo("https://api.anthropic.com/v1");
        assertThat(c.settings().apiVersion()).isEqualTo("2023-06-01");
        assertThatThrownBy(() -> load("endpoints:\n" + anthropic.replace("llm/v1/chat", "llm/v1/embeddings")))
                .hasMessageContaining("not embeddings");
        assertThatThrownBy(() -> load("endpoints:\n"
                        + anthropic.replace("anthropic_api_key: $OPENAI_API_KEY", "anthropic_version: x")))
                .hasMessageContaining("anthropic_api_key: field required");
        // an anthropic key is not an openai_api_type
        assertThatThrownBy(() -> load("endpoints:\n"
                        + endpoint("a", "llm/v1/chat", "openai", KEY + "        openai_api_type: anthropic\n")))
                .hasMessageContaining("Invalid OpenAI API type 'anthropic'");
    }

    @Test
    void shouldReadMlflowsBedrockConfig() throws IOException {
        String bedrock = "  - name: b\n    endpoint_type: llm/v1/chat\n    model:\n      provider: amazon-bedrock\n"
                + "      name: anthropic.claude-3-haiku-20240307-v1:0\n      config:\n        aws_config:\n"
                + "          aws_region: us-east-1\n          aws_access_key_id: AKIAEXAMPLE\n"
                + "          aws_secret_access_key: $OPENAI_API_KEY\n";
        Endpoint b = load("endpoints:\n" + bedrock).get(0);
        assertThat(b.provider()).isEqualTo("amazon-bedrock");
        assertThat(b.settings().apiType()).isEqualTo(OpenAiSettings.ApiType.BEDROCK);
        assertThat(b.settings().aws())
                .isEqualTo(new OpenAiSettings.Aws("us-east-1", "AKIAEXAMPLE", "sk-from-env", null));
        assertThat(b.settings().apiBase()).isEqualTo("https://bedrock-runtime.us-east-1.amazonaws.com");
        assertThat(b.toString() + b.settings() + b.settings().aws()).doesNotContain("sk-from-env");
        assertThatThrownBy(() -> load("endpoints:\n"
                        + bedrock.replace(
                                "aws_access_key_id: AKIAEXAMPLE", "aws_role_arn: arn:aws:iam::123456789012:role/r")))
                .hasMessageContaining("aws_role_arn: assuming a role (STS) is not supported by Skein yet");
        assertThatThrownBy(() -> load(
                        "endpoints:\n" + bedrock.replace("      name: anthropic.claude-3-haiku-20240307-v1:0\n", "")))
                .hasMessageContaining("model.name: field required");
        // without keys in the file: AWS's own environment variables, where boto3's chain begins
        Path file = dir.resolve("aws.yaml");
        Files.writeString(
                file, "endpoints:\n" + bedrock.replaceAll("          aws_(access_key_id|secret_access_key): .*\n", ""));
        Endpoint fromEnv = GatewayFile.load(
                        file,
                        Map.of(
                                "AWS_ACCESS_KEY_ID",
                                "AKIAENV",
                                "AWS_SECRET_ACCESS_KEY",
                                "secret-env",
                                "AWS_SESSION_TOKEN",
                                "token-env")::get)
                .get(0);
        assertThat(fromEnv.settings().aws())
                .isEqualTo(new OpenAiSettings.Aws("us-east-1", "AKIAENV", "secret-env", "token-env"));
        assertThatThrownBy(() -> GatewayFile.load(file, Map.<String, String>of()::get))
                .hasMessageContaining("aws_access_key_id and aws_secret_access_key required");
    }

    @Test
    void shouldReadMlflowsModelServingConfig() throws IOException {
        String serving = "  - name: s\n    endpoint_type: llm/v1/completions\n    model:\n"
                + "      provider: mlflow-model-serving\n      name: my-model\n      config:\n"
                + "        model_server_url: http://127.0.0.1:5000\n";
        Endpoint s = load("endpoints:\n" + serving).get(0);
        assertThat(s.settings().apiType()).isEqualTo(OpenAiSettings.ApiType.MLFLOW_SERVING);
        assertThat(s.settings().apiBase()).isEqualTo("http://127.0.0.1:5000");
        assertThatThrownBy(() -> load("endpoints:\n" + serving.replace("http://127.0.0.1:5000", "ftp://x")))
                .hasMessageContaining("model_server_url: an http:// or https:// URL");
        assertThatThrownBy(() -> load("endpoints:\n" + serving
                        + "    limits:\n      - {per: endpoint, renewal_period: day, tokens: 100}\n"))
                .hasMessageContaining("which an MLflow model server does not report");
    }

    @Test
    void shouldReadAndCheckMlflowsTrafficRoutes() throws IOException {
        String two = "endpoints:\n" + endpoint("a", "llm/v1/chat", "openai", KEY)
                + endpoint("b", "llm/v1/chat", "openai", KEY)
                + endpoint("e", "llm/v1/embeddings", "openai", KEY);
        Path file = dir.resolve("routes.yaml");
        Files.writeString(
                file,
                two + "routes:\n  - name: split\n    task_type: llm/v1/chat\n    destinations:\n"
                        + "      - {name: a, traffic_percentage: 80}\n      - {name: b, traffic_percentage: 20}\n"
                        + "    routing_strategy: TRAFFIC_SPLIT\n");
        GatewayFile.Config config = GatewayFile.read(file, ENV);
        assertThat(config.endpoints()).extracting(Endpoint::name).containsExactly("a", "b", "e");
        assertThat(config.routes()).hasSize(1);
        assertThat(config.routes().get(0).destinations())
                .containsExactly(new TrafficRoute.Destination("a", 80), new TrafficRoute.Destination("b", 20));
        String route = "routes:\n  - name: split\n    task_type: llm/v1/chat\n    destinations:\n";
        assertThatThrownBy(() -> load(two + route + "      - {name: a, traffic_percentage: 70}\n"))
                .hasMessageContaining("must sum to 100, not 70");
        assertThatThrownBy(() -> load(two + route + "      - {name: e, traffic_percentage: 100}\n"))
                .hasMessageContaining("is of type llm/v1/embeddings, not the route's llm/v1/chat");
        assertThatThrownBy(() -> load(two + route + "      - {name: zz, traffic_percentage: 100}\n"))
                .hasMessageContaining("the name of an endpoint required");
        assertThatThrownBy(() -> load(two + "routes:\n  - name: a\n    task_type: llm/v1/chat\n    destinations:\n"
                        + "      - {name: b, traffic_percentage: 100}\n"))
                .hasMessageContaining("the name 'a' is taken");
        assertThatThrownBy(() -> load(two + route + "      - {name: a, traffic_percentage: 100}\n"
                        + "    routing_strategy: ROUND_ROBIN\n"))
                .hasMessageContaining("only TRAFFIC_SPLIT is supported");
    }

    @Test
    void shouldReadAndCheckRetriesAndFallbacks() throws IOException {
        List<Endpoint> endpoints = load("endpoints:\n" + endpoint("a", "llm/v1/chat", "openai", KEY)
                + "    retries: {max_attempts: 3, initial_backoff: 0.25, max_backoff: 2}\n"
                + "    fallbacks: [b]\n"
                + endpoint("b", "llm/v1/chat", "openai", KEY));
        Endpoint.Retry retry = endpoints.get(0).retry();
        assertThat(retry).isEqualTo(new Endpoint.Retry(3, 250, 2000));
        // the backoff doubles, with ±20 % jitter; a Retry-After within max_backoff is waited for
        assertThat(retry.backoffMs(2, null)).isBetween(200L, 300L);
        assertThat(retry.backoffMs(3, null)).isBetween(400L, 600L);
        assertThat(retry.backoffMs(3, "1")).isEqualTo(1000);
        assertThat(retry.backoffMs(2, "30")).isEqualTo(-1); // asks for longer than max_backoff: not waited for
        assertThat(retry.backoffMs(2, "Wed, 21 Oct 2026 07:28:00 GMT")).isEqualTo(-1);
        assertThat(retry.backoffMs(2, "99999999999999999999")).isEqualTo(-1);
        assertThat(endpoints.get(0).fallbacks()).containsExactly("b");
        assertThat(endpoints.get(1).retry()).isEqualTo(Endpoint.Retry.NONE);
        String a = "endpoints:\n" + endpoint("a", "llm/v1/chat", "openai", KEY);
        assertThatThrownBy(() -> load(a + "    fallbacks: [nope]\n"))
                .hasMessageContaining("its fallback 'nope' is not an endpoint");
        assertThatThrownBy(() -> load(a + "    fallbacks: [e]\n" + endpoint("e", "llm/v1/embeddings", "openai", KEY)))
                .hasMessageContaining("its fallback 'e' is of type llm/v1/embeddings, not llm/v1/chat");
        assertThatThrownBy(() -> load(a + "    fallbacks: [a]\n")).hasMessageContaining("the endpoint itself");
        assertThatThrownBy(() -> load(a + "    retries: {max_attempts: 2, initial_backoff: 0}\n"))
                .hasMessageContaining("at least 0.01 (seconds)");
        assertThatThrownBy(() -> load(a + "    retries: {max_attempts: 11}\n"))
                .hasMessageContaining("max_attempts: a whole number from 1 to 10");
        assertThatThrownBy(() -> load(a + "    retries: {max_attempts: 2, initial_backoff: 5, max_backoff: 1}\n"))
                .hasMessageContaining("initial_backoff ≤ max_backoff ≤ 300");
    }

    @Test
    void shouldRefuseBadLimitsBudgetsAndPrices() {
        String a = "endpoints:\n" + endpoint("a", "llm/v1/chat", "openai", KEY);
        String price = "prices:\n  gpt-4o-mini: {input_per_million_tokens: 1, output_per_million_tokens: 1}\n";
        assertThatThrownBy(() -> load(a + "    budgets:\n      - {period: day, usd: 5}\n"))
                .hasMessageContaining("the model 'gpt-4o-mini' has no price");
        assertThatThrownBy(() -> load(a + "    budgets:\n      - {period: fortnight, usd: 5}\n" + price))
                .hasMessageContaining("budgets[0].period: day, week or month required");
        assertThatThrownBy(() -> load(a + "    budgets:\n      - {period: day, usd: 0}\n" + price))
                .hasMessageContaining("budgets[0].usd");
        assertThatThrownBy(() -> load(a + "    budgets:\n      - {period: day, usd: 1, on_exceed: WARN}\n" + price))
                .hasMessageContaining("on_exceed: REJECT or ALERT expected");
        assertThatThrownBy(() -> load(a + "    limits:\n      - {per: team, renewal_period: day, calls: 1}\n"))
                .hasMessageContaining(".per: endpoint or caller expected");
        assertThatThrownBy(() -> load(a + "    limits:\n      - {renewal_period: day}\n"))
                .hasMessageContaining("calls or tokens (a positive number) required");
        assertThatThrownBy(() -> load(a + "    limits:\n      - {renewal_period: day, tokens: -3}\n"))
                .hasMessageContaining("tokens: a positive whole number expected");
        assertThatThrownBy(() -> load("endpoints:\n"
                        + endpoint(
                                "az",
                                "llm/v1/chat",
                                "openai",
                                KEY + "        openai_api_type: azure\n        openai_api_base: https://x.example\n"
                                        + "        openai_deployment_name: d\n        openai_api_version: v\n")
                        + "    limits:\n      - {renewal_period: day, tokens: 10}\n"))
                .hasMessageContaining("Azure OpenAI's streams do not report");
        assertThatThrownBy(() -> load(a + "    limit: {calls: 1, renewal_period: 99999999999 minutes}\n"))
                .hasMessageContaining("Failed to parse the rate limit configuration");
        assertThatThrownBy(() -> load(a + "prices:\n  gpt-4o-mini: {input_per_million_tokens: -1,"
                        + " output_per_million_tokens: 1}\n"))
                .hasMessageContaining("prices.gpt-4o-mini.input_per_million_tokens");
    }

    @Test
    void shouldRefuseAFileThatIsNotYamlOrIsMissing() {
        assertThatThrownBy(() -> load("endpoints: [\n")).hasMessageContaining("is not a valid yaml file");
        assertThatThrownBy(() -> GatewayFile.load(dir.resolve("absent.yaml"), ENV))
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> load("other: 1\n")).hasMessageContaining("endpoints: field required");
    }

    @Test
    void shouldNeverPutAKeyInAMessage() {
        assertThatThrownBy(() -> load("endpoints:\n"
                        + endpoint(
                                "a",
                                "llm/v1/chat",
                                "openai",
                                "        openai_api_key: sk-secret-literal-123\n        openai_api_type: bogus\n")))
                .message()
                .doesNotContain("sk-secret-literal-123");
    }
}
