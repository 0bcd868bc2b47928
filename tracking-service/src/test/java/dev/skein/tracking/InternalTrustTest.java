package dev.skein.tracking;

import static dev.skein.tracking.Grpc.getRun;
import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.skein.common.error.GrpcErrors;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.CreateExperiment;
import dev.skein.proto.tracking.v1.DeleteRun;
import dev.skein.proto.tracking.v1.GetExperimentByName;
import dev.skein.proto.tracking.v1.PurgeDeletedRuns;
import dev.skein.proto.tracking.v1.TrackingAdminServiceGrpc;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Whoever reaches tracking-service's port without the internal credential gets nothing: no data, no
 * writes, no purge. The injected client is the suite's own (it carries the credential); the others
 * are plain gRPC channels, as an intruder would open.
 */
@QuarkusTest
class InternalTrustTest {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private static ManagedChannel plain;

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    @BeforeAll
    static void openPlainChannel() {
        int port = ConfigProvider.getConfig().getValue("quarkus.grpc.clients.tracking.port", Integer.class);
        plain = ManagedChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .build();
    }

    @AfterAll
    static void closePlainChannel() throws InterruptedException {
        plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static String internalToken() {
        return ConfigProvider.getConfig().getValue("skein.internal.token", String.class);
    }

    private static <S extends AbstractStub<S>> S authorized(S stub, String authorization) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, authorization);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static void refused(ThrowingCallable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
        assertThat(e).as("the call should have been refused").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(GrpcErrors.errorCode(e)).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    private boolean experimentExists(String name) {
        try {
            tracking.getExperimentByName(
                    GetExperimentByName.newBuilder().setExperimentName(name).build());
            return true;
        } catch (StatusRuntimeException e) {
            assertThat(GrpcErrors.errorCode(e)).isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST);
            return false;
        }
    }

    @Test
    void shouldRefuseACallWithoutTheInternalCredential() {
        String name = "intruder-" + UUID.randomUUID();
        var anonymous = TrackingServiceGrpc.newBlockingStub(plain);

        refused(() -> anonymous.createExperiment(
                CreateExperiment.newBuilder().setName(name).build()));
        refused(() -> anonymous.getExperimentByName(
                GetExperimentByName.newBuilder().setExperimentName(name).build()));

        assertThat(experimentExists(name)).as("nothing was written").isFalse();
    }

    @Test
    void shouldRefuseAWrongCredential() {
        String name = "intruder-" + UUID.randomUUID();
        String token = internalToken();
        var request = CreateExperiment.newBuilder().setName(name).build();

        for (String wrong : new String[] {
            "Bearer not-the-internal-credential",
            "Bearer " + token.substring(0, token.length() - 1), // a prefix of the right one
            "Bearer " + token + "x",
            "Basic " + token, // the right secret in another scheme
            "Bearer ",
            token // without the scheme
        }) {
            refused(() -> authorized(TrackingServiceGrpc.newBlockingStub(plain), wrong)
                    .createExperiment(request));
        }
        assertThat(experimentExists(name)).isFalse();
    }

    @Test
    void shouldServeACallerWithTheInternalCredential() {
        String name = "trusted-" + UUID.randomUUID();
        var trusted = authorized(TrackingServiceGrpc.newBlockingStub(plain), "Bearer " + internalToken());

        String id = trusted.createExperiment(
                        CreateExperiment.newBuilder().setName(name).build())
                .getExperimentId();

        assertThat(id).isNotBlank();
        assertThat(experimentExists(name)).isTrue();
    }

    @Test
    void shouldNotPurgeDeletedRunsForACallerWithoutTheCredential() {
        String run = newRun(tracking, newExperiment(tracking));
        tracking.deleteRun(DeleteRun.newBuilder().setRunId(run).build());
        var request = PurgeDeletedRuns.newBuilder().addRunIds(run).build();

        refused(() -> TrackingAdminServiceGrpc.newBlockingStub(plain).purgeDeletedRuns(request));
        refused(() -> authorized(TrackingAdminServiceGrpc.newBlockingStub(plain), "Bearer guessed-admin-token-123")
                .purgeDeletedRuns(request));

        // still there, deleted but restorable
        assertThat(getRun(tracking, run).getInfo().getLifecycleStage()).isEqualTo("deleted");
    }

    @Test
    void shouldAnswerHealthChecksWithoutTheCredential() {
        HealthCheckResponse health = HealthGrpc.newBlockingStub(plain).check(HealthCheckRequest.getDefaultInstance());

        assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }
}
