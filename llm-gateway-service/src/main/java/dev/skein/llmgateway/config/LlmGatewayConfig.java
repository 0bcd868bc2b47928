package dev.skein.llmgateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The service's settings (README, "Configuration"). */
@ConfigMapping(prefix = "skein.llm-gateway")
public interface LlmGatewayConfig {

    /**
     * The endpoints, as MLflow 2.x's gateway YAML ({@code endpoints:}). Required: without it the
     * service does not start. Read once at startup.
     */
    Optional<String> configFile();

    /**
     * The longest wait for a provider: for its first byte, and between two bytes after that (a stream that
     * stalls longer ends with an error event). MLflow's MLFLOW_GATEWAY_ROUTE_TIMEOUT_SECONDS is 300.
     */
    @WithDefault("300s")
    Duration upstreamTimeout();

    /** The longest wait for a connection to a provider. */
    @WithDefault("10s")
    Duration connectTimeout();

    /** The largest request body accepted (bytes); a larger one is refused with 413 before it is read. */
    @WithDefault("4194304")
    int maxRequestBytes();

    /** The largest non-streamed provider answer read (bytes); a larger one is a 502. */
    @WithDefault("67108864")
    int maxUpstreamResponseBytes();

    /** Endpoints per page of {@code GET /api/2.0/endpoints/} (MLflow's MLFLOW_DEPLOYMENTS_LIST_ENDPOINTS_PAGE_SIZE). */
    @WithDefault("3000")
    int listPageSize();

    /** Connections kept per provider host (the Vert.x HttpClient's pool; each streaming call holds one). */
    @WithDefault("500")
    int maxConnections();
}
