package dev.skein.registry.webhook;

import dev.skein.common.error.ApiException;
import dev.skein.registry.config.RegistryConfig;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.logging.Logger;

/**
 * Sends one webhook event to one receiver as MLflow 3.3 does: JSON {@code {entity, action,
 * timestamp, data}}, headers {@code X-MLflow-Delivery-Id}, {@code X-MLflow-Timestamp} and, with a
 * secret, {@code X-MLflow-Signature: v1,<base64 HMAC-SHA256 of "id.timestamp.payload">}. Answers
 * 429 and 5xx, and failures to connect, are retried with exponential backoff (honouring
 * Retry-After); the same delivery id and signature are sent on every attempt.
 */
@ApplicationScoped
public class WebhookSender {

    private static final Logger LOG = Logger.getLogger(WebhookSender.class);
    private static final Set<Integer> RETRIED = Set.of(429, 500, 502, 503, 504);
    private static final int MAX_BODY_KEPT = 1000;

    /** How a delivery ended. */
    public record Outcome(
            UUID deliveryId, boolean delivered, Integer status, String body, String error, int attempts) {}

    private final UrlGuard guard;
    private final HttpClient client;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration requestTimeout;

    public WebhookSender(UrlGuard guard, RegistryConfig config) {
        this.guard = guard;
        this.maxAttempts = config.webhooks().maxAttempts();
        this.initialBackoff = config.webhooks().initialBackoff();
        this.maxBackoff = config.webhooks().maxBackoff();
        this.requestTimeout = config.webhooks().requestTimeout();
        this.client = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public Uni<Outcome> send(String url, String secret, WebhookEvents.Event event) {
        String payload = new JsonObject()
                .put("entity", event.entity())
                .put("action", event.action())
                .put("timestamp", Instant.now().toString())
                .put("data", event.data())
                .encode();
        UUID deliveryId = UUID.randomUUID();
        String timestamp = Long.toString(Instant.now().getEpochSecond());
        String signature =
                secret == null || secret.isEmpty() ? null : sign(secret, deliveryId + "." + timestamp + "." + payload);
        return attempt(1, url, payload, deliveryId, timestamp, signature);
    }

    private Uni<Outcome> attempt(int n, String url, String payload, UUID id, String timestamp, String signature) {
        // The URL is checked again before every attempt: what a name resolves to can change.
        return Uni.createFrom()
                .item(() -> guard.check(url))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onFailure(ApiException.class)
                .recoverWithItem((URI) null)
                .flatMap(uri -> {
                    if (uri == null) {
                        return Uni.createFrom().item(new Outcome(id, false, null, null, "URL refused: " + url, n));
                    }
                    HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                            .timeout(requestTimeout)
                            .header("Content-Type", "application/json")
                            .header("User-Agent", "Skein-Webhooks")
                            .header("X-MLflow-Delivery-Id", id.toString())
                            .header("X-MLflow-Timestamp", timestamp)
                            .POST(HttpRequest.BodyPublishers.ofString(payload, StandardCharsets.UTF_8));
                    if (signature != null) {
                        request.header("X-MLflow-Signature", signature);
                    }
                    return Uni.createFrom()
                            .completionStage(
                                    () -> client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()))
                            .onItemOrFailure()
                            .transformToUni((response, failure) -> {
                                boolean retryable = failure != null || RETRIED.contains(response.statusCode());
                                Outcome outcome = failure != null
                                        ? new Outcome(id, false, null, null, failure.toString(), n)
                                        : new Outcome(
                                                id,
                                                response.statusCode() < 400,
                                                response.statusCode(),
                                                truncate(response.body()),
                                                null,
                                                n);
                                if (!retryable || n >= maxAttempts) {
                                    return Uni.createFrom().item(outcome);
                                }
                                Duration wait = backoff(n, response);
                                LOG.debugf(
                                        "Webhook delivery %s to %s: attempt %d failed (%s), retrying in %s",
                                        id, url, n, failure != null ? failure : response.statusCode(), wait);
                                return Uni.createFrom()
                                        .voidItem()
                                        .onItem()
                                        .delayIt()
                                        .by(wait)
                                        .flatMap(x -> attempt(n + 1, url, payload, id, timestamp, signature));
                            });
                });
    }

    private Duration backoff(int attempt, HttpResponse<String> response) {
        Duration exponential = initialBackoff.multipliedBy(1L << Math.min(attempt - 1, 20));
        if (response != null) {
            var retryAfter = response.headers().firstValue("Retry-After");
            if (retryAfter.isPresent() && retryAfter.get().matches("\\d+")) {
                exponential = Duration.ofSeconds(Long.parseLong(retryAfter.get()));
            }
        }
        return exponential.compareTo(maxBackoff) > 0 ? maxBackoff : exponential;
    }

    /** {@code v1,} + base64 HMAC-SHA256 of the signed content with the webhook's secret. */
    static String sign(String secret, String content) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(content.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    private static String truncate(String body) {
        return body == null || body.length() <= MAX_BODY_KEPT ? body : body.substring(0, MAX_BODY_KEPT);
    }
}
