package dev.skein.registry.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** registry-service settings; every one has a default that runs locally (see the module README). */
@ConfigMapping(prefix = "skein.registry")
public interface RegistryConfig {

    Outbox outbox();

    Webhooks webhooks();

    /** Deadline of lineage calls to tracking-service (does a run exist, where are its artifacts). */
    @WithDefault("PT5S")
    Duration trackingTimeout();

    interface Outbox {
        @WithDefault("PT0.5S")
        Duration pollInterval();

        @WithDefault("200")
        int batchSize();

        /** Topic of registry events, keyed by registered model name. */
        @WithDefault("skein.registry.events.v1")
        String eventsTopic();
    }

    interface Webhooks {
        /** Attempts per delivery (the first included) when the receiver answers 408, 429 or 5xx or cannot be reached. */
        @WithDefault("4")
        int maxAttempts();

        /** Wait before the first retry; doubled for each next one. */
        @WithDefault("PT1S")
        Duration initialBackoff();

        /** Longest wait between attempts, a receiver's Retry-After included. */
        @WithDefault("PT60S")
        Duration maxBackoff();

        /** Whole attempt: connect, send, response headers. */
        @WithDefault("PT10S")
        Duration requestTimeout();

        @WithDefault("PT5S")
        Duration connectTimeout();

        /** Deliveries in flight to one webhook at once (across replicas). */
        @WithDefault("4")
        int concurrencyPerWebhook();

        /** Deliveries in flight at once in this replica. */
        @WithDefault("64")
        int maxConcurrency();

        /** How often the worker looks for due deliveries when nothing woke it. */
        @WithDefault("PT1S")
        Duration pollInterval();

        /**
         * Explicit allow-list of destinations webhooks may reach although the SSRF policy refuses
         * them: CIDRs ({@code 10.20.0.0/16}, {@code 127.0.0.1/32}, {@code fd12::/64}) or host names
         * (an exact name). Cloud metadata addresses stay refused.
         */
        Optional<List<String>> allowedDestinations();

        /**
         * Keys encrypting webhook secrets at rest: {@code id:base64key} (AES-128/192/256), comma
         * separated. The first encrypts; the others only decrypt (rotation).
         */
        Optional<List<String>> secretKeys();

        /**
         * Host names webhooks may not point at: the platform's own services and cloud metadata
         * names. Addresses are checked separately (see the module README).
         */
        @WithDefault("gateway-service,tracking-service,registry-service,artifact-service,evaluation-service,"
                + "localhost,metadata,metadata.google.internal,metadata.goog,metadata.azure.internal,instance-data,"
                + "instance-data.ec2.internal")
        List<String> deniedHosts();

        /**
         * Ports of this machine webhooks may not point at (Kafka, PostgreSQL, S3), even when the
         * allow-list opens loopback; every port of the catalogue's services is refused besides these.
         */
        @WithDefault("9092,9093,5432,9000")
        List<Integer> deniedLocalPorts();
    }
}
