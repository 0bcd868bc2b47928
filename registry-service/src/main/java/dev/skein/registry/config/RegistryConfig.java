package dev.skein.registry.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;

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
        /** Attempts per delivery (the first included) when the receiver answers 429 or 5xx or cannot be reached. */
        @WithDefault("4")
        int maxAttempts();

        /** Wait before the first retry; doubled for each next one. */
        @WithDefault("PT1S")
        Duration initialBackoff();

        @WithDefault("PT60S")
        Duration maxBackoff();

        @WithDefault("PT10S")
        Duration requestTimeout();

        /**
         * Host names webhooks may not point at: the platform's own services and cloud metadata
         * endpoints. Link-local addresses (169.254.0.0/16, fe80::/10) are always refused.
         */
        @WithDefault("gateway-service,tracking-service,registry-service,artifact-service,evaluation-service,"
                + "metadata,metadata.google.internal,metadata.azure.internal,instance-data")
        List<String> deniedHosts();

        /**
         * Ports of this machine webhooks may not point at (the suite's services, Kafka, PostgreSQL,
         * S3), when the URL's host is a loopback or local address.
         */
        @WithDefault("8080,8081,8082,8083,8084,9092,9093,5432,9000")
        List<Integer> deniedLocalPorts();
    }
}
