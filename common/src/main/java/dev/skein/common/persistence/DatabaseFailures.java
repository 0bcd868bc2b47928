package dev.skein.common.persistence;

import dev.skein.common.error.ApiException;
import dev.skein.common.error.FailureTranslator;
import dev.skein.proto.common.v1.ErrorCode;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Database failures that are the caller's doing or worth retrying, in our own words. PostgreSQL's
 * text — constraint and table names, SQL, the offending value — never reaches a client: a message is
 * chosen from the SQLSTATE alone. Data exceptions (class 22: NUL or invalid UTF-8 in text, a number
 * out of range, a value too long) come from values the caller sent, so they are
 * INVALID_PARAMETER_VALUE; integrity violations (class 23) that a service did not handle itself are
 * the caller's too; a database that is unreachable, shutting down, out of resources, that gave up
 * on a transaction (serialization failure, deadlock) or stopped a statement (query_canceled: a
 * statement timeout, an operator's cancel) is TEMPORARILY_UNAVAILABLE, so clients retry.
 * Anything else is not translated and leaves as a generic INTERNAL error. Services with a database
 * get this translator as a bean; the gateway, which has none, excludes it.
 */
@ApplicationScoped
public class DatabaseFailures implements FailureTranslator {

    @Override
    public Optional<ApiException> translate(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String state = sqlState(t);
            if (state != null) {
                return Optional.ofNullable(forSqlState(state));
            }
        }
        return Optional.empty();
    }

    /**
     * The SQLSTATE of a driver failure: the reactive client's own, or the JDBC form Hibernate
     * Reactive converts it to (whose chain no longer holds the driver's exception).
     */
    private static String sqlState(Throwable t) {
        if (t instanceof PgException pg) {
            return pg.getSqlState();
        }
        if (t instanceof SQLException sql) {
            return sql.getSQLState();
        }
        return null;
    }

    /** The MLflow error a SQLSTATE means to a client, in our words; null if it is an internal failure. */
    static ApiException forSqlState(String state) {
        switch (state) {
            case "22021": // character_not_in_repertoire: NUL, or bytes that are not UTF-8
                return ApiException.invalidParameter(
                        "Invalid value: text must be valid UTF-8 and must not contain NUL (\\u0000) characters.");
            case "22001": // string_data_right_truncation
                return ApiException.invalidParameter("Invalid value: a value is longer than this field allows.");
            case "22003": // numeric_value_out_of_range
                return ApiException.invalidParameter("Invalid value: a number is out of the range this field allows.");
            case "22007", "22008": // invalid_datetime_format, datetime_field_overflow
                return ApiException.invalidParameter("Invalid value: a timestamp is out of range or malformed.");
            case "22P02": // invalid_text_representation
                return ApiException.invalidParameter("Invalid value: a value does not have the expected type.");
            case "23505": // unique_violation
                return ApiException.alreadyExists("The resource already exists.");
            case "23503": // foreign_key_violation
                return ApiException.notFound("A resource the request refers to does not exist.");
            case "23502": // not_null_violation
                return ApiException.invalidParameter("Invalid value: a required value is missing.");
            case "40001", "40P01": // serialization_failure, deadlock_detected
                return new ApiException(
                        ErrorCode.TEMPORARILY_UNAVAILABLE,
                        "The request conflicted with a concurrent change; try again.");
            case "57014": // query_canceled: a statement timeout, or an operator's pg_cancel_backend
                return new ApiException(
                        ErrorCode.TEMPORARILY_UNAVAILABLE, "The database stopped the request's statement; try again.");
            default:
                break;
        }
        if (state.startsWith("22")) {
            return ApiException.invalidParameter("Invalid value: a value in the request cannot be stored.");
        }
        if (state.startsWith("23")) {
            return ApiException.invalidParameter("Invalid value: the request conflicts with stored data.");
        }
        if (state.startsWith("08") || state.startsWith("53") || state.startsWith("57P")) {
            // connection exceptions, insufficient resources, operator intervention (shutdown)
            return new ApiException(ErrorCode.TEMPORARILY_UNAVAILABLE, "The database is unavailable; try again.");
        }
        return null;
    }

    /** A unique constraint was violated (SQLSTATE 23505), wherever the driver error is wrapped. */
    public static boolean isUniqueViolation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if ("23505".equals(sqlState(t))) {
                return true;
            }
            if (t instanceof org.hibernate.exception.ConstraintViolationException) {
                return true;
            }
        }
        return false;
    }
}
