package dev.skein.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.skein.common.actor.Actors;
import dev.skein.common.error.GrpcErrors;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.registry.v1.CreateModelVersion;
import dev.skein.proto.registry.v1.CreateRegisteredModel;
import dev.skein.proto.registry.v1.ModelVersion;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Helpers over the blocking stub the tests drive registry-service with. */
final class Registry {

    private Registry() {}

    static String newModel(RegistryServiceBlockingStub r) {
        String name = "model-" + UUID.randomUUID();
        r.createRegisteredModel(CreateRegisteredModel.newBuilder().setName(name).build());
        return name;
    }

    static ModelVersion newVersion(RegistryServiceBlockingStub r, String model) {
        return r.createModelVersion(CreateModelVersion.newBuilder()
                        .setName(model)
                        .setSource("s3://bucket/models/" + model)
                        .build())
                .getModelVersion();
    }

    /** The stub acting as this user, as the gateway would send it. */
    static RegistryServiceBlockingStub as(RegistryServiceBlockingStub r, String actor) {
        Metadata headers = new Metadata();
        headers.put(Actors.METADATA, actor);
        return r.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    static String fails(ErrorCode code, ThrowingCallable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
        assertThat(e).as("expected the call to fail with %s", code).isNotNull();
        assertThat(GrpcErrors.errorCode(e)).isEqualTo(code);
        return e.getStatus().getDescription();
    }
}
