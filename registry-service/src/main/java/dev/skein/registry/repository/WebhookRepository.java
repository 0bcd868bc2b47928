package dev.skein.registry.repository;

import dev.skein.registry.Webhook;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

@ApplicationScoped
public class WebhookRepository implements PanacheRepositoryBase<Webhook, UUID> {

    /** A webhook's stored secret: plaintext (written before encryption existed) or sealed. */
    public record StoredSecret(UUID webhookId, String plaintext, String keyId, byte[] nonce, byte[] ciphertext) {}

    private final Pool pool;

    public WebhookRepository(Pool pool) {
        this.pool = pool;
    }

    /** Secrets still in plaintext or encrypted with another key than {@code currentKeyId}. */
    public Uni<List<StoredSecret>> secretsNotUnder(String currentKeyId) {
        return pool.preparedQuery("SELECT webhook_id, secret, secret_key_id, secret_nonce, secret_ciphertext"
                        + " FROM registry.webhooks WHERE secret IS NOT NULL"
                        + " OR (secret_ciphertext IS NOT NULL AND secret_key_id IS DISTINCT FROM $1)")
                .execute(Tuple.of(currentKeyId))
                .map(rows -> {
                    List<StoredSecret> found = new ArrayList<>();
                    for (Row r : rows) {
                        Buffer nonce = r.getBuffer("secret_nonce");
                        Buffer ciphertext = r.getBuffer("secret_ciphertext");
                        found.add(new StoredSecret(
                                r.getUUID("webhook_id"),
                                r.getString("secret"),
                                r.getString("secret_key_id"),
                                nonce == null ? null : nonce.getBytes(),
                                ciphertext == null ? null : ciphertext.getBytes()));
                    }
                    return found;
                });
    }

    /** Replaces what was read (the SQL client takes Vert.x's own buffers as bytea parameters) with the secret sealed anew; the plaintext column is cleared. */
    public Uni<Boolean> replaceSecret(StoredSecret old, String keyId, byte[] nonce, byte[] ciphertext) {
        return pool.preparedQuery("UPDATE registry.webhooks SET secret = NULL, secret_key_id = $2,"
                        + " secret_nonce = $3, secret_ciphertext = $4 WHERE webhook_id = $1"
                        + " AND secret IS NOT DISTINCT FROM $5 AND secret_ciphertext IS NOT DISTINCT FROM $6")
                .execute(Tuple.from(new Object[] {
                    old.webhookId(),
                    keyId,
                    io.vertx.core.buffer.Buffer.buffer(nonce),
                    io.vertx.core.buffer.Buffer.buffer(ciphertext),
                    old.plaintext(),
                    old.ciphertext() == null ? null : io.vertx.core.buffer.Buffer.buffer(old.ciphertext())
                }))
                .map(rows -> rows.rowCount() == 1);
    }
}
