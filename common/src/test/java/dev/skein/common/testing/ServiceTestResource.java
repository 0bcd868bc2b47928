package dev.skein.common.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * For a service's {@code @QuarkusTest}s: the test database (created if missing; Flyway cleans it
 * at start) and the test run's Kafka broker.
 */
public class ServiceTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String TEST_DATABASE = "skein_test";

    @Override
    public Map<String, String> start() {
        TestInfra.ensureDatabase(TEST_DATABASE);
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
                TestInfra.DB_USER,
                "skein.db.password",
                TestInfra.DB_PASSWORD);
    }

    @Override
    public void stop() {}
}
