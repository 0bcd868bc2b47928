package dev.skein.llmgateway.provider;

/**
 * MLflow's {@code OpenAIConfig}, resolved: the key read from its {@code $ENV}, file or literal form. Never
 * logged, never returned ({@link #toString()} leaves the key out).
 */
public record OpenAiSettings(
        String apiKey, ApiType apiType, String apiBase, String apiVersion, String deploymentName, String organization) {

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
        COHERE("cohere");

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

    /** Whether the endpoint speaks Anthropic's Messages API rather than OpenAI's. */
    public boolean anthropic() {
        return apiType == ApiType.ANTHROPIC;
    }

    @Override
    public String toString() {
        return "OpenAiSettings[" + apiType.wire() + ", " + apiBase + "]";
    }
}
