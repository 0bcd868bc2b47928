package dev.skein.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
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

    private static String notes(Path values) {
        return new Helm(Chart.CHART)
                .install()
                .withName(Chart.RELEASE)
                .withNamespace(Chart.NAMESPACE)
                .withKubeVersion(Chart.KUBE_VERSION)
                .withValuesFile(values)
                .dryRun()
                .clientOnly()
                .call()
                .getOutput();
    }

    @Test
    void shouldLeaveTheMigrationJobsToHelmAsHooks() {
        // rendered as the chart is, Helm keeps hooks out of the manifest: the Jobs are hooks to Helm itself
        String manifest = Chart.renderAsIs(List.of(MINIMAL));
        assertThat(manifest).doesNotContain("kind: Job").doesNotContain("helm.sh/hook:");
        assertThat(Chart.render(MINIMAL)).contains("kind: Job").contains("helm.sh/hook: pre-install,pre-upgrade");
    }
}
