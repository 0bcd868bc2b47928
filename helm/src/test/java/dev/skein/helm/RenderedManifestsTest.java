package dev.skein.helm;

import static dev.skein.helm.Manifests.component;
import static dev.skein.helm.Manifests.env;
import static dev.skein.helm.Manifests.envValue;
import static dev.skein.helm.Manifests.podSpec;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.skein.common.catalogue.Catalogue;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;

/** The chart rendered with the examples of deploy/k8s and a test values file, checked against the catalogue. */
class RenderedManifestsTest {

    static final Catalogue CATALOGUE = Chart.catalogue();
    static final Path MINIMAL = Chart.DEPLOY_K8S.resolve("values-minimal.yaml");
    static final Path PRODUCTION = Chart.DEPLOY_K8S.resolve("values-production.yaml");
    static final Path EVERYTHING = Chart.MODULE.resolve("src/test/resources/values-everything.yaml");
    private static final Pattern CREDENTIAL = Pattern.compile(".*(PASSWORD|TOKEN|SECRET|KEY).*");

    /** A render and the values it was made with (merged: chart defaults, then the file). */
    record Render(String name, Manifests manifests, JsonNode values) {
        /** A component's settings: componentDefaults with components.<key> merged over them, as the chart does. */
        JsonNode component(String key) {
            return merge(
                    values.path("componentDefaults"), values.path("components").path(key));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> renders() {
        return Stream.of(render(MINIMAL), render(PRODUCTION), render(EVERYTHING))
                .map(Arguments::of);
    }

    static Render render(Path values) {
        return new Render(values.getFileName().toString(), Manifests.parse(Chart.render(values)), mergedValues(values));
    }

    static JsonNode mergedValues(Path file) {
        try {
            ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
            JsonNode defaults = yaml.readTree(Chart.CHART.resolve("values.yaml").toFile());
            return merge(defaults, yaml.readTree(file.toFile()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Helm's merge of values: maps merge key by key, anything else (lists included) is replaced. */
    private static JsonNode merge(JsonNode base, JsonNode over) {
        if (over == null || over.isMissingNode()) {
            return base;
        }
        if (base instanceof ObjectNode b && over instanceof ObjectNode o) {
            ObjectNode out = b.deepCopy();
            o.fields().forEachRemaining(e -> out.set(e.getKey(), merge(out.get(e.getKey()), e.getValue())));
            return out;
        }
        return over;
    }

    static Catalogue.Service service(HasMetadata r) {
        return CATALOGUE.services().get(component(r).replaceFirst("-migrate$", ""));
    }

    static Container container(HasMetadata workload) {
        List<Container> containers = podSpec(workload).getContainers();
        assertThat(containers).as(workload.getMetadata().getName()).hasSize(1);
        return containers.get(0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldRenderOneDeploymentAndServicePerEnabledCatalogueService(Render r) {
        Set<String> enabled = CATALOGUE.services().keySet().stream()
                .filter(k -> r.component(k).path("enabled").asBoolean())
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(enabled).isNotEmpty();
        assertThat(r.manifests().of(Deployment.class))
                .extracting(Manifests::component)
                .containsExactlyInAnyOrderElementsOf(enabled);
        assertThat(r.manifests().of(Service.class))
                .extracting(Manifests::component)
                .containsExactlyInAnyOrderElementsOf(enabled);
        for (Service s : r.manifests().of(Service.class)) {
            Catalogue.Service svc = service(s);
            assertThat(s.getSpec().getType()).isEqualTo("ClusterIP");
            // the management port stays on the Service: ServiceMonitors scrape its endpoints
            assertThat(s.getSpec().getPorts())
                    .extracting(p -> p.getName() + ":" + p.getPort())
                    .containsExactlyInAnyOrder("http:" + svc.port(), "management:" + svc.managementPort());
            // the public port speaks HTTP/1.1 and HTTP/2 to ingress controllers, as does one only ever called over
            // plain
            // HTTP; an internal one gRPC over cleartext HTTP/2
            assertThat(s.getSpec().getPorts())
                    .filteredOn(p -> p.getName().equals("http"))
                    .singleElement()
                    .satisfies(p -> assertThat(p.getAppProtocol())
                            .as(svc.key())
                            .isEqualTo(svc.isPublic() || calledOverHttpOnly(svc.key()) ? "http" : "kubernetes.io/h2c"));
        }
    }

    /** Whether the catalogue's callers of a service all reach it over plain HTTP (and some do). */
    private static boolean calledOverHttpOnly(String key) {
        List<Catalogue.Upstream> calls = CATALOGUE.services().values().stream()
                .flatMap(s -> s.upstreams().stream())
                .filter(u -> u.service().equals(key))
                .toList();
        return !calls.isEmpty() && calls.stream().allMatch(Catalogue.Upstream::http);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldGiveEveryContainerRequestsLimitsProbesAndTheRestrictedSecurityContext(Render r) {
        assertThat(r.manifests().workloads()).isNotEmpty();
        for (HasMetadata w : r.manifests().workloads()) {
            String name = w.getKind() + " " + w.getMetadata().getName();
            PodSpec pod = podSpec(w);
            Container c = container(w);
            assertThat(c.getResources().getRequests()).as(name).containsKeys("cpu", "memory", "ephemeral-storage");
            assertThat(c.getResources().getLimits()).as(name).containsKeys("cpu", "memory", "ephemeral-storage");
            assertThat(pod.getAutomountServiceAccountToken()).as(name).isFalse();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(name).isTrue();
            assertThat(pod.getSecurityContext().getRunAsUser()).as(name).isEqualTo(185L);
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            SecurityContext sc = c.getSecurityContext();
            assertThat(sc.getRunAsNonRoot()).as(name).isTrue();
            assertThat(sc.getRunAsUser()).as(name).isEqualTo(185L);
            assertThat(sc.getAllowPrivilegeEscalation()).as(name).isFalse();
            assertThat(sc.getReadOnlyRootFilesystem()).as(name).isTrue();
            assertThat(sc.getCapabilities().getDrop()).as(name).containsExactly("ALL");
            assertThat(sc.getCapabilities().getAdd()).as(name).isNullOrEmpty();
            assertThat(sc.getSeccompProfile().getType()).as(name).isEqualTo("RuntimeDefault");
            assertThat(sc.getPrivileged()).as(name).isNotEqualTo(Boolean.TRUE);
            // the only writable path: an emptyDir at /tmp
            String tmpVolume = c.getVolumeMounts().stream()
                    .filter(m -> m.getMountPath().equals("/tmp"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(name + " has no /tmp"))
                    .getName();
            assertThat(pod.getVolumes())
                    .filteredOn(v -> v.getName().equals(tmpVolume))
                    .singleElement()
                    .satisfies(v -> {
                        // bounded: a runaway writer is evicted instead of filling the node's disk
                        assertThat(v.getEmptyDir()).isNotNull();
                        assertThat(v.getEmptyDir().getSizeLimit())
                                .as(name + " /tmp sizeLimit")
                                .isNotNull();
                        assertThat(v.getEmptyDir().getSizeLimit().getNumericalAmount())
                                .as(name + " /tmp within the ephemeral-storage limit")
                                .isLessThanOrEqualTo(c.getResources()
                                        .getLimits()
                                        .get("ephemeral-storage")
                                        .getNumericalAmount());
                    });
            assertThat(c.getVolumeMounts())
                    .filteredOn(m -> !m.getMountPath().equals("/tmp"))
                    .allSatisfy(m -> assertThat(m.getReadOnly())
                            .as(name + " " + m.getMountPath())
                            .isTrue());
            assertThat(c.getImage())
                    .as(name)
                    .contains("/" + service(w).module())
                    .doesNotEndWith(":");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldProbeStartedReadyAndLiveOnTheManagementPortOnly(Render r) {
        for (Deployment d : r.manifests().of(Deployment.class)) {
            Catalogue.Service svc = service(d);
            Container c = container(d);
            assertThat(c.getPorts())
                    .extracting(p -> p.getName() + ":" + p.getContainerPort())
                    .containsExactlyInAnyOrder("http:" + svc.port(), "management:" + svc.managementPort());
            assertProbe(c.getStartupProbe(), "/q/health/started");
            assertProbe(c.getReadinessProbe(), "/q/health/ready");
            assertProbe(c.getLivenessProbe(), "/q/health/live");
            assertThat(envValue(c, "QUARKUS_HTTP_PORT")).isEqualTo(String.valueOf(svc.port()));
            assertThat(envValue(c, "QUARKUS_HTTP_HOST")).isEqualTo("0.0.0.0");
            assertThat(envValue(c, "QUARKUS_MANAGEMENT_PORT")).isEqualTo(String.valueOf(svc.managementPort()));
            assertThat(envValue(c, "QUARKUS_MANAGEMENT_HOST")).isEqualTo("0.0.0.0");
        }
    }

    private static void assertProbe(Probe probe, String path) {
        assertThat(probe).as(path).isNotNull();
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("management");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldHaveAPodDisruptionBudgetExactlyWhenMoreThanOneReplicaRuns(Render r) {
        for (Deployment d : r.manifests().of(Deployment.class)) {
            String key = component(d);
            JsonNode c = r.component(key);
            boolean autoscaled = c.path("autoscaling").path("enabled").asBoolean();
            int min = autoscaled
                    ? c.path("autoscaling").path("minReplicas").asInt()
                    : c.path("replicas").asInt();
            boolean expected =
                    min > 1 && c.path("podDisruptionBudget").path("enabled").asBoolean();
            var pdb = r.manifests().forComponent(PodDisruptionBudget.class, key);
            assertThat(pdb.isPresent())
                    .as("PDB of " + key + " (min replicas " + min + ")")
                    .isEqualTo(expected);
            pdb.ifPresent(p -> {
                assertThat(p.getSpec().getMinAvailable().getIntVal())
                        .isEqualTo(c.path("podDisruptionBudget")
                                .path("minAvailable")
                                .asInt());
                assertThat(p.getSpec().getSelector().getMatchLabels())
                        .isEqualTo(d.getSpec().getSelector().getMatchLabels());
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldAutoscaleWithAnHpaOrKedaAsConfigured(Render r) {
        for (Deployment d : r.manifests().of(Deployment.class)) {
            String key = component(d);
            JsonNode a = r.component(key).path("autoscaling");
            boolean autoscaled = a.path("enabled").asBoolean();
            boolean keda = autoscaled && a.path("keda").path("enabled").asBoolean();
            var hpa = r.manifests().forComponent(HorizontalPodAutoscaler.class, key);
            var scaledObject = r.manifests().custom("ScaledObject").stream()
                    .filter(o -> key.equals(component(o)))
                    .findFirst();
            assertThat(hpa.isPresent()).as("HPA of " + key).isEqualTo(autoscaled && !keda);
            assertThat(scaledObject.isPresent()).as("ScaledObject of " + key).isEqualTo(keda);
            // an autoscaler owns the replica count
            assertThat(d.getSpec().getReplicas())
                    .as("replicas of " + key)
                    .isEqualTo(
                            autoscaled
                                    ? null
                                    : r.component(key).path("replicas").asInt());
            hpa.ifPresent(h -> {
                assertThat(h.getSpec().getScaleTargetRef().getName())
                        .isEqualTo(d.getMetadata().getName());
                assertThat(h.getSpec().getMinReplicas())
                        .isEqualTo(a.path("minReplicas").asInt());
                assertThat(h.getSpec().getMaxReplicas())
                        .isEqualTo(a.path("maxReplicas").asInt());
                List<String> resources = h.getSpec().getMetrics().stream()
                        .map(MetricSpec::getResource)
                        .map(m -> m.getName() + "=" + m.getTarget().getAverageUtilization())
                        .collect(Collectors.toList());
                List<String> expected = new ArrayList<>();
                if (a.path("targetCPUUtilizationPercentage").asInt() > 0)
                    expected.add(
                            "cpu=" + a.path("targetCPUUtilizationPercentage").asInt());
                if (a.path("targetMemoryUtilizationPercentage").asInt() > 0)
                    expected.add("memory="
                            + a.path("targetMemoryUtilizationPercentage").asInt());
                assertThat(resources).containsExactlyInAnyOrderElementsOf(expected);
            });
        }
    }

    @Test
    void shouldRenderAServiceAddedToTheCatalogueWithoutAnyValuesOfItsOwn() throws IOException {
        String catalogue = java.nio.file.Files.readString(Chart.CHART.resolve("catalogue.yaml"));
        String marker = "\n# Every topic the services use";
        assertThat(catalogue).contains(marker);
        String lineage =
                """

                  lineage:
                    module: lineage-service
                    port: 8084
                    managementPort: 9084
                    schema: lineage
                    needs: [postgresql, kafka]
                    upstreams:
                      - {service: tracking, client: tracking}
                    produces: []
                    consumes:
                      - {topic: skein.tracking.runs.v1, group: lineage-service-runs}
                """;
        String extended = catalogue.replace(marker, lineage.stripTrailing() + "\n" + marker);
        // the example values, unchanged: no components.lineage entry anywhere
        assertThat(mergedValues(MINIMAL).path("components").has("lineage")).isFalse();
        Manifests m = Manifests.parse(Chart.renderWithCatalogue("lineage", extended, List.of(MINIMAL)));

        Deployment d = m.forComponent(Deployment.class, "lineage").orElseThrow();
        Container c = container(d);
        assertThat(c.getImage()).contains("/lineage-service:");
        assertThat(envValue(c, "QUARKUS_HTTP_PORT")).isEqualTo("8084");
        assertThat(envValue(c, "QUARKUS_GRPC_CLIENTS_TRACKING_LOAD_BALANCING_POLICY"))
                .isEqualTo("round_robin");
        assertThat(envValue(c, "SKEIN_DB_HOST")).isEqualTo("skein-db.example.internal");
        assertThat(env(c).get("SKEIN_DB_USER").getValueFrom().getSecretKeyRef().getKey())
                .isEqualTo("lineage-username");
        assertThat(c.getResources().getLimits().get("memory"))
                .hasToString(mergedValues(MINIMAL)
                        .path("componentDefaults")
                        .path("resources")
                        .path("limits")
                        .path("memory")
                        .asText());
        assertThat(d.getSpec().getReplicas()).isEqualTo(1);

        Service s = m.forComponent(Service.class, "lineage").orElseThrow();
        assertThat(s.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(m.forComponent(io.fabric8.kubernetes.api.model.ServiceAccount.class, "lineage"))
                .isPresent();
        assertThat(m.forComponent(Job.class, "lineage-migrate")).isPresent();

        // the catalogue's edges: lineage may call tracking, and tracking admits lineage
        NetworkPolicy own = m.forComponent(NetworkPolicy.class, "lineage").orElseThrow();
        assertThat(own.getSpec().getEgress()).anySatisfy(rule -> assertThat(rule.getTo())
                .anySatisfy(peer -> assertThat(peerComponent(peer)).isEqualTo("tracking")));
        NetworkPolicy tracking = m.forComponent(NetworkPolicy.class, "tracking").orElseThrow();
        assertThat(tracking.getSpec().getIngress()).anySatisfy(rule -> assertThat(rule.getFrom())
                .anySatisfy(peer -> assertThat(peerComponent(peer)).isEqualTo("lineage")));

        // and components.<key>.enabled=false still leaves it out
        Manifests off = Manifests.parse(Chart.renderWithCatalogue(
                "lineage-off", extended, List.of(MINIMAL), "components.lineage.enabled=false"));
        assertThat(off.forComponent(Deployment.class, "lineage")).isEmpty();
        assertThat(off.forComponent(Job.class, "lineage-migrate")).isEmpty();
        assertThat(off.forComponent(Deployment.class, "tracking")).isPresent();
    }

    @Test
    void shouldGiveTheLlmGatewayItsEndpointsAsAMountedFileAndItsProviderKeysFromSecrets() throws IOException {
        Render r = render(EVERYTHING);
        Container c = container(
                r.manifests().forComponent(Deployment.class, "llmgateway").orElseThrow());
        assertThat(envValue(c, "SKEIN_LLM_GATEWAY_CONFIG_FILE")).isEqualTo("/etc/skein/llm-gateway/config.yaml");
        Map<String, Object> file = new Yaml().load(endpointsFile(r.manifests()));
        // as the operator wrote them (SnakeYAML, as the service reads it: a date-like version must stay a string)
        Map<String, Object> values = new Yaml().load(java.nio.file.Files.readString(EVERYTHING));
        Object given = ((Map<?, ?>) ((Map<?, ?>) values.get("components")).get("llmgateway")).get("endpoints");
        assertThat(file).containsOnlyKeys("endpoints");
        assertThat(file.get("endpoints")).isEqualTo(given);
        assertThat(file.toString()).contains("openai_api_version=2024-02-01", "openai_api_key=$OPENAI_API_KEY");
        // the keys themselves come from Secrets, into the variables the file names
        Map<String, EnvVar> env = env(c);
        assertThat(env.get("OPENAI_API_KEY").getValue()).isNull();
        assertThat(env.get("OPENAI_API_KEY").getValueFrom().getSecretKeyRef())
                .satisfies(ref -> assertThat(ref.getName() + "/" + ref.getKey()).isEqualTo("llm-providers/openai"));
        assertThat(env.get("AZURE_OPENAI_API_KEY").getValueFrom().getSecretKeyRef())
                .satisfies(ref -> assertThat(ref.getName() + "/" + ref.getKey()).isEqualTo("llm-providers/azure"));
        // a service that calls no LLM provider gets none of it
        Container gateway = container(
                r.manifests().forComponent(Deployment.class, "gateway").orElseThrow());
        assertThat(env(gateway)).doesNotContainKeys("SKEIN_LLM_GATEWAY_CONFIG_FILE", "OPENAI_API_KEY");
    }

    @Test
    void shouldWriteAValidEndpointsFileWithoutAnyEndpoints() {
        Map<String, Object> file = new Yaml().load(endpointsFile(render(MINIMAL).manifests()));
        assertThat(file).isEqualTo(Map.of("endpoints", List.of()));
    }

    @Test
    void shouldRollTheLlmGatewaysPodsWhenItsEndpointsChange() throws IOException {
        Manifests none = render(MINIMAL).manifests();
        Manifests some = Manifests.parse(
                Chart.render(
                        List.of(
                                MINIMAL,
                                ChartLintAndSchemaTest.values(
                                        """
                        components:
                          llmgateway:
                            endpoints:
                              - name: local
                                endpoint_type: llm/v1/chat
                                model:
                                  provider: openai
                                  name: llama3
                                  config: {openai_api_key: $LOCAL_KEY, openai_api_base: "http://vllm.llm.svc:8000/v1"}
                            providerKeys: [{env: LOCAL_KEY, existingSecret: vllm, key: token}]
                        """))));
        String before = endpointsChecksum(none);
        String after = endpointsChecksum(some);
        assertThat(before).isNotEqualTo(after);
        // the annotation is the checksum of the file the pods mount
        assertThat(after).isEqualTo(sha256(endpointsFile(some).strip()));
        assertThat(before).isEqualTo(sha256(endpointsFile(none).strip()));
        // and nothing else's pods roll
        for (String other : List.of("gateway", "tracking")) {
            assertThat(podAnnotations(some, other)).as(other).isEqualTo(podAnnotations(none, other));
        }
    }

    /** The endpoints file as mounted where SKEIN_LLM_GATEWAY_CONFIG_FILE points: its ConfigMap's key, read-only. */
    private static String endpointsFile(Manifests m) {
        Deployment d = m.forComponent(Deployment.class, "llmgateway").orElseThrow();
        Container c = container(d);
        String path = envValue(c, "SKEIN_LLM_GATEWAY_CONFIG_FILE");
        VolumeMount mount = c.getVolumeMounts().stream()
                .filter(v -> path.startsWith(v.getMountPath() + "/"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("nothing mounted at " + path));
        assertThat(mount.getReadOnly()).isTrue();
        Volume volume = podSpec(d).getVolumes().stream()
                .filter(v -> v.getName().equals(mount.getName()))
                .findFirst()
                .orElseThrow();
        String relative = path.substring(mount.getMountPath().length() + 1);
        KeyToPath item = volume.getConfigMap().getItems().stream()
                .filter(i -> i.getPath().equals(relative))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no item " + relative + " in volume " + volume.getName()));
        return m.of(ConfigMap.class).stream()
                .filter(cm ->
                        cm.getMetadata().getName().equals(volume.getConfigMap().getName()))
                .findFirst()
                .orElseThrow()
                .getData()
                .get(item.getKey());
    }

    private static String endpointsChecksum(Manifests m) {
        return podAnnotations(m, "llmgateway").get("checksum/endpoints");
    }

    private static Map<String, String> podAnnotations(Manifests m, String component) {
        Map<String, String> annotations = m.forComponent(Deployment.class, component)
                .orElseThrow()
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getAnnotations();
        return annotations == null ? Map.of() : annotations;
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void shouldScaleTrackingsMetricIngestOnItsConsumerGroupsLagWithKeda() {
        Render r = render(PRODUCTION);
        List<GenericKubernetesResource> objects = r.manifests().custom("ScaledObject");
        assertThat(objects).extracting(Manifests::component).containsExactly("tracking");
        @SuppressWarnings("unchecked")
        Map<String, Object> spec =
                (Map<String, Object>) objects.get(0).getAdditionalProperties().get("spec");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> triggers = (List<Map<String, Object>>) spec.get("triggers");
        Set<String> kafka = triggers.stream()
                .filter(t -> "kafka".equals(t.get("type")))
                .map(t -> (Map<?, ?>) t.get("metadata"))
                .map(m -> m.get("topic") + "@" + m.get("consumerGroup") + " via " + m.get("bootstrapServers"))
                .collect(Collectors.toSet());
        Set<String> expected = CATALOGUE.services().get("tracking").consumes().stream()
                .map(c -> c.topic() + "@" + c.group() + " via "
                        + r.values().path("kafka").path("bootstrapServers").asText())
                .collect(Collectors.toSet());
        assertThat(expected)
                .contains(
                        "skein.tracking.metrics.v1@tracking-service-metrics-ingest via skein-kafka-bootstrap.kafka.svc:9093");
        assertThat(kafka).isEqualTo(expected);
        assertThat(triggers).anySatisfy(t -> assertThat(t.get("type")).isEqualTo("cpu"));
        assertThat(((Map<?, ?>) spec.get("scaleTargetRef")).get("name")).isEqualTo("skein-tracking");
        assertThat(spec.get("minReplicaCount")).isEqualTo(3);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldAllowExactlyTheCataloguesCallsInNetworkPolicies(Render r) {
        Map<String, String> byPodLabel =
                CATALOGUE.services().keySet().stream().collect(Collectors.toMap(k -> k, k -> k));
        Set<String> ingressEdges = new TreeSet<>();
        Set<String> egressEdges = new TreeSet<>();
        List<NetworkPolicy> policies = r.manifests().of(NetworkPolicy.class).stream()
                .filter(p -> byPodLabel.containsKey(component(p)))
                .collect(Collectors.toList());
        assertThat(policies)
                .extracting(Manifests::component)
                .containsExactlyInAnyOrderElementsOf(r.manifests().of(Deployment.class).stream()
                        .map(Manifests::component)
                        .collect(Collectors.toList()));
        for (NetworkPolicy p : policies) {
            String self = component(p);
            Catalogue.Service svc = CATALOGUE.services().get(self);
            assertThat(p.getSpec().getPodSelector().getMatchLabels()).containsEntry(Manifests.COMPONENT, self);
            assertThat(p.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
            for (NetworkPolicyIngressRule rule : p.getSpec().getIngress()) {
                Set<Integer> ports = ports(rule.getPorts());
                assertThat(ports).as(self + " ingress ports").hasSize(1);
                int port = ports.iterator().next();
                assertThat(port).as(self + " ingress port").isIn(svc.port(), svc.managementPort());
                if (port == svc.managementPort()) {
                    assertThat(rule.getFrom())
                            .as(self + " management port from")
                            .isNotEmpty()
                            .allSatisfy(peer -> assertThat(peerComponent(peer)).isNull());
                    continue;
                }
                if (rule.getFrom() == null || rule.getFrom().isEmpty()) {
                    assertThat(svc.isPublic())
                            .as(self + " is open to all: only a public service may be")
                            .isTrue();
                }
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    String caller = peerComponent(peer);
                    if (caller != null) {
                        ingressEdges.add(caller + "->" + self);
                    } else {
                        assertThat(svc.isPublic())
                                .as(self + " admits a non-component peer: only a public service may")
                                .isTrue();
                    }
                }
            }
            p.getSpec().getEgress().forEach(rule -> rule.getTo().forEach(peer -> {
                String callee = peerComponent(peer);
                if (callee != null) {
                    assertThat(ports(rule.getPorts()))
                            .as(self + "->" + callee)
                            .containsExactly(CATALOGUE.services().get(callee).port());
                    egressEdges.add(self + "->" + callee);
                }
            }));
        }
        Set<String> expected = CATALOGUE.services().values().stream()
                .flatMap(s -> s.upstreams().stream().map(u -> s.key() + "->" + u.service()))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(expected)
                .containsExactlyInAnyOrder(
                        "gateway->tracking",
                        "gateway->registry",
                        "gateway->artifact",
                        "registry->tracking",
                        "artifact->tracking",
                        "artifact->registry",
                        "gateway->evaluation",
                        "evaluation->tracking",
                        "evaluation->registry",
                        "evaluation->artifact",
                        "evaluation->llmgateway",
                        "gateway->llmgateway");
        assertThat(ingressEdges).isEqualTo(expected);
        assertThat(egressEdges).isEqualTo(expected);
    }

    private static Set<Integer> ports(List<NetworkPolicyPort> ports) {
        return ports.stream().map(p -> p.getPort().getIntVal()).collect(Collectors.toSet());
    }

    /** The component a peer selects, when it selects this release's pods of one component. */
    private static String peerComponent(NetworkPolicyPeer peer) {
        if (peer.getPodSelector() == null || peer.getNamespaceSelector() != null || peer.getIpBlock() != null) {
            return null;
        }
        Map<String, String> labels = peer.getPodSelector().getMatchLabels();
        if (labels == null || !Chart.RELEASE.equals(labels.get("app.kubernetes.io/instance"))) {
            return null;
        }
        return labels.get(Manifests.COMPONENT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldLetEachServiceReachOnlyTheDependenciesTheCatalogueNames(Render r) {
        for (NetworkPolicy p : r.manifests().of(NetworkPolicy.class)) {
            if (!CATALOGUE.services().containsKey(component(p))) {
                continue;
            }
            Catalogue.Service svc = CATALOGUE.services().get(component(p));
            Set<Integer> externalPorts = new TreeSet<>();
            p.getSpec().getEgress().stream()
                    .filter(rule ->
                            rule.getTo() == null || rule.getTo().stream().allMatch(peer -> peerComponent(peer) == null))
                    .forEach(rule -> rule.getPorts()
                            .forEach(port -> externalPorts.add(port.getPort().getIntVal())));
            Set<Integer> expected = new TreeSet<>();
            r.values().path("networkPolicy").path("dns").path("ports").forEach(n -> expected.add(n.asInt()));
            Stream.concat(svc.needs().stream(), svc.outbound().stream()).forEach(dep -> r.values()
                    .path("networkPolicy")
                    .path("egress")
                    .path(dep)
                    .path("ports")
                    .forEach(n -> expected.add(n.asInt())));
            assertThat(externalPorts).as("egress ports of " + svc.key()).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldMigrateEachSchemaOnceInAHookJobAndNeverAtStart(Render r) {
        List<Job> jobs = r.manifests().of(Job.class);
        Set<String> schemas = CATALOGUE.services().values().stream()
                .filter(s -> s.schema() != null
                        && r.component(s.key()).path("enabled").asBoolean())
                .map(Catalogue.Service::key)
                .collect(Collectors.toSet());
        assertThat(schemas).isNotEmpty();
        assertThat(jobs).extracting(j -> service(j).key()).containsExactlyInAnyOrderElementsOf(schemas);
        for (Job job : jobs) {
            Catalogue.Service svc = service(job);
            Map<String, String> annotations = job.getMetadata().getAnnotations();
            assertThat(annotations)
                    .containsEntry("helm.sh/hook", "pre-install,pre-upgrade")
                    .containsEntry("helm.sh/hook-delete-policy", "before-hook-creation,hook-succeeded");
            if (r.values().path("networkPolicy").path("enabled").asBoolean()) {
                // the Job's pods are confined from their first start, on a first install too: their NetworkPolicy is
                // a hook made before the Job (a lower weight) and replaced, not deleted, by the next hook run
                NetworkPolicy policy = r.manifests()
                        .forComponent(NetworkPolicy.class, component(job))
                        .orElseThrow(() -> new AssertionError(
                                "no NetworkPolicy for " + job.getMetadata().getName()));
                assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
                        .containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
                Map<String, String> hook = policy.getMetadata().getAnnotations();
                assertThat(hook)
                        .as("NetworkPolicy of " + job.getMetadata().getName())
                        .containsEntry("helm.sh/hook", "pre-install,pre-upgrade")
                        .containsEntry("helm.sh/hook-delete-policy", "before-hook-creation");
                assertThat(Integer.parseInt(hook.get("helm.sh/hook-weight")))
                        .isLessThan(Integer.parseInt(annotations.getOrDefault("helm.sh/hook-weight", "0")));
            }
            assertThat(job.getSpec().getBackoffLimit()).isNotNull();
            assertThat(job.getSpec().getActiveDeadlineSeconds()).isPositive();
            PodSpec pod = podSpec(job);
            assertThat(pod.getRestartPolicy()).isEqualTo("Never");
            // hooks run before the chart's ServiceAccounts and ConfigMaps exist on a first install
            assertThat(pod.getServiceAccountName()).isNull();
            assertThat(pod.getVolumes())
                    .allSatisfy(v -> assertThat(v.getConfigMap()).isNull());
            Container c = container(job);
            Deployment d =
                    r.manifests().forComponent(Deployment.class, svc.key()).orElseThrow();
            assertThat(c.getImage()).isEqualTo(container(d).getImage());
            assertThat(envValue(c, "QUARKUS_INIT_AND_EXIT")).isEqualTo("true");
            assertThat(envValue(c, "QUARKUS_FLYWAY_MIGRATIONS_MIGRATE_AT_START"))
                    .isEqualTo("true");
            Map<String, EnvVar> env = env(c);
            assertThat(env)
                    .containsKeys(
                            "SKEIN_DB_HOST",
                            "SKEIN_DB_PORT",
                            "SKEIN_DB_NAME",
                            "SKEIN_DB_USER",
                            "SKEIN_DB_PASSWORD",
                            "SKEIN_DB_OWNER_USER",
                            "SKEIN_DB_OWNER_PASSWORD",
                            "SKEIN_INTERNAL_TOKEN");
            // the runtime role the migrations grant to is the Deployment's
            Map<String, EnvVar> deploymentEnv = env(container(d));
            assertThat(env.get("SKEIN_DB_USER")).isEqualTo(deploymentEnv.get("SKEIN_DB_USER"));
            assertThat(env.get("SKEIN_DB_HOST")).isEqualTo(deploymentEnv.get("SKEIN_DB_HOST"));
            assertThat(env.get("SKEIN_DB_NAME")).isEqualTo(deploymentEnv.get("SKEIN_DB_NAME"));
            assertThat(env.get("SKEIN_DB_OWNER_USER")
                            .getValueFrom()
                            .getSecretKeyRef()
                            .getKey())
                    .isEqualTo(r.values()
                            .path("postgresql")
                            .path("ownerUsernameKey")
                            .asText());
            // only the Secrets a migration needs: the database roles and the internal token (the services refuse to
            // start without it); the webhook keys and the first administrator are used by the running service only
            // (an operator's own components.<name>.env is theirs)
            Set<String> operators = new TreeSet<>();
            r.component(svc.key())
                    .path("env")
                    .forEach(e -> operators.add(e.path("name").asText()));
            assertThat(env.values().stream()
                            .filter(e -> !operators.contains(e.getName()))
                            .filter(e ->
                                    e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
                            .map(EnvVar::getName))
                    .as("Secrets given to the migration Job of " + svc.key())
                    .allMatch(n -> Set.of(
                                    "SKEIN_DB_USER",
                                    "SKEIN_DB_PASSWORD",
                                    "SKEIN_DB_OWNER_USER",
                                    "SKEIN_DB_OWNER_PASSWORD",
                                    "SKEIN_INTERNAL_TOKEN",
                                    "SKEIN_INTERNAL_ACCEPTED_TOKENS")
                            .contains(n));
        }
        for (Deployment d : r.manifests().of(Deployment.class)) {
            Container c = container(d);
            boolean hasSchema = service(d).schema() != null;
            assertThat(envValue(c, "QUARKUS_FLYWAY_MIGRATIONS_MIGRATE_AT_START"))
                    .as(component(d))
                    .isEqualTo(hasSchema ? "false" : null);
            assertThat(env(c))
                    .as(component(d))
                    .doesNotContainKeys("SKEIN_DB_OWNER_USER", "SKEIN_DB_OWNER_PASSWORD", "QUARKUS_INIT_AND_EXIT");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldLeaveItsEndpointsAndFinishRunningRequestsBeforeTheKubeletKillsIt(Render r) {
        for (Deployment d : r.manifests().of(Deployment.class)) {
            String key = component(d);
            Container c = container(d);
            PodSpec pod = podSpec(d);
            List<String> preStop = c.getLifecycle().getPreStop().getExec().getCommand();
            assertThat(preStop).as(key + " preStop").hasSize(2).first().isEqualTo("sleep");
            long sleep = Long.parseLong(preStop.get(1));
            assertThat(sleep).as(key + " preStop sleep").isPositive();
            String timeout = envValue(c, "QUARKUS_SHUTDOWN_TIMEOUT");
            assertThat(timeout).as(key + " QUARKUS_SHUTDOWN_TIMEOUT").matches("\\d+s");
            long shutdown = Long.parseLong(timeout.replace("s", ""));
            assertThat(pod.getTerminationGracePeriodSeconds())
                    .as(key + ": grace period > preStop sleep + shutdown timeout")
                    .isGreaterThan(sleep + shutdown);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldGiveEveryJdbcDatasourceTheSameTlsAsTheMigrations(Render r) throws IOException {
        String sslMode = r.values().path("postgresql").path("sslMode").asText();
        for (HasMetadata w : r.manifests().workloads()) {
            Catalogue.Service svc = service(w);
            if (svc.schema() == null) {
                continue;
            }
            Container c = container(w);
            String migrations = envValue(c, "QUARKUS_DATASOURCE_MIGRATIONS_JDBC_URL");
            String properties = java.nio.file.Files.readString(
                    Chart.REPO.resolve(svc.module()).resolve("src/main/resources/application.properties"));
            boolean jdbc = properties.lines().anyMatch(l -> l.startsWith("quarkus.datasource.jdbc.url="));
            if (sslMode.isEmpty()) {
                assertThat(migrations).as(w.getMetadata().getName()).isNull();
                continue;
            }
            assertThat(migrations).as(w.getMetadata().getName()).contains("sslmode=" + sslMode);
            if (jdbc) {
                // the blocking pool of the module reaches the same PostgreSQL: the same sslmode and CA
                assertThat(envValue(c, "QUARKUS_DATASOURCE_JDBC_URL"))
                        .as(w.getMetadata().getName() + " (" + svc.module() + " has a JDBC datasource)")
                        .isEqualTo(migrations);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldKeepWebhooksIdentityAndLlmProvidersOffPrivateLinkLocalAndMetadataAddresses(Render r) {
        List<String> forbidden =
                List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10");
        for (NetworkPolicy p : r.manifests().of(NetworkPolicy.class)) {
            Catalogue.Service svc = CATALOGUE.services().get(component(p));
            if (svc == null || svc.outbound().isEmpty()) {
                continue;
            }
            for (String dep : svc.outbound()) {
                Set<Integer> depPorts = new TreeSet<>();
                r.values()
                        .path("networkPolicy")
                        .path("egress")
                        .path(dep)
                        .path("ports")
                        .forEach(n -> depPorts.add(n.asInt()));
                List<io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule> rules =
                        p.getSpec().getEgress().stream()
                                .filter(rule -> ports(rule.getPorts()).equals(depPorts))
                                .filter(rule -> rule.getTo() == null
                                        || rule.getTo().stream().allMatch(peer -> peerComponent(peer) == null))
                                .collect(Collectors.toList());
                assertThat(rules).as(svc.key() + " egress for " + dep).isNotEmpty();
                for (var rule : rules) {
                    assertThat(rule.getTo())
                            .as(svc.key() + " " + dep + ": not to any destination")
                            .isNotEmpty()
                            .allSatisfy(peer -> {
                                assertThat(peer.getIpBlock())
                                        .as(svc.key() + " " + dep + " peer")
                                        .isNotNull();
                                if (peer.getIpBlock().getCidr().equals("0.0.0.0/0")) {
                                    assertThat(peer.getIpBlock().getExcept())
                                            .as(svc.key() + " " + dep + " excepts")
                                            .containsAll(forbidden);
                                }
                            });
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldPointEveryUpstreamClientAtItsUpstreamsService(Render r) {
        Map<String, Service> services =
                r.manifests().of(Service.class).stream().collect(Collectors.toMap(Manifests::component, s -> s));
        for (Deployment d : r.manifests().of(Deployment.class)) {
            Catalogue.Service svc = service(d);
            Container c = container(d);
            List<String> clients = env(c).keySet().stream()
                    .filter(n -> n.matches("QUARKUS_GRPC_CLIENTS_.*_HOST"))
                    .collect(Collectors.toList());
            List<String> httpClients = env(c).keySet().stream()
                    .filter(n -> n.matches("SKEIN_UPSTREAMS_.*_HOST"))
                    .collect(Collectors.toList());
            assertThat(clients).hasSize((int)
                    svc.upstreams().stream().filter(u -> !u.http()).count());
            assertThat(httpClients).hasSize((int)
                    svc.upstreams().stream().filter(Catalogue.Upstream::http).count());
            if (svc.isPublic()) {
                // the public Service keeps its virtual IP: Ingress controllers and port-forward use it
                assertThat(services.get(svc.key()).getSpec().getClusterIP()).isNotEqualTo("None");
            }
            for (Catalogue.Upstream up : svc.upstreams()) {
                String client = up.client().toUpperCase().replaceAll("[^A-Z0-9]", "_");
                Service target = services.get(up.service());
                assertThat(target).as(svc.key() + " calls " + up.service()).isNotNull();
                int httpPort = target.getSpec().getPorts().stream()
                        .filter(p -> p.getName().equals("http"))
                        .findFirst()
                        .orElseThrow()
                        .getPort();
                String host = target.getMetadata().getName() + "." + Chart.NAMESPACE + ".svc";
                if (up.http()) {
                    // plain HTTP: the service reads skein.upstreams.<client>.host/port, and has no gRPC client to set
                    assertThat(envValue(c, "SKEIN_UPSTREAMS_" + client + "_HOST"))
                            .as(svc.key() + " -> " + up.service())
                            .isEqualTo(host);
                    assertThat(envValue(c, "SKEIN_UPSTREAMS_" + client + "_PORT"))
                            .isEqualTo(String.valueOf(httpPort));
                    assertThat(env(c).keySet())
                            .as(svc.key() + " -> " + up.service() + " over HTTP")
                            .noneMatch(n -> n.startsWith("QUARKUS_GRPC_CLIENTS_" + client + "_"));
                    continue;
                }
                assertThat(env(c).keySet()).noneMatch(n -> n.startsWith("SKEIN_UPSTREAMS_" + client + "_"));
                assertThat(envValue(c, "QUARKUS_GRPC_CLIENTS_" + client + "_HOST"))
                        .isEqualTo(host);
                assertThat(envValue(c, "QUARKUS_GRPC_CLIENTS_" + client + "_PORT"))
                        .isEqualTo(String.valueOf(httpPort));
                // one HTTP/2 connection through a virtual IP would pin every call to one pod: the host is a headless
                // Service (DNS answers with every ready pod) and the client balances calls over them
                assertThat(target.getSpec().getClusterIP())
                        .as(up.service() + "'s Service, called over gRPC by " + svc.key())
                        .isEqualTo("None");
                assertThat(envValue(c, "QUARKUS_GRPC_CLIENTS_" + client + "_LOAD_BALANCING_POLICY"))
                        .as(svc.key() + " -> " + up.service())
                        .isEqualTo("round_robin");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldCarryNoPlaintextCredential(Render r) {
        assertThat(r.manifests().text).doesNotContainPattern("(?m)^kind:\\s*Secret\\s*$");
        for (HasMetadata w : r.manifests().workloads()) {
            for (EnvVar e : container(w).getEnv()) {
                if (CREDENTIAL.matcher(e.getName()).matches()) {
                    assertThat(e.getValue())
                            .as(w.getMetadata().getName() + " " + e.getName())
                            .isNull();
                    assertThat(e.getValueFrom().getSecretKeyRef())
                            .as(w.getMetadata().getName() + " " + e.getName())
                            .isNotNull();
                }
            }
        }
        Pattern secretProperty = Pattern.compile("(?i)^([^=#]*(password|secret|token))=(.*)$");
        Pattern jaasPassword = Pattern.compile("password=\"([^\"]*)\"");
        for (ConfigMap cm : r.manifests().of(ConfigMap.class)) {
            for (String file : cm.getData().values()) {
                for (String line : file.split("\n")) {
                    Matcher m = secretProperty.matcher(line.trim());
                    if (m.matches()) {
                        assertThat(m.group(3))
                                .as(cm.getMetadata().getName() + ": " + m.group(1))
                                .matches("\\$\\{[A-Z0-9_]+}");
                    }
                    Matcher jaas = jaasPassword.matcher(line);
                    while (jaas.find()) {
                        assertThat(jaas.group(1))
                                .as(cm.getMetadata().getName() + " JAAS password")
                                .matches("\\$\\{[A-Z0-9_]+}");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldExposeOnlyThePublicServiceAndNeverItsManagementPort(Render r) {
        String fullname = r.values().path("fullnameOverride").asText().isEmpty()
                ? Chart.RELEASE
                : r.values().path("fullnameOverride").asText();
        Set<String> publicServices = CATALOGUE.services().values().stream()
                .filter(Catalogue.Service::isPublic)
                .map(s -> fullname + "-" + s.key())
                .collect(Collectors.toSet());
        assertThat(CATALOGUE.services().values().stream()
                        .filter(Catalogue.Service::isPublic)
                        .map(Catalogue.Service::key))
                .containsExactly("gateway");
        for (Ingress ingress : r.manifests().of(Ingress.class)) {
            ingress.getSpec()
                    .getRules()
                    .forEach(rule -> rule.getHttp().getPaths().forEach(path -> {
                        assertThat(path.getBackend().getService().getName()).isIn(publicServices);
                        assertThat(path.getBackend().getService().getPort().getName())
                                .isEqualTo("http");
                    }));
        }
        for (HTTPRoute route : r.manifests().of(HTTPRoute.class)) {
            route.getSpec().getRules().forEach(rule -> rule.getBackendRefs().forEach(ref -> {
                assertThat(ref.getName()).isIn(publicServices);
                assertThat(ref.getPort())
                        .isEqualTo(CATALOGUE.services().get("gateway").port());
            }));
        }
        boolean ingress = r.values().path("ingress").path("enabled").asBoolean();
        boolean route = r.values().path("httpRoute").path("enabled").asBoolean();
        assertThat(r.manifests().of(Ingress.class)).hasSize(ingress ? 1 : 0);
        assertThat(r.manifests().of(HTTPRoute.class)).hasSize(route ? 1 : 0);
        if (ingress) {
            Ingress i = r.manifests().of(Ingress.class).get(0);
            List<String> tls = new ArrayList<>();
            r.values()
                    .path("ingress")
                    .path("tls")
                    .forEach(t -> tls.add(t.path("secretName").asText()));
            assertThat(i.getSpec().getTls()).extracting(t -> t.getSecretName()).containsExactlyElementsOf(tls);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldScrapeMetricsOnTheManagementPortWhenAsked(Render r) {
        boolean enabled = r.values()
                .path("metrics")
                .path("serviceMonitor")
                .path("enabled")
                .asBoolean();
        List<ServiceMonitor> monitors = r.manifests().of(ServiceMonitor.class);
        assertThat(monitors)
                .hasSize(enabled ? r.manifests().of(Deployment.class).size() : 0);
        for (ServiceMonitor m : monitors) {
            assertThat(m.getSpec().getEndpoints()).singleElement().satisfies(e -> {
                assertThat(e.getPort()).isEqualTo("management");
                assertThat(e.getPath()).isEqualTo("/q/metrics");
            });
            assertThat(m.getSpec().getSelector().getMatchLabels()).containsEntry(Manifests.COMPONENT, component(m));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void shouldLogJsonWhenAsked(Render r) {
        String json = String.valueOf(r.values().path("logging").path("json").asBoolean());
        r.manifests().of(Deployment.class).forEach(d -> assertThat(
                        envValue(container(d), "QUARKUS_LOG_CONSOLE_JSON_ENABLED"))
                .as(component(d))
                .isEqualTo(json));
    }

    @Test
    void shouldCreateAStrimziTopicForEveryCatalogueTopicWithItsOverrides() {
        Render r = render(PRODUCTION);
        List<GenericKubernetesResource> topics = r.manifests().custom("KafkaTopic");
        Map<String, Map<String, Object>> specs = topics.stream()
                .collect(Collectors.toMap(t -> (String) spec(t).get("topicName"), RenderedManifestsTest::spec));
        assertThat(specs.keySet())
                .containsExactlyInAnyOrderElementsOf(CATALOGUE.topics().keySet());
        // every topic a service produces or consumes is in the catalogue's topic list
        CATALOGUE.services().values().forEach(s -> s.consumes()
                .forEach(c -> assertThat(specs).containsKey(c.topic())));
        JsonNode overrides = r.values().path("kafka").path("topics");
        for (var e : CATALOGUE.topics().entrySet()) {
            Map<String, Object> spec = specs.get(e.getKey());
            JsonNode o = overrides.path(e.getKey());
            assertThat(spec.get("partitions"))
                    .as(e.getKey())
                    .isEqualTo(
                            o.has("partitions")
                                    ? o.get("partitions").asInt()
                                    : e.getValue().partitions());
            assertThat(spec.get("replicas"))
                    .as(e.getKey())
                    .isEqualTo(r.values().path("kafka").path("topicReplicas").asInt());
            Map<?, ?> config = (Map<?, ?>) spec.get("config");
            assertThat(config.get("retention.ms"))
                    .isEqualTo(String.valueOf(e.getValue().retentionMs()));
            assertThat(config.get("cleanup.policy")).isEqualTo(e.getValue().cleanupPolicy());
        }
        assertThat(specs.get("skein.tracking.metrics.v1").get("partitions")).isEqualTo(24);
        assertThat(((Map<?, ?>) specs.get("skein.registry.events.v1").get("config")).get("min.insync.replicas"))
                .isEqualTo("2");
        assertThat(topics).allSatisfy(t -> {
            assertThat(t.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", "skein-cluster");
            assertThat(t.getMetadata().getNamespace()).isEqualTo("kafka");
        });
        assertThat(render(MINIMAL).manifests().custom("KafkaTopic")).isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource r) {
        return (Map<String, Object>) r.getAdditionalProperties().get("spec");
    }

    @Test
    void shouldWireKafkaSaslAndTlsThroughAConfigFileWithSecretsFromEnv() {
        Render r = render(PRODUCTION);
        for (Deployment d : r.manifests().of(Deployment.class)) {
            Catalogue.Service svc = service(d);
            Container c = container(d);
            if (!svc.needs().contains("kafka")) {
                assertThat(env(c)).doesNotContainKeys("KAFKA_BOOTSTRAP_SERVERS", "SKEIN_KAFKA_USERNAME");
                continue;
            }
            assertThat(envValue(c, "QUARKUS_CONFIG_LOCATIONS")).isEqualTo("file:/etc/skein/config/skein.properties");
            assertThat(env(c).get("SKEIN_KAFKA_PASSWORD")
                            .getValueFrom()
                            .getSecretKeyRef()
                            .getName())
                    .isEqualTo("skein-kafka-user");
            String file = r.manifests().of(ConfigMap.class).stream()
                    .filter(cm ->
                            cm.getMetadata().getName().equals(d.getMetadata().getName() + "-config"))
                    .findFirst()
                    .orElseThrow()
                    .getData()
                    .get("skein.properties");
            assertThat(file)
                    .contains(
                            "kafka.security.protocol=SASL_SSL",
                            "kafka.sasl.mechanism=SCRAM-SHA-512",
                            "kafka.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"${SKEIN_KAFKA_USERNAME}\" password=\"${SKEIN_KAFKA_PASSWORD}\";",
                            "kafka.ssl.truststore.type=PEM",
                            "kafka.ssl.truststore.location=/etc/skein/kafka-tls/ca.crt");
            assertThat(c.getVolumeMounts())
                    .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/etc/skein/kafka-tls"));
            assertThat(podSpec(d).getVolumes()).anySatisfy(v -> assertThat(
                            v.getSecret() == null ? null : v.getSecret().getSecretName())
                    .isEqualTo("skein-cluster-cluster-ca-cert"));
        }
    }
}
