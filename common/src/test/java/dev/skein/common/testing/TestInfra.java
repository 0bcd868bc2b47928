package dev.skein.common.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The real servers tests talk to. {@code ./skein test} starts one Kafka broker and one S3 server
 * (S3Proxy) for the whole test run and passes them in {@code SKEIN_TEST_KAFKA_BOOTSTRAP}, {@code
 * SKEIN_TEST_S3_ENDPOINT} (with {@code SKEIN_TEST_S3_ACCESS_KEY/SECRET_KEY}) and {@code
 * SKEIN_TEST_HOME}; a module's tests run on their own ({@code mvn verify} in a module) start them
 * through the same runner and stop them when the JVM exits. PostgreSQL is the one on this machine
 * (127.0.0.1:5432, user postgres) unless {@code SKEIN_DB_*} say otherwise.
 */
public final class TestInfra {

    public static final String DB_HOST = env("SKEIN_DB_HOST", "127.0.0.1");
    public static final int DB_PORT = Integer.parseInt(env("SKEIN_DB_PORT", "5432"));
    public static final String DB_USER = env("SKEIN_DB_USER", "postgres");
    public static final String DB_PASSWORD = env("SKEIN_DB_PASSWORD", "");

    private static final int LOCAL_KAFKA_PORT = 19092;
    private static final int LOCAL_S3_PORT = 19000;
    private static String bootstrap;
    private static Path kafkaHome;
    private static int kafkaPort;
    private static S3 s3;

    /**
     * An S3 server, the keys it accepts, and the folder its S3Proxy keeps objects in (bucket by
     * bucket), where a test can see what the store really holds, multipart leftovers included.
     */
    public record S3(String endpoint, String accessKey, String secretKey, Path dataDir) {}

    private TestInfra() {}

    /** The broker's bootstrap address, starting the test broker if this run has none yet. */
    public static synchronized String kafkaBootstrap() {
        if (bootstrap != null) {
            return bootstrap;
        }
        String given = System.getenv("SKEIN_TEST_KAFKA_BOOTSTRAP");
        if (given != null && !given.isBlank()) {
            bootstrap = given;
            kafkaHome = Path.of(
                    env("SKEIN_TEST_HOME", repoRoot().resolve(".skein/test").toString()));
            kafkaPort = Integer.parseInt(given.substring(given.lastIndexOf(':') + 1));
            return bootstrap;
        }
        kafkaPort = LOCAL_KAFKA_PORT;
        kafkaHome = repoRoot().resolve(".skein/test-local");
        if (!portOpen("127.0.0.1", kafkaPort)) {
            skein("kafka", "start");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> skein("kafka", "stop")));
        }
        bootstrap = "127.0.0.1:" + kafkaPort;
        return bootstrap;
    }

    /** The test run's S3 server, starting one if this run has none yet. */
    public static synchronized S3 s3() {
        if (s3 != null) {
            return s3;
        }
        String given = System.getenv("SKEIN_TEST_S3_ENDPOINT");
        if (given != null && !given.isBlank()) {
            s3 = new S3(
                    given,
                    env("SKEIN_TEST_S3_ACCESS_KEY", "skein"),
                    env("SKEIN_TEST_S3_SECRET_KEY", "skein-secret"),
                    Path.of(
                            env(
                                    "SKEIN_TEST_HOME",
                                    repoRoot().resolve(".skein/test").toString()),
                            "s3",
                            "data"));
            return s3;
        }
        Map<String, String> env = Map.of(
                "SKEIN_HOME", repoRoot().resolve(".skein/test-local").toString(),
                "SKEIN_S3_PORT", Integer.toString(LOCAL_S3_PORT));
        if (!portOpen("127.0.0.1", LOCAL_S3_PORT)) {
            skein(env, Duration.ofMinutes(2), "s3", "start");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> skein(env, Duration.ofMinutes(1), "s3", "stop")));
        }
        // the runner's default keys
        s3 = new S3(
                "http://127.0.0.1:" + LOCAL_S3_PORT,
                "skein",
                "skein-secret",
                repoRoot().resolve(".skein/test-local/s3/data"));
        return s3;
    }

    /** Stops the test broker (its data is kept), as an outage would. */
    public static void stopKafka() {
        kafkaBootstrap();
        skein("kafka", "stop");
    }

    /** Starts the test broker again on the same port and data. */
    public static void startKafka() {
        kafkaBootstrap();
        skein("kafka", "start");
    }

    /** Stops the test run's S3 server (its objects are kept), as an outage of the store would. */
    public static void stopS3() {
        skein(s3Env(), Duration.ofMinutes(1), "s3", "stop");
    }

    /** Starts the test run's S3 server again on the same port and objects. */
    public static void startS3() {
        skein(s3Env(), Duration.ofMinutes(2), "s3", "start");
    }

    private static Map<String, String> s3Env() {
        S3 s = s3();
        return Map.of(
                "SKEIN_HOME", s.dataDir().getParent().getParent().toString(),
                "SKEIN_S3_PORT", s.endpoint().substring(s.endpoint().lastIndexOf(':') + 1),
                "SKEIN_S3_ACCESS_KEY", s.accessKey(),
                "SKEIN_S3_SECRET_KEY", s.secretKey());
    }

    /** Runs the repository's {@code ./skein} with this run's Kafka home and port. */
    public static void skein(String... args) {
        skein(Map.of(), Duration.ofMinutes(3), args);
    }

    public static void skein(Map<String, String> env, Duration timeout, String... args) {
        List<String> command = new ArrayList<>();
        command.add(repoRoot().resolve("skein").toString());
        command.addAll(List.of(args));
        ProcessBuilder pb =
                new ProcessBuilder(command).directory(repoRoot().toFile()).redirectErrorStream(true);
        if (kafkaHome != null) {
            pb.environment().put("SKEIN_HOME", kafkaHome.toString());
            pb.environment().put("SKEIN_KAFKA_PORT", Integer.toString(kafkaPort));
        }
        pb.environment().putAll(env);
        try {
            Path log = Files.createTempFile("skein-", ".log");
            pb.redirectOutput(log.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeout.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(
                        "./skein " + String.join(" ", args) + " timed out:\n" + Files.readString(log));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("./skein " + String.join(" ", args) + " failed (" + p.exitValue()
                        + "):\n" + Files.readString(log));
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run ./skein", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits, 100 ms between looks, until {@code condition} holds; fails once {@code within} has passed. */
    public static void await(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + within + " for " + what);
            }
            Thread.sleep(100);
        }
    }

    /** The backend of {@code database} whose statement, containing {@code queryPart}, waits for a lock. */
    public static int backendWaitingForALock(String database, String queryPart) throws InterruptedException {
        int[] pid = {0};
        try (Connection c = connect(database);
                java.sql.PreparedStatement s = c.prepareStatement("SELECT pid FROM pg_stat_activity"
                        + " WHERE datname = ? AND wait_event_type = 'Lock' AND strpos(query, ?) > 0")) {
            s.setString(1, database);
            s.setString(2, queryPart);
            await("a statement with \"" + queryPart + "\" waiting for a lock", Duration.ofSeconds(15), () -> {
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        pid[0] = r.getInt(1);
                        return true;
                    }
                    return false;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return pid[0];
    }

    /** Creates the database if it does not exist yet. */
    public static void ensureDatabase(String name) {
        try (Connection c = admin();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
            if (!rs.next()) {
                s.execute("CREATE DATABASE \"" + name + "\"");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL at " + DB_HOST + ":" + DB_PORT + " is not usable", e);
        }
    }

    /** Creates a login role (no other rights) if it does not exist, and sets its password. */
    public static void ensureRole(String role, String password) {
        try (Connection c = admin();
                Statement s = c.createStatement()) {
            String quoted = "\"" + role.replace("\"", "\"\"") + "\"";
            String literal = "'" + password.replace("'", "''") + "'";
            try (ResultSet rs =
                    s.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = " + "'" + role.replace("'", "''") + "'")) {
                if (!rs.next()) {
                    s.execute("CREATE ROLE " + quoted + " LOGIN");
                }
            }
            s.execute("ALTER ROLE " + quoted + " PASSWORD " + (password.isEmpty() ? "NULL" : literal));
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create role " + role + " as " + DB_USER, e);
        }
    }

    /** Drops (closing its sessions) and creates the database: a clean slate. */
    public static void recreateDatabase(String name) {
        try (Connection c = admin();
                Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
            s.execute("CREATE DATABASE \"" + name + "\"");
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL at " + DB_HOST + ":" + DB_PORT + " is not usable", e);
        }
    }

    public static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://" + DB_HOST + ":" + DB_PORT + "/" + database, DB_USER, DB_PASSWORD);
    }

    private static Connection admin() throws SQLException {
        return connect("postgres");
    }

    public static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("skein"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("Tests must run inside the Skein repository (no ./skein found above "
                    + Path.of("").toAbsolutePath() + ")");
        }
        return dir;
    }

    public static boolean portOpen(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
