package dev.skein.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RouteTableTest {

    private final ManagedChannel channel =
            ManagedChannelBuilder.forTarget("127.0.0.1:1").usePlaintext().build();
    private final RouteTable table =
            RouteTable.of(Map.of(TrackingServiceGrpc.getServiceDescriptor(), channel), 20 * 1024 * 1024);

    @AfterEach
    void close() {
        channel.shutdownNow();
    }

    @Test
    void shouldServeEveryTrackingRpcUnderBothMlflowPrefixes() {
        assertThat(table.all().stream().map(r -> r.method().getFullMethodName()).distinct())
                .containsExactlyInAnyOrderElementsOf(TrackingServiceGrpc.getServiceDescriptor().getMethods().stream()
                        .map(MethodDescriptor::getFullMethodName)
                        .toList());
        assertThat(table.at("/api/2.0/mlflow/runs/log-batch")).containsOnlyKeys("POST");
        assertThat(table.at("/ajax-api/2.0/mlflow/runs/log-batch")).containsOnlyKeys("POST");
        assertThat(table.at("/api/2.0/mlflow/experiments/search")).containsOnlyKeys("GET", "POST");
        assertThat(table.at("/api/2.0/mlflow/runs/get")).containsOnlyKeys("GET");
        assertThat(table.at("/api/2.0/mlflow/experiments/delete-experiment-tag"))
                .containsOnlyKeys("POST");
        assertThat(table.at("/api/2.0/mlflow/nope")).isEmpty();
        // MLflow's UI-only endpoints, bound under /ajax-api/ in the contract, are served there only
        assertThat(table.at("/ajax-api/2.0/mlflow/metrics/get-history-bulk")).containsOnlyKeys("GET");
        assertThat(table.at("/api/2.0/mlflow/metrics/get-history-bulk")).isEmpty();
        assertThat(table.at("/ajax-api/2.0/mlflow/experiments/search-datasets")).containsOnlyKeys("POST");
        assertThat(table.at("/api/2.0/mlflow/experiments/search-datasets")).isEmpty();
        // every RPC, experiments/search twice, each under two prefixes but the two /ajax-api/-only ones
        assertThat(table.size())
                .isEqualTo(
                        (TrackingServiceGrpc.getServiceDescriptor().getMethods().size() + 1) * 2 - 2);
    }

    @Test
    void shouldTakeBodyLimitsFromTheContract() {
        assertThat(table.at("/api/2.0/mlflow/runs/log-batch").get("POST").maxBodyBytes())
                .isEqualTo(1_000_000);
        assertThat(table.at("/api/2.0/mlflow/runs/log-inputs").get("POST").maxBodyBytes())
                .isEqualTo(20 * 1024 * 1024);
        assertThat(table.at("/api/2.0/mlflow/runs/log-batch")
                        .get("POST")
                        .method()
                        .getFullMethodName())
                .isEqualTo("skein.tracking.v1.TrackingService/LogBatch");
    }

    @Test
    void shouldBindPathParametersOfTemplatedRoutes() {
        RouteTable webhooks = RouteTable.of(
                Map.of(dev.skein.proto.registry.v1.WebhookServiceGrpc.getServiceDescriptor(), channel), 1024);
        RouteTable.Match one = webhooks.match("/api/2.0/mlflow/webhooks/abc-123");
        assertThat(one.routes()).containsOnlyKeys("GET", "PATCH", "DELETE");
        assertThat(one.pathParams()).containsExactly(Map.entry("webhook_id", "abc-123"));
        RouteTable.Match test = webhooks.match("/ajax-api/2.0/mlflow/webhooks/abc-123/test");
        assertThat(test.routes()).containsOnlyKeys("POST");
        assertThat(test.pathParams()).containsEntry("webhook_id", "abc-123");
        assertThat(webhooks.match("/api/2.0/mlflow/webhooks").routes()).containsOnlyKeys("GET", "POST");
        assertThat(webhooks.match("/api/2.0/mlflow/webhooks/").routes()).isEmpty();
        assertThat(webhooks.match("/api/2.0/mlflow/webhooks/a/b").routes()).isEmpty();
    }

    @Test
    void shouldGiveTheRestOfThePathToAFinalWildcardDecoded() {
        RouteTable artifacts = RouteTable.of(
                Map.of(dev.skein.proto.artifacts.v1.ArtifactServiceGrpc.getServiceDescriptor(), channel), 1024);
        RouteTable.Match create = artifacts.match("/api/2.0/mlflow-artifacts/mpu/create/1/run%20a/artifacts/m");
        assertThat(create.routes()).containsOnlyKeys("POST");
        assertThat(create.pathParams()).containsExactly(Map.entry("artifact_path", "1/run a/artifacts/m"));
        RouteTable.Match delete = artifacts.match("/ajax-api/2.0/mlflow-artifacts/artifacts/a+b/c.txt");
        assertThat(delete.routes()).containsOnlyKeys("DELETE");
        assertThat(delete.pathParams()).containsExactly(Map.entry("path", "a+b/c.txt"));
        // the listing lives at the bare path; the wildcard needs at least one segment
        assertThat(artifacts.match("/api/2.0/mlflow-artifacts/artifacts").routes())
                .containsOnlyKeys("GET");
        assertThat(artifacts.match("/api/2.0/mlflow-artifacts/mpu/create").routes())
                .isEmpty();
        assertThat(artifacts.match("/api/2.0/mlflow-artifacts/mpu/create/").routes())
                .isEmpty();
    }

    @Test
    void shouldServeMlflow3AssessmentsAtMlflowsPaths() {
        ManagedChannel assessments =
                ManagedChannelBuilder.forTarget("127.0.0.1:1").usePlaintext().build();
        try {
            RouteTable t = RouteTable.of(
                    Map.of(dev.skein.proto.tracking.v1.AssessmentServiceGrpc.getServiceDescriptor(), assessments),
                    1024);
            RouteTable.Match create = t.match("/api/3.0/mlflow/traces/tr-1/assessments");
            assertThat(create.routes()).containsOnlyKeys("POST");
            assertThat(create.pathParams()).containsEntry("assessment.trace_id", "tr-1");
            RouteTable.Match one = t.match("/ajax-api/3.0/mlflow/traces/tr-1/assessments/a-2");
            assertThat(one.routes()).containsOnlyKeys("GET", "PATCH", "DELETE");
            assertThat(one.pathParams()).containsEntry("trace_id", "tr-1").containsEntry("assessment_id", "a-2");
        } finally {
            assessments.shutdownNow();
        }
    }

    @Test
    void shouldNeverRouteInternalRpcs() {
        // rpcs without an HTTP binding are for the services behind the gateway only
        RouteTable t = RouteTable.of(
                Map.of(
                        dev.skein.proto.tracking.v1.LoggedModelServiceGrpc.getServiceDescriptor(), channel,
                        dev.skein.proto.tracking.v1.TraceServiceGrpc.getServiceDescriptor(), channel),
                1024);
        assertThat(t.all().stream().map(r -> r.method().getFullMethodName()))
                .isNotEmpty()
                .doesNotContain(
                        dev.skein.proto.tracking.v1.LoggedModelServiceGrpc.getListLoggedModelVersionMethod()
                                .getFullMethodName(),
                        dev.skein.proto.tracking.v1.TraceServiceGrpc.getLogSpansMethod()
                                .getFullMethodName());
    }
}
