package dev.skein.common.catalogue;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The services of Skein, as {@code helm/skein/catalogue.yaml} names them (packaged into this jar as
 * {@value #RESOURCE}): each service's module, ports, schema, external dependencies, upstreams and
 * topics. The chart reads the file itself; every service reads its own port and its upstreams'
 * addresses from here ({@link CatalogueConfigSourceFactory}); the local runner reads it through
 * {@link #main} ({@code shell}).
 */
public record Catalogue(Map<String, Service> services, Map<String, Topic> topics) {

    public static final String RESOURCE = "skein/catalogue.yaml";

    /** One service. {@code schema} is null for a service without a database. */
    public record Service(
            String key,
            String module,
            int port,
            int managementPort,
            String schema,
            Set<String> needs,
            List<Upstream> upstreams,
            List<String> produces,
            List<Consumes> consumes,
            boolean isPublic,
            Set<String> outbound) {

        public boolean needs(String dependency) {
            return needs.contains(dependency);
        }
    }

    /**
     * A service this one calls: over gRPC through the Quarkus gRPC client named {@code client}
     * ({@code quarkus.grpc.clients.<client>.host/port}), or over plain HTTP when {@code http}
     * ({@code skein.upstreams.<client>.host/port}: llm-gateway-service's streamed answers).
     */
    public record Upstream(String service, String client, boolean http) {

        public Upstream(String service, String client) {
            this(service, client, false);
        }

        /** The configuration prefix of its address: {@code .host} and {@code .port} follow. */
        public String configPrefix() {
            return (http ? "skein.upstreams." : "quarkus.grpc.clients.") + client;
        }
    }

    /** A topic this service reads, with its consumer group. */
    public record Consumes(String topic, String group) {}

    /** A topic's defaults for the chart's KafkaTopic resources. */
    public record Topic(String name, int partitions, long retentionMs, String cleanupPolicy) {}

    private static volatile Catalogue loaded;

    /** The catalogue packaged with this jar. */
    public static Catalogue get() {
        Catalogue c = loaded;
        if (c == null) {
            try (InputStream in = Catalogue.class.getClassLoader().getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(RESOURCE + " is not on the classpath");
                }
                c = parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            loaded = c;
        }
        return c;
    }

    /** The service whose module (and {@code quarkus.application.name}) is {@code module}, or null. */
    public Service byModule(String module) {
        return services.values().stream()
                .filter(s -> s.module().equals(module))
                .findFirst()
                .orElse(null);
    }

    /** The services, each after the ones it calls (the order to start them in). */
    public List<Service> startOrder() {
        Set<String> done = new LinkedHashSet<>();
        for (String key : services.keySet()) {
            visit(key, done, new LinkedHashSet<>());
        }
        return done.stream().map(services::get).toList();
    }

    private void visit(String key, Set<String> done, Set<String> path) {
        if (done.contains(key)) {
            return;
        }
        if (!path.add(key)) {
            throw new IllegalStateException("catalogue: services call each other in a cycle: " + path);
        }
        for (Upstream u : services.get(key).upstreams()) {
            visit(u.service(), done, path);
        }
        done.add(key);
    }

    /** Parses and checks the catalogue: unknown fields, missing ports, dangling names are refused. */
    public static Catalogue parse(String yaml) {
        Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        Map<String, Object> top = map(root, "catalogue");
        only(top, "catalogue", Set.of("services", "topics"));
        Map<String, Topic> topics = new LinkedHashMap<>();
        map(top.get("topics"), "topics").forEach((name, value) -> {
            Map<String, Object> t = map(value, "topic " + name);
            only(t, "topic " + name, Set.of("partitions", "retentionMs", "cleanupPolicy"));
            topics.put(
                    name,
                    new Topic(
                            name,
                            number(t, "partitions", "topic " + name).intValue(),
                            number(t, "retentionMs", "topic " + name).longValue(),
                            string(t, "cleanupPolicy", "topic " + name)));
        });
        Map<String, Service> services = new LinkedHashMap<>();
        map(top.get("services"), "services").forEach((key, value) -> {
            String where = "service " + key;
            if (!key.matches("[a-z][a-z0-9]*")) {
                throw new IllegalArgumentException(where + ": a key is lower-case letters and digits");
            }
            Map<String, Object> s = map(value, where);
            only(
                    s,
                    where,
                    Set.of(
                            "module",
                            "port",
                            "managementPort",
                            "schema",
                            "needs",
                            "upstreams",
                            "produces",
                            "consumes",
                            "public",
                            "outbound"));
            List<Upstream> upstreams = new ArrayList<>();
            for (Object u : list(s.get("upstreams"), where + " upstreams")) {
                Map<String, Object> m = map(u, where + " upstream");
                only(m, where + " upstream", Set.of("service", "client", "protocol"));
                Object protocol = m.getOrDefault("protocol", "grpc");
                if (!"grpc".equals(protocol) && !"http".equals(protocol)) {
                    throw new IllegalArgumentException(where + ": an upstream's protocol is grpc or http");
                }
                upstreams.add(
                        new Upstream(string(m, "service", where), string(m, "client", where), "http".equals(protocol)));
            }
            List<Consumes> consumes = new ArrayList<>();
            for (Object c : list(s.get("consumes"), where + " consumes")) {
                Map<String, Object> m = map(c, where + " consumes");
                only(m, where + " consumes", Set.of("topic", "group"));
                consumes.add(new Consumes(string(m, "topic", where), string(m, "group", where)));
            }
            if (upstreams.stream().map(Upstream::client).distinct().count() != upstreams.size()) {
                throw new IllegalArgumentException(where + ": two upstreams share a client name");
            }
            Set<String> needs = names(s.get("needs"), where + " needs", Set.of("postgresql", "kafka", "s3"));
            if (s.containsKey("public") && !(s.get("public") instanceof Boolean)) {
                throw new IllegalArgumentException(where + ": public must be true or false");
            }
            services.put(
                    key,
                    new Service(
                            key,
                            string(s, "module", where),
                            number(s, "port", where).intValue(),
                            number(s, "managementPort", where).intValue(),
                            s.get("schema") == null ? null : string(s, "schema", where),
                            needs,
                            List.copyOf(upstreams),
                            List.copyOf(names(s.get("produces"), where + " produces", null)),
                            List.copyOf(consumes),
                            Boolean.TRUE.equals(s.get("public")),
                            names(
                                    s.get("outbound"),
                                    where + " outbound",
                                    Set.of("webhooks", "oidc", "llm-providers"))));
        });
        // unmodifiable views keep the file's order (start order and the runner's listing follow it)
        Catalogue catalogue = new Catalogue(Collections.unmodifiableMap(services), Collections.unmodifiableMap(topics));
        catalogue.check();
        return catalogue;
    }

    private void check() {
        Set<Integer> ports = new LinkedHashSet<>();
        Set<String> modules = new LinkedHashSet<>();
        for (Service s : services.values()) {
            if (!modules.add(s.module())) {
                throw new IllegalArgumentException("service " + s.key() + ": module " + s.module() + " is another's");
            }
            for (int p : new int[] {s.port(), s.managementPort()}) {
                if (p < 1 || p > 65535 || !ports.add(p)) {
                    throw new IllegalArgumentException("service " + s.key() + ": port " + p + " is invalid or taken");
                }
            }
            if (s.needs("postgresql") != (s.schema() != null)) {
                throw new IllegalArgumentException(
                        "service " + s.key() + ": a schema goes with needs: [postgresql], and only with it");
            }
            for (Upstream u : s.upstreams()) {
                if (!services.containsKey(u.service()) || u.service().equals(s.key())) {
                    throw new IllegalArgumentException("service " + s.key() + ": unknown upstream " + u.service());
                }
            }
            List<String> used = new ArrayList<>(s.produces());
            s.consumes().forEach(c -> used.add(c.topic()));
            for (String t : used) {
                if (!topics.containsKey(t)) {
                    throw new IllegalArgumentException("service " + s.key() + ": topic " + t + " is not under topics");
                }
            }
        }
        startOrder();
    }

    /**
     * {@code markdown}: the README's table ({@link #markdownTable}). {@code shell}: the catalogue as bash declarations for the local runner — {@code SERVICE_KEYS}
     * in start order, and associative arrays {@code SVC_MODULE}, {@code SVC_PORT}, {@code
     * SVC_MANAGEMENT_PORT}, {@code SVC_SCHEMA}, {@code SVC_NEEDS} and {@code SVC_UPSTREAMS} (space
     * separated {@code CLIENT=service} pairs, {@code http:CLIENT=service} for an HTTP upstream) by service key.
     */
    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals("shell")) {
            print(get(), System.out);
        } else if (args.length == 1 && args[0].equals("markdown")) {
            System.out.print(get().markdownTable());
        } else {
            System.err.println("usage: Catalogue shell|markdown");
            System.exit(2);
        }
    }

    static void print(Catalogue c, PrintStream out) {
        List<Service> order = c.startOrder();
        out.println("SERVICE_KEYS=("
                + String.join(" ", order.stream().map(Service::key).toList()) + ")");
        out.println("declare -gA SVC_MODULE SVC_PORT SVC_MANAGEMENT_PORT SVC_SCHEMA SVC_NEEDS SVC_UPSTREAMS");
        for (Service s : order) {
            String k = s.key();
            out.println("SVC_MODULE[" + k + "]=" + s.module());
            out.println("SVC_PORT[" + k + "]=" + s.port());
            out.println("SVC_MANAGEMENT_PORT[" + k + "]=" + s.managementPort());
            out.println("SVC_SCHEMA[" + k + "]=" + (s.schema() == null ? "''" : s.schema()));
            out.println("SVC_NEEDS[" + k + "]='" + String.join(" ", s.needs()) + "'");
            out.println("SVC_UPSTREAMS[" + k + "]='"
                    + String.join(
                            " ",
                            s.upstreams().stream()
                                    .map(u -> (u.http() ? "http:" : "")
                                            + u.client().toUpperCase(Locale.ROOT) + "=" + u.service())
                                    .toList())
                    + "'");
        }
    }

    /**
     * The services as the table in the repository's README shows them (a test keeps the two equal):
     * one row per service in start order.
     */
    public String markdownTable() {
        StringBuilder out = new StringBuilder(
                "| service | module | port | management port | schema | needs | calls | produces | consumes |\n"
                        + "|---|---|---|---|---|---|---|---|---|\n");
        for (Service s : startOrder()) {
            out.append("| ")
                    .append(String.join(
                            " | ",
                            s.key() + (s.isPublic() ? " (public)" : ""),
                            "`" + s.module() + "`",
                            Integer.toString(s.port()),
                            Integer.toString(s.managementPort()),
                            s.schema() == null ? "—" : "`" + s.schema() + "`",
                            s.needs().isEmpty() ? "—" : String.join(", ", s.needs()),
                            s.upstreams().isEmpty()
                                    ? "—"
                                    : String.join(
                                            ", ",
                                            s.upstreams().stream()
                                                    .map(Upstream::service)
                                                    .toList()),
                            s.produces().isEmpty()
                                    ? "—"
                                    : String.join(
                                            ", ",
                                            s.produces().stream()
                                                    .map(t -> "`" + t + "`")
                                                    .toList()),
                            s.consumes().isEmpty()
                                    ? "—"
                                    : String.join(
                                            ", ",
                                            s.consumes().stream()
                                                    .map(c -> "`" + c.topic() + "`")
                                                    .toList())))
                    .append(" |\n");
        }
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String where) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(where + ": expected a map");
        }
        return (Map<String, Object>) m;
    }

    /** A list of names, each one of {@code allowed} unless that is null, without repeats. */
    private static Set<String> names(Object o, String where, Set<String> allowed) {
        Set<String> out = new LinkedHashSet<>();
        for (Object e : list(o, where)) {
            if (!(e instanceof String n) || !n.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException(where + ": " + e + " is not a name");
            }
            if (allowed != null && !allowed.contains(n)) {
                throw new IllegalArgumentException(where + ": unknown " + n + " (one of " + allowed + ")");
            }
            if (!out.add(n)) {
                throw new IllegalArgumentException(where + ": " + n + " twice");
            }
        }
        return out;
    }

    private static List<?> list(Object o, String where) {
        if (o == null) {
            return List.of();
        }
        if (!(o instanceof List<?> l)) {
            throw new IllegalArgumentException(where + ": expected a list");
        }
        for (Object e : l) {
            if (e == null) {
                throw new IllegalArgumentException(where + ": empty entry");
            }
        }
        return l;
    }

    private static void only(Map<String, Object> m, String where, Set<String> allowed) {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException(where + ": unknown field " + k);
            }
        }
    }

    private static String string(Map<String, Object> m, String key, String where) {
        if (!(m.get(key) instanceof String s) || s.isBlank() || !s.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException(where + ": " + key + " must be a name");
        }
        return s;
    }

    private static Number number(Map<String, Object> m, String key, String where) {
        if (!(m.get(key) instanceof Number n)) {
            throw new IllegalArgumentException(where + ": " + key + " must be a number");
        }
        return n;
    }
}
