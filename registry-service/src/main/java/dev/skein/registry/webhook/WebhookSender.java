package dev.skein.registry.webhook;

import dev.skein.common.error.ApiException;
import dev.skein.registry.config.RegistryConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLException;

/**
 * Makes one attempt of one webhook delivery, as MLflow 3.3 sends it: a JSON body {@code {entity,
 * action, timestamp, data}} with {@code X-MLflow-Delivery-Id}, {@code X-MLflow-Timestamp} and, with
 * a secret, {@code X-MLflow-Signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">}.
 *
 * <p>Before connecting, the URL is checked ({@link UrlGuard}), its host resolved once and every
 * address checked; the connection goes to the checked address with the URL's host as {@code Host}
 * and TLS server name, so a second lookup cannot send it elsewhere (DNS rebinding). Redirects are
 * not followed. The receiver's body is never read: only its status and {@code Retry-After}.
 * Non-blocking (Vert.x HTTP client); the lookup alone runs on a worker thread.
 */
@ApplicationScoped
public class WebhookSender {

    /** What one attempt came to. {@code error} is in our words, never the receiver's. */
    public record Result(Integer status, String error, boolean retryable, Duration retryAfter) {
        public boolean delivered() {
            return status != null && status >= 200 && status < 300;
        }
    }

    private static final List<Integer> RETRIED = List.of(408, 429, 500, 502, 503, 504);
    private static final Duration LONGEST_RETRY_AFTER = Duration.ofHours(1);

    private final Vertx vertx;
    private final UrlGuard guard;
    private final UrlGuard.Resolver resolver;
    private final Duration requestTimeout;
    private final HttpClient client;
    /**
     * Name lookups block and can hang for as long as a resolver likes: they run on a small pool of
     * their own, never on the worker pool the registry's API uses, and an attempt gives up waiting
     * for one after the request timeout.
     */
    private final WorkerExecutor lookups;

    @Inject
    public WebhookSender(Vertx vertx, UrlGuard guard, RegistryConfig config) {
        this(
                vertx,
                guard,
                InetAddress::getAllByName,
                config.webhooks().requestTimeout(),
                config.webhooks().connectTimeout(),
                config.webhooks().maxConcurrency());
    }

    public WebhookSender(
            Vertx vertx,
            UrlGuard guard,
            UrlGuard.Resolver resolver,
            Duration requestTimeout,
            Duration connectTimeout,
            int maxConnections) {
        this.vertx = vertx;
        this.guard = guard;
        this.resolver = resolver;
        this.requestTimeout = requestTimeout;
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_1_1)
                .setKeepAlive(false)
                .setMaxPoolSize(Math.max(1, maxConnections))
                .setConnectTimeout((int) connectTimeout.toMillis())
                .setForceSni(true)
                .setVerifyHost(true));
        this.lookups = vertx.createSharedWorkerExecutor("skein-webhook-dns", LOOKUP_THREADS);
    }

    private static final int LOOKUP_THREADS = 4;

    @PreDestroy
    void close() {
        client.close();
        lookups.close();
    }

    /** The body MLflow sends for an event, as stored with each delivery. */
    public static String payload(WebhookEvents.Event event, Instant at) {
        return new JsonObject()
                .put("entity", event.entity())
                .put("action", event.action())
                .put("timestamp", at.toString())
                .put("data", event.data())
                .encode();
    }

    /** One attempt; never fails, the outcome says what happened. */
    public Uni<Result> attempt(String url, String secret, UUID deliveryId, long signedAtSeconds, String payload) {
        UrlGuard.Destination d;
        try {
            d = guard.parse(url);
        } catch (ApiException e) {
            return Uni.createFrom().item(refused(e));
        }
        Uni<Object> resolved = d.literal() != null
                ? Uni.createFrom().item(List.of(d.literal()))
                : Uni.createFrom()
                        .completionStage(() -> lookups.<Object>executeBlocking(
                                        () -> {
                                            try {
                                                return guard.checkAll(d, resolver.resolve(d.host()));
                                            } catch (UnknownHostException e) {
                                                return new Result(
                                                        null, "The webhook's host did not resolve.", true, null);
                                            } catch (ApiException e) {
                                                return refused(e);
                                            }
                                        },
                                        false)
                                .toCompletionStage())
                        .ifNoItem()
                        .after(requestTimeout)
                        .recoverWithItem(
                                () -> new Result(null, "The webhook's host did not resolve in time.", true, null));
        return resolved.flatMap(r -> {
            if (r instanceof Result result) {
                return Uni.createFrom().item(result);
            }
            @SuppressWarnings("unchecked")
            InetAddress address = ((List<InetAddress>) r).get(0);
            return send(d, address, secret, deliveryId, signedAtSeconds, payload);
        });
    }

    private static Result refused(ApiException e) {
        return new Result(null, "Refused by the webhook URL policy: " + e.getMessage(), false, null);
    }

    private Uni<Result> send(
            UrlGuard.Destination d,
            InetAddress address,
            String secret,
            UUID deliveryId,
            long signedAtSeconds,
            String payload) {
        String timestamp = Long.toString(signedAtSeconds);
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setServer(SocketAddress.inetSocketAddress(new InetSocketAddress(address, d.port())))
                .setHost(d.host())
                .setPort(d.port())
                .setSsl(d.https())
                .setURI(d.requestUri())
                .setFollowRedirects(false)
                .putHeader("Content-Type", "application/json")
                .putHeader("User-Agent", "Skein-Webhooks")
                .putHeader("X-MLflow-Delivery-Id", deliveryId.toString())
                .putHeader("X-MLflow-Timestamp", timestamp);
        if (secret != null && !secret.isEmpty()) {
            options.putHeader("X-MLflow-Signature", sign(secret, deliveryId + "." + timestamp + "." + payload));
        }
        return Uni.createFrom().emitter(emitter -> {
            Promise<Result> outcome = Promise.promise();
            AtomicReference<HttpClientRequest> request = new AtomicReference<>();
            long timer = vertx.setTimer(requestTimeout.toMillis(), t -> {
                if (outcome.tryComplete(new Result(
                        null,
                        "The receiver did not answer within " + requestTimeout.toMillis() + " ms.",
                        true,
                        null))) {
                    HttpClientRequest r = request.get();
                    if (r != null) {
                        r.reset();
                    }
                }
            });
            outcome.future().onComplete(ar -> {
                vertx.cancelTimer(timer);
                emitter.complete(ar.result());
            });
            client.request(options)
                    .compose(r -> {
                        request.set(r);
                        return r.send(Buffer.buffer(payload.getBytes(StandardCharsets.UTF_8)));
                    })
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            outcome.tryComplete(new Result(null, describe(ar.cause()), true, null));
                            return;
                        }
                        var response = ar.result();
                        int status = response.statusCode();
                        Duration retryAfter = retryAfter(response.getHeader("Retry-After"));
                        // The body is never read: close rather than drain whatever the receiver sends.
                        response.request().connection().close();
                        outcome.tryComplete(new Result(
                                status,
                                status >= 200 && status < 300 ? null : "The receiver answered HTTP " + status + ".",
                                RETRIED.contains(status),
                                retryAfter));
                    });
        });
    }

    /** Our words for why a request failed; the exception's own text may carry internals. */
    private static String describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SSLException) {
                return "The TLS handshake with the receiver failed.";
            }
            if (c instanceof ConnectException || c.getClass().getSimpleName().contains("ConnectTimeout")) {
                return "The receiver could not be reached.";
            }
        }
        return "The connection to the receiver failed.";
    }

    /** {@code Retry-After} as seconds or an HTTP date; null if absent or unreadable. */
    static Duration retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        Duration wait;
        if (v.matches("\\d{1,9}")) {
            wait = Duration.ofSeconds(Long.parseLong(v));
        } else {
            try {
                wait = Duration.between(Instant.now(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
            } catch (RuntimeException e) {
                return null;
            }
        }
        if (wait.isNegative()) {
            return Duration.ZERO;
        }
        return wait.compareTo(LONGEST_RETRY_AFTER) > 0 ? LONGEST_RETRY_AFTER : wait;
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
}
