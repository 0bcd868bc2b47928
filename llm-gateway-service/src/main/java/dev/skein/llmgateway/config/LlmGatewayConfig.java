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
     * How often the endpoints file is checked for changes (its content); a changed file is applied whole, or
     * refused with its reason while the last good configuration keeps serving.
     */
    @WithDefault("10s")
    Duration configReloadInterval();

    /**
     * The longest silence from a provider: before its first byte, and between two reads after that (a stream that
     * stalls longer ends with an error event). Time the client's own slowness holds a stream back is not counted
     * ({@link #clientStallTimeout()} bounds that). MLflow's
     * MLFLOW_GATEWAY_ROUTE_TIMEOUT_SECONDS is 300.
     */
    @WithDefault("300s")
    Duration upstreamTimeout();

    /**
     * The longest a streaming client may leave its stream unread while the gateway holds data for it; then its
     * stream is closed and the provider's call cancelled (an idle client never holds a provider connection for
     * ever).
     */
    @WithDefault("300s")
    Duration clientStallTimeout();

    /** The longest non-streamed call, from the request sent to the answer's last byte. */
    @WithDefault("600s")
    Duration upstreamCallTimeout();

    /** The longest wait for a new connection to a provider (TCP and TLS). */
    @WithDefault("10s")
    Duration connectTimeout();

    /**
     * The longest wait for a free connection when all {@code max-connections} to a provider are in use (then
     * 503 with Retry-After).
     */
    @WithDefault("10s")
    Duration poolWaitTimeout();

    /** The largest request body accepted (bytes); a larger one is refused with 413 before it is read. */
    @WithDefault("4194304")
    int maxRequestBytes();

    /** The largest non-streamed provider answer read (bytes); a larger one is a 502. */
    @WithDefault("33554432")
    int maxUpstreamResponseBytes();

    /**
     * Bytes of non-streamed answers held at once over all calls (each is read whole before it is translated); a
     * call whose answer does not fit is answered 503 with Retry-After. At least {@code max-upstream-response-bytes};
     * size it with the heap (an answer's parsed form takes about twice its bytes again).
     */
    @WithDefault("67108864")
    long maxBufferedAnswerBytes();

    /** Endpoints per page of {@code GET /api/2.0/endpoints/} (MLflow's MLFLOW_DEPLOYMENTS_LIST_ENDPOINTS_PAGE_SIZE). */
    @WithDefault("3000")
    int listPageSize();

    /**
     * Connections kept per provider host (the Vert.x HttpClient's pool; each call holds one, a stream until it
     * ends). As many calls again may wait for one; more are answered 503 at once.
     */
    @WithDefault("500")
    int maxConnections();

    /**
     * A stream with no event for this long gets a comment ({@code : keep-alive}), so that proxies in between
     * (gateway-service's idle timeout, an ingress's) do not close it while the provider thinks.
     */
    @WithDefault("15s")
    Duration streamKeepAlive();

    /** The longest server-sent event (one line) read from a provider's stream; a longer one ends the stream. */
    @WithDefault("1048576")
    int maxStreamEventBytes();

    /** Usage records and events ({@code UsageLog}). */
    Usage usage();

    interface Usage {
        /** How often waiting usage is written (it is also written as soon as a batch is full). */
        @WithDefault("200ms")
        Duration flushInterval();

        /** Calls recorded per transaction. */
        @WithDefault("500")
        int batchSize();

        /**
         * Calls whose usage may wait for the database at once (about 1 KiB each); once that many wait, new calls
         * are refused with 503 until the database is back, rather than served unrecorded.
         */
        @WithDefault("100000")
        int maxPending();

        /** How long usage rows are kept (the summary's history); 0 keeps them for ever. */
        @WithDefault("P400D")
        Duration retention();

        /** How often ended counter windows and usage past its retention are deleted. */
        @WithDefault("1m")
        Duration expiryInterval();

        /** Largest page of the usage summary ({@code GET /api/2.0/skein/llm/usage}, {@code max_results}). */
        @WithDefault("10000")
        int maxResults();
    }

    /** The outbox relay of usage events. */
    Outbox outbox();

    interface Outbox {
        @WithDefault("PT0.5S")
        Duration pollInterval();

        @WithDefault("500")
        int batchSize();

        /** Topic of usage events. */
        @WithDefault("skein.gateway.usage.v1")
        String topic();
    }

    /** MLflow 3.x's configuration API: secrets, model definitions and endpoints kept in the database. */
    Store store();

    interface Store {
        /**
         * The key-encryption key of stored secrets: 32 random bytes, base64 ({@code openssl rand -base64 32}).
         * Without it the configuration API refuses to store or use secrets (everything else works).
         */
        Optional<String> secretsKey();

        /**
         * Earlier key-encryption keys (base64, comma-separated), still read after a rotation: a secret wrapped by
         * one of them is wrapped by {@link #secretsKey()} again when it is next updated.
         */
        Optional<java.util.List<String>> previousSecretsKeys();

        /** How often each replica checks whether the stored configuration changed (one small query). */
        @WithDefault("2s")
        Duration pollInterval();

        /** The most secrets, model definitions or endpoints listed in one answer. */
        @WithDefault("1000")
        int maxListed();
    }

    /** Refuses settings that cannot work, naming them (the service does not start). */
    default void check() {
        positive("upstream-timeout", upstreamTimeout());
        positive("upstream-call-timeout", upstreamCallTimeout());
        positive("client-stall-timeout", clientStallTimeout());
        positive("connect-timeout", connectTimeout());
        positive("pool-wait-timeout", poolWaitTimeout());
        positive("stream-keep-alive", streamKeepAlive());
        positive("config-reload-interval", configReloadInterval());
        positive("store.poll-interval", store().pollInterval());
        atLeast("store.max-listed", store().maxListed(), 1);
        atLeast("max-request-bytes", maxRequestBytes(), 1);
        atLeast("max-upstream-response-bytes", maxUpstreamResponseBytes(), 1024);
        atLeast("list-page-size", listPageSize(), 1);
        atLeast("max-connections", maxConnections(), 1);
        atLeast("max-stream-event-bytes", maxStreamEventBytes(), 1024);
        positive("usage.flush-interval", usage().flushInterval());
        atLeast("usage.batch-size", usage().batchSize(), 1);
        atLeast("usage.max-pending", usage().maxPending(), usage().batchSize());
        atLeast("usage.max-results", usage().maxResults(), 1);
        positive("usage.expiry-interval", usage().expiryInterval());
        if (usage().retention().isNegative()) {
            throw new IllegalStateException("skein.llm-gateway.usage.retention must not be negative");
        }
        if (maxBufferedAnswerBytes() < maxUpstreamResponseBytes()) {
            throw new IllegalStateException("skein.llm-gateway.max-buffered-answer-bytes (" + maxBufferedAnswerBytes()
                    + ") must be at least max-upstream-response-bytes (" + maxUpstreamResponseBytes()
                    + "): an answer of the largest size allowed could never be read");
        }
    }

    private static void positive(String name, Duration value) {
        if (value.isNegative() || value.toMillis() < 1) {
            throw new IllegalStateException("skein.llm-gateway." + name + " must be at least 1 ms; it is " + value);
        }
    }

    private static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalStateException(
                    "skein.llm-gateway." + name + " must be at least " + min + "; it is " + value);
        }
    }
}
