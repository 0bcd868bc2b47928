package dev.skein.common.persistence;

import dev.skein.common.error.ApiException;
import dev.skein.common.error.FailureTranslator;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/**
 * Database failures that are the caller's doing. PostgreSQL's data exceptions (SQLSTATE class 22: a
 * NUL character in text, a number out of range…) come from values the caller sent, so they are
 * INVALID_PARAMETER_VALUE, not internal errors. Services with a database get this translator as a
 * bean; the gateway, which has none, excludes it.
 */
@ApplicationScoped
public class DatabaseFailures implements FailureTranslator {

    @Override
    public Optional<ApiException> translate(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PgException pg
                    && pg.getSqlState() != null
                    && pg.getSqlState().startsWith("22")) {
                return Optional.of(ApiException.invalidParameter("Invalid value: " + pg.getErrorMessage()));
            }
        }
        return Optional.empty();
    }

    /** A unique constraint was violated (SQLSTATE 23505), wherever the driver error is wrapped. */
    public static boolean isUniqueViolation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PgException pg && "23505".equals(pg.getSqlState())) {
                return true;
            }
            if (t instanceof org.hibernate.exception.ConstraintViolationException) {
                return true;
            }
        }
        return false;
    }
}
