package dev.skein.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.skein.proto.api.v1.Access;
import dev.skein.proto.artifacts.v1.ArtifactServiceGrpc;
import dev.skein.proto.registry.v1.AuditServiceGrpc;
import dev.skein.proto.registry.v1.RegistryServiceGrpc;
import dev.skein.proto.registry.v1.WebhookServiceGrpc;
import dev.skein.proto.tracking.v1.AssessmentServiceGrpc;
import dev.skein.proto.tracking.v1.LoggedModelServiceGrpc;
import dev.skein.proto.tracking.v1.TraceServiceGrpc;
import dev.skein.proto.tracking.v1.TrackingAdminServiceGrpc;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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

    /** Every service the gateway routes to, as Upstreams.services() lists them. */
    private Map<ServiceDescriptor, Channel> allServices() {
        Map<ServiceDescriptor, Channel> services = new LinkedHashMap<>();
        for (ServiceDescriptor service : List.of(
                TrackingServiceGrpc.getServiceDescriptor(),
                TrackingAdminServiceGrpc.getServiceDescriptor(),
                TraceServiceGrpc.getServiceDescriptor(),
                AssessmentServiceGrpc.getServiceDescriptor(),
                LoggedModelServiceGrpc.getServiceDescriptor(),
                RegistryServiceGrpc.getServiceDescriptor(),
                WebhookServiceGrpc.getServiceDescriptor(),
                AuditServiceGrpc.getServiceDescriptor(),
                ArtifactServiceGrpc.getServiceDescriptor())) {
            services.put(service, channel);
        }
        return services;
    }

    @Test
    void shouldKnowEveryServiceOfTheRoutedContracts() {
        // a service added to one of these files must be added to the list above (and to Upstreams)
        Map<ServiceDescriptor, Channel> services = allServices();
        List<String> declared = services.keySet().stream()
                .flatMap(s -> ((ProtoServiceDescriptorSupplier) s.getSchemaDescriptor())
                        .getFileDescriptor().getServices().stream())
                .map(s -> s.getFullName())
                .distinct()
                .toList();
        assertThat(services.keySet().stream().map(ServiceDescriptor::getName))
                .containsExactlyInAnyOrderElementsOf(declared);
    }

    @Test
    void shouldDeclareWhoMayCallEveryRoute() {
        RouteTable all = RouteTable.of(allServices(), 1024);
        assertThat(all.all()).isNotEmpty();
        List<String> problems = new ArrayList<>();
        for (Route route : all.all()) {
            String name = route.httpMethod() + " " + route.path() + " ("
                    + route.method().getFullMethodName() + ")";
            Access access = route.access();
            if (access == null) {
                problems.add(name + ": no access option");
                continue;
            }
            if (!access.hasResource() || access.getResource() == Access.Resource.RESOURCE_UNSPECIFIED) {
                problems.add(name + ": no resource");
            }
            if (!access.hasLevel() || access.getLevel() == Access.Level.LEVEL_UNSPECIFIED) {
                problems.add(name + ": no level");
            }
            boolean namesNone =
                    access.getResource() == Access.Resource.ANY_USER || access.getResource() == Access.Resource.ADMIN;
            if (!namesNone && access.getFieldCount() == 0 && !access.hasResponseField()) {
                problems.add(name + ": " + access.getResource() + " named by no field");
            }
            if (namesNone && (access.getFieldCount() > 0 || access.hasResponseField())) {
                problems.add(name + ": " + access.getResource() + " names a field it does not use");
            }
            if (access.getFilter() && access.getFieldCount() == 0) {
                problems.add(name + ": a filter without a field to filter");
            }
            Descriptor request = route.requestPrototype().getDescriptorForType();
            for (String field : access.getFieldList()) {
                String problem = pathProblem(request, field);
                if (problem != null) {
                    problems.add(name + ": field " + field + " " + problem);
                }
            }
            if (access.hasResponseField()) {
                Descriptor response = ((ProtoMethodDescriptorSupplier)
                                route.method().getSchemaDescriptor())
                        .getMethodDescriptor()
                        .getOutputType();
                String problem = pathProblem(response, access.getResponseField());
                if (problem != null) {
                    problems.add(name + ": response_field " + access.getResponseField() + " " + problem);
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    /** Why a dotted path does not name a string field of the message; null if it does. */
    private static String pathProblem(Descriptor message, String path) {
        Descriptor at = message;
        String[] segments = path.split("\\.", -1);
        for (int i = 0; i < segments.length; i++) {
            FieldDescriptor field = at.findFieldByName(segments[i]);
            if (field == null) {
                return "does not exist: no " + segments[i] + " in " + at.getFullName();
            }
            boolean last = i == segments.length - 1;
            if (last) {
                return field.getJavaType() == FieldDescriptor.JavaType.STRING
                        ? null
                        : "is not a string: " + field.getFullName() + " is " + field.getType();
            }
            if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE || field.isMapField()) {
                return "does not exist: " + field.getFullName() + " is no message to reach into";
            }
            at = field.getMessageType();
        }
        return "is empty";
    }

    @Test
    void shouldTakeMlflowsPermissionsFromTheContract() {
        RouteTable all = RouteTable.of(allServices(), 1024);
        Access logBatch = all.at("/api/2.0/mlflow/runs/log-batch").get("POST").access();
        assertThat(logBatch.getResource()).isEqualTo(Access.Resource.RUN);
        assertThat(logBatch.getLevel()).isEqualTo(Access.Level.UPDATE);
        assertThat(logBatch.getFieldList()).containsExactly("run_id");
        // carried into the /ajax-api/ mount too
        assertThat(all.at("/ajax-api/2.0/mlflow/runs/log-batch").get("POST").access())
                .isEqualTo(logBatch);
        Access getRun = all.at("/api/2.0/mlflow/runs/get").get("GET").access();
        assertThat(getRun.getResource()).isEqualTo(Access.Resource.RUN);
        assertThat(getRun.getLevel()).isEqualTo(Access.Level.READ);
        assertThat(getRun.getFieldList()).containsExactly("run_id", "run_uuid");
        Access deleteModel =
                all.at("/api/2.0/mlflow/registered-models/delete").get("DELETE").access();
        assertThat(deleteModel.getResource()).isEqualTo(Access.Resource.REGISTERED_MODEL);
        assertThat(deleteModel.getLevel()).isEqualTo(Access.Level.DELETE);
        assertThat(deleteModel.getFieldList()).containsExactly("name");
        Access byName =
                all.at("/api/2.0/mlflow/experiments/get-by-name").get("GET").access();
        assertThat(byName.getResource()).isEqualTo(Access.Resource.EXPERIMENT);
        assertThat(byName.getFieldList()).isEmpty();
        assertThat(byName.getResponseField()).isEqualTo("experiment.experiment_id");
        Access searchRuns = all.at("/api/2.0/mlflow/runs/search").get("POST").access();
        assertThat(searchRuns.getResource()).isEqualTo(Access.Resource.EXPERIMENT);
        assertThat(searchRuns.getFilter()).isTrue();
        assertThat(all.at("/api/2.0/mlflow/experiments/create")
                        .get("POST")
                        .access()
                        .getResource())
                .isEqualTo(Access.Resource.ANY_USER);
        Access deleteArtifact = all.match("/api/2.0/mlflow-artifacts/artifacts/1/a.txt")
                .routes()
                .get("DELETE")
                .access();
        assertThat(deleteArtifact.getResource()).isEqualTo(Access.Resource.ARTIFACT_PATH);
        assertThat(deleteArtifact.getLevel()).isEqualTo(Access.Level.MANAGE);
        // webhook management, the audit trail and operator actions are for administrators only
        assertThat(all.all().stream()
                        .filter(r -> r.path().contains("/webhooks")
                                || r.path().contains("/skein/audit/")
                                || r.path().contains("/skein/admin/")))
                .isNotEmpty()
                .allSatisfy(r -> assertThat(r.access().getResource()).isEqualTo(Access.Resource.ADMIN));
        // LogSpans has no binding (the gateway's OTLP endpoint calls it) but declares its access too
        Access logSpans = RouteTable.access(TraceServiceGrpc.getLogSpansMethod());
        assertThat(logSpans.getResource()).isEqualTo(Access.Resource.EXPERIMENT);
        assertThat(logSpans.getLevel()).isEqualTo(Access.Level.UPDATE);
        assertThat(RouteTable.access(LoggedModelServiceGrpc.getListLoggedModelVersionMethod()))
                .isNull();
    }
}
