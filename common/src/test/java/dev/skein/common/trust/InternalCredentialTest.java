package dev.skein.common.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What an operator sees when the credential is missing or weak, and how rotation is accepted. */
class InternalCredentialTest {

    private static final String CURRENT = "current-credential-0123456789";
    private static final String NEXT = "next-credential-9876543210";

    private static InternalConfig config(String token, String... accepted) {
        return new InternalConfig() {
            @Override
            public Optional<String> token() {
                return Optional.ofNullable(token);
            }

            @Override
            public Optional<List<String>> acceptedTokens() {
                return accepted.length == 0 ? Optional.empty() : Optional.of(List.of(accepted));
            }
        };
    }

    private static Metadata bearer(String token) {
        Metadata headers = new Metadata();
        headers.put(InternalCredential.AUTHORIZATION, "Bearer " + token);
        return headers;
    }

    @Test
    void shouldRefuseToStartWithoutACredential() {
        assertThatThrownBy(() -> new InternalCredential(config(null)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SKEIN_INTERNAL_TOKEN")
                .hasMessageContaining("not set");
    }

    @Test
    void shouldRefuseToStartWithAShortCredential() {
        assertThatThrownBy(() -> new InternalCredential(config("short-secret")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least 16 characters");
        assertThatThrownBy(() -> new InternalCredential(config(CURRENT, "tiny")))
                .hasMessageContaining("accepted-tokens");
    }

    @Test
    void shouldAcceptTheCurrentAndTheRotatedCredentialsOnly() {
        InternalCredential credential = new InternalCredential(config(CURRENT, NEXT));

        assertThat(credential.header()).isEqualTo("Bearer " + CURRENT);
        assertThat(credential.accepts(bearer(CURRENT))).isTrue();
        assertThat(credential.accepts(bearer(NEXT))).isTrue();
        assertThat(credential.accepts(bearer("other-credential-0123456789"))).isFalse();
        assertThat(credential.accepts(new Metadata())).isFalse();
        // the same check on an HTTP Authorization header (llm-gateway-service's routes)
        assertThat(credential.accepts("Bearer " + NEXT)).isTrue();
        assertThat(credential.accepts("Bearer other-credential-0123456789")).isFalse();
        assertThat(credential.accepts("Basic " + CURRENT)).isFalse();
        assertThat(credential.accepts((String) null)).isFalse();
        assertThat(new InternalCredential(config(NEXT)).accepts(bearer(CURRENT)))
                .as("once the old one is dropped")
                .isFalse();
    }
}
