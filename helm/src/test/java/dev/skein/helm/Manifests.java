package dev.skein.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A render parsed into the Kubernetes API's types (fabric8 kubernetes-model).
 *
 * <p>This is how the rendered manifests are validated against the Kubernetes API schema: every document
 * must be of a known apiVersion and kind, and parsing is strict — fabric8's model classes keep any field
 * they do not know in {@code additionalProperties}, so after parsing the whole object graph is walked and
 * any non-empty {@code getAdditionalProperties()} (a misspelt or misplaced field, a field of another API
 * version) fails the test with its path. Custom resources without a model here (KEDA's ScaledObject,
 * Strimzi's KafkaTopic) are parsed as {@link GenericKubernetesResource} and checked field by field.
 */
final class Manifests {

    static final String COMPONENT = "app.kubernetes.io/component";

    /** The model class of each apiVersion/kind the chart may render. */
    private static final Map<String, Class<? extends HasMetadata>> TYPES = Map.ofEntries(
            Map.entry("v1/ServiceAccount", ServiceAccount.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("v1/Service", Service.class),
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("batch/v1/Job", Job.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
            Map.entry("networking.k8s.io/v1/Ingress", Ingress.class),
            Map.entry("gateway.networking.k8s.io/v1/HTTPRoute", HTTPRoute.class),
            Map.entry("monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class),
            Map.entry("keda.sh/v1alpha1/ScaledObject", GenericKubernetesResource.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaTopic", GenericKubernetesResource.class));

    /** Fields the custom resources without a model may use (their CRDs' fields the chart sets). */
    private static final Map<String, Set<String>> CUSTOM_SPEC_FIELDS = Map.of(
            "ScaledObject",
                    Set.of(
                            "scaleTargetRef",
                            "minReplicaCount",
                            "maxReplicaCount",
                            "pollingInterval",
                            "cooldownPeriod",
                            "idleReplicaCount",
                            "fallback",
                            "advanced",
                            "triggers"),
            "KafkaTopic", Set.of("topicName", "partitions", "replicas", "config"));

    private static final Set<String> KEDA_TRIGGER_FIELDS =
            Set.of("type", "name", "metadata", "metricType", "authenticationRef", "useCachedMetrics");
    private static final Set<String> KEDA_KAFKA_METADATA = Set.of(
            "bootstrapServers",
            "consumerGroup",
            "topic",
            "lagThreshold",
            "activationLagThreshold",
            "offsetResetPolicy",
            "allowIdleConsumers",
            "scaleToZeroOnInvalidOffset",
            "excludePersistentLag",
            "limitToPartitionsWithLag",
            "partitionLimitation",
            "sasl",
            "tls",
            "version");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    final String text;
    final List<HasMetadata> all;

    private Manifests(String text, List<HasMetadata> all) {
        this.text = text;
        this.all = all;
    }

    static Manifests parse(String rendered) {
        List<HasMetadata> out = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(rendered)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc == null || doc.isNull() || doc.isMissingNode() || doc.isEmpty()) {
                    continue;
                }
                String type =
                        doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
                Class<? extends HasMetadata> cls = TYPES.get(type);
                if (cls == null) {
                    throw new AssertionError("rendered a resource of unknown apiVersion/kind " + type + ":\n" + doc);
                }
                HasMetadata resource = YAML.treeToValue(doc, cls);
                String where = type + " " + resource.getMetadata().getName();
                if (resource instanceof GenericKubernetesResource generic) {
                    checkCustom(where, generic);
                } else {
                    List<String> unknown = new ArrayList<>();
                    walk(resource, where, unknown, Collections.newSetFromMap(new IdentityHashMap<>()));
                    if (!unknown.isEmpty()) {
                        throw new AssertionError("fields unknown to the Kubernetes API: " + unknown);
                    }
                }
                out.add(resource);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Manifests(rendered, out);
    }

    /** Fails on any field a model class did not recognise, anywhere in the object graph. */
    private static void walk(Object node, String path, List<String> unknown, Set<Object> seen) {
        if (node == null || !seen.add(node)) {
            return;
        }
        if (node instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                walk(item, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "[" + k + "]", unknown, seen));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : node.getClass().getMethods()) {
            if (m.getParameterCount() != 0
                    || Modifier.isStatic(m.getModifiers())
                    || m.getDeclaringClass() == Object.class
                    || !(m.getName().startsWith("get") || m.getName().startsWith("is"))) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(node);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + " " + extra.keySet());
                }
                continue;
            }
            if (value != null && !value.getClass().isEnum() && !(value instanceof CharSequence)) {
                walk(value, path + "." + m.getName().replaceFirst("^(get|is)", ""), unknown, seen);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void checkCustom(String where, GenericKubernetesResource r) {
        Set<String> top = r.getAdditionalProperties().keySet();
        if (!Set.of("spec").containsAll(top)) {
            throw new AssertionError(where + ": unexpected top-level fields " + top);
        }
        Map<String, Object> spec =
                (Map<String, Object>) r.getAdditionalProperties().get("spec");
        Set<String> allowed = CUSTOM_SPEC_FIELDS.get(r.getKind());
        if (spec == null || !allowed.containsAll(spec.keySet())) {
            throw new AssertionError(
                    where + ": spec fields " + (spec == null ? null : spec.keySet()) + " not within " + allowed);
        }
        if (r.getKind().equals("ScaledObject")) {
            for (Map<String, Object> t : (List<Map<String, Object>>) spec.get("triggers")) {
                if (!KEDA_TRIGGER_FIELDS.containsAll(t.keySet())) {
                    throw new AssertionError(where + ": trigger fields " + t.keySet());
                }
                Map<String, Object> md = (Map<String, Object>) t.get("metadata");
                if ("kafka".equals(t.get("type")) && !KEDA_KAFKA_METADATA.containsAll(md.keySet())) {
                    throw new AssertionError(where + ": kafka trigger metadata " + md.keySet());
                }
                // KEDA's trigger metadata is a map of strings
                md.values().forEach(v -> {
                    if (!(v instanceof String)) {
                        throw new AssertionError(where + ": trigger metadata value not a string: " + v);
                    }
                });
            }
        }
    }

    <T extends HasMetadata> List<T> of(Class<T> type) {
        return all.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
    }

    List<GenericKubernetesResource> custom(String kind) {
        return of(GenericKubernetesResource.class).stream()
                .filter(r -> r.getKind().equals(kind))
                .collect(Collectors.toList());
    }

    static String component(HasMetadata r) {
        return r.getMetadata().getLabels().get(COMPONENT);
    }

    <T extends HasMetadata> Optional<T> forComponent(Class<T> type, String key) {
        List<T> found = of(type).stream().filter(r -> key.equals(component(r))).collect(Collectors.toList());
        if (found.size() > 1) {
            throw new AssertionError("more than one " + type.getSimpleName() + " of component " + key);
        }
        return found.stream().findFirst();
    }

    static PodSpec podSpec(HasMetadata workload) {
        if (workload instanceof Deployment d) {
            return d.getSpec().getTemplate().getSpec();
        }
        if (workload instanceof Job j) {
            return j.getSpec().getTemplate().getSpec();
        }
        throw new IllegalArgumentException(workload.getKind());
    }

    /** Deployments and Jobs: everything that runs a container. */
    List<HasMetadata> workloads() {
        List<HasMetadata> w = new ArrayList<>(of(Deployment.class));
        w.addAll(of(Job.class));
        return w;
    }

    static Map<String, EnvVar> env(Container c) {
        return c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e, (a, b) -> {
            throw new AssertionError("env var set twice: " + a.getName());
        }));
    }

    static String envValue(Container c, String name) {
        EnvVar e = env(c).get(name);
        return e == null ? null : e.getValue();
    }
}
