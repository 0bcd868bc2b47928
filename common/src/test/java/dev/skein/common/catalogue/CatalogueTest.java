package dev.skein.common.catalogue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The service catalogue as the runner, the services and the docs read it. */
class CatalogueTest {

    private static final String TWO =
            """
            services:
              a: {module: a-service, port: 8001, managementPort: 9001, schema: a, needs: [postgresql],
                  upstreams: [{service: b, client: bee}], produces: [t1], consumes: [{topic: t2, group: g}]}
              b: {module: b-service, port: 8002, managementPort: 9002, needs: [kafka]}
            topics:
              t1: {partitions: 1, retentionMs: 1, cleanupPolicy: delete}
              t2: {partitions: 1, retentionMs: 1, cleanupPolicy: delete}
            """;

    @Test
    void shouldStartEachServiceAfterTheOnesItCalls() {
        assertThat(Catalogue.parse(TWO).startOrder())
                .extracting(Catalogue.Service::key)
                .containsExactly("b", "a");
        List<String> packaged = Catalogue.get().startOrder().stream()
                .map(Catalogue.Service::key)
                .toList();
        assertThat(packaged).endsWith("gateway");
        assertThat(packaged.indexOf("tracking")).isLessThan(packaged.indexOf("registry"));
    }

    @Test
    void shouldGiveAServiceItsPortsAndItsUpstreamsAddresses() {
        Catalogue.Service registry = Catalogue.get().byModule("registry-service");
        Map<String, String> defaults = CatalogueConfigSourceFactory.defaults(registry);
        assertThat(defaults)
                .containsEntry("quarkus.http.port", Integer.toString(registry.port()))
                .containsEntry("quarkus.management.port", Integer.toString(registry.managementPort()))
                .containsEntry("quarkus.grpc.clients.tracking.host", "127.0.0.1")
                .containsEntry(
                        "quarkus.grpc.clients.tracking.port",
                        Integer.toString(
                                Catalogue.get().services().get("tracking").port()))
                .doesNotContainKey("quarkus.grpc.clients.registry.port");
        // llm-gateway-service streams over plain HTTP: its address is not a gRPC client's
        Map<String, String> gateway =
                CatalogueConfigSourceFactory.defaults(Catalogue.get().byModule("gateway-service"));
        assertThat(gateway)
                .containsEntry("skein.upstreams.llmgateway.host", "127.0.0.1")
                .containsEntry(
                        "skein.upstreams.llmgateway.port",
                        Integer.toString(
                                Catalogue.get().services().get("llmgateway").port()))
                .doesNotContainKey("quarkus.grpc.clients.llmgateway.port");
    }

    @Test
    void shouldTellTheRunnerWhichUpstreamsAreHttp() {
        var out = new java.io.ByteArrayOutputStream();
        Catalogue.print(
                Catalogue.parse(TWO.replace("client: bee}", "client: bee, protocol: http}")),
                new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("SVC_UPSTREAMS[a]='http:BEE=b'");
        assertThatThrownBy(() -> Catalogue.parse(TWO.replace("client: bee}", "client: bee, protocol: ftp}")))
                .hasMessageContaining("protocol is grpc or http");
    }

    @Test
    void shouldRefuseUnknownFieldsDanglingNamesMissingTopicsCyclesAndSharedPorts() {
        assertThatThrownBy(() -> Catalogue.parse(TWO.replace("needs: [kafka]", "neds: [kafka]")))
                .hasMessageContaining("unknown field neds");
        assertThatThrownBy(() -> Catalogue.parse(TWO.replace("service: b", "service: c")))
                .hasMessageContaining("unknown upstream c");
        assertThatThrownBy(() -> Catalogue.parse(TWO.replace("produces: [t1]", "produces: [t9]")))
                .hasMessageContaining("topic t9 is not under topics");
        assertThatThrownBy(() -> Catalogue.parse(
                        TWO.replace("needs: [kafka]", "needs: [kafka], upstreams: [{service: a, client: a}]")))
                .hasMessageContaining("cycle");
        assertThatThrownBy(() -> Catalogue.parse(TWO.replace("port: 8002", "port: 8001")))
                .hasMessageContaining("port 8001");
        assertThatThrownBy(() -> Catalogue.parse(TWO.replace("schema: a, ", "")))
                .hasMessageContaining("schema goes with needs: [postgresql]");
        assertThatThrownBy(() -> Catalogue.parse(TWO.replace("needs: [kafka]", "needs: [redis]")))
                .hasMessageContaining("unknown redis");
        assertThatThrownBy(() -> Catalogue.parse(TWO.replace("needs: [kafka]", "needs: [kafka], outbound: [ftp]")))
                .hasMessageContaining("unknown ftp");
        assertThatThrownBy(() -> Catalogue.parse(TWO.replace("needs: [kafka]", "needs: [kafka], public: yes please")))
                .hasMessageContaining("public must be true or false");
        assertThatThrownBy(() -> Catalogue.parse(TWO.replace("module: b-service", "module: a-service")))
                .hasMessageContaining("module a-service is another's");
        assertThatThrownBy(() -> Catalogue.parse(TWO.replace("produces: [t1]", "produces: [{t: 1}]")))
                .hasMessageContaining("is not a name");
    }

    /**
     * The catalogue's topics and consumer groups are the ones the services are configured with (their
     * application.properties): the chart's KafkaTopics, NetworkPolicies and KEDA triggers follow the
     * catalogue, so a channel renamed in a service alone would leave them watching the old names.
     */
    @Test
    void shouldNameTheTopicsAndGroupsTheServicesUse() throws Exception {
        for (Catalogue.Service s : Catalogue.get().services().values()) {
            java.util.Properties p = new java.util.Properties();
            try (var in = Files.newInputStream(
                    Path.of("..", s.module(), "src", "main", "resources", "application.properties"))) {
                p.load(in);
            }
            java.util.Set<String> produced = new java.util.TreeSet<>();
            java.util.Set<String> consumed = new java.util.TreeSet<>();
            for (String key : p.stringPropertyNames()) {
                String v = p.getProperty(key).trim();
                if (key.matches("mp\\.messaging\\.outgoing\\.[^.]+\\.topic")
                        || key.matches("mp\\.messaging\\.incoming\\.[^.]+\\.dead-letter-queue\\.topic")) {
                    produced.add(v);
                } else if (key.matches("mp\\.messaging\\.incoming\\.[^.]+\\.topic")) {
                    String channel = key.substring(0, key.length() - ".topic".length());
                    consumed.add(v + " "
                            + p.getProperty(channel + ".group.id", "(no group)").trim());
                }
            }
            assertThat(produced).as(s.module() + " produces").containsExactlyInAnyOrderElementsOf(s.produces());
            assertThat(consumed)
                    .as(s.module() + " consumes")
                    .containsExactlyInAnyOrderElementsOf(s.consumes().stream()
                            .map(c -> c.topic() + " " + c.group())
                            .toList());
        }
    }

    @Test
    void shouldPrintBashTheRunnerCanUse() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Catalogue.print(Catalogue.parse(TWO), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("SERVICE_KEYS=(b a)")
                .contains("SVC_PORT[a]=8001")
                .contains("SVC_MANAGEMENT_PORT[b]=9002")
                .contains("SVC_SCHEMA[b]=''")
                .contains("SVC_NEEDS[a]='postgresql'")
                .contains("SVC_UPSTREAMS[a]='BEE=b'");
    }

    /** The README's table of services follows from the catalogue: a changed entry shows up here. */
    @Test
    void shouldBeWhatTheReadmesTableShows() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        assertThat(readme)
                .as(
                        "README.md's services table; print it with: java -cp … dev.skein.common.catalogue.Catalogue markdown")
                .contains(Catalogue.get().markdownTable());
    }
}
