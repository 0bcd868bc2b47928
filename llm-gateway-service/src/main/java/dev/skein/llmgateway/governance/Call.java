package dev.skein.llmgateway.governance;

import dev.skein.llmgateway.Endpoint;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One call to an endpoint, from its arrival to its end: what its usage record and event say. Filled on the
 * call's event loop; {@link #end} hands it to the {@link UsageLog} once, however many ways the call ends.
 */
public final class Call {

    private final UsageLog log;
    final UUID id = UUID.randomUUID();
    final Endpoint endpoint;
    final String caller;
    final String api;
    final boolean streamed;
    final long startMillis = System.currentTimeMillis();
    private final long startNanos = System.nanoTime();
    private long firstByteNanos;
    long endNanos;
    Long inputTokens;
    Long outputTokens;
    int status;
    String errorCode;
    Admission admission = Admission.NONE;
    Endpoint served;
    int attempts;
    private long promptChars;
    private long answerChars;
    private long outputBound;
    boolean usageEstimated;
    private final AtomicBoolean ended = new AtomicBoolean();

    Call(UsageLog log, Endpoint endpoint, String caller, String api, boolean streamed) {
        this.log = log;
        this.endpoint = endpoint;
        this.caller = caller;
        this.api = api;
        this.streamed = streamed;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    public String caller() {
        return caller;
    }

    /** An attempt at {@code endpoint} begins (the first, a retry, or a fallback's). */
    public void attempt(Endpoint endpoint) {
        served = endpoint;
        attempts++;
    }

    /** The endpoint that answered (the last tried), or the requested one when none was tried. */
    Endpoint servedBy() {
        return served == null ? endpoint : served;
    }

    /** Counted by an endpoint's rules: the requested one's, then each fallback's the call turned to. */
    public void admitted(Admission admission) {
        this.admission = this.admission.and(admission);
    }

    /** The first byte of the answer went to the client (time to first token). */
    public void firstByte() {
        if (firstByteNanos == 0) {
            firstByteNanos = System.nanoTime();
        }
    }

    /** More tokens than any call has: a provider's count past it is taken as this (a bound, not a value). */
    static final long MAX_TOKENS = 1_000_000_000L;

    /** OpenAI's {@code usage} ({@code prompt_tokens}, {@code completion_tokens}), if the provider sent it. */
    public void usage(Object usage) {
        if (usage instanceof JsonObject u) {
            if (u.getValue("prompt_tokens") instanceof Number n) {
                inputTokens = bounded(n);
            }
            if (u.getValue("completion_tokens") instanceof Number n) {
                outputTokens = bounded(n);
            } else if (inputTokens != null && u.getValue("total_tokens") instanceof Number t) {
                outputTokens = Math.max(0, bounded(t) - inputTokens); // embeddings: no completion tokens
            } else if (inputTokens != null) {
                outputTokens = 0L;
            }
        }
    }

    private static long bounded(Number n) {
        double value = n.doubleValue();
        return Double.isNaN(value) || value < 0 ? 0 : (long) Math.min(value, MAX_TOKENS);
    }

    /** Characters of the request's text (messages, prompt, tools): what an estimate of its input tokens counts. */
    public void prompt(long chars) {
        promptChars = chars;
    }

    /**
     * The most output tokens the request allows ({@code max_tokens}), if it says: a non-streamed call its client left
     * is counted this many, as the provider may have written them.
     */
    public void outputBound(long tokens) {
        outputBound = tokens;
    }

    /** Characters of the answer relayed to the client (text and tool-call arguments), for an estimate. */
    public void answered(long chars) {
        answerChars += chars;
    }

    /** Characters a token, OpenAI's rule of thumb for English text (a bound for budgets, not a tokenizer). */
    static final int CHARS_PER_TOKEN = 4;

    /** The call ended with {@code status} as the client saw it; {@code errorCode} null on success. */
    public void end(int status, String errorCode) {
        if (ended.compareAndSet(false, true)) {
            if (!usageReported() && attempts > 0 && (status == 499 || (streamed && firstByteNanos != 0))) {
                // a call that ended without the provider's count — its client left (before the answer, or before a
                // stream's last chunk), or a stream broke: the provider charges what it read and wrote, so limits and
                // budgets count an estimate rather than nothing
                inputTokens = estimate(promptChars);
                outputTokens = streamed ? estimate(answerChars) : Math.min(MAX_TOKENS, outputBound);
                usageEstimated = true;
            }
            this.status = status;
            this.errorCode = errorCode;
            this.endNanos = System.nanoTime();
            log.record(this);
        }
    }

    private static long estimate(long chars) {
        return Math.min(MAX_TOKENS, (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN);
    }

    long latencyMs() {
        return (endNanos - startNanos) / 1_000_000;
    }

    Long timeToFirstTokenMs() {
        return firstByteNanos == 0 ? null : (firstByteNanos - startNanos) / 1_000_000;
    }

    boolean usageReported() {
        return inputTokens != null || outputTokens != null;
    }

    long tokens() {
        return (inputTokens == null ? 0 : inputTokens) + (outputTokens == null ? 0 : outputTokens);
    }
}
