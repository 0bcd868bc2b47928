package dev.skein.llmgateway;

import dev.skein.common.testing.ServiceTestResource;
import io.quarkus.test.common.QuarkusTestResource;

/** Every Quarkus test of this module runs against the test database and the test run's Kafka broker. */
@QuarkusTestResource(ServiceTestResource.class)
public class TestResources {}
