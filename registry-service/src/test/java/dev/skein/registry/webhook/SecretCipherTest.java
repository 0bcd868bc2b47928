package dev.skein.registry.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.error.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** AES-GCM sealing of webhook secrets: round trip, rotation, tampering, misconfiguration. */
class SecretCipherTest {

    private static String key(int fill) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) fill);
        return Base64.getEncoder().encodeToString(k);
    }

    private static final String OLD = "old:" + key(1);
    private static final String NEW = "new:" + key(2);

    @Test
    void shouldRoundTripWithoutTheSecretInTheStoredBytes() {
        SecretCipher cipher = new SecretCipher(List.of(OLD));
        UUID id = UUID.randomUUID();
        SecretCipher.Sealed sealed = cipher.seal(id, "my-signing-secret");
        assertThat(sealed.keyId()).isEqualTo("old");
        assertThat(sealed.nonce()).hasSize(12);
        assertThat(new String(sealed.ciphertext(), StandardCharsets.ISO_8859_1)).doesNotContain("my-signing-secret");
        assertThat(cipher.open(id, sealed)).isEqualTo("my-signing-secret");
        assertThat(cipher.seal(id, "my-signing-secret").nonce())
                .as("a fresh nonce each time")
                .isNotEqualTo(sealed.nonce());
    }

    @Test
    void shouldEncryptWithTheFirstKeyAndStillDecryptWithTheOthers() {
        UUID id = UUID.randomUUID();
        SecretCipher.Sealed underOld = new SecretCipher(List.of(OLD)).seal(id, "s");
        SecretCipher rotated = new SecretCipher(List.of(NEW, OLD));
        assertThat(rotated.currentKeyId()).isEqualTo("new");
        assertThat(rotated.open(id, underOld)).isEqualTo("s");
        assertThat(rotated.seal(id, "s").keyId()).isEqualTo("new");
        assertThatThrownBy(() -> new SecretCipher(List.of(NEW)).open(id, underOld))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'old'");
    }

    @Test
    void shouldRefuseAlteredCiphertextsNoncesAndSecretsOfAnotherWebhook() {
        SecretCipher cipher = new SecretCipher(List.of(OLD));
        UUID id = UUID.randomUUID();
        SecretCipher.Sealed sealed = cipher.seal(id, "secret");
        byte[] flipped = sealed.ciphertext().clone();
        flipped[0] ^= 1;
        assertThatThrownBy(() -> cipher.open(id, new SecretCipher.Sealed("old", sealed.nonce(), flipped)))
                .isInstanceOf(IllegalStateException.class);
        byte[] nonce = sealed.nonce().clone();
        nonce[3] ^= 1;
        assertThatThrownBy(() -> cipher.open(id, new SecretCipher.Sealed("old", nonce, sealed.ciphertext())))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> cipher.open(UUID.randomUUID(), sealed)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldRefuseToStoreSecretsWithoutAKeyAndRejectBadKeys() {
        SecretCipher none = new SecretCipher(List.of());
        assertThat(none.configured()).isFalse();
        assertThatThrownBy(() -> none.seal(UUID.randomUUID(), "s"))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("skein.registry.webhooks.secret-keys");
        assertThatThrownBy(() -> new SecretCipher(List.of("nokeyid"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() ->
                        new SecretCipher(List.of("k:" + Base64.getEncoder().encodeToString(new byte[10]))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("16, 24 or 32 bytes");
        assertThatThrownBy(() -> new SecretCipher(List.of("k:!!!"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SecretCipher(List.of(OLD, OLD))).isInstanceOf(IllegalArgumentException.class);
    }
}
