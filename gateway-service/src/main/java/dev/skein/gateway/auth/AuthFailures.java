package dev.skein.gateway.auth;

import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import io.grpc.StatusRuntimeException;
import org.jboss.logging.Logger;

/**
 * The gateway's own database failing (users, permissions) is a temporary refusal, never a 500 with
 * PostgreSQL's words: the caller retries and nothing was half done by the gateway.
 */
public final class AuthFailures {

    private static final Logger LOG = Logger.getLogger(AuthFailures.class);

    private AuthFailures() {}

    public static Throwable translate(Throwable failure) {
        if (failure instanceof ApiException || failure instanceof StatusRuntimeException) {
            return failure;
        }
        LOG.warnf("Users and permissions are unavailable: %s", failure.toString());
        return new ApiException(
                ErrorCode.TEMPORARILY_UNAVAILABLE,
                "Users and permissions cannot be read right now; try again in a moment");
    }
}
