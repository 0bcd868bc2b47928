package dev.skein.artifacts.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.minio.credentials.ChainedProvider;
import io.minio.credentials.StaticProvider;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ObjectStoreCredentialsTest {

    @Test
    void shouldUseConfiguredKeysOrElseTheAwsDefaultChain() {
        assertThat(ObjectStore.credentials(Optional.of("key"), Optional.of("secret")))
                .isInstanceOf(StaticProvider.class);
        assertThat(ObjectStore.credentials(Optional.empty(), Optional.empty())).isInstanceOf(ChainedProvider.class);
        assertThat(ObjectStore.credentials(Optional.of(""), Optional.of(" "))).isInstanceOf(ChainedProvider.class);
        assertThatThrownBy(() -> ObjectStore.credentials(Optional.of("key"), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("secret-key");
    }
}
