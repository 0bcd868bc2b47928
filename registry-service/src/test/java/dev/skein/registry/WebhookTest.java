package dev.skein.registry;

import static dev.skein.registry.Registry.fails;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.CreateModelVersion;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.CreateWebhook;
import dev.skein.proto.registry.v1.DeleteRegisteredModelTag;
import dev.skein.proto.registry.v1.DeleteWebhook;
import dev.skein.proto.registry.v1.GetWebhook;
import dev.skein.proto.registry.v1.ListWebhooks;
import dev.skein.proto.registry.v1.RegisteredModelTag;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import dev.skein.proto.registry.v1.SetModelVersionTag;
import dev.skein.proto.registry.v1.SetRegisteredModelAlias;
import dev.skein.proto.registry.v1.TestWebhook;
import dev.skein.proto.registry.v1.UpdateWebhook;
import dev.skein.proto.registry.v1.Webhook;
import dev.skein.proto.registry.v1.WebhookAction;
import dev.skein.proto.registry.v1.WebhookEntity;
import dev.skein.proto.registry.v1.WebhookEvent;
import dev.skein.proto.registry.v1.WebhookServiceGrpc.WebhookServiceBlockingStub;
import dev.skein.proto.registry.v1.WebhookStatus;
import dev.skein.registry.webhook.SecretRotation;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** MLflow 3.3's webhooks, delivered from the registry's Kafka stream to a real HTTP receiver. */
@QuarkusTest
class WebhookTest {

    @Inject
    SecretRotation rotation;

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

    @GrpcClient("registry")
    WebhookServiceBlockingStub webhooks;

    private static WebhookEvent event(WebhookEntity entity, WebhookAction action) {
        return WebhookEvent.newBuilder().setEntity(entity).setAction(action).build();
    }

    private Webhook create(String url, String secret, WebhookEvent... events) {
        CreateWebhook.Builder b =
                CreateWebhook.newBuilder().setName("hook-" + UUID.randomUUID()).setUrl(url);
        List.of(events).forEach(b::addEvents);
        if (secret != null) {
            b.setSecret(secret);
        }
        return webhooks.createWebhook(b.build()).getWebhook();
    }

    private static List<Receiver.Request> await(Receiver receiver, Predicate<Receiver.Request> which, int count)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            List<Receiver.Request> matching =
                    receiver.requests().stream().filter(which).toList();
            if (matching.size() >= count) {
                return matching;
            }
            Thread.sleep(100);
        }
        return receiver.requests().stream().filter(which).toList();
    }

    private static Predicate<Receiver.Request> about(String model) {
        return r ->
                new JsonObject(r.body()).getJsonObject("data").getString("name").equals(model);
    }

    static String sign(String secret, String id, String timestamp, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "v1,"
                + Base64.getEncoder()
                        .encodeToString(
                                mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldDeliverCorrectlySignedEventsForSubscribedChangesOnly() throws Exception {
        try (Receiver receiver = new Receiver()) {
            Webhook hook = create(
                    receiver.url(),
                    "s3cret",
                    event(WebhookEntity.REGISTERED_MODEL, WebhookAction.CREATED),
                    event(WebhookEntity.MODEL_VERSION, WebhookAction.CREATED),
                    event(WebhookEntity.MODEL_VERSION_ALIAS, WebhookAction.CREATED));
            assertThat(hook.toString()).doesNotContain("s3cret");
            String model = "hooked-" + UUID.randomUUID();
            registry.createRegisteredModel(CreateRegisteredModel.newBuilder()
                    .setName(model)
                    .setDescription("d")
                    .build());
            registry.createModelVersion(CreateModelVersion.newBuilder()
                    .setName(model)
                    .setSource("s3://b/m")
                    .build());
            registry.setRegisteredModelAlias(SetRegisteredModelAlias.newBuilder()
                    .setName(model)
                    .setAlias("prod")
                    .setVersion("1")
                    .build());

            // deliveries to one receiver run concurrently: they may arrive in any order
            List<String> order = List.of("registered_model", "model_version", "model_version_alias");
            List<Receiver.Request> got = await(receiver, about(model), 3).stream()
                    .sorted(java.util.Comparator.comparing(
                            r -> order.indexOf(new JsonObject(r.body()).getString("entity"))))
                    .toList();
            assertThat(got)
                    .extracting(r -> {
                        JsonObject body = new JsonObject(r.body());
                        return body.getString("entity") + "." + body.getString("action");
                    })
                    .containsExactly(
                            "registered_model.created", "model_version.created", "model_version_alias.created");
            for (Receiver.Request r : got) {
                String id = r.header("X-MLflow-Delivery-Id");
                String timestamp = r.header("X-MLflow-Timestamp");
                assertThat(UUID.fromString(id)).isNotNull();
                assertThat(Long.parseLong(timestamp))
                        .isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(120L));
                assertThat(r.header("X-MLflow-Signature")).isEqualTo(sign("s3cret", id, timestamp, r.body()));
                assertThat(r.header("Content-Type")).isEqualTo("application/json");
            }
            JsonObject version = new JsonObject(got.get(1).body()).getJsonObject("data");
            assertThat(version.getString("version")).isEqualTo("1");
            assertThat(version.getString("source")).isEqualTo("s3://b/m");
            assertThat(version.containsKey("run_id")).isTrue();
            assertThat(new JsonObject(got.get(2).body()).getJsonObject("data").getString("alias"))
                    .isEqualTo("prod");
            webhooks.deleteWebhook(
                    DeleteWebhook.newBuilder().setWebhookId(hook.getWebhookId()).build());
        }
    }

    @Test
    void shouldSendNoVersionTagEventWhileTheModelIsAPrompt() throws Exception {
        try (Receiver receiver = new Receiver()) {
            Webhook hook = create(receiver.url(), "s", event(WebhookEntity.MODEL_VERSION_TAG, WebhookAction.SET));
            String model = "prompt-" + UUID.randomUUID();
            registry.createRegisteredModel(CreateRegisteredModel.newBuilder()
                    .setName(model)
                    .addTags(RegisteredModelTag.newBuilder()
                            .setKey("mlflow.prompt.is_prompt")
                            .setValue("true"))
                    .build());
            registry.createModelVersion(CreateModelVersion.newBuilder()
                    .setName(model)
                    .setSource("s3://b/p")
                    .build());
            SetModelVersionTag.Builder tag = SetModelVersionTag.newBuilder()
                    .setName(model)
                    .setVersion("1")
                    .setValue("v");
            registry.setModelVersionTag(tag.setKey("while-prompt").build());
            // no longer a prompt: its next version tag is a model event (one model: its events in order)
            registry.deleteRegisteredModelTag(DeleteRegisteredModelTag.newBuilder()
                    .setName(model)
                    .setKey("mlflow.prompt.is_prompt")
                    .build());
            registry.setModelVersionTag(tag.setKey("once-a-model").build());
            await(receiver, about(model), 1);
            Thread.sleep(1000); // deliveries run concurrently: give a wrong first one time to arrive too
            assertThat(receiver.requests().stream().filter(about(model)).toList())
                    .extracting(
                            r -> new JsonObject(r.body()).getJsonObject("data").getString("key"))
                    .containsExactly("once-a-model");
            webhooks.deleteWebhook(
                    DeleteWebhook.newBuilder().setWebhookId(hook.getWebhookId()).build());
        }
    }

    @Test
    void shouldRetryA503ReceiverAndDeliverOnTheThirdTry() throws Exception {
        try (Receiver receiver = new Receiver(503, 503)) {
            Webhook hook = create(receiver.url(), "k", event(WebhookEntity.REGISTERED_MODEL, WebhookAction.CREATED));
            String model = "retried-" + UUID.randomUUID();
            registry.createRegisteredModel(
                    CreateRegisteredModel.newBuilder().setName(model).build());
            List<Receiver.Request> attempts = await(receiver, about(model), 3);
            assertThat(attempts).hasSize(3);
            // one delivery, attempted three times: the same id and signature each time
            assertThat(attempts)
                    .extracting(r -> r.header("X-MLflow-Delivery-Id"))
                    .containsOnly(attempts.get(0).header("X-MLflow-Delivery-Id"));
            Thread.sleep(1500);
            assertThat(receiver.requests().stream().filter(about(model)))
                    .as("nothing after the success")
                    .hasSize(3);
            webhooks.deleteWebhook(
                    DeleteWebhook.newBuilder().setWebhookId(hook.getWebhookId()).build());
        }
    }

    @Test
    void shouldRefuseUrlsAtThePlatformOrMetadataEndpoints() {
        for (String url : List.of(
                "http://169.254.169.254/latest/meta-data/",
                "http://metadata.google.internal/computeMetadata/v1/",
                "http://[fe80::1]/hook",
                "http://127.0.0.1:8080/api/2.0/mlflow/experiments/create",
                "http://localhost:5432/",
                "http://tracking-service:8081/",
                "http://10.0.0.1/hook",
                "http://[::1]:9999/hook",
                "http://2130706433/hook",
                "http://0x7f.1:9999/hook",
                "http://127.0.0.2:9999/hook",
                "ftp://example.com/hook",
                "not a url")) {
            assertThat(fails(
                            ErrorCode.INVALID_PARAMETER_VALUE,
                            () -> create(url, null, event(WebhookEntity.MODEL_VERSION, WebhookAction.CREATED))))
                    .as(url)
                    .startsWith("Invalid webhook URL");
        }
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> create(
                        "http://127.0.0.1:9/hook", null, event(WebhookEntity.MODEL_VERSION, WebhookAction.DELETED)));
        fails(
                ErrorCode.INVALID_PARAMETER_VALUE,
                () -> webhooks.createWebhook(CreateWebhook.newBuilder()
                        .setName("no-events")
                        .setUrl("http://127.0.0.1:9/hook")
                        .build()));
    }

    @Test
    void shouldListGetUpdateTestAndDeleteWebhooks() throws Exception {
        try (Receiver receiver = new Receiver()) {
            Webhook hook = create(receiver.url(), "secret", event(WebhookEntity.MODEL_VERSION_TAG, WebhookAction.SET));
            assertThat(webhooks.getWebhook(GetWebhook.newBuilder()
                                    .setWebhookId(hook.getWebhookId())
                                    .build())
                            .getWebhook())
                    .isEqualTo(hook);
            assertThat(webhooks.listWebhooks(ListWebhooks.newBuilder()
                                    .setMaxResults(1000)
                                    .build())
                            .getWebhooksList())
                    .extracting(Webhook::getWebhookId)
                    .contains(hook.getWebhookId());
            Webhook disabled = webhooks.updateWebhook(UpdateWebhook.newBuilder()
                            .setWebhookId(hook.getWebhookId())
                            .setStatus(WebhookStatus.DISABLED)
                            .setDescription("paused")
                            .build())
                    .getWebhook();
            assertThat(disabled.getStatus()).isEqualTo(WebhookStatus.DISABLED);
            assertThat(disabled.getUrl()).isEqualTo(hook.getUrl());

            var result = webhooks.testWebhook(TestWebhook.newBuilder()
                            .setWebhookId(hook.getWebhookId())
                            .build())
                    .getResult();
            assertThat(result.getSuccess()).isTrue();
            assertThat(result.getResponseStatus()).isEqualTo(200);
            Receiver.Request example = receiver.requests().get(0);
            assertThat(new JsonObject(example.body()).getString("entity")).isEqualTo("model_version_tag");
            assertThat(example.header("X-MLflow-Signature"))
                    .isEqualTo(sign(
                            "secret",
                            example.header("X-MLflow-Delivery-Id"),
                            example.header("X-MLflow-Timestamp"),
                            example.body()));

            webhooks.deleteWebhook(
                    DeleteWebhook.newBuilder().setWebhookId(hook.getWebhookId()).build());
            fails(
                    ErrorCode.RESOURCE_DOES_NOT_EXIST,
                    () -> webhooks.getWebhook(GetWebhook.newBuilder()
                            .setWebhookId(hook.getWebhookId())
                            .build()));
            fails(
                    ErrorCode.RESOURCE_DOES_NOT_EXIST,
                    () -> webhooks.getWebhook(
                            GetWebhook.newBuilder().setWebhookId("not-a-uuid").build()));
        }
    }

    @Test
    void shouldReportTheTestDeliverysStatusButNeverTheReceiversWords() throws Exception {
        try (Receiver leaky = new Receiver(r -> new Receiver.Reply(
                500, java.util.Map.of(), "org.postgresql.util.PSQLException: password=hunter2 db.internal:5432", 0))) {
            Webhook hook = create(leaky.url(), null, event(WebhookEntity.MODEL_VERSION, WebhookAction.CREATED));
            var result = webhooks.testWebhook(TestWebhook.newBuilder()
                            .setWebhookId(hook.getWebhookId())
                            .build())
                    .getResult();
            assertThat(result.getSuccess()).isFalse();
            assertThat(result.getResponseStatus()).isEqualTo(500);
            assertThat(result.getErrorMessage()).isEqualTo("The receiver answered HTTP 500.");
            assertThat(result.hasResponseBody()).isFalse();
            assertThat(result.toString()).doesNotContain("hunter2").doesNotContain("PSQLException");
            assertThat(leaky.requests()).as("tested once, not retried").hasSize(1);
            webhooks.deleteWebhook(
                    DeleteWebhook.newBuilder().setWebhookId(hook.getWebhookId()).build());
        }
        Webhook nowhere =
                create("http://127.0.0.1:9/hook", null, event(WebhookEntity.MODEL_VERSION, WebhookAction.CREATED));
        var unreachable = webhooks.testWebhook(TestWebhook.newBuilder()
                        .setWebhookId(nowhere.getWebhookId())
                        .build())
                .getResult();
        assertThat(unreachable.getSuccess()).isFalse();
        assertThat(unreachable.hasResponseStatus()).isFalse();
        assertThat(unreachable.getErrorMessage()).isEqualTo("The receiver could not be reached.");
        webhooks.deleteWebhook(
                DeleteWebhook.newBuilder().setWebhookId(nowhere.getWebhookId()).build());
    }

    @Test
    void shouldStoreSecretsOnlyEncryptedAndEncryptOldPlaintextOnesAtStart() throws Exception {
        try (Receiver receiver = new Receiver()) {
            Webhook hook = create(
                    receiver.url(), "very-secret-value", event(WebhookEntity.REGISTERED_MODEL, WebhookAction.CREATED));
            UUID legacy = UUID.randomUUID();
            try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                    Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT secret, secret_key_id, secret_ciphertext FROM"
                        + " registry.webhooks WHERE webhook_id = '" + hook.getWebhookId() + "'")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString("secret")).isNull();
                    assertThat(rs.getString("secret_key_id")).isEqualTo("test");
                    assertThat(new String(rs.getBytes("secret_ciphertext"), StandardCharsets.ISO_8859_1))
                            .doesNotContain("very-secret-value");
                }
                // a webhook saved before secrets were encrypted
                s.executeUpdate("INSERT INTO registry.webhooks (webhook_id, name, url, secret, events, status,"
                        + " creation_time, last_updated_time) VALUES ('" + legacy + "', 'legacy', '" + receiver.url()
                        + "', 'old-plain-secret', 'registered_model.created', 'ACTIVE', 0, 0)");
                assertThat(rotation.rotate()).isEqualTo(1);
                try (ResultSet rs = s.executeQuery("SELECT secret, secret_key_id FROM registry.webhooks"
                        + " WHERE webhook_id = '" + legacy + "'")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString("secret")).isNull();
                    assertThat(rs.getString("secret_key_id")).isEqualTo("test");
                }
            }
            String model = "sealed-" + UUID.randomUUID();
            registry.createRegisteredModel(
                    CreateRegisteredModel.newBuilder().setName(model).build());
            List<Receiver.Request> got = await(receiver, about(model), 2);
            assertThat(got).hasSize(2);
            List<String> secretsThatSigned = new java.util.ArrayList<>();
            for (Receiver.Request r : got) {
                for (String secret : List.of("very-secret-value", "old-plain-secret")) {
                    if (r.header("X-MLflow-Signature")
                            .equals(sign(
                                    secret,
                                    r.header("X-MLflow-Delivery-Id"),
                                    r.header("X-MLflow-Timestamp"),
                                    r.body()))) {
                        secretsThatSigned.add(secret);
                    }
                }
            }
            assertThat(secretsThatSigned).containsExactlyInAnyOrder("very-secret-value", "old-plain-secret");
            webhooks.deleteWebhook(
                    DeleteWebhook.newBuilder().setWebhookId(hook.getWebhookId()).build());
            webhooks.deleteWebhook(
                    DeleteWebhook.newBuilder().setWebhookId(legacy.toString()).build());
        }
    }
}
