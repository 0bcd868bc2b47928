package dev.skein.artifacts.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MinioAsyncClient;
import io.minio.credentials.StaticProvider;
import io.minio.http.Method;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * skein.artifacts.s3.path-style: the address a presigned URL (and every request) uses. Presigning is
 * local computation with the region given, so no server is involved.
 */
class ObjectStoreAddressingTest {

    private static URI presigned(String endpoint, Optional<Boolean> pathStyle) throws Exception {
        MinioAsyncClient c = ObjectStore.client(endpoint, new StaticProvider("ak", "sk", null), "eu-west-1", pathStyle);
        return URI.create(c.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                .method(Method.GET)
                .bucket("artifacts")
                .object("1/run/a.txt")
                .build()));
    }

    @Test
    void shouldAddressTheBucketInThePathWhenAskedEvenOnAws() throws Exception {
        URI u = presigned("https://s3.eu-west-1.amazonaws.com", Optional.of(true));
        assertThat(u.getHost()).isEqualTo("s3.eu-west-1.amazonaws.com");
        assertThat(u.getPath()).isEqualTo("/artifacts/1/run/a.txt");
    }

    @Test
    void shouldAddressTheBucketInTheHostWhenPathStyleIsOff() throws Exception {
        URI u = presigned("https://objects.example.com", Optional.of(false));
        assertThat(u.getHost()).isEqualTo("artifacts.objects.example.com");
        assertThat(u.getPath()).isEqualTo("/1/run/a.txt");
    }

    @Test
    void shouldLeaveTheChoiceToTheSdkWhenUnset() throws Exception {
        assertThat(presigned("http://minio.example.com:9000", Optional.empty()).getPath())
                .isEqualTo("/artifacts/1/run/a.txt");
        assertThat(presigned("https://s3.eu-west-1.amazonaws.com", Optional.empty())
                        .getHost())
                .isEqualTo("artifacts.s3.eu-west-1.amazonaws.com");
    }
}
