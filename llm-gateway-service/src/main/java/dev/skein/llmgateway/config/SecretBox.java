package dev.skein.llmgateway.config;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Envelope encryption of stored secrets, as MLflow's gateway keeps them: each secret's values are sealed with a
 * data key of their own (AES-256-GCM), and that data key with the configured key-encryption key; both bind the
 * secret's id and name as additional data, so a sealed value moved to another row no longer opens. The KEK is
 * named by a digest of itself ({@link #kekId}), so that earlier keys still open what they sealed after a rotation.
 * Nothing here is logged; {@link #toString()} names no key.
 */
public final class SecretBox {

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What is stored: which KEK wrapped the data key, the wrapped data key, the sealed values. */
    public record Sealed(String kekId, byte[] wrappedKey, byte[] ciphertext) {}

    /** A sealed value that cannot be opened: unknown or wrong key, or data that was altered or moved. */
    public static final class CannotOpen extends RuntimeException {
        CannotOpen(String message) {
            super(message, null, false, false);
        }
    }

    private final String currentId;
    private final SecretKeySpec current;
    private final Map<String, SecretKeySpec> keys;

    private SecretBox(String currentId, SecretKeySpec current, Map<String, SecretKeySpec> keys) {
        this.currentId = currentId;
        this.current = current;
        this.keys = keys;
    }

    /**
     * The box of the configured keys (base64 of 32 bytes each); throws {@link IllegalStateException} naming the
     * setting when one is not such a key.
     */
    public static SecretBox of(String key, List<String> previous) {
        Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
        SecretKeySpec current = decode(key, "skein.llm-gateway.store.secrets-key");
        String currentId = kekId(current.getEncoded());
        keys.put(currentId, current);
        for (String p : previous) {
            SecretKeySpec old = decode(p, "skein.llm-gateway.store.previous-secrets-keys");
            keys.putIfAbsent(kekId(old.getEncoded()), old);
        }
        return new SecretBox(currentId, current, Map.copyOf(keys));
    }

    private static SecretKeySpec decode(String base64, String setting) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(setting + " is not base64 (32 random bytes: openssl rand -base64 32)");
        }
        if (raw.length != 32) {
            throw new IllegalStateException(
                    setting + " must be 32 bytes (openssl rand -base64 32); it is " + raw.length + " bytes");
        }
        return new SecretKeySpec(raw, "AES");
    }

    /** A key's name: the first 8 bytes of its SHA-256, hex (it says which key, and nothing of it). */
    static String kekId(byte[] key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether a sealed value was wrapped by an earlier key than the current one. */
    public boolean stale(String kekId) {
        return !currentId.equals(kekId);
    }

    /** Seals {@code plaintext} for the secret {@code id} named {@code name}. */
    public Sealed seal(String id, String name, byte[] plaintext) {
        byte[] aad = aad(id, name);
        byte[] dek = new byte[32];
        RANDOM.nextBytes(dek);
        try {
            byte[] ciphertext = gcm(Cipher.ENCRYPT_MODE, new SecretKeySpec(dek, "AES"), aad, plaintext);
            byte[] wrapped = gcm(Cipher.ENCRYPT_MODE, current, aad, dek);
            return new Sealed(currentId, wrapped, ciphertext);
        } finally {
            Arrays.fill(dek, (byte) 0);
        }
    }

    /** Opens what {@link #seal} sealed for the same id and name. */
    public byte[] open(String id, String name, Sealed sealed) {
        SecretKeySpec kek = keys.get(sealed.kekId());
        if (kek == null) {
            throw new CannotOpen("the secret was sealed with a key-encryption key that is not configured (key "
                    + sealed.kekId() + "); set it in skein.llm-gateway.store.previous-secrets-keys");
        }
        byte[] aad = aad(id, name);
        byte[] dek = gcm(Cipher.DECRYPT_MODE, kek, aad, sealed.wrappedKey());
        try {
            return gcm(Cipher.DECRYPT_MODE, new SecretKeySpec(dek, "AES"), aad, sealed.ciphertext());
        } finally {
            Arrays.fill(dek, (byte) 0);
        }
    }

    private static byte[] aad(String id, String name) {
        byte[] i = id.getBytes(StandardCharsets.UTF_8);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        // length-prefixed: ("ab", "c") and ("a", "bc") bind differently
        return ByteBuffer.allocate(8 + i.length + n.length)
                .putInt(i.length)
                .put(i)
                .putInt(n.length)
                .put(n)
                .array();
    }

    /** AES-GCM: out = nonce || ciphertext+tag on encryption; in = the same on decryption. */
    private static byte[] gcm(int mode, SecretKeySpec key, byte[] aad, byte[] input) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            if (mode == Cipher.ENCRYPT_MODE) {
                byte[] nonce = new byte[NONCE_BYTES];
                RANDOM.nextBytes(nonce);
                cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
                cipher.updateAAD(aad);
                byte[] body = cipher.doFinal(input);
                byte[] out = new byte[NONCE_BYTES + body.length];
                System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
                System.arraycopy(body, 0, out, NONCE_BYTES, body.length);
                return out;
            }
            if (input.length < NONCE_BYTES + TAG_BITS / 8) {
                throw new CannotOpen("the sealed secret is truncated");
            }
            cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, input, 0, NONCE_BYTES));
            cipher.updateAAD(aad);
            return cipher.doFinal(input, NONCE_BYTES, input.length - NONCE_BYTES);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new CannotOpen("the sealed secret does not open with its key (altered, or moved from another row)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(
                    "AES-GCM is not available: " + e.getClass().getSimpleName());
        }
    }

    @Override
    public String toString() {
        return "SecretBox[" + keys.size() + " keys]";
    }
}
