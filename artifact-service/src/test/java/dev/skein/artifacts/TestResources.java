package dev.skein.artifacts;

import dev.skein.common.testing.TestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Every test of this module runs against the test run's S3 server (its own bucket) and Kafka broker.
 * tracking-service and registry-service are not here: what needs them is tested end to end.
 */
@QuarkusTestResource(TestResources.Servers.class)
public class TestResources {

    public static final String BUCKET = "skein-artifact-test";

    public static class Servers implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            TestInfra.S3 s3 = TestInfra.s3();
            return Map.of(
                    "kafka.bootstrap.servers", TestInfra.kafkaBootstrap(),
                    "skein.artifacts.s3.endpoint", s3.endpoint(),
                    "skein.artifacts.s3.access-key", s3.accessKey(),
                    "skein.artifacts.s3.secret-key", s3.secretKey(),
                    "skein.artifacts.s3.bucket", BUCKET);
        }

        @Override
        public void stop() {}
    }
}
