package dev.skein.evaluation.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.common.trust.InternalCredential;
import dev.skein.evaluation.config.EvaluationConfig;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * llm-gateway-service as evaluations need it: an endpoint's type, and one call of an endpoint (MLflow's deployments
 * API, {@code POST /gateway/{name}/invocations}) made as the user who started the evaluation ({@code skein-actor},
 * URL-encoded, with the internal credential), so that user's usage, limits and budgets apply. Blocking, on a pool of
 * {@code skein.evaluation.llm-concurrency} threads shared by the whole service: that is the most calls in flight at
 * once, whatever the number of evaluations. A call is retried on 429 (after its Retry-After, bounded), on 5xx and on
 * a connection failure or timeout, up to {@code llm-max-attempts}; an answer larger than {@code llm-max-answer-bytes}
 * is refused.
 */
@ApplicationScoped
public class LlmGatewayClient {

    public static final String CHAT = "llm/v1/chat";
    public static final String COMPLETIONS = "llm/v1/completions";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a call answered: the text, the provider's token counts when it gave them, the time it took. */
    public record Answer(String text, Long promptTokens, Long completionTokens, Long totalTokens, long latencyMillis) {}

    /** A call that failed for good (after its retries, or refused outright): the reason, as the gateway gave it. */
    public static final class CallFailed extends Exception {
        private final boolean unreachable;

        public CallFailed(String message) {
            this(message, false);
        }

        public CallFailed(String message, boolean unreachable) {
            super(message);
            this.unreachable = unreachable;
        }

        /**
         * Whether the last attempt got no answer at all (the connection refused or timed out), as opposed to an answer
         * that refused the call: an outage of llm-gateway-service rather than a fault of this call.
         */
        public boolean unreachable() {
            return unreachable;
        }
    }

    /** The call settings (see the module README). */
    public record Settings(
            int concurrency,
            Duration callTimeout,
            int maxAttempts,
            Duration retryBackoff,
            Duration maxRetryAfter,
            int maxAnswerBytes) {}

    private final URI base;
    private final String authorization;
    private final Settings settings;
    private final HttpClient http;
    private final ExecutorService pool;

    @Inject
    public LlmGatewayClient(
            @ConfigProperty(name = "skein.upstreams.llmgateway.host", defaultValue = "127.0.0.1") String host,
            @ConfigProperty(name = "skein.upstreams.llmgateway.port", defaultValue = "8085") int port,
            InternalCredential credential,
            EvaluationConfig config) {
        this(
                URI.create("http://" + host + ":" + port),
                credential.header(),
                new Settings(
                        config.llmConcurrency(),
                        config.llmCallTimeout(),
                        config.llmMaxAttempts(),
                        config.llmRetryBackoff(),
                        config.llmMaxRetryAfter(),
                        config.llmMaxAnswerBytes()));
    }

    public LlmGatewayClient(URI base, String authorization, Settings settings) {
        this.base = base;
        this.authorization = authorization;
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.pool = Executors.newFixedThreadPool(settings.concurrency(), r -> {
            Thread t = new Thread(r, "llm-calls");
            t.setDaemon(true);
            return t;
        });
    }

    void stop(@Observes ShutdownEvent event) {
        pool.shutdownNow();
    }

    /**
     * The endpoint's type ({@code llm/v1/chat}, {@code llm/v1/completions}, {@code llm/v1/embeddings}); empty when the
     * gateway has no endpoint of that name. A gateway that cannot be asked: {@link UpstreamUnavailable}.
     */
    public Optional<String> endpointType(String name, String actor) {
        HttpRequest request =
                request("/api/2.0/endpoints/" + encode(name), actor).GET().build();
        HttpResponse<InputStream> response = null;
        // a connection the gateway closed meanwhile (keep-alive) is worth another try, as for calls
        for (int attempt = 1; response == null; attempt++) {
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                if (attempt >= settings.maxAttempts()) {
                    throw new UpstreamUnavailable("Cannot read LLM endpoint " + name + " now (" + e + ")", e);
                }
                pause(backoff(attempt));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UpstreamUnavailable("Interrupted reading LLM endpoint " + name, e);
            }
        }
        String body;
        try {
            body = read(response.body());
        } catch (IOException | CallFailed e) {
            throw new UpstreamUnavailable("Cannot read LLM endpoint " + name + " now (" + e.getMessage() + ")", e);
        }
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw new UpstreamUnavailable(
                    "Cannot read LLM endpoint " + name + " now (HTTP " + response.statusCode() + ")", null);
        }
        try {
            JsonNode type = JSON.readTree(body).path("endpoint_type");
            return Optional.of(type.asText(""));
        } catch (IOException e) {
            throw new UpstreamUnavailable("llm-gateway-service answered endpoint " + name + " with no JSON", e);
        }
    }

    /**
     * Runs {@code calls} on the shared pool (at most {@code llm-concurrency} at once across the service) and gives
     * their results in order.
     */
    public <T> List<T> all(List<Callable<T>> calls) {
        List<Future<T>> futures = new ArrayList<>(calls.size());
        try {
            for (Callable<T> c : calls) {
                try {
                    futures.add(pool.submit(c));
                } catch (RejectedExecutionException e) {
                    // the service is stopping: the work is taken up again later, not failed for it
                    futures.forEach(f -> f.cancel(true));
                    throw new UpstreamUnavailable("the service is stopping; the LLM calls are made later", e);
                }
            }
            List<T> out = new ArrayList<>(calls.size());
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new UpstreamUnavailable("interrupted while calling LLM endpoints", e);
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * One call of {@code endpoint}: a chat endpoint gets {@code {"messages": [...], ...parameters}} (a text input is
     * one user message), a completions endpoint {@code {"prompt": text, ...parameters}}.
     *
     * @param input a {@code String}, or for a chat endpoint a list of {@code {role, content}} maps
     */
    public Answer invoke(String endpoint, String type, Object input, Map<String, Object> parameters, String actor)
            throws CallFailed {
        ObjectNode body = JSON.createObjectNode();
        if (CHAT.equals(type)) {
            if (input instanceof String text) {
                body.putArray("messages").addObject().put("role", "user").put("content", text);
            } else {
                body.set("messages", JSON.valueToTree(input));
            }
        } else {
            body.put("prompt", String.valueOf(input));
        }
        parameters.forEach((k, v) -> body.set(k, JSON.valueToTree(v)));
        byte[] payload;
        try {
            payload = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest request = request("/gateway/" + encode(endpoint) + "/invocations", actor)
                .header("Content-Type", "application/json")
                .timeout(settings.callTimeout())
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload))
                .build();
        String last = null;
        boolean unreachable = false;
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            long started = System.nanoTime();
            long wait;
            try {
                HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                String text = read(response.body());
                long latency = (System.nanoTime() - started) / 1_000_000;
                int status = response.statusCode();
                if (status == 200) {
                    return answer(text, type, latency);
                }
                last = "endpoint " + endpoint + " answered HTTP " + status + ": " + message(text);
                unreachable = false;
                if (status == 429) {
                    wait = retryAfter(response, attempt);
                } else if (status >= 500) {
                    wait = backoff(attempt);
                } else {
                    // the gateway's refusal (a bad parameter, a limit or budget spent): no retry changes it
                    throw new CallFailed(last);
                }
            } catch (HttpTimeoutException e) {
                last = "endpoint " + endpoint + " did not answer within " + settings.callTimeout();
                unreachable = true;
                wait = backoff(attempt);
            } catch (IOException e) {
                last = "endpoint " + endpoint + " could not be reached: " + e.getMessage();
                unreachable = true;
                wait = backoff(attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UpstreamUnavailable("interrupted calling " + endpoint, e);
            }
            if (attempt < settings.maxAttempts()) {
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new UpstreamUnavailable("interrupted calling " + endpoint, e);
                }
            }
        }
        throw new CallFailed(last + " (after " + settings.maxAttempts() + " attempts)", unreachable);
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamUnavailable("interrupted", e);
        }
    }

    private HttpRequest.Builder request(String path, String actor) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .timeout(settings.callTimeout())
                .header("Authorization", authorization);
        if (actor != null) {
            b.header("skein-actor", URLEncoder.encode(actor, StandardCharsets.UTF_8));
        }
        return b;
    }

    private static String encode(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private long backoff(int attempt) {
        return settings.retryBackoff().toMillis() << Math.min(10, attempt - 1);
    }

    /** Retry-After in seconds (or an HTTP date: then the backoff), bounded by {@code llm-max-retry-after}. */
    private long retryAfter(HttpResponse<?> response, int attempt) {
        long max = settings.maxRetryAfter().toMillis();
        return response.headers()
                .firstValue("Retry-After")
                .map(v -> {
                    try {
                        return Math.min(max, Math.max(0, (long) (Double.parseDouble(v.trim()) * 1000)));
                    } catch (NumberFormatException e) {
                        return Math.min(max, backoff(attempt));
                    }
                })
                .orElse(Math.min(max, backoff(attempt)));
    }

    private String read(InputStream in) throws IOException, CallFailed {
        try (in) {
            byte[] bytes = in.readNBytes(settings.maxAnswerBytes() + 1);
            if (bytes.length > settings.maxAnswerBytes()) {
                throw new CallFailed("the answer is larger than " + settings.maxAnswerBytes()
                        + " bytes (skein.evaluation.llm-max-answer-bytes)");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** The gateway's error message ({@code message}, or OpenAI's {@code error.message}), else the body, cut. */
    private static String message(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            String m = node.path("message").asText(null);
            if (m == null) {
                m = node.path("error").path("message").asText(null);
            }
            if (m == null) {
                m = node.path("detail").isMissingNode()
                        ? null
                        : node.path("detail").toString();
            }
            if (m != null) {
                return cut(m);
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: the body itself
        }
        return cut(body);
    }

    private static String cut(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    /** MLflow's chat answer (choices[0].message.content) or completions answer (choices[0].text), and usage. */
    static Answer answer(String body, String type, long latency) throws CallFailed {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (IOException e) {
            throw new CallFailed("the endpoint's answer is not JSON");
        }
        JsonNode choice = node.path("choices").path(0);
        JsonNode text = CHAT.equals(type) ? choice.path("message").path("content") : choice.path("text");
        if (!text.isTextual()) {
            throw new CallFailed("the endpoint's answer has no "
                    + (CHAT.equals(type) ? "choices[0].message.content" : "choices[0].text"));
        }
        JsonNode usage = node.path("usage");
        return new Answer(
                text.asText(),
                count(usage, "prompt_tokens"),
                count(usage, "completion_tokens"),
                count(usage, "total_tokens"),
                latency);
    }

    private static Long count(JsonNode usage, String field) {
        JsonNode n = usage.path(field);
        return n.isIntegralNumber() ? n.asLong() : null;
    }
}
