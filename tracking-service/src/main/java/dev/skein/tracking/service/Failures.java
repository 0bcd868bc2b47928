package dev.skein.tracking.service;

import io.vertx.pgclient.PgException;

/** Recognises database failures that are the caller's doing rather than the server's. */
final class Failures {

    private Failures() {}

    /** A unique constraint was violated (SQLSTATE 23505), wherever the driver error is wrapped. */
    static boolean isUniqueViolation(Throwable failure) {
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
