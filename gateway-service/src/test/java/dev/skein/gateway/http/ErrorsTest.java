package dev.skein.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.error.ApiException;
import dev.skein.common.error.GrpcErrors;
import dev.skein.proto.common.v1.ErrorCode;
import io.grpc.Metadata;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

class ErrorsTest {

    @Test
    void shouldRelayTheMessageOfADeliberateApiError() {
        var answer = Errors.answer(GrpcErrors.toStatus(ApiException.notFound("Run 'abc' not found")), "id-1");
        assertThat(answer.status()).isEqualTo(404);
        assertThat(answer.code()).isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST);
        assertThat(answer.message()).isEqualTo("Run 'abc' not found");
        assertThat(answer.relayed()).isTrue();
    }

    @Test
    void shouldHideTheDescriptionOfAStatusNotMarkedAsAnApiError() {
        var invalid = Errors.answer(
                Status.INVALID_ARGUMENT
                        .withDescription("ERROR: invalid byte sequence for encoding \"UTF8\": 0x00 (SQLSTATE 22021)")
                        .asRuntimeException(),
                "id-2");
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.code()).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
        assertThat(invalid.message())
                .isEqualTo("The request was refused as invalid (request id-2)")
                .doesNotContain("SQLSTATE", "byte sequence");
        assertThat(invalid.relayed()).isFalse();

        var exhausted = Errors.answer(
                Status.RESOURCE_EXHAUSTED
                        .withDescription("gRPC message exceeds maximum size 4194304: 9000000")
                        .asRuntimeException(new Metadata()),
                "id-3");
        assertThat(exhausted.status()).isEqualTo(429);
        assertThat(exhausted.message()).doesNotContain("gRPC", "4194304");
    }

    @Test
    void shouldRelayADeliberateTemporarilyUnavailableAnswerButNotAnUnmarkedOne() {
        var stopped = Errors.answer(
                GrpcErrors.toStatus(new ApiException(
                        ErrorCode.TEMPORARILY_UNAVAILABLE,
                        "The get-history-bulk read did not finish within 60000 ms and was stopped")),
                "id-7");
        assertThat(stopped.status()).isEqualTo(503);
        assertThat(stopped.code()).isEqualTo(ErrorCode.TEMPORARILY_UNAVAILABLE);
        assertThat(stopped.message())
                .isEqualTo("The get-history-bulk read did not finish within 60000 ms and was stopped");
        assertThat(stopped.relayed()).isTrue();
        var unmarked = Errors.answer(
                Status.UNAVAILABLE
                        .withDescription("upstream connect error 10.0.0.7")
                        .asRuntimeException(),
                "id-8");
        assertThat(unmarked.message()).doesNotContain("10.0.0.7").contains("id-8");
    }

    @Test
    void shouldNotBlameTheClientWhenAnInternalServiceRefusesTheGatewaysCredential() {
        var refused = Errors.answer(
                GrpcErrors.toStatus(
                        new ApiException(ErrorCode.UNAUTHENTICATED, "Internal calls need the internal credential")),
                "id-6");
        assertThat(refused.status()).isEqualTo(500);
        assertThat(refused.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
        assertThat(refused.message()).contains("id-6").doesNotContain("Internal calls need");
    }

    @Test
    void shouldAnswerServerSideFailuresWithTheIdOnly() {
        var internal = Errors.answer(
                GrpcErrors.toStatus(
                        new ApiException(ErrorCode.INTERNAL_ERROR, "store said: AccessDenied on secret/key")),
                "id-4");
        assertThat(internal.status()).isEqualTo(500);
        assertThat(internal.message()).isEqualTo("Internal error (request id-4)");
        var down = Errors.answer(
                Status.UNAVAILABLE
                        .withDescription("io exception: 10.1.2.3:8081")
                        .asRuntimeException(),
                "id-5");
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.code()).isEqualTo(ErrorCode.TEMPORARILY_UNAVAILABLE);
        assertThat(down.message()).doesNotContain("10.1.2.3");
    }
}
