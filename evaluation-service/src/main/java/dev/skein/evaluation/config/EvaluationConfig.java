package dev.skein.evaluation.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** evaluation-service settings; every one has a default that runs locally (see the module README). */
@ConfigMapping(prefix = "skein.evaluation")
public interface EvaluationConfig {

    /** Evaluations and audits worked on at once by this replica (each reads one table on its own thread). */
    @WithDefault("2")
    int concurrency();

    /** How often the queue is looked at when nothing woke the worker (another replica's work, retries). */
    @WithDefault("PT2S")
    Duration pollInterval();

    /**
     * How long a claimed evaluation stays this replica's: past it (the replica died midway) another
     * replica takes it over. A running evaluation renews its claim every third of it, so a long one (many LLM
     * calls) keeps it; a replica that stops renewing (it died) loses it at most this long after.
     */
    @WithDefault("PT30M")
    Duration lease();

    /** Wait before retrying work whose upstream (tracking, artifact, registry) could not be reached; doubled per attempt. */
    @WithDefault("PT5S")
    Duration retryBackoff();

    /** Longest wait between such retries. */
    @WithDefault("PT5M")
    Duration maxRetryBackoff();

    /**
     * Bytes a table may have; a larger one fails its evaluation when the limit is crossed, before the
     * rest is read.
     */
    @WithDefault("134217728")
    long maxTableBytes();

    /** {@link #curvesMemoryBytes()}'s default, 144 MiB: the curves of 1 Mi rows with one probability column. */
    long DEFAULT_CURVES_MEMORY_BYTES = 144L << 20;

    /**
     * Heap a classifier's ranking metrics and curves may take, per evaluation (times {@code concurrency}): rows
     * are kept in memory while their curves fit (about 144 bytes a row with one probability column), and past
     * it written to temporary files under {@code java.io.tmpdir} and merged, with the same metrics.
     */
    @WithDefault("150994944")
    long curvesMemoryBytes();

    /** Deadline of unary calls to tracking-service and registry-service. */
    @WithDefault("PT10S")
    Duration upstreamTimeout();

    /** Deadline of a table download and of an artifact upload; past it the attempt fails and is retried. */
    @WithDefault("PT10M")
    Duration transferTimeout();

    Outbox outbox();

    /**
     * Calls of LLM gateway endpoints (judges, prompt evaluations) in flight at once in this replica, across all its
     * evaluations.
     */
    @WithDefault("8")
    int llmConcurrency();

    /** Deadline of one LLM endpoint call (one attempt). */
    @WithDefault("PT60S")
    Duration llmCallTimeout();

    /** Attempts of one LLM call: a 429 (after its Retry-After), a 5xx, a timeout or a lost connection is retried. */
    @WithDefault("3")
    int llmMaxAttempts();

    /** Wait before the second attempt of an LLM call when no Retry-After says; doubled per attempt. */
    @WithDefault("PT1S")
    Duration llmRetryBackoff();

    /** Longest Retry-After honoured before retrying an LLM call. */
    @WithDefault("PT30S")
    Duration llmMaxRetryAfter();

    /** Largest answer of one LLM call; a larger one fails that call. */
    @WithDefault("1048576")
    int llmMaxAnswerBytes();

    /** Most rows of a prompt evaluation, and most rows of a table that judges score. */
    @WithDefault("1000")
    int maxLlmRows();

    /**
     * The most prompt evaluations and evaluations with judges one user may have PENDING or RUNNING at once (a
     * prompt evaluation's runs count once); another is refused with REQUEST_LIMIT_EXCEEDED (429).
     */
    @WithDefault("10")
    int maxActiveLlmEvaluations();

    /** The most LLM calls one prompt evaluation may make: rows × endpoints × (1 + judges), refused above. */
    @WithDefault("20000")
    int maxLlmCalls();

    /**
     * The Python version a prompt-lab run's model names in its environment files ({@code python_env.yaml},
     * {@code conda.yaml}, {@code MLmodel}): MLflow writes its server's, and {@code mlflow models serve} builds the
     * model's environment with it.
     */
    @WithDefault("3.10.12")
    String promptlabPythonVersion();

    interface Outbox {
        @WithDefault("PT0.5S")
        Duration pollInterval();

        @WithDefault("200")
        int batchSize();

        /** Topic of evaluation and audit results. */
        @WithDefault("skein.evaluation.results.v1")
        String topic();
    }
}
