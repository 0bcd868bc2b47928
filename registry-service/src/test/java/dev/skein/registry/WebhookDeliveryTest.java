package dev.skein.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.CreateWebhook;
import dev.skein.proto.registry.v1.DeleteWebhook;
import dev.skein.proto.registry.v1.ListWebhookDeliveries;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import dev.skein.proto.registry.v1.Webhook;
import dev.skein.proto.registry.v1.WebhookAction;
import dev.skein.proto.registry.v1.WebhookDelivery;
import dev.skein.proto.registry.v1.WebhookDeliveryState;
import dev.skein.proto.registry.v1.WebhookEntity;
import dev.skein.proto.registry.v1.WebhookEvent;
import dev.skein.proto.registry.v1.WebhookServiceGrpc.WebhookServiceBlockingStub;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Deliveries as a receiver and an operator see them: recorded before they are sent, so a database
 * outage delays them and loses none; one slow receiver holds only its own deliveries; retries
 * honour Retry-After; a final state after the last attempt, visible through ListWebhookDeliveries.
 */
@QuarkusTest
class WebhookDeliveryTest {

    /** How long the database outage lasts; longer than the 60 s after which Kafka's default would give up. */
    private static final int OUTAGE_SECONDS = Integer.getInteger("skein.test.outage-seconds", 75);

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

    @GrpcClient("registry")
    WebhookServiceBlockingStub webhooks;

    private Webhook hook(String url) {
        return webhooks.createWebhook(CreateWebhook.newBuilder()
                        .setName("hook-" + UUID.randomUUID())
                        .setUrl(url)
                        .setSecret("s")
                        .addEvents(WebhookEvent.newBuilder()
                                .setEntity(WebhookEntity.REGISTERED_MODEL)
                                .setAction(WebhookAction.CREATED))
                        .build())
                .getWebhook();
    }

    private void delete(Webhook hook) {
        webhooks.deleteWebhook(
                DeleteWebhook.newBuilder().setWebhookId(hook.getWebhookId()).build());
    }

    /** Creates a model; the time the call returned. */
    private long createModel(String name) {
        registry.createRegisteredModel(
                CreateRegisteredModel.newBuilder().setName(name).build());
        return System.currentTimeMillis();
    }

    private static String model(Receiver.Request r) {
        return new JsonObject(r.body()).getJsonObject("data").getString("name");
    }

    private static List<Receiver.Request> about(Receiver receiver, String model) {
        return receiver.requests().stream().filter(r -> model.equals(model(r))).toList();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!condition.getAsBoolean()) {
            assertThat(System.currentTimeMillis()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private List<WebhookDelivery> deliveries(Webhook hook) {
        return webhooks.listWebhookDeliveries(ListWebhookDeliveries.newBuilder()
                        .setWebhookId(hook.getWebhookId())
                        .setMaxResults(1000)
                        .build())
                .getDeliveriesList();
    }

    @Test
    void shouldDeliverToAFastReceiverWhileAnotherTakesThirtySecondsToAnswer() throws Exception {
        try (Receiver fast = new Receiver();
                Receiver slow = new Receiver(r -> new Receiver.Reply(200, Map.of(), "ok", 30_000))) {
            Webhook fastHook = hook(fast.url());
            // how long a delivery takes here with nothing in its way
            long baseline = 0;
            for (int i = 0; i < 2; i++) {
                String name = "baseline-" + UUID.randomUUID();
                long created = createModel(name);
                await("the baseline delivery", () -> !about(fast, name).isEmpty());
                baseline = Math.max(baseline, about(fast, name).get(0).at() - created);
            }
            Webhook slowHook = hook(slow.url());
            Map<String, Long> created = new HashMap<>();
            for (int i = 0; i < 6; i++) {
                String name = "isolated-" + i + "-" + UUID.randomUUID();
                created.put(name, createModel(name));
            }
            await("every fast delivery", () -> created.keySet().stream()
                    .allMatch(m -> !about(fast, m).isEmpty()));
            for (var e : created.entrySet()) {
                long latency = about(fast, e.getKey()).get(0).at() - e.getValue();
                assertThat(latency)
                        .as("the fast receiver waited for the slow one (baseline %d ms)", baseline)
                        .isLessThanOrEqualTo(baseline + 2_000);
            }
            assertThat(slow.requests())
                    .as("the slow receiver is still answering")
                    .isNotEmpty();
            assertThat(slow.requests().size())
                    .as("at most 4 deliveries in flight to one webhook")
                    .isLessThanOrEqualTo(4);
            delete(slowHook);
            delete(fastHook);
        }
    }

    @Test
    void shouldWaitAsLongAsRetryAfterSaysInSecondsOrAsADate() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (Receiver receiver = new Receiver(r -> switch (calls.incrementAndGet()) {
            case 1 -> new Receiver.Reply(503, Map.of("Retry-After", "2"), "busy", 0);
            case 2 ->
                new Receiver.Reply(
                        429,
                        Map.of(
                                "Retry-After",
                                DateTimeFormatter.RFC_1123_DATE_TIME.format(
                                        ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(3))),
                        "slow down",
                        0);
            default -> Receiver.Reply.of(200);
        })) {
            Webhook hook = hook(receiver.url());
            String name = "patient-" + UUID.randomUUID();
            createModel(name);
            await("three attempts", () -> about(receiver, name).size() >= 3);
            List<Receiver.Request> attempts = about(receiver, name);
            // without Retry-After the retries would come after 0.2 s and 0.4 s
            assertThat(attempts.get(1).at() - attempts.get(0).at()).isGreaterThanOrEqualTo(1_900);
            assertThat(attempts.get(2).at() - attempts.get(1).at()).isGreaterThanOrEqualTo(1_900);
            await("the delivery recorded as delivered", () -> deliveries(hook).stream()
                    .anyMatch(d -> d.getState() == WebhookDeliveryState.DELIVERY_DELIVERED));
            WebhookDelivery d = deliveries(hook).get(0);
            assertThat(d.getAttempts()).isEqualTo(3);
            assertThat(d.getLastStatusCode()).isEqualTo(200);
            assertThat(d.hasLastError()).isFalse();
            delete(hook);
        }
    }

    @Test
    void shouldGiveUpAfterMaxAttemptsAndShowEachDeliverysStateThroughTheApi() throws Exception {
        try (Receiver broken = new Receiver(r -> new Receiver.Reply(500, Map.of(), "NullPointerException at x", 0));
                Receiver gone = new Receiver(r -> Receiver.Reply.of(404))) {
            Webhook brokenHook = hook(broken.url());
            Webhook goneHook = hook(gone.url());
            String name = "doomed-" + UUID.randomUUID();
            createModel(name);
            await(
                    "both deliveries final",
                    () -> deliveries(brokenHook).stream()
                                    .anyMatch(d -> d.getState() == WebhookDeliveryState.DELIVERY_FAILED)
                            && deliveries(goneHook).stream()
                                    .anyMatch(d -> d.getState() == WebhookDeliveryState.DELIVERY_FAILED));
            WebhookDelivery failed = deliveries(brokenHook).get(0);
            assertThat(failed.getAttempts()).as("max-attempts").isEqualTo(4);
            assertThat(failed.getLastStatusCode()).isEqualTo(500);
            assertThat(failed.getLastError()).isEqualTo("The receiver answered HTTP 500.");
            assertThat(failed.getEvent().getEntity()).isEqualTo(WebhookEntity.REGISTERED_MODEL);
            assertThat(about(broken, name)).hasSize(4);
            assertThat(about(broken, name))
                    .extracting(r -> r.header("X-MLflow-Delivery-Id"))
                    .containsOnly(failed.getDeliveryId());
            WebhookDelivery refused = deliveries(goneHook).get(0);
            assertThat(refused.getAttempts()).as("a 404 is not retried").isEqualTo(1);
            assertThat(refused.getLastStatusCode()).isEqualTo(404);

            createModel("fine-later-" + UUID.randomUUID());
            await("two deliveries", () -> deliveries(brokenHook).size() == 2);
            var onlyFailed = webhooks.listWebhookDeliveries(ListWebhookDeliveries.newBuilder()
                    .setWebhookId(brokenHook.getWebhookId())
                    .setState(WebhookDeliveryState.DELIVERY_FAILED)
                    .setMaxResults(1)
                    .build());
            assertThat(onlyFailed.getDeliveriesList()).hasSize(1);
            assertThat(onlyFailed.getDeliveries(0).getState()).isEqualTo(WebhookDeliveryState.DELIVERY_FAILED);
            var page1 = webhooks.listWebhookDeliveries(ListWebhookDeliveries.newBuilder()
                    .setWebhookId(brokenHook.getWebhookId())
                    .setMaxResults(1)
                    .build());
            var page2 = webhooks.listWebhookDeliveries(ListWebhookDeliveries.newBuilder()
                    .setWebhookId(brokenHook.getWebhookId())
                    .setMaxResults(1)
                    .setPageToken(page1.getNextPageToken())
                    .build());
            assertThat(page1.getDeliveries(0).getEventId())
                    .isNotEqualTo(page2.getDeliveries(0).getEventId());
            assertThat(page2.getDeliveries(0).getEventId()).as("newest first").isEqualTo(failed.getEventId());
            delete(brokenHook);
            delete(goneHook);
        }
    }

    @Test
    void shouldDeliverEveryEventOnceAfterTheDatabaseFailedForLongerThanKafkasPatience() throws Exception {
        try (Receiver receiver = new Receiver()) {
            Webhook hook = hook(receiver.url());
            List<String> models = new ArrayList<>();
            try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                    Statement s = c.createStatement()) {
                // Every statement on the webhooks table now fails: consuming an event cannot record it.
                s.execute("ALTER TABLE registry.webhooks RENAME TO webhooks_away");
                try {
                    long end = System.currentTimeMillis() + OUTAGE_SECONDS * 1000L;
                    for (int i = 0; i < 3; i++) {
                        String name = "outage-" + i + "-" + UUID.randomUUID();
                        createModel(name);
                        models.add(name);
                        Thread.sleep(Math.max(0, (end - System.currentTimeMillis()) / (3 - i)));
                    }
                    assertThat(receiver.requests())
                            .as("nothing can be delivered during the outage")
                            .isEmpty();
                } finally {
                    s.execute("ALTER TABLE registry.webhooks_away RENAME TO webhooks");
                }
            }
            await("every event delivered", () -> models.stream()
                    .allMatch(m -> !about(receiver, m).isEmpty()));
            String after = "after-outage-" + UUID.randomUUID();
            createModel(after);
            await("the consumer is still alive", () -> !about(receiver, after).isEmpty());
            Thread.sleep(1_000);
            for (String m : models) {
                assertThat(about(receiver, m)).as("%s delivered once", m).hasSize(1);
            }
            HttpResponse<String> ready = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:18382/q/health/ready"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            delete(hook);
        }
    }
}
