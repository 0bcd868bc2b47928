package dev.skein.registry.service;

import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.paging.ResultPage;
import dev.skein.common.validation.Inputs;
import dev.skein.registry.Webhook;
import dev.skein.registry.repository.WebhookDeliveries;
import dev.skein.registry.repository.WebhookRepository;
import dev.skein.registry.webhook.SecretCipher;
import dev.skein.registry.webhook.UrlGuard;
import dev.skein.registry.webhook.WebhookEvents;
import dev.skein.registry.webhook.WebhookSender;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.UUID;

/**
 * MLflow 3.3's webhook API, and the deliveries of each webhook. Secrets are stored encrypted to
 * sign deliveries and never returned.
 */
@ApplicationScoped
public class WebhookService {

    static final int MAX_LIST_RESULTS = 1000;
    private static final List<String> DELIVERY_STATES = List.of(
            WebhookDeliveries.PENDING,
            WebhookDeliveries.DELIVERING,
            WebhookDeliveries.DELIVERED,
            WebhookDeliveries.FAILED);

    /** What {@code /webhooks/{id}/test} reports: status code and our own words, never the receiver's body. */
    public record TestOutcome(boolean success, Integer status, String error) {}

    private final WebhookRepository webhooks;
    private final WebhookDeliveries deliveries;
    private final UrlGuard guard;
    private final WebhookSender sender;
    private final SecretCipher cipher;
    private final Vertx vertx;

    public WebhookService(
            WebhookRepository webhooks,
            WebhookDeliveries deliveries,
            UrlGuard guard,
            WebhookSender sender,
            SecretCipher cipher,
            Vertx vertx) {
        this.webhooks = webhooks;
        this.deliveries = deliveries;
        this.guard = guard;
        this.sender = sender;
        this.cipher = cipher;
        this.vertx = vertx;
    }

    /** Stores the secret sealed (or none, for an empty one). */
    private void setSecret(Webhook w, String secret) {
        if (secret == null || secret.isEmpty()) {
            w.secretKeyId = null;
            w.secretNonce = null;
            w.secretCiphertext = null;
            return;
        }
        SecretCipher.Sealed sealed = cipher.seal(w.id, secret);
        w.secretKeyId = sealed.keyId();
        w.secretNonce = sealed.nonce();
        w.secretCiphertext = sealed.ciphertext();
    }

    private String secretOf(Webhook w) {
        return w.secretCiphertext == null
                ? null
                : cipher.open(w.id, new SecretCipher.Sealed(w.secretKeyId, w.secretNonce, w.secretCiphertext));
    }

    /** The URL check resolves host names (blocking): done on a worker, answered on the request's context. */
    private Uni<Void> checkUrl(String url) {
        return vertx.executeBlocking(Uni.createFrom().item(() -> guard.check(url)))
                .replaceWithVoid();
    }

    private static String events(List<String> events) {
        if (events.isEmpty()) {
            throw ApiException.missing("events");
        }
        events.forEach(WebhookEvents::checkSupported);
        return String.join(",", new LinkedHashSet<>(events));
    }

    private static String status(String status) {
        if (status == null) {
            return null;
        }
        if (!status.equals(Webhook.ACTIVE) && !status.equals(Webhook.DISABLED)) {
            throw ApiException.invalidParameter("Invalid webhook status '" + status + "'. Use ACTIVE or DISABLED.");
        }
        return status;
    }

    public Uni<Webhook> create(
            String name, String description, String url, List<String> events, String secret, String status) {
        Inputs.required(name, "name");
        Inputs.required(url, "url");
        String eventList = events(events);
        String initial = status(status);
        if (secret != null && !secret.isEmpty()) {
            cipher.requireKey();
        }
        return checkUrl(url)
                .flatMap(ok -> Panache.withTransaction(() -> {
                    long now = System.currentTimeMillis();
                    Webhook w = new Webhook();
                    w.id = UUID.randomUUID();
                    w.name = name;
                    w.description = description;
                    w.url = url;
                    w.events = eventList;
                    setSecret(w, secret);
                    w.status = initial == null ? Webhook.ACTIVE : initial;
                    w.creationTime = now;
                    w.lastUpdatedTime = now;
                    return webhooks.persist(w);
                }));
    }

    public Uni<ResultPage<Webhook>> list(int maxResults, String pageToken) {
        if (maxResults < 1 || maxResults > MAX_LIST_RESULTS) {
            throw ApiException.invalidParameter("Invalid value for max_results. It must be between 1 and "
                    + MAX_LIST_RESULTS + ", but got " + maxResults);
        }
        long offset = PageToken.decodeOffset(pageToken);
        return Panache.withSession(() -> webhooks.find("order by creationTime, id")
                        .range((int) offset, (int) offset + maxResults)
                        .list())
                .map(found -> {
                    boolean more = found.size() > maxResults;
                    return new ResultPage<>(
                            more ? found.subList(0, maxResults) : found,
                            more ? PageToken.encode(offset + maxResults) : null);
                });
    }

    private Uni<Webhook> find(String webhookId) {
        Inputs.required(webhookId, "webhook_id");
        UUID id;
        try {
            id = UUID.fromString(webhookId);
        } catch (IllegalArgumentException e) {
            throw notFound(webhookId);
        }
        return webhooks.findById(id).map(w -> {
            if (w == null) {
                throw notFound(webhookId);
            }
            return w;
        });
    }

    private static ApiException notFound(String webhookId) {
        return ApiException.notFound("Webhook with ID " + webhookId + " not found.");
    }

    public Uni<Webhook> get(String webhookId) {
        return Panache.withSession(() -> find(webhookId));
    }

    /** Changes the fields given; the others stay as they are. */
    public Uni<Webhook> update(
            String webhookId,
            String name,
            String description,
            String url,
            List<String> events,
            String secret,
            String status) {
        String eventList = events.isEmpty() ? null : events(events);
        String newStatus = status(status);
        Uni<Void> checked = url == null ? Uni.createFrom().voidItem() : checkUrl(url);
        return checked.flatMap(
                ok -> Panache.withTransaction(() -> find(webhookId).map(w -> {
                    if (name != null) {
                        w.name = Inputs.required(name, "name");
                    }
                    if (description != null) {
                        w.description = description;
                    }
                    if (url != null) {
                        w.url = url;
                    }
                    if (eventList != null) {
                        w.events = eventList;
                    }
                    if (secret != null) {
                        setSecret(w, secret);
                    }
                    if (newStatus != null) {
                        w.status = newStatus;
                    }
                    w.lastUpdatedTime = System.currentTimeMillis();
                    return w;
                })));
    }

    public Uni<Void> delete(String webhookId) {
        return Panache.withTransaction(() -> find(webhookId).flatMap(webhooks::delete));
    }

    /**
     * Sends an example of an event (the webhook's first, unless one is named), once, and reports
     * the status code; failures in our words only, never what the receiver answered.
     */
    public Uni<TestOutcome> test(String webhookId, String event) {
        if (event != null) {
            WebhookEvents.checkSupported(event);
        }
        return get(webhookId).flatMap(w -> {
            String payload = WebhookSender.payload(
                    WebhookEvents.example(event != null ? event : w.eventList().get(0)), Instant.now());
            String secret;
            try {
                secret = secretOf(w);
            } catch (IllegalStateException e) {
                return Uni.createFrom()
                        .item(new TestOutcome(false, null, "The webhook's secret could not be decrypted."));
            }
            return sender.attempt(
                            w.url, secret, UUID.randomUUID(), Instant.now().getEpochSecond(), payload)
                    .map(r -> new TestOutcome(r.delivered(), r.status(), r.error()));
        });
    }

    /** One webhook's deliveries, newest first; {@code state} (pending, delivering, delivered, failed) filters. */
    public Uni<ResultPage<WebhookDeliveries.View>> deliveries(
            String webhookId, String state, int maxResults, String pageToken) {
        if (maxResults < 1 || maxResults > MAX_LIST_RESULTS) {
            throw ApiException.invalidParameter("Invalid value for max_results. It must be between 1 and "
                    + MAX_LIST_RESULTS + ", but got " + maxResults);
        }
        if (state != null && !DELIVERY_STATES.contains(state)) {
            throw ApiException.invalidParameter("Invalid delivery state '" + state + "'.");
        }
        long offset = PageToken.decodeOffset(pageToken);
        return get(webhookId)
                .flatMap(w -> deliveries.list(w.id, state, offset, maxResults + 1))
                .map(found -> {
                    boolean more = found.size() > maxResults;
                    return new ResultPage<>(
                            more ? found.subList(0, maxResults) : found,
                            more ? PageToken.encode(offset + maxResults) : null);
                });
    }
}
