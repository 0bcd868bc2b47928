package dev.skein.registry.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.registry.Receiver;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * One attempt against a real local receiver: the address checked is the address connected to,
 * redirects are not followed, and the receiver's words never come back.
 */
class WebhookSenderTest {

    private static final Vertx VERTX = Vertx.vertx();
    private static final UrlGuard GUARD = new UrlGuard(List.of("127.0.0.1/32"), List.of("localhost"), List.of(5432));
    private static final String PAYLOAD = "{\"entity\":\"model_version\",\"action\":\"created\",\"data\":{}}";

    @AfterAll
    static void close() {
        VERTX.close();
    }

    private static WebhookSender sender(UrlGuard.Resolver resolver) {
        return new WebhookSender(VERTX, GUARD, resolver, Duration.ofSeconds(5), Duration.ofSeconds(2), 8);
    }

    private static WebhookSender.Result attempt(WebhookSender sender, String url) {
        return sender.attempt(url, "secret", UUID.randomUUID(), 1_700_000_000L, PAYLOAD)
                .await()
                .atMost(Duration.ofSeconds(30));
    }

    @Test
    void shouldConnectToTheAddressItCheckedWithoutASecondLookup() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        // hooks.skein.invalid exists in no DNS: the request arrives only if the sender connects
        // to the address the guard checked, never resolving the name again.
        UrlGuard.Resolver resolver = host -> {
            lookups.incrementAndGet();
            return new InetAddress[] {InetAddress.getByName("127.0.0.1")};
        };
        try (Receiver receiver = new Receiver()) {
            WebhookSender.Result result =
                    attempt(sender(resolver), "http://hooks.skein.invalid:" + receiver.port() + "/hook?x=1");
            assertThat(result.delivered()).isTrue();
            assertThat(lookups).hasValue(1);
            Receiver.Request got = receiver.requests().get(0);
            assertThat(got.header("Host")).isEqualTo("hooks.skein.invalid:" + receiver.port());
            assertThat(got.body()).isEqualTo(PAYLOAD);
            assertThat(got.header("X-MLflow-Signature")).startsWith("v1,");
        }
    }

    @Test
    void shouldRefuseANameThatNowResolvesToAPrivateAddress() throws Exception {
        // DNS rebinding: the name pointed at an allowed address, and now at a private one.
        AtomicInteger lookups = new AtomicInteger();
        UrlGuard.Resolver rebinding = host ->
                new InetAddress[] {InetAddress.getByName(lookups.incrementAndGet() == 1 ? "127.0.0.1" : "10.0.0.7")};
        try (Receiver receiver = new Receiver()) {
            WebhookSender sender = sender(rebinding);
            String url = "http://rebind.skein.invalid:" + receiver.port() + "/hook";
            assertThat(attempt(sender, url).delivered()).isTrue();
            WebhookSender.Result second = attempt(sender, url);
            assertThat(second.delivered()).isFalse();
            assertThat(second.retryable()).isFalse();
            assertThat(second.error()).contains("private");
            assertThat(receiver.requests()).hasSize(1);
        }
        UrlGuard.Resolver mixed = host ->
                new InetAddress[] {InetAddress.getByName("127.0.0.1"), InetAddress.getByName("169.254.169.254")};
        WebhookSender.Result result = attempt(sender(mixed), "http://mixed.skein.invalid:9/hook");
        assertThat(result.error()).contains("metadata");
    }

    @Test
    void shouldNotFollowRedirectsNorRepeatTheReceiversBody() throws Exception {
        try (Receiver target = new Receiver();
                Receiver redirecting =
                        new Receiver(r -> new Receiver.Reply(302, Map.of("Location", target.url()), "moved", 0));
                Receiver failing = new Receiver(r -> new Receiver.Reply(
                        500, Map.of(), "java.sql.SQLException: password=hunter2 at db.internal", 0))) {
            WebhookSender sender = sender(host -> new InetAddress[0]);
            WebhookSender.Result redirected = attempt(sender, redirecting.url());
            assertThat(redirected.delivered()).isFalse();
            assertThat(redirected.status()).isEqualTo(302);
            assertThat(target.requests()).isEmpty();

            WebhookSender.Result failed = attempt(sender, failing.url());
            assertThat(failed.status()).isEqualTo(500);
            assertThat(failed.retryable()).isTrue();
            assertThat(failed.error()).isEqualTo("The receiver answered HTTP 500.");
        }
        WebhookSender.Result unreachable = attempt(sender(host -> new InetAddress[0]), "http://127.0.0.1:9/hook");
        assertThat(unreachable.retryable()).isTrue();
        assertThat(unreachable.error()).isEqualTo("The receiver could not be reached.");
    }

    @Test
    void shouldReadRetryAfterInSecondsAndAsAnHttpDate() {
        assertThat(WebhookSender.retryAfter("7")).isEqualTo(Duration.ofSeconds(7));
        String inTenSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(10));
        assertThat(WebhookSender.retryAfter(inTenSeconds)).isBetween(Duration.ofSeconds(8), Duration.ofSeconds(10));
        assertThat(WebhookSender.retryAfter("Mon, 01 Jan 2001 00:00:00 GMT")).isEqualTo(Duration.ZERO);
        assertThat(WebhookSender.retryAfter("soon")).isNull();
        assertThat(WebhookSender.retryAfter("999999")).isEqualTo(Duration.ofHours(1));
    }
}
