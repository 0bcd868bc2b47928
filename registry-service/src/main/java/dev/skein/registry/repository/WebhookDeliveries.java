package dev.skein.registry.repository;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The table of webhook deliveries ({@code registry.webhook_deliveries}): one row per (event,
 * webhook), a small state machine {@code pending → delivering → delivered | failed}, with
 * {@code delivering → pending} between attempts. Rows are claimed with {@code FOR UPDATE SKIP
 * LOCKED} and a lease, so several replicas share the work without sending a row twice at once; an
 * attempt's outcome is written only by the claim that made it (the attempt count is its token).
 */
@ApplicationScoped
public class WebhookDeliveries {

    public static final String PENDING = "pending";
    public static final String DELIVERING = "delivering";
    public static final String DELIVERED = "delivered";
    public static final String FAILED = "failed";

    /** A delivery claimed for an attempt, with what is needed to make it. */
    public record Claimed(
            UUID eventId,
            UUID webhookId,
            UUID deliveryId,
            int attempt,
            String payload,
            String url,
            String webhookStatus,
            String secretKeyId,
            byte[] secretNonce,
            byte[] secretCiphertext) {}

    /** A delivery as ListWebhookDeliveries shows it. */
    public record View(
            UUID deliveryId,
            UUID webhookId,
            UUID eventId,
            String eventName,
            String state,
            int attempts,
            Integer lastStatusCode,
            String lastError,
            long createdAt,
            long updatedAt,
            long nextAttemptAt) {}

    private static final String DUE = "d.state IN ('pending', 'delivering') AND d.next_attempt_at <= $1"
            + " AND (d.state = 'pending' OR d.lease_until <= $1)";

    private final Pool pool;

    public WebhookDeliveries(Pool pool) {
        this.pool = pool;
    }

    /**
     * Records one pending delivery of an event for every active webhook subscribed to it that
     * existed when the change happened. Idempotent: a redelivered record adds nothing.
     */
    public Uni<Integer> record(UUID eventId, String eventName, String payload, long changeTime, long now) {
        return pool.preparedQuery("INSERT INTO registry.webhook_deliveries (event_id, webhook_id, delivery_id,"
                        + " event_name, payload, state, attempts, next_attempt_at, created_at, updated_at)"
                        + " SELECT $1, w.webhook_id, gen_random_uuid(), $2, $3, 'pending', 0, $5, $5, $5"
                        + " FROM registry.webhooks w"
                        + " WHERE w.status = 'ACTIVE' AND $2 = ANY(string_to_array(w.events, ','))"
                        + " AND w.creation_time <= $4"
                        + " ON CONFLICT (event_id, webhook_id) DO NOTHING")
                .execute(Tuple.of(eventId, eventName, payload, changeTime, now))
                .map(rows -> rows.rowCount());
    }

    /**
     * Claims up to {@code limit} due deliveries for an attempt, at most {@code perWebhook} in flight
     * per webhook (those other claims hold count too), oldest due first.
     */
    public Uni<List<Claimed>> claim(long now, long leaseUntil, int perWebhook, int limit) {
        String sql = "WITH busy AS ("
                + "  SELECT webhook_id, count(*) AS n FROM registry.webhook_deliveries"
                + "   WHERE state = 'delivering' AND lease_until > $1 GROUP BY webhook_id),"
                + " ranked AS ("
                + "  SELECT d.event_id, d.webhook_id, d.next_attempt_at,"
                + "         row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.created_at)"
                + "           + coalesce(b.n, 0) AS slot"
                + "    FROM registry.webhook_deliveries d LEFT JOIN busy b ON b.webhook_id = d.webhook_id"
                + "   WHERE " + DUE + "),"
                + " picked AS ("
                + "  SELECT d.event_id, d.webhook_id FROM registry.webhook_deliveries d"
                + "    JOIN (SELECT event_id, webhook_id FROM ranked WHERE slot <= $2"
                + "          ORDER BY next_attempt_at LIMIT $3) r"
                + "      ON d.event_id = r.event_id AND d.webhook_id = r.webhook_id"
                + "   WHERE " + DUE
                + "   FOR UPDATE OF d SKIP LOCKED)"
                + " UPDATE registry.webhook_deliveries d"
                + "    SET state = 'delivering', attempts = d.attempts + 1, lease_until = $4, updated_at = $1"
                + "   FROM picked p, registry.webhooks w"
                + "  WHERE d.event_id = p.event_id AND d.webhook_id = p.webhook_id AND w.webhook_id = d.webhook_id"
                + " RETURNING d.event_id, d.webhook_id, d.delivery_id, d.attempts, d.payload, w.url, w.status,"
                + "   w.secret_key_id, w.secret_nonce, w.secret_ciphertext";
        return pool.preparedQuery(sql)
                .execute(Tuple.of(now, (long) perWebhook, (long) limit, leaseUntil))
                .map(rows -> {
                    List<Claimed> claimed = new ArrayList<>();
                    for (Row r : rows) {
                        claimed.add(new Claimed(
                                r.getUUID("event_id"),
                                r.getUUID("webhook_id"),
                                r.getUUID("delivery_id"),
                                r.getInteger("attempts"),
                                r.getString("payload"),
                                r.getString("url"),
                                r.getString("status"),
                                r.getString("secret_key_id"),
                                bytes(r, "secret_nonce"),
                                bytes(r, "secret_ciphertext")));
                    }
                    return claimed;
                });
    }

    private static byte[] bytes(Row r, String column) {
        var buffer = r.getBuffer(column);
        return buffer == null ? null : buffer.getBytes();
    }

    /**
     * Writes an attempt's outcome: {@code state} is delivered, failed, or pending again (due at
     * {@code nextAttemptAt}). Nothing happens if the claim was lost meanwhile (its lease ran out and
     * another claim took the row).
     */
    public Uni<Boolean> finish(
            Claimed c, String state, Integer statusCode, String error, long nextAttemptAt, long now) {
        return pool.preparedQuery("UPDATE registry.webhook_deliveries SET state = $1, last_status_code = $2,"
                        + " last_error = $3, next_attempt_at = $4, lease_until = NULL, updated_at = $5"
                        + " WHERE event_id = $6 AND webhook_id = $7 AND attempts = $8 AND state = 'delivering'")
                .execute(Tuple.from(new Object[] {
                    state, statusCode, error, nextAttemptAt, now, c.eventId(), c.webhookId(), c.attempt()
                }))
                .map(rows -> rows.rowCount() == 1);
    }

    /** One webhook's deliveries, newest first, optionally in one state; one more than asked for paging. */
    public Uni<List<View>> list(UUID webhookId, String state, long offset, int limit) {
        return pool.preparedQuery("SELECT delivery_id, webhook_id, event_id, event_name, state, attempts,"
                        + " last_status_code, last_error, created_at, updated_at, next_attempt_at"
                        + " FROM registry.webhook_deliveries WHERE webhook_id = $1 AND ($2::text IS NULL OR state = $2)"
                        + " ORDER BY created_at DESC, event_id OFFSET $3 LIMIT $4")
                .execute(Tuple.of(webhookId, state, offset, (long) limit))
                .map(rows -> {
                    List<View> views = new ArrayList<>();
                    for (Row r : rows) {
                        views.add(new View(
                                r.getUUID("delivery_id"),
                                r.getUUID("webhook_id"),
                                r.getUUID("event_id"),
                                r.getString("event_name"),
                                r.getString("state"),
                                r.getInteger("attempts"),
                                r.getInteger("last_status_code"),
                                r.getString("last_error"),
                                r.getLong("created_at"),
                                r.getLong("updated_at"),
                                r.getLong("next_attempt_at")));
                    }
                    return views;
                });
    }
}
