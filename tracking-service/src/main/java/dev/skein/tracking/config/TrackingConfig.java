package dev.skein.tracking.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** tracking-service settings; every one has a default that runs locally (see the module README). */
@ConfigMapping(prefix = "skein.tracking")
public interface TrackingConfig {

    /**
     * Where experiments created without an artifact location keep their artifacts: experiment N
     * gets {@code <root>/N}, its runs {@code <root>/N/<run_id>/artifacts}.
     */
    @WithDefault("mlflow-artifacts:")
    String defaultArtifactRoot();

    Outbox outbox();

    Ingest ingest();

    BulkReads bulkReads();

    Traces traces();

    Statistics statistics();

    RunCreation runCreation();

    /**
     * runs/create writes the runs asked for at about the same time together, in one transaction per
     * group (their rows, tags and events).
     */
    interface RunCreation {
        /** Most runs one transaction writes. */
        @WithDefault("256")
        int maxBatch();

        /** Groups written at once, each on its own connection. */
        @WithDefault("2")
        int maxConcurrentBatches();

        /**
         * Runs that may wait for a group; past it runs/create is refused with REQUEST_LIMIT_EXCEEDED
         * (429) before any work, so a flood cannot fill the heap.
         */
        @WithDefault("10000")
        int maxQueued();

        /**
         * Longest wait for an experiment another transaction holds (being deleted, restored or
         * renamed); past it its waiting runs are refused with TEMPORARILY_UNAVAILABLE (503).
         */
        @WithDefault("PT5S")
        Duration lockTimeout();

        /**
         * Longest a group transaction may take; past it its callers are told to try again
         * (TEMPORARILY_UNAVAILABLE) and its place goes to the next group, so a database that stopped
         * answering cannot stop run creation for good. Below the gateway's upstream timeout.
         */
        @WithDefault("PT30S")
        Duration deadline();
    }

    /**
     * Keeping the planner's statistics of the searched tables (runs, latest_metrics, params, tags)
     * current: a table is analysed once at least {@code min-changes} of its rows, and at least {@code
     * changed-fraction} of them, changed since its last analysis.
     */
    interface Statistics {
        /** How often the tables are looked at; 0 leaves them to autovacuum alone. */
        @WithDefault("PT10S")
        Duration checkInterval();

        @WithDefault("1000")
        long minChanges();

        @WithDefault("0.1")
        double changedFraction();
    }

    interface Traces {
        /**
         * Spans one trace may hold. A batch of spans that would take a trace past it is refused
         * (INVALID_PARAMETER_VALUE) and nothing of it written. Agent traces have hundreds to a few
         * thousand spans; the limit stops one runaway trace from filling the table and every
         * answer that reads it.
         */
        @WithDefault("10000")
        int maxSpansPerTrace();

        /**
         * Span bytes (as stored: the OTLP spans as sent) one batchGet or get-trace may answer. Asking
         * for traces whose spans take more is refused (INVALID_PARAMETER_VALUE) before they are read;
         * fewer traces at a time fit. The gateway answers in JSON, about twice the size.
         */
        @WithDefault("64M")
        MemorySize maxSpanBytesPerRead();
    }

    interface BulkReads {
        /**
         * Longest run of one statement of get-history-bulk and get-history-bulk-interval (PostgreSQL's
         * {@code statement_timeout}, on each read's own connection; meant to be below {@link #deadline}).
         * Past it the read is stopped and the caller is told so (TEMPORARILY_UNAVAILABLE, 503), so one
         * heavy read cannot hold a connection for minutes.
         */
        @WithDefault("PT20S")
        Duration statementTimeout();

        /**
         * Longest time one bulk read may take in all, its statements together. Past it the caller is
         * answered TEMPORARILY_UNAVAILABLE (503) and no further statement of the read is issued. Below
         * the gateway's upstream timeout (60 s), so REST callers get this answer, not the gateway's.
         */
        @WithDefault("PT30S")
        Duration deadline();

        /**
         * Bulk reads running at once in this replica, each holding one database connection; one more
         * is refused before any database work with REQUEST_LIMIT_EXCEEDED (429), so bulk reads never
         * hold more than this many of the pool's connections.
         */
        @WithDefault("4")
        int maxConcurrent();

        /**
         * Memory the answers of the bulk reads running at once may take in this replica, shared equally
         * by the {@link #maxConcurrent} places: each get-history-bulk-interval answer is refused (never
         * cut) before it reads past its share, each point counted with its key and run id (see
         * RunDataService#pointCost). get-history-bulk answers at most MLflow's 25,000 points, within a
         * share at the default.
         */
        @WithDefault("64M")
        MemorySize maxAnswerMemory();
    }

    interface Ingest {
        /**
         * How long one attempt of the Kafka metric ingest waits for a lock (PostgreSQL's {@code
         * lock_timeout}, for its transaction only). Past it the attempt fails and is retried with
         * backoff, so a table locked for minutes shows as retries and readiness, not a hung connection.
         */
        @WithDefault("PT5S")
        Duration lockTimeout();
    }

    interface Outbox {
        /** How often the relay looks for unpublished events when no write has woken it. */
        @WithDefault("PT0.5S")
        Duration pollInterval();

        /** Events published per relay pass. */
        @WithDefault("200")
        int batchSize();

        /** Topic of run lifecycle events. */
        @WithDefault("skein.tracking.runs.v1")
        String runsTopic();
    }
}
