package dev.skein.registry.webhook;

import dev.skein.common.error.ApiException;
import dev.skein.registry.config.RegistryConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts webhook secrets at rest with AES-GCM. Keys come from {@code
 * skein.registry.webhooks.secret-keys} as {@code id:base64key}, comma separated: the first
 * encrypts, every one decrypts, so a key is rotated by putting a new one first and keeping the
 * old one until the service has re-encrypted every secret (it does so at start). The webhook's id
 * is the associated data: a ciphertext copied onto another webhook does not decrypt.
 */
@ApplicationScoped
public class SecretCipher {

    /** A sealed secret: which key, the 12-byte nonce, ciphertext with its 16-byte tag. */
    public record Sealed(String keyId, byte[] nonce, byte[] ciphertext) {}

    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final Map<String, SecretKey> keys = new LinkedHashMap<>();
    private final String currentKeyId;
    private final SecureRandom random = new SecureRandom();

    @Inject
    public SecretCipher(RegistryConfig config) {
        this(config.webhooks().secretKeys().orElse(List.of()));
    }

    public SecretCipher(List<String> keySpecs) {
        String first = null;
        for (String spec : keySpecs) {
            String s = spec.trim();
            if (s.isEmpty()) {
                continue;
            }
            int colon = s.indexOf(':');
            String id = colon < 0 ? "" : s.substring(0, colon);
            if (!KEY_ID.matcher(id).matches()) {
                throw new IllegalArgumentException("skein.registry.webhooks.secret-keys: each key must be written"
                        + " id:base64key, the id of letters, digits, '_', '.' or '-'");
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(s.substring(colon + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "skein.registry.webhooks.secret-keys: the key '" + id + "' is not valid base64");
            }
            if (key.length != 16 && key.length != 24 && key.length != 32) {
                throw new IllegalArgumentException("skein.registry.webhooks.secret-keys: the key '" + id
                        + "' must be 16, 24 or 32 bytes (AES-128/192/256), not " + key.length);
            }
            if (keys.put(id, new SecretKeySpec(key, "AES")) != null) {
                throw new IllegalArgumentException(
                        "skein.registry.webhooks.secret-keys: the key id '" + id + "' is given twice");
            }
            if (first == null) {
                first = id;
            }
        }
        this.currentKeyId = first;
    }

    public boolean configured() {
        return currentKeyId != null;
    }

    /** The id of the key new secrets are encrypted with; null without keys. */
    public String currentKeyId() {
        return currentKeyId;
    }

    public boolean knows(String keyId) {
        return keys.containsKey(keyId);
    }

    /** INVALID_STATE, in words for the user and the operator, when no key is configured. */
    public void requireKey() {
        if (currentKeyId == null) {
            throw ApiException.invalidState("Webhook secrets cannot be stored: no encryption key is configured"
                    + " (skein.registry.webhooks.secret-keys). Ask the operator to set one, or create the webhook"
                    + " without a secret.");
        }
    }

    /** Encrypts with the current key; INVALID_STATE when no key is configured. */
    public Sealed seal(UUID webhookId, String secret) {
        requireKey();
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, keys.get(currentKeyId), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad(webhookId));
            return new Sealed(currentKeyId, nonce, c.doFinal(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** Decrypts; fails when the key is unknown or the stored bytes were changed. */
    public String open(UUID webhookId, Sealed sealed) {
        SecretKey key = keys.get(sealed.keyId());
        if (key == null) {
            throw new IllegalStateException("Webhook " + webhookId + ": its secret is encrypted with the key '"
                    + sealed.keyId() + "', which is not among skein.registry.webhooks.secret-keys");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed.nonce()));
            c.updateAAD(aad(webhookId));
            return new String(c.doFinal(sealed.ciphertext()), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Webhook " + webhookId + ": its secret does not decrypt (altered, or"
                    + " encrypted for another webhook)");
        }
    }

    private static byte[] aad(UUID webhookId) {
        return ("skein-webhook-secret:" + webhookId).getBytes(StandardCharsets.UTF_8);
    }
}
