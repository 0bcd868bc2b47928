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
        if (failure instanceof ApiException || failure instanceof StatusRuntimeException || !fromTheDatabase(failure)) {
            return failure; // a bug stays a logged 500, never passed off as an outage
        }
        LOG.warnf("Users and permissions are unavailable: %s", failure.toString());
        return new ApiException(
                ErrorCode.TEMPORARILY_UNAVAILABLE,
                "Users and permissions cannot be read right now; try again in a moment");
    }

    /** A failure of the PostgreSQL client or the connection to it (refused, reset, timed out, closed pool). */
    private static boolean fromTheDatabase(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String type = t.getClass().getName();
            if (type.startsWith("io.vertx.pgclient.")
                    || type.startsWith("io.vertx.sqlclient.")
                    || type.startsWith("io.netty.")
                    || type.startsWith("java.net.")
                    || type.equals("io.vertx.core.impl.NoStackTraceThrowable")
                    || t instanceof java.util.concurrent.TimeoutException
                    || t instanceof java.io.IOException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
