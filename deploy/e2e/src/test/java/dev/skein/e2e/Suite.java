package dev.skein.e2e;

import dev.skein.common.testing.TestInfra;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts the whole suite once for all end-to-end tests, exactly as a user does — {@code ./skein up -d}
 * — on its own ports and database, with the test run's Kafka broker and S3 server (its own bucket);
 * {@code ./skein down} at the end.
 */
public class Suite implements BeforeAllCallback {

    public static final int GATEWAY_PORT = 18080;
    public static final int TRACKING_PORT = 18081;
    public static final int REGISTRY_PORT = 18082;
    public static final int ARTIFACT_PORT = 18083;
    public static final int EVALUATION_PORT = 18084;
    public static final int LLM_GATEWAY_PORT = 18085;
    /** The local OpenAI-wire provider the suite's LLM endpoints call ({@link OpenAiProvider}, started by the tests). */
    public static final int LLM_PROVIDER_PORT = 18095;
    /** The key llm-gateway-service sends the provider: in its endpoints file, never seen by a client. */
    public static final String LLM_PROVIDER_KEY = "sk-e2e-provider-key-4b1d";
    /** Their management ports ({@code /q/health}, {@code /q/metrics}): never on the ports above. */
    public static final int GATEWAY_MANAGEMENT_PORT = 19080;

    public static final int TRACKING_MANAGEMENT_PORT = 19081;
    public static final int REGISTRY_MANAGEMENT_PORT = 19082;
    public static final int ARTIFACT_MANAGEMENT_PORT = 19083;
    public static final int EVALUATION_MANAGEMENT_PORT = 19084;
    public static final int LLM_GATEWAY_MANAGEMENT_PORT = 19085;
    /**
     * An endpoint with a limit, named apart from the module tests' (they share the test run's broker and topic:
     * its events are told apart by their key, the endpoint's name).
     */
    public static final String LLM_LIMITED = "e2e-limited";
    /** Chat endpoints answering "[b] You said: …" and "[c] You said: …" (OpenAiProvider). */
    public static final String LLM_CHAT_B = "chat-b";

    public static final String LLM_CHAT_C = "chat-c";
    /** An LLM judge answering MLflow's score/justification JSON, and one answering prose (OpenAiProvider). */
    public static final String LLM_JUDGE = "judge";

    public static final String LLM_JUDGE_MALFORMED = "judge-malformed";
    /** The calls endpoint {@link #LLM_LIMITED} takes in its window, over all replicas. */
    public static final int LLM_LIMITED_CALLS = 4;

    public static final String DATABASE = "skein_e2e";
    public static final String BUCKET = "skein-e2e";
    public static final String ADMIN_TOKEN = "e2e-admin-token";
    /** The internal credential the suite's services share: the test run's ({@code ./skein test}) or a new one. */
    public static final String INTERNAL_TOKEN = Optional.ofNullable(System.getenv("SKEIN_TEST_INTERNAL_TOKEN"))
            .filter(token -> !token.isBlank())
            .orElseGet(() -> UUID.randomUUID().toString());
    /** The extra artifact root, in {@link #BUCKET}, for experiments created with an s3:// location. */
    public static final String TEAMS_ROOT = "teams";
    /** The gateway's body idle timeout here: short, so that tests of idle clients are quick. */
    public static final Duration BODY_IDLE_TIMEOUT = Duration.ofSeconds(5);
    /** The gateway's request-head deadline here: short, so that the slowloris test is quick. */
    public static final Duration REQUEST_HEAD_TIMEOUT = Duration.ofSeconds(3);

    /** The key-encryption key of llm-gateway-service's stored secrets, shared by its replicas. */
    public static final String LLM_SECRETS_KEY = "ZTJlLW9ubHkta2V5LWVuY3J5cHRpb24ta2V5LTMyYmk=";

    public static String url() {
        return "http://127.0.0.1:" + GATEWAY_PORT;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot()
                .getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Suite.class.getName(), key -> start(), Running.class);
    }

    private static Map<String, String> env() {
        TestInfra.S3 s3 = TestInfra.s3();
        return Map.ofEntries(
                Map.entry(
                        "SKEIN_HOME", TestInfra.repoRoot().resolve(".skein/e2e").toString()),
                Map.entry("SKEIN_GATEWAY_PORT", Integer.toString(GATEWAY_PORT)),
                Map.entry("SKEIN_TRACKING_PORT", Integer.toString(TRACKING_PORT)),
                Map.entry("SKEIN_REGISTRY_PORT", Integer.toString(REGISTRY_PORT)),
                Map.entry("SKEIN_ARTIFACT_PORT", Integer.toString(ARTIFACT_PORT)),
                Map.entry("SKEIN_EVALUATION_PORT", Integer.toString(EVALUATION_PORT)),
                Map.entry("SKEIN_GATEWAY_MANAGEMENT_PORT", Integer.toString(GATEWAY_MANAGEMENT_PORT)),
                Map.entry("SKEIN_TRACKING_MANAGEMENT_PORT", Integer.toString(TRACKING_MANAGEMENT_PORT)),
                Map.entry("SKEIN_REGISTRY_MANAGEMENT_PORT", Integer.toString(REGISTRY_MANAGEMENT_PORT)),
                Map.entry("SKEIN_ARTIFACT_MANAGEMENT_PORT", Integer.toString(ARTIFACT_MANAGEMENT_PORT)),
                Map.entry("SKEIN_EVALUATION_MANAGEMENT_PORT", Integer.toString(EVALUATION_MANAGEMENT_PORT)),
                Map.entry("SKEIN_LLMGATEWAY_PORT", Integer.toString(LLM_GATEWAY_PORT)),
                Map.entry("SKEIN_LLMGATEWAY_MANAGEMENT_PORT", Integer.toString(LLM_GATEWAY_MANAGEMENT_PORT)),
                Map.entry("SKEIN_LLM_GATEWAY_CONFIG_FILE", llmEndpointsFile().toString()),
                Map.entry("SKEIN_LLM_GATEWAY_STORE_SECRETS_KEY", LLM_SECRETS_KEY),
                Map.entry("SKEIN_KAFKA_BOOTSTRAP", TestInfra.kafkaBootstrap()),
                Map.entry("SKEIN_S3_ENDPOINT", s3.endpoint()),
                Map.entry("SKEIN_S3_ACCESS_KEY", s3.accessKey()),
                Map.entry("SKEIN_S3_SECRET_KEY", s3.secretKey()),
                Map.entry("SKEIN_S3_BUCKET", BUCKET),
                // experiments with their own s3:// artifact_location keep it under this root
                Map.entry("SKEIN_ARTIFACTS_EXTRA_ROOTS", "s3://" + BUCKET + "/" + TEAMS_ROOT),
                Map.entry("SKEIN_DB_NAME", DATABASE),
                Map.entry("SKEIN_ADMIN_TOKEN", ADMIN_TOKEN),
                Map.entry("SKEIN_INTERNAL_TOKEN", INTERNAL_TOKEN),
                Map.entry("SKEIN_GATEWAY_BODY_IDLE_TIMEOUT", BODY_IDLE_TIMEOUT.toString()),
                Map.entry("SKEIN_GATEWAY_REQUEST_HEAD_TIMEOUT", REQUEST_HEAD_TIMEOUT.toString()),
                // webhook retries in seconds, not minutes
                Map.entry("SKEIN_REGISTRY_WEBHOOKS_INITIAL_BACKOFF", "PT0.2S"),
                // the tests' webhook receivers listen on loopback, which the SSRF policy refuses by default
                Map.entry("SKEIN_REGISTRY_WEBHOOKS_ALLOWED_DESTINATIONS", "127.0.0.1/32"));
    }

    /** The suite's LLM endpoints (MLflow 2.x's gateway YAML): a chat and an embeddings endpoint on the local provider. */
    private static Path llmEndpointsFile() {
        Path file = TestInfra.repoRoot().resolve(".skein/e2e/llm-endpoints.yaml");
        String base = "http://127.0.0.1:" + LLM_PROVIDER_PORT + "/v1";
        String yaml = "endpoints:\n"
                + endpoint("chat", "llm/v1/chat", "gpt-e2e", base)
                + endpoint("embeddings", "llm/v1/embeddings", "text-embedding-e2e", base)
                // prompt evaluations: two more chat endpoints that answer differently, an LLM judge and a judge whose
                // answers cannot be parsed (OpenAiProvider)
                + endpoint(LLM_CHAT_B, "llm/v1/chat", "gpt-e2e-b", base)
                + endpoint(LLM_CHAT_C, "llm/v1/chat", "gpt-e2e-c", base)
                + endpoint(LLM_JUDGE, "llm/v1/chat", "judge-e2e", base)
                + endpoint(LLM_JUDGE_MALFORMED, "llm/v1/chat", "judge-malformed-e2e", base)
                // counted across llm-gateway-service's replicas (LlmGatewayIT): a window that ends once a year
                + endpoint(LLM_LIMITED, "llm/v1/chat", "gpt-e2e", base)
                + "    limits:\n      - {per: endpoint, renewal_period: 1 year, calls: " + LLM_LIMITED_CALLS + "}\n";
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static String endpoint(String name, String type, String model, String base) {
        return "  - name: " + name + "\n    endpoint_type: " + type + "\n    model:\n      provider: openai\n"
                + "      name: " + model + "\n      config:\n        openai_api_key: " + LLM_PROVIDER_KEY + "\n"
                + "        openai_api_base: " + base + "\n";
    }

    private static Running start() {
        Map<String, String> env = env();
        TestInfra.skein(env, Duration.ofMinutes(2), "down"); // whatever an aborted run left behind
        TestInfra.recreateDatabase(DATABASE);
        TestInfra.skein(env, Duration.ofMinutes(5), "up", "-d");
        return new Running(env);
    }

    record Running(Map<String, String> env) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            TestInfra.skein(env, Duration.ofMinutes(2), "down");
        }
    }
}
