package dev.skein.llmgateway.provider;

/**
 * MLflow's {@code OpenAIConfig}, resolved: the key read from its {@code $ENV}, file or literal form. Never
 * logged, never returned ({@link #toString()} leaves the key out).
 */
public record OpenAiSettings(
        String apiKey, ApiType apiType, String apiBase, String apiVersion, String deploymentName, String organization) {

    /** MLflow's {@code OpenAIAPIType}. */
    public enum ApiType {
        OPENAI("openai"),
        AZURE("azure"),
        AZUREAD("azuread");

        private final String wire;

        ApiType(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    public static final String DEFAULT_API_BASE = "https://api.openai.com/v1";

    @Override
    public String toString() {
        return "OpenAiSettings[" + apiType.wire() + ", " + apiBase + "]";
    }
}
