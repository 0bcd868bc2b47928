package dev.skein.llmgateway.provider;

/**
 * MLflow's {@code OpenAIConfig}, resolved: the key read from its {@code $ENV}, file or literal form. Never
 * logged, never returned ({@link #toString()} leaves the key out).
 */
public record OpenAiSettings(
        String apiKey,
        ApiType apiType,
        String apiBase,
        String apiVersion,
        String deploymentName,
        String organization,
        Aws aws) {

    /** The settings of a provider that needs no AWS credentials. */
    public OpenAiSettings(
            String apiKey,
            ApiType apiType,
            String apiBase,
            String apiVersion,
            String deploymentName,
            String organization) {
        this(apiKey, apiType, apiBase, apiVersion, deploymentName, organization, null);
    }

    /**
     * MLflow's {@code aws_config} ({@code AWSIdAndKey}), resolved: what Bedrock's requests are signed with (SigV4).
     * Never logged ({@link #toString()} shows the region only).
     */
    public record Aws(String region, String accessKeyId, String secretAccessKey, String sessionToken) {
        @Override
        public String toString() {
            return "Aws[" + region + "]";
        }
    }

    /**
     * MLflow's {@code OpenAIAPIType}, and {@link #ANTHROPIC}: the same transport to Anthropic's Messages API (its
     * key in {@code x-api-key}, {@code apiVersion} its {@code anthropic-version}), never an {@code openai_api_type};
     * likewise {@link #MISTRAL} (OpenAI's wire format), {@link #GEMINI} and {@link #COHERE} (each its own).
     */
    public enum ApiType {
        OPENAI("openai"),
        AZURE("azure"),
        AZUREAD("azuread"),
        ANTHROPIC("anthropic"),
        MISTRAL("mistral"),
        GEMINI("gemini"),
        COHERE("cohere"),
        /** Amazon Bedrock's Converse API, signed with SigV4 ({@link #aws()}); {@code apiKey} is the secret key. */
        BEDROCK("bedrock"),
        /** An MLflow model server's {@code /invocations}; no key. */
        MLFLOW_SERVING("mlflow-model-serving");

        private final String wire;

        ApiType(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    public static final String DEFAULT_API_BASE = "https://api.openai.com/v1";

    /** MLflow's Anthropic base URL, and {@code anthropic_version}'s default. */
    public static final String ANTHROPIC_API_BASE = "https://api.anthropic.com/v1";

    public static final String ANTHROPIC_VERSION = "2023-06-01";

    /** Mistral's API (MLflow's fixed base URL). */
    public static final String MISTRAL_API_BASE = "https://api.mistral.ai/v1";

    /** Google's Gemini API (Google AI Studio's keys). */
    public static final String GEMINI_API_BASE = "https://generativelanguage.googleapis.com/v1beta";

    /** Cohere's v1 API, as MLflow 2.17 calls it. */
    public static final String COHERE_API_BASE = "https://api.cohere.ai/v1";
    /** Bedrock's runtime endpoint in {@code region}, as the AWS SDK builds it. */
    public static String bedrockApiBase(String region) {
        return "https://bedrock-runtime." + region + ".amazonaws.com";
    }

    /** Whether the endpoint speaks Anthropic's Messages API rather than OpenAI's. */
    public boolean anthropic() {
        return apiType == ApiType.ANTHROPIC;
    }

    @Override
    public String toString() {
        return "OpenAiSettings[" + apiType.wire() + ", " + apiBase + "]";
    }
}
