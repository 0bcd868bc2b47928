package dev.skein.common.error;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.persistence.DatabaseFailures;
import dev.skein.proto.common.v1.ErrorCode;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.vertx.pgclient.PgException;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class GrpcExceptionHandlerProviderTest {

    private final GrpcExceptionHandlerProvider provider =
            new GrpcExceptionHandlerProvider(List.of(new DatabaseFailures()));

    @Test
    void shouldAnswerUnexpectedFailuresWithAGenericMessageAndAnId() {
        StatusRuntimeException status = provider.toStatus(new CompletionException(
                new IllegalStateException("secret detail at dev.skein.tracking.Internal.method(Internal.java:42)")));
        assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(status.getStatus().getDescription())
                .matches("Internal error \\(id [0-9a-f-]{36}\\)")
                .doesNotContain("secret", "IllegalState", "dev.skein");
        assertThat(GrpcErrors.isApiError(status)).isFalse();
    }

    @Test
    void shouldCarryApiErrorsWithTheirMessageAndCode() {
        StatusRuntimeException status = provider.toStatus(ApiException.notFound("Run 'x' not found"));
        assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(status.getStatus().getDescription()).isEqualTo("Run 'x' not found");
        assertThat(GrpcErrors.errorCode(status)).isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST);
        assertThat(GrpcErrors.isApiError(status)).isTrue();
        // a downstream service's deliberate error passes through unchanged
        StatusRuntimeException relayed = provider.toStatus(status);
        assertThat(relayed.getStatus().getDescription()).isEqualTo("Run 'x' not found");
        assertThat(GrpcErrors.errorCode(relayed)).isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST);
    }

    @Test
    void shouldNotRelayADownstreamDescriptionThatWasNotMeantForClients() {
        StatusRuntimeException downstream = Status.UNAVAILABLE
                .withDescription("io exception: Connection refused: /10.0.3.7:8081")
                .asRuntimeException(new Metadata());
        StatusRuntimeException status = provider.toStatus(downstream);
        assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(status.getStatus().getDescription())
                .startsWith("The service behind this endpoint is unavailable")
                .doesNotContain("10.0.3.7", "Connection refused");
    }

    @Test
    void shouldTurnDatabaseDataErrorsIntoInvalidParameterWithoutPostgresText() {
        PgException pg = new PgException(
                "invalid byte sequence for encoding \"UTF8\": 0x00",
                "ERROR",
                "22021",
                "where: unnamed portal parameter $3");
        StatusRuntimeException status = provider.toStatus(new RuntimeException("HR000057: " + pg.getMessage(), pg));
        assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(GrpcErrors.errorCode(status)).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
        assertThat(status.getStatus().getDescription())
                .startsWith("Invalid value")
                .doesNotContain("invalid byte sequence", "0x00", "SQLSTATE", "portal", "ERROR");
    }
}
