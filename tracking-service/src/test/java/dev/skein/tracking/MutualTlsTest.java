package dev.skein.tracking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * mTLS where configured (common/README.md#internal-trust): with Quarkus' TLS settings alone, the
 * service speaks only TLS and only to clients with a certificate from the configured CA; the
 * internal credential is still required on top.
 */
@QuarkusTest
@TestProfile(MutualTlsTest.MutualTls.class)
class MutualTlsTest {

    static final int PORT = 18291;

    /** The service and its own client configured as the README says; a CA and one certificate made for the run. */
    public static class MutualTls implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path dir = Certificates.make();
            String ca = dir.resolve("ca.crt").toString();
            String crt = dir.resolve("tls.crt").toString();
            String key = dir.resolve("tls.key").toString();
            return Map.ofEntries(
                    Map.entry("quarkus.tls.key-store.pem.0.cert", crt),
                    Map.entry("quarkus.tls.key-store.pem.0.key", key),
                    Map.entry("quarkus.tls.trust-store.pem.certs", ca),
                    Map.entry("quarkus.http.ssl.client-auth", "required"),
                    Map.entry("quarkus.http.insecure-requests", "disabled"),
                    Map.entry("quarkus.http.test-ssl-port", Integer.toString(PORT)),
                    Map.entry("quarkus.grpc.clients.tracking.port", Integer.toString(PORT)),
                    Map.entry("quarkus.grpc.clients.tracking.ssl.trust-store", ca),
                    Map.entry("quarkus.grpc.clients.tracking.ssl.certificate", crt),
                    Map.entry("quarkus.grpc.clients.tracking.ssl.key", key),
                    Map.entry("skein.test.tls-dir", dir.toString()));
        }
    }

    /** A throwaway CA and a certificate it signed for 127.0.0.1, server and client use, with openssl. */
    static final class Certificates {
        static Path make() {
            try {
                Path dir = Files.createTempDirectory("skein-mtls");
                run(
                        dir,
                        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=skein-test-ca"
                                + " -keyout ca.key -out ca.crt");
                run(dir, "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout tls.key -out tls.csr");
                Files.writeString(
                        dir.resolve("ext.cnf"),
                        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
                run(
                        dir,
                        "openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2"
                                + " -extfile ext.cnf -out tls.crt");
                return dir;
            } catch (IOException e) {
                throw new IllegalStateException("cannot make test certificates", e);
            }
        }

        private static void run(Path dir, String commandLine) throws IOException {
            String[] command = commandLine.split(" ");
            Process p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes());
            try {
                if (p.waitFor() != 0) {
                    throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    private static Path tls(String file) {
        return Path.of(ConfigProvider.getConfig().getValue("skein.test.tls-dir", String.class), file);
    }

    private static String token() {
        return ConfigProvider.getConfig().getValue("skein.internal.token", String.class);
    }

    private static CreateExperiment newExperiment() {
        return CreateExperiment.newBuilder()
                .setName("mtls-" + UUID.randomUUID())
                .build();
    }

    /** What a call on this channel, with the internal credential, ends with. */
    private static Status.Code withCredential(ManagedChannel channel) throws InterruptedException {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token());
        try {
            TrackingServiceGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .withDeadlineAfter(20, TimeUnit.SECONDS)
                    .createExperiment(newExperiment());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static ManagedChannel tlsChannel(
            Function<io.netty.handler.ssl.SslContextBuilder, io.netty.handler.ssl.SslContextBuilder> client)
            throws IOException {
        var ssl = client.apply(
                GrpcSslContexts.forClient().trustManager(tls("ca.crt").toFile()));
        return NettyChannelBuilder.forAddress("127.0.0.1", PORT)
                .sslContext(ssl.build())
                .build();
    }

    @Test
    void shouldServeAClientWithACertificateAndTheCredential() {
        assertThat(tracking.createExperiment(newExperiment()).getExperimentId()).isNotBlank();
    }

    @Test
    void shouldRefuseAClientWithoutACertificateEvenWithTheCredential() throws Exception {
        // refused in the TLS handshake: the call never reaches the credential check
        assertThat(withCredential(tlsChannel(Function.identity())))
                .isNotIn(Status.Code.OK, Status.Code.UNAUTHENTICATED);
        assertThat(withCredential(ManagedChannelBuilder.forAddress("127.0.0.1", PORT)
                        .usePlaintext()
                        .build()))
                .as("plain text")
                .isNotIn(Status.Code.OK, Status.Code.UNAUTHENTICATED);
    }

    @Test
    void shouldStillRequireTheCredentialOverMutualTls() throws Exception {
        ManagedChannel channel = tlsChannel(
                b -> b.keyManager(tls("tls.crt").toFile(), tls("tls.key").toFile()));
        try {
            StatusRuntimeException e = catchThrowableOfType(
                    StatusRuntimeException.class,
                    () -> TrackingServiceGrpc.newBlockingStub(channel).createExperiment(newExperiment()));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
