package dev.skein.common.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.error.ApiException;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.common.v1.ErrorCode;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real PostgreSQL failures, as the reactive client reports them, and what a client is told about them. */
class DatabaseFailuresTest {

    private static final List<String> PG_TEXT = List.of(
            "ERROR", "SQLSTATE", "violates", "invalid byte sequence", "constraint", "skein_secret", "0x00", "UTF8\"");

    private static Vertx vertx;
    private static PgConnection db;

    private final DatabaseFailures failures = new DatabaseFailures();

    @BeforeAll
    static void connect() throws Exception {
        vertx = Vertx.vertx();
        db = PgConnection.connect(
                        vertx,
                        new PgConnectOptions()
                                .setHost(TestInfra.DB_HOST)
                                .setPort(TestInfra.DB_PORT)
                                .setUser(TestInfra.DB_USER)
                                .setPassword(TestInfra.DB_PASSWORD)
                                .setDatabase("postgres"))
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        run("CREATE TEMP TABLE skein_secret_table (k varchar(3) CONSTRAINT skein_secret_pk PRIMARY KEY,"
                + " n int NOT NULL, p varchar(3) REFERENCES skein_secret_table (k))");
        run("INSERT INTO skein_secret_table (k, n) VALUES ('a', 1)");
    }

    @AfterAll
    static void close() throws Exception {
        if (db != null) {
            db.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static void run(String sql, Object... params) throws Exception {
        db.preparedQuery(sql)
                .execute(Tuple.wrap(new ArrayList<>(Arrays.asList(params))))
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    /** The failure PostgreSQL gives a statement, wrapped as Hibernate or a Uni would wrap it. */
    private static Throwable failureOf(String sql, Object... params) {
        try {
            run(sql, params);
        } catch (Exception e) {
            PgException pg = (PgException) e.getCause();
            return new RuntimeException("wrapped: " + pg.getMessage(), pg);
        }
        throw new AssertionError("no failure: " + sql);
    }

    private ApiException translated(Throwable failure) {
        ApiException e = failures.translate(failure).orElseThrow();
        for (String text : PG_TEXT) {
            assertThat(e.getMessage()).as(failure.getMessage()).doesNotContainIgnoringCase(text);
        }
        return e;
    }

    @Test
    void shouldRefuseNulAndInvalidUtf8InOurWords() {
        ApiException nul = translated(failureOf("SELECT $1::text", "a\u0000b"));
        assertThat(nul.code()).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
        assertThat(nul.getMessage()).startsWith("Invalid value").contains("NUL");
        ApiException bytes = translated(failureOf("SELECT convert_from('\\xc3'::bytea, 'UTF8')"));
        assertThat(bytes.code()).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
    }

    @Test
    void shouldTranslateTheFailureAsHibernateReactiveWrapsIt() {
        // Hibernate Reactive turns the driver's failure into a JDBC SQLException inside its own
        // DataException; the driver's exception is no longer in the chain
        PgException driver =
                (PgException) failureOf("SELECT $1::text", "a\u0000b").getCause();
        var wrapped = new org.hibernate.exception.DataException(
                "error executing SQL statement [" + driver.getMessage() + "]",
                new java.sql.SQLException(driver.getMessage(), driver.getSqlState()));
        ApiException e = translated(wrapped);
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
        assertThat(e.getMessage()).contains("NUL");
    }

    @Test
    void shouldNameNoConstraintTableOrValue() {
        assertThat(translated(failureOf("INSERT INTO skein_secret_table (k, n) VALUES ('a', 2)"))
                        .code())
                .isEqualTo(ErrorCode.RESOURCE_ALREADY_EXISTS);
        assertThat(translated(failureOf("INSERT INTO skein_secret_table (k, n) VALUES ('toolong', 2)"))
                        .code())
                .isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
        assertThat(translated(failureOf("INSERT INTO skein_secret_table (k) VALUES ('b')"))
                        .code())
                .isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
        assertThat(translated(failureOf("INSERT INTO skein_secret_table (k, n, p) VALUES ('c', 1, 'zz')"))
                        .code())
                .isEqualTo(ErrorCode.RESOURCE_DOES_NOT_EXIST);
        assertThat(translated(failureOf("SELECT $1::int + 2147483647", 1)).code())
                .isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
        assertThat(translated(failureOf("SELECT 'x'::int")).code()).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
    }

    @Test
    void shouldAnswerAStatementTheDatabaseStoppedAsTemporarilyUnavailable() throws Exception {
        // query_canceled (57014): the statement timeout of the session here; an operator's
        // pg_cancel_backend gives the same SQLSTATE
        run("SET statement_timeout = 50");
        try {
            ApiException e = translated(failureOf("SELECT pg_sleep(5)"));
            assertThat(e.code()).isEqualTo(ErrorCode.TEMPORARILY_UNAVAILABLE);
            assertThat(e.getMessage()).isEqualTo("The database stopped the request's statement; try again.");
        } finally {
            run("SET statement_timeout = 0");
        }
    }

    @Test
    void shouldLeaveServerSideFailuresToTheGenericInternalError() {
        // a bug (a table that does not exist, a syntax error) is not the caller's: no translation
        assertThat(failures.translate(failureOf("SELECT * FROM skein_no_such_table")))
                .isEmpty();
        assertThat(failures.translate(failureOf("SELEC 1"))).isEmpty();
        assertThat(failures.translate(new IllegalStateException("no database involved")))
                .isEmpty();
    }
}
