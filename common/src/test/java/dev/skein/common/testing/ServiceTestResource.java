package dev.skein.common.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * For a service's {@code @QuarkusTest}s: the test database (created if missing; Flyway cleans it
 * at start) and the test run's Kafka broker. As in production, the service works as a role of its
 * own with data access only ({@value #APP_ROLE}), and migrates as the owner (the admin user).
 */
public class ServiceTestResource implements QuarkusTestResourceLifecycleManager {

    /** {@code skein_test}, or {@code SKEIN_TEST_DB}: two checkouts testing at once on one machine keep apart. */
    public static final String TEST_DATABASE = System.getenv().getOrDefault("SKEIN_TEST_DB", "skein_test");

    public static final String APP_ROLE = "skein_test_app";

    @Override
    public Map<String, String> start() {
        TestInfra.ensureDatabase(TEST_DATABASE);
        TestInfra.ensureRole(APP_ROLE, TestInfra.DB_PASSWORD);
        return Map.of(
                "kafka.bootstrap.servers",
                TestInfra.kafkaBootstrap(),
                "skein.db.name",
                TEST_DATABASE,
                "skein.db.host",
                TestInfra.DB_HOST,
                "skein.db.port",
                Integer.toString(TestInfra.DB_PORT),
                "skein.db.user",
                APP_ROLE,
                "skein.db.password",
                TestInfra.DB_PASSWORD,
                "skein.db.owner-user",
                TestInfra.DB_USER,
                "skein.db.owner-password",
                TestInfra.DB_PASSWORD);
    }

    @Override
    public void stop() {}
}
