package dev.skein.registry.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.skein.common.error.ApiException;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SSRF policy, address by address and spelling by spelling; no DNS is involved. */
class UrlGuardTest {

    private static final List<String> DENIED_HOSTS =
            List.of("tracking-service", "localhost", "metadata.google.internal");
    private static final List<Integer> DENIED_PORTS = List.of(8080, 5432);

    private final UrlGuard guard = new UrlGuard(List.of(), DENIED_HOSTS, DENIED_PORTS);

    private static UrlGuard.Resolver answering(String... addresses) {
        return host -> {
            InetAddress[] out = new InetAddress[addresses.length];
            for (int i = 0; i < addresses.length; i++) {
                out[i] = InetAddress.getByName(addresses[i]);
            }
            return out;
        };
    }

    private static String refusal(UrlGuard guard, String url, UrlGuard.Resolver resolver) {
        ApiException e = catchThrowableOfType(ApiException.class, () -> guard.resolve(guard.parse(url), resolver));
        assertThat(e).as("%s must be refused", url).isNotNull();
        assertThat(e.getMessage()).startsWith("Invalid webhook URL");
        return e.getMessage();
    }

    @Test
    void shouldRefuseEveryPortOfTheCataloguesServicesBesidesTheConfiguredOnes() {
        UrlGuard open = new UrlGuard(List.of("127.0.0.1/32"), DENIED_HOSTS, UrlGuard.withSuitePorts(List.of(5432)));
        // tracking's HTTP port, the gateway's management port, and a configured one
        for (String url : List.of("http://127.0.0.1:8081/h", "http://127.0.0.1:9080/h", "http://127.0.0.1:5432/h")) {
            assertThat(refusal(open, url, answering("127.0.0.1"))).contains("platform's own services");
        }
        assertThatCode(() -> open.resolve(open.parse("http://127.0.0.1:18999/h"), answering("127.0.0.1")))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldRefusePrivateLoopbackLinkLocalAndReservedIpv4Literals() {
        for (String host : List.of(
                "0.0.0.0",
                "0.1.2.3",
                "10.0.0.1",
                "10.255.255.255",
                "100.64.0.1",
                "100.127.255.254",
                "127.0.0.1",
                "127.8.9.10",
                "169.254.1.1",
                "172.16.0.1",
                "172.31.255.255",
                "192.168.1.1",
                "192.0.0.8",
                "198.18.0.1",
                "224.0.0.1",
                "240.0.0.1",
                "255.255.255.255")) {
            assertThat(refusal(guard, "http://" + host + "/hook", answering()))
                    .as(host)
                    .contains("private, loopback, link-local or reserved");
        }
    }

    @Test
    void shouldRefuseIpv6LoopbackUlaLinkLocalAndEmbeddedPrivateIpv4() {
        for (String host : List.of(
                "::1",
                "::",
                "fc00::1",
                "fd12:3456::1",
                "fe80::1",
                "febf::1",
                "ff02::1",
                "::ffff:127.0.0.1",
                "::ffff:10.1.2.3",
                "::ffff:7f00:1",
                "::127.0.0.1",
                "::10.0.0.1",
                "64:ff9b::a00:1",
                "2002:c0a8:101::1",
                "64:ff9b:1::a00:5",
                "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                "0:0:0:0:0:ffff:192.168.0.1")) {
            assertThat(refusal(guard, "http://[" + host + "]/hook", answering()))
                    .as(host)
                    .contains("address");
        }
    }

    @Test
    void shouldNeverRepeatTheSecretPartsOfARefusedUrl() {
        String message = refusal(
                guard, "https://10.0.0.7:8443/services/T0001/B0002/s3cr3t-path?token=s3cr3t-query", answering());
        assertThat(message).contains("https://10.0.0.7:8443/").doesNotContain("s3cr3t");
    }

    @Test
    void shouldRefuseCloudMetadataAddressesEvenWhenAllowListed() {
        UrlGuard open = new UrlGuard(List.of("0.0.0.0/0", "::/0", "metadata.example"), DENIED_HOSTS, DENIED_PORTS);
        for (String host : List.of(
                "169.254.169.254",
                "169.254.170.2",
                "100.100.100.200",
                "192.0.0.192",
                "168.63.129.16",
                "[fd00:ec2::254]",
                "[fd20:ce::254]",
                "[::ffff:169.254.169.254]",
                "[::ffff:a9fe:a9fe]")) {
            assertThat(refusal(open, "http://" + host + "/latest/meta-data/", answering()))
                    .as(host)
                    .contains("cloud metadata");
        }
        assertThat(refusal(open, "http://metadata.example/", answering("169.254.169.254")))
                .contains("cloud metadata");
        assertThat(refusal(guard, "http://metadata.google.internal/computeMetadata/v1/", answering("8.8.8.8")))
                .contains("metadata endpoint");
    }

    @Test
    void shouldRefuseIpv4LiteralsInAnyOtherSpelling() {
        for (String host : List.of(
                "2130706433", // 127.0.0.1 as one decimal number
                "0x7f000001", // as hex
                "017700000001", // as octal
                "0x7f.1",
                "127.1",
                "127.0.1",
                "0177.0.0.1",
                "0x7f.0.0.1",
                "127.000.000.001",
                "010.0.0.1",
                "3232235777", // 192.168.1.1
                "0xa9.0xfe.0xa9.0xfe", // 169.254.169.254
                "134744072", // 8.8.8.8: even a public address, in such a spelling, is refused
                "1.2.3.4.5",
                "example.123")) {
            assertThat(catchThrowableOfType(ApiException.class, () -> guard.parse("http://" + host + "/hook")))
                    .as(host)
                    .isNotNull();
        }
    }

    @Test
    void shouldCheckEveryResolvedAddressOfAName() {
        assertThat(refusal(guard, "https://hooks.example.com/x", answering("93.184.216.34", "10.0.0.5")))
                .contains("private");
        assertThat(refusal(guard, "https://hooks.example.com/x", answering("::1")))
                .contains("private");
        assertThat(guard.resolve(guard.parse("https://hooks.example.com/x"), answering("93.184.216.34")))
                .extracting(InetAddress::getHostAddress)
                .containsExactly("93.184.216.34");
    }

    @Test
    void shouldRefuseOwnServicesOtherSchemesAndBrokenUrls() {
        for (String url : List.of(
                "http://tracking-service:8081/",
                "http://tracking-service.skein.svc.cluster.local/",
                "http://localhost/",
                "http://app.localhost/",
                "ftp://example.com/hook",
                "file:///etc/passwd",
                "not a url",
                "http:///nohost",
                "http://[fe80::1%25eth0]/hook")) {
            assertThat(catchThrowableOfType(ApiException.class, () -> guard.parse(url)))
                    .as(url)
                    .isNotNull();
        }
    }

    @Test
    void shouldOpenOnlyWhatTheAllowListNamesAndKeepThePlatformsPortsClosed() {
        UrlGuard allowing =
                new UrlGuard(List.of("127.0.0.1/32", "10.20.0.0/16", "hooks.corp"), DENIED_HOSTS, DENIED_PORTS);
        assertThatCode(() -> allowing.resolve(allowing.parse("http://127.0.0.1:9999/hook"), answering()))
                .doesNotThrowAnyException();
        assertThatCode(() -> allowing.resolve(allowing.parse("http://10.20.3.4/hook"), answering()))
                .doesNotThrowAnyException();
        assertThatCode(() -> allowing.resolve(allowing.parse("http://hooks.corp/hook"), answering("192.168.7.7")))
                .doesNotThrowAnyException();
        assertThat(refusal(allowing, "http://10.21.0.1/hook", answering())).contains("private");
        assertThat(refusal(allowing, "http://127.0.0.2/hook", answering())).contains("private");
        assertThat(refusal(allowing, "http://other.corp/hook", answering("192.168.7.7")))
                .contains("private");
        assertThat(refusal(allowing, "http://127.0.0.1:8080/api/2.0/mlflow/experiments/create", answering()))
                .contains("platform's own services");
    }

    @Test
    void shouldAcceptPublicAddresses() {
        for (String url : List.of(
                "https://8.8.8.8/hook", "http://93.184.216.34:8443/a?b=c", "https://[2606:4700:4700::1111]/hook")) {
            assertThatCode(() -> guard.resolve(guard.parse(url), answering()))
                    .as(url)
                    .doesNotThrowAnyException();
        }
        UrlGuard.Destination d = guard.parse("https://hooks.example.com/path/x?y=1");
        assertThat(d.host()).isEqualTo("hooks.example.com");
        assertThat(d.port()).isEqualTo(443);
        assertThat(d.https()).isTrue();
        assertThat(d.requestUri()).isEqualTo("/path/x?y=1");
    }
}
