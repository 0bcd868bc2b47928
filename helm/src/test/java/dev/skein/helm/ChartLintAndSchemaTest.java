package dev.skein.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** helm lint, values.schema.json and the chart's refusals of incomplete values. */
class ChartLintAndSchemaTest {

    static final Path MINIMAL = RenderedManifestsTest.MINIMAL;

    @Test
    void shouldPassHelmLintStrict() {
        LintResult result = new Helm(Chart.CHART).lint().strict().call();
        assertThat(result.isFailed())
                .as(String.join("\n", result.getMessages()))
                .isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void shouldRefuseAMisspeltKey() {
        assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), "components.tracking.replica=2"))
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining("/components/tracking")
                .hasMessageContaining("additional properties 'replica' not allowed");
        assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), "postgres.host=db"))
                .hasMessageContaining("additional properties 'postgres' not allowed");
    }

    @Test
    void shouldRefuseANetworkPolicyRuleWithoutPorts() throws IOException {
        // a NetworkPolicy rule without ports allows every port
        for (String rule : List.of("egress: {s3: {to: [], ports: []}}", "dns: {ports: []}")) {
            Path values = values("networkPolicy:\n  " + rule + "\n");
            assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL, values)))
                    .as(rule)
                    .hasMessageContaining("values don't meet the specifications of the schema")
                    .hasMessageContaining("/networkPolicy/" + rule.substring(0, rule.indexOf(':')));
        }
    }

    @Test
    void shouldRefuseAnOidcProviderWithoutAnAudience() {
        // the gateway's AuthConfig has no default audience: it would not start
        assertThatThrownBy(() -> Chart.renderAsIs(
                        List.of(MINIMAL),
                        "auth.oidc.corp.issuer=https://login.example.com",
                        "auth.oidc.corp.jwksUrl=https://login.example.com/certs"))
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining("/auth/oidc/corp")
                .hasMessageContaining("audience");
    }

    @Test
    void shouldRefuseToVerifyPostgresqlsCertificateWithoutACa() {
        for (String mode : List.of("verify-ca", "verify-full")) {
            assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), "postgresql.sslMode=" + mode))
                    .as(mode)
                    .hasMessageContaining("postgresql.sslMode " + mode + " needs postgresql.caSecret.name");
        }
        assertThat(Chart.renderAsIs(
                        List.of(MINIMAL), "postgresql.sslMode=verify-full", "postgresql.caSecret.name=pg-ca"))
                .contains("sslmode=verify-full&sslrootcert=");
        assertThat(Chart.renderAsIs(List.of(MINIMAL), "postgresql.sslMode=require"))
                .contains("sslmode=require");
    }

    @Test
    void shouldRefuseCredentialsAmongTheKafkaProperties() {
        for (String set : List.of(
                "kafka.properties.ssl\\.keystore\\.password=hunter2",
                "kafka.properties.ssl\\.truststore\\.password=hunter2",
                "kafka.properties.ssl\\.key\\.password=hunter2",
                "kafka.properties.sasl\\.oauthbearer\\.client\\.credentials\\.client\\.secret=hunter2",
                "kafka.properties.sasl\\.jaas\\.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
                        + " username=\"u\" password=\"hunter2\";")) {
            assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), set))
                    .as(set)
                    .hasMessageContaining("looks like a credential")
                    .hasMessageContaining("kafka.sasl.existingSecret");
        }
        assertThat(Chart.renderAsIs(List.of(MINIMAL), "kafka.properties.client\\.dns\\.lookup=use_all_dns_ips"))
                .contains("kafka.client.dns.lookup=use_all_dns_ips");
    }

    @Test
    void shouldRefuseAnLlmProvidersKeyWrittenIntoTheEndpointsFile() throws IOException {
        String endpoint =
                """
                components:
                  llmgateway:
                    endpoints:
                      - name: chat
                        endpoint_type: llm/v1/chat
                        model: {provider: openai, name: gpt-4o-mini, config: {openai_api_key: %s}}
                    providerKeys: [{env: OPENAI_API_KEY, existingSecret: llm, key: openai}]
                """;
        // the file is a ConfigMap: a key written into it is refused, one from a Secret through $ENV passes
        assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL, values(endpoint.formatted("sk-live-123")))))
                .hasMessageContaining(
                        "components.llmgateway.endpoints[0].model.config.openai_api_key looks like a" + " credential")
                .hasMessageContaining("providerKeys")
                .hasMessageNotContaining("sk-live-123");
        assertThat(Chart.renderAsIs(List.of(MINIMAL, values(endpoint.formatted("$OPENAI_API_KEY")))))
                .contains("openai_api_key: $OPENAI_API_KEY");
        // a variable nothing sets: the service would not start
        assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL, values(endpoint.formatted("$OPENAI_KEY")))))
                .hasMessageContaining("reads $OPENAI_KEY, which no components.llmgateway.providerKeys entry");
        // endpoints belong to a service that calls LLM providers
        assertThatThrownBy(() -> Chart.renderAsIs(
                        List.of(MINIMAL, values("components:\n  tracking:\n    endpoints: [{name: chat}]\n"))))
                .hasMessageContaining("components.tracking.endpoints and providerKeys are for a service that calls"
                        + " LLM providers");
        assertThatThrownBy(() -> Chart.renderAsIs(
                        List.of(MINIMAL),
                        "components.llmgateway.providerKeys[0].env=OPENAI_API_KEY",
                        "components.llmgateway.providerKeys[0].existingSecret=llm"))
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining("/components/llmgateway/providerKeys/0")
                .hasMessageContaining("key");
    }

    @Test
    void shouldRefuseKedaOnAnAuthenticatedKafkaWithoutATriggerAuthentication() {
        String[] keda = {
            "components.tracking.autoscaling.enabled=true",
            "components.tracking.autoscaling.keda.enabled=true",
            "kafka.sasl.existingSecret=kafka-user"
        };
        for (String protocol : List.of("SASL_SSL", "SASL_PLAINTEXT", "SSL")) {
            String[] sets = java.util.stream.Stream.concat(
                            java.util.Arrays.stream(keda),
                            java.util.stream.Stream.of("kafka.securityProtocol=" + protocol))
                    .toArray(String[]::new);
            assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), sets))
                    .as(protocol)
                    .hasMessageContaining("components.tracking.autoscaling.keda.authenticationRef is required");
        }
        assertThat(Chart.renderAsIs(List.of(MINIMAL), keda)).contains("kind: ScaledObject");
    }

    @Test
    void shouldRefuseAGracePeriodShorterThanPreStopAndShutdown() {
        assertThatThrownBy(() -> Chart.renderAsIs(
                        List.of(MINIMAL),
                        "components.gateway.shutdown.timeoutSeconds=30",
                        "components.gateway.shutdown.terminationGracePeriodSeconds=35"))
                .hasMessageContaining("components.gateway.shutdown.terminationGracePeriodSeconds (35) must exceed");
    }

    @Test
    void shouldRefuseSettingsOfAServiceTheCatalogueDoesNotName() {
        assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), "components.trackign.replicas=2"))
                .hasMessageContaining("components.trackign: no such service in catalogue.yaml");
        // and unknown setting names stay refused for any component
        assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), "componentDefaults.replica=2"))
                .hasMessageContaining("additional properties 'replica' not allowed");
    }

    /** A values file in target/ (lists such as [] are awkward through --set). */
    static Path values(String yaml) throws IOException {
        Path dir = Chart.MODULE.resolve("target/test-values");
        Files.createDirectories(dir);
        Path file = dir.resolve(Integer.toHexString(yaml.hashCode()) + ".yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void shouldRefuseAWrongType() {
        assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), "postgresql.port=five"))
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining("/postgresql/port")
                .hasMessageContaining("want integer");
        assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), "kafka.securityProtocol=TLS"))
                .hasMessageContaining("/kafka/securityProtocol");
    }

    @Test
    void shouldAcceptTheExamplesAndTheChartsOwnDefaultsAgainstTheSchema() {
        // the minimal example renders as is: the schema does not refuse what the chart ships
        assertThat(Chart.renderAsIs(List.of(MINIMAL))).contains("kind: Deployment");
    }

    @Test
    void shouldFailClearlyWithoutTheRequiredSecrets() {
        assertThatThrownBy(() -> Chart.renderAsIs(List.of())).hasMessageContaining("is required");
        assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), "auth.admin.existingSecret="))
                .hasMessageContaining("auth.admin.existingSecret is required when auth.enabled");
        assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), "internalToken.existingSecret="))
                .hasMessageContaining("internalToken.existingSecret is required");
        // auth off: no administrator needed
        assertThat(Chart.renderAsIs(List.of(MINIMAL), "auth.enabled=false", "auth.admin.existingSecret="))
                .contains("name: SKEIN_AUTH_ENABLED\n              value: \"false\"");
    }

    @Test
    void shouldRefuseACredentialGivenAsAPlainValue() {
        assertThatThrownBy(() -> Chart.renderAsIs(
                        List.of(MINIMAL),
                        "components.gateway.env[0].name=MY_PASSWORD",
                        "components.gateway.env[0].value=hunter2"))
                .hasMessageContaining("MY_PASSWORD looks like a credential");
    }

    @Test
    void shouldRefuseTopicOverridesOfUnknownTopics() {
        assertThatThrownBy(() -> Chart.renderAsIs(List.of(MINIMAL), "kafka.topics.skein\\.nope\\.v1.partitions=3"))
                .hasMessageContaining("kafka.topics.skein.nope.v1: no such topic in catalogue.yaml");
    }

    @Test
    void shouldTellHowToReachTheGatewayInTheNotes() {
        assertThat(notes(MINIMAL))
                .contains("kubectl --namespace ml port-forward service/skein-gateway 8080:8080")
                .contains("skein.tracking.metrics.v1  partitions=12");
        assertThat(notes(RenderedManifestsTest.PRODUCTION))
                .contains("https://mlflow.example.com/")
                .doesNotContain("port-forward")
                .doesNotContain("create them before use");
    }

    @Test
    void shouldWarnWhenPresignedUrlsWouldNameAnInClusterObjectStore() throws IOException {
        String warning = "s3.publicEndpoint is empty";
        assertThat(notes(MINIMAL)).doesNotContain(warning);
        assertThat(notes(values("s3:\n  publicEndpoint: \"\"\n"))).contains(warning);
        assertThat(notes(RenderedManifestsTest.PRODUCTION)).doesNotContain(warning);
    }

    private static String notes(Path values) {
        var install = new Helm(Chart.CHART)
                .install()
                .withName(Chart.RELEASE)
                .withNamespace(Chart.NAMESPACE)
                .withKubeVersion(Chart.KUBE_VERSION);
        if (!values.equals(MINIMAL) && !values.equals(RenderedManifestsTest.PRODUCTION)) {
            install = install.withValuesFile(MINIMAL);
        }
        return install.withValuesFile(values).dryRun().clientOnly().call().getOutput();
    }

    @Test
    void shouldLeaveTheMigrationJobsToHelmAsHooks() {
        // rendered as the chart is, Helm keeps hooks out of the manifest: the Jobs are hooks to Helm itself
        String manifest = Chart.renderAsIs(List.of(MINIMAL));
        assertThat(manifest).doesNotContain("kind: Job").doesNotContain("helm.sh/hook:");
        assertThat(Chart.render(MINIMAL)).contains("kind: Job").contains("helm.sh/hook: pre-install,pre-upgrade");
        // so are the NetworkPolicies of the Jobs' pods: they must exist before the Jobs start
        java.util.function.Function<String, List<String>> migratePolicies = text ->
                Manifests.parse(text).of(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class).stream()
                        .map(Manifests::component)
                        .filter(k -> k.endsWith("-migrate"))
                        .toList();
        assertThat(migratePolicies.apply(manifest)).isEmpty();
        assertThat(migratePolicies.apply(Chart.render(MINIMAL))).isNotEmpty();
    }
}
