package dev.skein.evaluation.client;

import dev.skein.common.actor.Actors;
import dev.skein.common.error.ApiException;
import dev.skein.common.error.GrpcErrors;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;

/** What the clients share: the actor their calls carry, and how a failed call is told apart. */
final class Upstream {

    /** The actor of every change evaluation-service makes on other services (metrics, tags, artifacts). */
    static final String ACTOR = "evaluation-service";

    static final ClientInterceptor ACTOR_HEADER;

    static {
        Metadata headers = new Metadata();
        headers.put(Actors.METADATA, ACTOR);
        ACTOR_HEADER = MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    private Upstream() {}

    /** The header that makes a call {@code actor}'s (a user's request served here), not evaluation-service's. */
    static ClientInterceptor actorHeader(String actor) {
        Metadata headers = new Metadata();
        headers.put(Actors.METADATA, actor == null ? Actors.UNKNOWN : actor);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    /**
     * A failed call: the service's own refusal (an MLflow error: a bad path, a missing file) as an
     * {@link ApiException} the evaluation fails with; anything else (unreachable, slow, a bug) as
     * {@link UpstreamUnavailable}, which is retried.
     */
    static RuntimeException failure(String what, StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (GrpcErrors.isApiError(e) && code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
            return new ApiException(GrpcErrors.errorCode(e), e.getStatus().getDescription());
        }
        return new UpstreamUnavailable("Cannot " + what + " now (" + code + ")", e);
    }

    static boolean notFound(StatusRuntimeException e) {
        return e.getStatus().getCode() == Status.Code.NOT_FOUND;
    }
}
