package dev.skein.common.actor;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import org.junit.jupiter.api.Test;

/** User names of any script travel in the ASCII-only gRPC header and arrive unchanged. */
class ActorsTest {

    @Test
    void anyUserNameCrossesTheHeaderUnchanged() {
        for (String name :
                new String[] {"ana", "José Núñez", "李雷", "k8s:system:serviceaccount:ml:ci", "100% <ok> \"q\"", ""}) {
            Metadata headers = new Metadata();
            headers.put(Actors.METADATA, name);
            String onTheWire = headers.get(Metadata.Key.of("skein-actor", Metadata.ASCII_STRING_MARSHALLER));
            assertThat(onTheWire.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
            assertThat(headers.get(Actors.METADATA)).isEqualTo(name);
        }
    }

    @Test
    void aPlainNameIsSentAsItIs() {
        Metadata headers = new Metadata();
        headers.put(Actors.METADATA, "ana-1");
        assertThat(headers.get(Metadata.Key.of("skein-actor", Metadata.ASCII_STRING_MARSHALLER)))
                .isEqualTo("ana-1");
        assertThat(Actors.known("ana-1")).isEqualTo("ana-1");
        assertThat(Actors.known(Actors.UNKNOWN)).isNull();
    }
}
