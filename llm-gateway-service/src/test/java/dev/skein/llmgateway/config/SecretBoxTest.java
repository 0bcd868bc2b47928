package dev.skein.llmgateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretBoxTest {

    static final String KEY = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
    static final String OTHER = Base64.getEncoder().encodeToString("fedcba9876543210fedcba9876543210".getBytes());

    @Test
    void whatIsSealedOpensOnlyForItsOwnSecretAndKey() {
        SecretBox box = SecretBox.of(KEY, List.of());
        byte[] plain = "{\"api_key\":\"sk-1\"}".getBytes(StandardCharsets.UTF_8);
        SecretBox.Sealed sealed = box.seal("id1", "name1", plain);
        assertThat(box.open("id1", "name1", sealed)).isEqualTo(plain);
        // moved to another row, or renamed: it does not open
        assertThatThrownBy(() -> box.open("id2", "name1", sealed)).isInstanceOf(SecretBox.CannotOpen.class);
        assertThatThrownBy(() -> box.open("id1", "name2", sealed)).isInstanceOf(SecretBox.CannotOpen.class);
        // altered: it does not open
        byte[] altered = sealed.ciphertext().clone();
        altered[altered.length - 1] ^= 1;
        assertThatThrownBy(() ->
                        box.open("id1", "name1", new SecretBox.Sealed(sealed.kekId(), sealed.wrappedKey(), altered)))
                .isInstanceOf(SecretBox.CannotOpen.class);
        // sealed twice, never the same bytes (a fresh data key and nonce each time)
        assertThat(box.seal("id1", "name1", plain).ciphertext()).isNotEqualTo(sealed.ciphertext());
    }

    @Test
    void afterARotationTheEarlierKeyStillOpensWhatItSealed() {
        SecretBox before = SecretBox.of(KEY, List.of());
        SecretBox.Sealed sealed = before.seal("id", "n", new byte[] {1, 2, 3});
        SecretBox after = SecretBox.of(OTHER, List.of(KEY));
        assertThat(after.stale(sealed.kekId())).isTrue();
        assertThat(after.open("id", "n", sealed)).containsExactly(1, 2, 3);
        SecretBox without = SecretBox.of(OTHER, List.of());
        assertThatThrownBy(() -> without.open("id", "n", sealed))
                .isInstanceOf(SecretBox.CannotOpen.class)
                .hasMessageContaining("previous-secrets-keys");
    }

    @Test
    void aKeyThatIsNot32BytesOfBase64IsRefusedByName() {
        assertThatThrownBy(() -> SecretBox.of("short", List.of()))
                .hasMessageContaining("skein.llm-gateway.store.secrets-key");
        assertThatThrownBy(() -> SecretBox.of(Base64.getEncoder().encodeToString(new byte[16]), List.of()))
                .hasMessageContaining("32 bytes");
    }
}
