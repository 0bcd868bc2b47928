package dev.skein.registry.webhook;

import dev.skein.registry.repository.WebhookRepository;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * At start, brings every stored webhook secret under the current key: plaintext secrets (written
 * before encryption existed) and secrets sealed with an older key are sealed anew. The service
 * refuses to start when secrets exist that it could not use: no key configured, or a secret sealed
 * with a key no longer configured.
 */
@ApplicationScoped
public class SecretRotation {

    private static final Logger LOG = Logger.getLogger(SecretRotation.class);

    private final WebhookRepository webhooks;
    private final SecretCipher cipher;

    public SecretRotation(WebhookRepository webhooks, SecretCipher cipher) {
        this.webhooks = webhooks;
        this.cipher = cipher;
    }

    void onStart(@Observes StartupEvent start) {
        int changed = rotate();
        if (changed > 0) {
            LOG.infof("Webhook secrets: %d re-encrypted under the key '%s'", changed, cipher.currentKeyId());
        }
    }

    /** Re-encrypts what is not under the current key; the number of secrets changed. */
    public int rotate() {
        var stale = webhooks.secretsNotUnder(cipher.currentKeyId()).await().atMost(Duration.ofMinutes(1));
        if (stale.isEmpty()) {
            return 0;
        }
        if (!cipher.configured()) {
            throw new IllegalStateException(stale.size() + " webhook(s) have a secret but no key to encrypt it is"
                    + " configured: set skein.registry.webhooks.secret-keys (id:base64key) and start again");
        }
        int changed = 0;
        for (var s : stale) {
            String secret = s.plaintext() != null
                    ? s.plaintext()
                    : cipher.open(s.webhookId(), new SecretCipher.Sealed(s.keyId(), s.nonce(), s.ciphertext()));
            SecretCipher.Sealed sealed = cipher.seal(s.webhookId(), secret);
            if (webhooks.replaceSecret(s, sealed.keyId(), sealed.nonce(), sealed.ciphertext())
                    .await()
                    .atMost(Duration.ofMinutes(1))) {
                changed++;
            }
        }
        return changed;
    }
}
