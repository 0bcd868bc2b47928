package dev.skein.gateway.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** gateway-service settings; every one has a default that runs locally (see the module README). */
@ConfigMapping(prefix = "skein.gateway")
public interface GatewayConfig {

    /**
     * Largest JSON request body accepted, unless an endpoint's contract sets its own limit (MLflow's
     * log-batch: 1,000,000 bytes). Dataset profiles may be 16 MiB, hence the default.
     */
    @WithDefault("20M")
    MemorySize maxBodySize();

    /**
     * A body over its limit is read and thrown away up to this many bytes, so the client gets the
     * 400 answer instead of a reset connection; beyond it the connection is closed.
     */
    @WithDefault("64M")
    MemorySize maxDiscardedBodySize();

    /** Deadline of each unary call to an internal service. */
    @WithDefault("PT60S")
    Duration upstreamTimeout();

    /**
     * A server stream from an internal service (a metric history) is cut only when no message came
     * for this long while the gateway was waiting for one; a stream that progresses lasts as long as
     * it needs, and waiting on a slow HTTP client does not count.
     */
    @WithDefault("PT60S")
    Duration streamIdleTimeout();

    /**
     * Request-body bytes the gateway holds in memory at once, over all requests (bodies are reserved
     * as they arrive, not as declared); a request whose bytes do not fit gets 503 with Retry-After.
     * Artifact uploads stream through with flow control and do not count.
     */
    @WithDefault("32M")
    MemorySize requestBodyBudget();

    /** A request body that stops arriving for this long is answered 408 and its connection closed. */
    @WithDefault("PT30S")
    Duration bodyIdleTimeout();

    /**
     * A request body not complete this long after the gateway began reading it is answered 408 and
     * its connection closed, however steadily it trickles: no client holds the body budget for long.
     */
    @WithDefault("PT2M")
    Duration bodyTimeout();

    /**
     * A connection that has not completed a request head this long after connecting, or after its
     * previous response ended, is closed (slowloris).
     */
    @WithDefault("PT20S")
    Duration requestHeadTimeout();

    /**
     * The token operator endpoints ({@code /api/2.0/skein/admin/...}, such as purging deleted runs)
     * require as {@code Authorization: Bearer <token>}. Unset: those endpoints are off.
     */
    Optional<String> adminToken();

    /**
     * Connections to llm-gateway-service (each call holds one, a streamed answer until it ends); as many calls
     * again may wait for one, more are answered 503.
     */
    @WithDefault("500")
    int llmMaxConnections();

    /** The MLflow version whose API this gateway speaks, answered at GET /version. */
    @WithDefault("3.6.0")
    String mlflowVersion();

    /** MLflow's GraphQL endpoint, {@code /graphql}. */
    Graphql graphql();

    /** OTLP trace ingest, {@code POST /v1/traces}. */
    Otlp otlp();

    interface Otlp {
        /**
         * The largest OTLP export request accepted, before and (for gzip or deflate bodies) after
         * decompression. OTel SDKs export in batches of at most 512 spans by default, a few MB at
         * most even with large LLM inputs and outputs; it must fit in request-body-budget.
         */
        @WithDefault("16M")
        MemorySize maxBodySize();
    }

    interface Graphql {
        /** The largest GraphQL request (query and variables) accepted. */
        @WithDefault("256K")
        MemorySize maxBodySize();

        /**
         * Calls to the services one GraphQL request may make (a run's experiment or model versions in
         * a search of many runs is a call each); a request that needs more gets an error for the
         * fields past the limit.
         */
        @WithDefault("200")
        int maxUpstreamCalls();
    }
}
