package dev.skein.registry;

import static dev.skein.registry.Registry.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.skein.common.actor.Actors;
import dev.skein.common.error.GrpcErrors;
import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.AuditEvent;
import dev.skein.proto.registry.v1.AuditServiceGrpc;
import dev.skein.proto.registry.v1.AuditServiceGrpc.AuditServiceBlockingStub;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.GetRegisteredModel;
import dev.skein.proto.registry.v1.ListAuditEvents;
import dev.skein.proto.registry.v1.ListWebhooks;
import dev.skein.proto.registry.v1.RegistryServiceGrpc;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import dev.skein.proto.registry.v1.SetRegisteredModelTag;
import dev.skein.proto.registry.v1.WebhookServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * registry-service serves only callers with the internal credential, and believes the acting user
 * ({@code skein-actor}) only from them: a forged actor never reaches the audit trail. The injected
 * clients are the suite's own (they carry the credential); the others are plain gRPC channels.
 */
@QuarkusTest
class InternalTrustTest {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private static ManagedChannel plain;

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

    @GrpcClient("registry")
    AuditServiceBlockingStub audit;

    @BeforeAll
    static void openPlainChannel() {
        int port = ConfigProvider.getConfig().getValue("quarkus.grpc.clients.registry.port", Integer.class);
        plain = ManagedChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .build();
    }

    @AfterAll
    static void closePlainChannel() throws InterruptedException {
        plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** A plain stub sending these headers: the actor, and the authorization when not null. */
    private static <S extends AbstractStub<S>> S calling(S stub, String actor, String authorization) {
        Metadata headers = new Metadata();
        headers.put(Actors.METADATA, actor);
        if (authorization != null) {
            headers.put(AUTHORIZATION, authorization);
        }
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static void refused(ThrowingCallable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
        assertThat(e).as("the call should have been refused").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(GrpcErrors.errorCode(e)).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    private static long auditRecordsBy(String actor) throws Exception {
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s =
                        c.prepareStatement("SELECT count(*) FROM registry.audit_events WHERE actor = ?")) {
            s.setString(1, actor);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private List<AuditEvent> trail(String model) {
        return audit.listAuditEvents(
                        ListAuditEvents.newBuilder().setModel(model).build())
                .getEventsList();
    }

    @Test
    void shouldNeverLetAForgedActorReachTheAuditTrail() throws Exception {
        String forged = "mallory-" + UUID.randomUUID();
        String name = "forged-" + UUID.randomUUID();
        var create = CreateRegisteredModel.newBuilder().setName(name).build();

        refused(() -> calling(RegistryServiceGrpc.newBlockingStub(plain), forged, null)
                .createRegisteredModel(create));
        refused(() -> calling(RegistryServiceGrpc.newBlockingStub(plain), forged, "Bearer not-the-credential-000")
                .createRegisteredModel(create));

        // a model that exists is no easier to change
        String existing = Registry.newModel(registry);
        refused(() -> calling(RegistryServiceGrpc.newBlockingStub(plain), forged, null)
                .setRegisteredModelTag(SetRegisteredModelTag.newBuilder()
                        .setName(existing)
                        .setKey("owner")
                        .setValue(forged)
                        .build()));

        Registry.fails(
                ErrorCode.RESOURCE_DOES_NOT_EXIST,
                () -> registry.getRegisteredModel(
                        GetRegisteredModel.newBuilder().setName(name).build()));
        assertThat(trail(name)).isEmpty();
        assertThat(trail(existing)).extracting(e -> e.getChange().getActor()).doesNotContain(forged);
        assertThat(auditRecordsBy(forged)).isZero();
    }

    @Test
    void shouldRecordTheActorOfAnAuthenticatedCaller() throws Exception {
        String alice = "alice-" + UUID.randomUUID();
        String name = "trusted-" + UUID.randomUUID();
        String token = ConfigProvider.getConfig().getValue("skein.internal.token", String.class);

        calling(RegistryServiceGrpc.newBlockingStub(plain), alice, "Bearer " + token)
                .createRegisteredModel(
                        CreateRegisteredModel.newBuilder().setName(name).build());
        as(registry, alice) // the suite's own client, as the gateway calls
                .setRegisteredModelTag(SetRegisteredModelTag.newBuilder()
                        .setName(name)
                        .setKey("k")
                        .setValue("v")
                        .build());

        assertThat(trail(name)).extracting(e -> e.getChange().getActor()).containsExactly(alice, alice);
        assertThat(auditRecordsBy(alice)).isEqualTo(2);
    }

    @Test
    void shouldRefuseAuditAndWebhookCallsWithoutTheCredential() {
        refused(() -> AuditServiceGrpc.newBlockingStub(plain).listAuditEvents(ListAuditEvents.getDefaultInstance()));
        refused(() -> WebhookServiceGrpc.newBlockingStub(plain).listWebhooks(ListWebhooks.getDefaultInstance()));
    }
}
