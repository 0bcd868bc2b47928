package dev.skein.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.common.catalogue.Catalogue;
import dev.skein.common.testing.TestInfra;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart's containers, run for real: the chart is rendered with {@code values-boot.yaml} (authentication
 * on, Kafka without SASL, static S3 keys, a PostgreSQL role per service), then on this machine every
 * migration hook Job's container and every Deployment's container runs as a process — {@code java -jar} of
 * its module's packaged app, with exactly the rendered environment, each {@code secretKeyRef} filled in from
 * {@link #secrets} and each mounted ConfigMap written to a folder of its own. Only what cannot be the same
 * outside a cluster is changed: the Services' DNS names in {@code QUARKUS_GRPC_CLIENTS_*_HOST} (and the plain
 * HTTP upstreams' {@code SKEIN_UPSTREAMS_*_HOST}) become
 * 127.0.0.1, every port (HTTP, management, the gRPC clients') moves by one offset, and file paths of the
 * mounts point into that folder. The suite must then answer MLflow's API through the gateway.
 *
 * <p>The servers are the test run's (TestInfra: its Kafka broker and S3 server, the PostgreSQL of this
 * machine), in a database of its own ({@value #DATABASE}, made anew) and a bucket of its own. Each
 * process's output is in {@code target/chart-boot/<name>.log}.
 */
class ChartBootTest {

    static final Path VALUES = Chart.MODULE.resolve("src/test/resources/values-boot.yaml");
    static final String DATABASE = "skein_chart_boot";
    private static final String TEST_SESSIONS = "ChartBootTest";
    private static final Path LOGS = Chart.MODULE.resolve("target/chart-boot");
    private static final Path WORK = Chart.MODULE.resolve("target/chart-boot/pods");
    private static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    private static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    /** Offsets tried, in order, until every port of the suite is free. */
    private static final List<Integer> OFFSETS = List.of(30000, 31000, 32000, 33000, 34000);

    /** An upstream's address: a gRPC client's, or a plain HTTP upstream's (catalogue protocol: http). */
    private static final Pattern UPSTREAM = Pattern.compile("(QUARKUS_GRPC_CLIENTS|SKEIN_UPSTREAMS)_(.+)_(HOST|PORT)");

    private static final Catalogue CATALOGUE = Chart.catalogue();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private static final List<Pod> PODS = new CopyOnWriteArrayList<>();

    /** The Secrets the values file names, as the operator would have created them: name → key → value. */
    private static Map<String, Map<String, String>> secrets;

    private static Manifests manifests;
    private static int offset;
    private static Pod gateway;

    /** A rendered container running as a process here, and the ports it was moved to. */
    record Pod(String name, Process process, Path log, int httpPort, int managementPort, Map<String, String> env) {
        String logTail() {
            return ChartBootTest.tail(log);
        }
    }

    @BeforeAll
    static void installAndStart() throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(ChartBootTest::stopAll));
        Files.createDirectories(LOGS);
        TestInfra.S3 s3 = TestInfra.s3();
        String kafka = TestInfra.kafkaBootstrap();
        TestInfra.recreateDatabase(DATABASE);
        secrets = secrets(s3);
        Map<String, String> db = secrets.get("skein-postgresql");
        for (String key : schemaServices()) {
            TestInfra.ensureRole(db.get(key + "-username"), db.get(key + "-password"));
        }
        manifests = Manifests.parse(Chart.render(
                List.of(VALUES),
                "postgresql.host=" + TestInfra.DB_HOST,
                "postgresql.port=" + TestInfra.DB_PORT,
                "kafka.bootstrapServers=" + kafka.replace(",", "\\,"),
                "s3.endpoint=" + s3.endpoint()));
        offset = freeOffset();

        runMigrationJobs();
        startDeployments();
    }

    @AfterAll
    static void stopAll() {
        for (Pod pod : PODS) {
            pod.process().destroy();
        }
        for (Pod pod : PODS) {
            try {
                if (!pod.process().waitFor(20, TimeUnit.SECONDS)) {
                    pod.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                pod.process().destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void migrationJobsShouldLeaveEachSchemaMigratedAndOwnedByTheOwnerRole() throws SQLException {
        List<Job> jobs = manifests.of(Job.class);
        assertThat(jobs).as("migration Jobs").isNotEmpty();
        for (Job job : jobs) {
            String schema = job.getMetadata().getAnnotations().get("skein.dev/schema");
            try (Connection c = database();
                    PreparedStatement s = c.prepareStatement("SELECT pg_get_userbyid(nspowner),"
                            + " (SELECT count(*) FROM pg_class WHERE relnamespace = n.oid AND relname ="
                            + " 'flyway_schema_history') FROM pg_namespace n WHERE nspname = ?")) {
                s.setString(1, schema);
                try (ResultSet r = s.executeQuery()) {
                    assertThat(r.next())
                            .as("schema %s made by Job %s", schema, name(job))
                            .isTrue();
                    assertThat(r.getString(1))
                            .as("owner of schema %s", schema)
                            .isEqualTo(secrets.get("skein-postgresql").get("owner-username"));
                    assertThat(r.getInt(2))
                            .as("Flyway history of schema %s", schema)
                            .isOne();
                }
            }
            try (Connection c = database();
                    PreparedStatement s = c.prepareStatement(
                            "SELECT count(*), bool_and(success) FROM \"" + schema + "\".flyway_schema_history")) {
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    assertThat(r.getInt(1))
                            .as("migrations applied in %s", schema)
                            .isPositive();
                    assertThat(r.getBoolean(2))
                            .as("every migration of %s succeeded", schema)
                            .isTrue();
                }
            }
        }
        assertThat(jobs.stream().map(j -> j.getMetadata().getAnnotations().get("skein.dev/schema")))
                .as("a migration Job per schema of the catalogue")
                .containsExactlyInAnyOrderElementsOf(CATALOGUE.services().values().stream()
                        .map(Catalogue.Service::schema)
                        .filter(s -> s != null)
                        .toList());
    }

    @Test
    void servicesShouldWorkAsTheirOwnDatabaseRolesNotAsTheOwner() throws Exception {
        Map<String, String> db = secrets.get("skein-postgresql");
        List<String> roles =
                schemaServices().stream().map(k -> db.get(k + "-username")).toList();
        // a service's pool connects when it is first used (readiness checks, the outbox relay, the requests)
        List<String> seen = sessionRoles();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!seen.containsAll(roles) && System.nanoTime() < deadline) {
            Thread.sleep(250);
            seen = sessionRoles();
        }
        assertThat(seen)
                .as("roles of the services' sessions in %s", DATABASE)
                .containsExactlyInAnyOrderElementsOf(roles);
    }

    /** The roles of every session in the test's database but the test's own. */
    private static List<String> sessionRoles() throws SQLException {
        List<String> roles = new ArrayList<>();
        try (Connection c = database();
                PreparedStatement s = c.prepareStatement("SELECT DISTINCT usename FROM pg_stat_activity"
                        + " WHERE datname = ? AND application_name <> ? ORDER BY 1")) {
            s.setString(1, DATABASE);
            s.setString(2, TEST_SESSIONS);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    roles.add(r.getString(1));
                }
            }
        }
        return roles;
    }

    @Test
    void shouldTrackARunAndKeepItsArtifactThroughTheGatewayAsTheAdmin() throws Exception {
        JsonNode experiment = call(
                "POST", "/api/2.0/mlflow/experiments/create", Map.of("name", "chart-boot-" + UUID.randomUUID()), 200);
        String experimentId = experiment.path("experiment_id").asText();
        assertThat(experimentId).isNotEmpty();

        long now = System.currentTimeMillis();
        JsonNode run = call(
                "POST", "/api/2.0/mlflow/runs/create", Map.of("experiment_id", experimentId, "start_time", now), 200);
        String runId = run.path("run").path("info").path("run_id").asText();
        String artifactUri = run.path("run").path("info").path("artifact_uri").asText();
        assertThat(artifactUri).isEqualTo("mlflow-artifacts:/" + experimentId + "/" + runId + "/artifacts");

        call(
                "POST",
                "/api/2.0/mlflow/runs/log-metric",
                Map.of("run_id", runId, "key", "loss", "value", 0.25, "timestamp", now, "step", 1),
                200);
        JsonNode got = call("GET", "/api/2.0/mlflow/runs/get?run_id=" + runId, null, 200);
        assertThat(got.path("run").path("data").path("metrics").toString())
                .as("the run's metrics")
                .contains("\"loss\"")
                .contains("0.25");

        String path = "/api/2.0/mlflow-artifacts/artifacts/" + experimentId + "/" + runId + "/artifacts/x.txt";
        String content = "chart boot " + UUID.randomUUID();
        HttpResponse<String> put = send(authorized(path).PUT(HttpRequest.BodyPublishers.ofString(content)));
        assertThat(put.statusCode()).as("upload: %s", describe(put)).isEqualTo(200);
        HttpResponse<String> download = send(authorized(path).GET());
        assertThat(download.statusCode()).as("download: %s", describe(download)).isEqualTo(200);
        assertThat(download.body()).isEqualTo(content);

        String bucket = Manifests.envValue(container(deployment("artifact")), "SKEIN_ARTIFACTS_S3_BUCKET");
        try (Stream<Path> files = Files.walk(TestInfra.s3().dataDir().resolve(bucket))) {
            assertThat(files.filter(f -> f.endsWith(Path.of(experimentId, runId, "artifacts", "x.txt")))
                            .map(ChartBootTest::read))
                    .as("the artifact in bucket %s of the S3 server", bucket)
                    .containsExactly(content);
        }
    }

    @Test
    void shouldRefuseACallerWithoutCredentials() throws Exception {
        HttpResponse<String> anonymous =
                send(request("/api/2.0/mlflow/experiments/search?max_results=1").GET());
        assertThat(anonymous.statusCode()).as(describe(anonymous)).isEqualTo(401);

        HttpResponse<String> wrongPassword = send(request("/api/2.0/mlflow/experiments/search?max_results=1")
                .header("Authorization", basic(admin().getKey(), "not-" + admin().getValue()))
                .GET());
        assertThat(wrongPassword.statusCode()).as(describe(wrongPassword)).isEqualTo(401);
    }

    @Test
    void shouldServeMetricsOnTheManagementPortOnly() throws Exception {
        HttpResponse<String> publicPort = send(authorized("/q/metrics").GET());
        assertThat(publicPort.statusCode())
                .as("/q/metrics on the public port: %s", describe(publicPort))
                .isEqualTo(404);

        for (Pod pod : PODS) {
            if (pod.managementPort() == 0) {
                continue;
            }
            HttpResponse<String> metrics =
                    send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pod.managementPort() + "/q/metrics"))
                            .timeout(Duration.ofSeconds(10))
                            .GET());
            assertThat(metrics.statusCode())
                    .as("/q/metrics of %s on its management port", pod.name())
                    .isEqualTo(200);
            assertThat(metrics.body()).contains("jvm_");
        }
    }

    @Test
    void shouldServeTheLlmEndpointsOfItsValuesAtTheAddressTheGatewayIsGiven() throws Exception {
        Map<String, String> env = gateway.env();
        // the rendered SKEIN_UPSTREAMS_LLMGATEWAY_* of the gateway, moved as every address here
        URI endpoints = URI.create("http://" + env.get("SKEIN_UPSTREAMS_LLMGATEWAY_HOST") + ":"
                + env.get("SKEIN_UPSTREAMS_LLMGATEWAY_PORT") + "/api/2.0/endpoints/");
        HttpRequest.Builder list = HttpRequest.newBuilder(endpoints)
                .timeout(Duration.ofSeconds(10))
                .header(
                        "Authorization",
                        "Bearer " + secrets.get("skein-internal").get("token"))
                .GET();
        Pod llm = PODS.stream()
                .filter(p -> p.name().equals(name(deployment("llmgateway"))))
                .findFirst()
                .orElseThrow();
        HttpResponse<String> r = send(list);
        assertThat(r.statusCode())
                .as("%s %s%n%s", endpoints, r.body(), llm.logTail())
                .isEqualTo(200);
        // the endpoint of values-boot.yaml, its key ($OPENAI_API_KEY from the Secret) resolved at startup and never
        // shown
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("endpoints")).singleElement().satisfies(e -> {
            assertThat(e.path("name").asText()).isEqualTo("chat");
            assertThat(e.path("model").path("provider").asText()).isEqualTo("openai");
        });
        assertThat(r.body()).doesNotContain(secrets.get("skein-llm-providers").get("openai"));
    }

    // --- the Secrets ---------------------------------------------------------------------------

    /** The Secrets values-boot.yaml names, with the keys the chart's defaults read. */
    private static Map<String, Map<String, String>> secrets(TestInfra.S3 s3) {
        Map<String, Map<String, String>> all = new LinkedHashMap<>();
        all.put("skein-internal", Map.of("token", hex(32)));
        Map<String, String> db = new LinkedHashMap<>();
        for (String key : schemaServices()) {
            // as ./skein names the roles: <database>_<schema>
            db.put(
                    key + "-username",
                    DATABASE + "_" + CATALOGUE.services().get(key).schema());
            db.put(key + "-password", hex(16));
        }
        // the schemas' owner: this machine's superuser (an empty password is an empty Secret value)
        db.put("owner-username", TestInfra.DB_USER);
        db.put("owner-password", TestInfra.DB_PASSWORD);
        all.put("skein-postgresql", db);
        all.put("skein-s3", Map.of("access-key", s3.accessKey(), "secret-key", s3.secretKey()));
        all.put("skein-admin", Map.of("username", "admin", "password", "boot-" + hex(12)));
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        all.put(
                "skein-webhooks",
                Map.of("secret-keys", "boot:" + Base64.getEncoder().encodeToString(key)));
        // llm-gateway-service's provider key (no provider is called: the key only has to be there at startup)
        all.put("skein-llm-providers", Map.of("openai", "sk-boot-" + hex(16)));
        return all;
    }

    private static List<String> schemaServices() {
        return CATALOGUE.services().entrySet().stream()
                .filter(e -> e.getValue().schema() != null)
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
    }

    private static Map.Entry<String, String> admin() {
        Map<String, String> s = secrets.get("skein-admin");
        return Map.entry(s.get("username"), s.get("password"));
    }

    private static Deployment deployment(String component) {
        return manifests
                .forComponent(Deployment.class, component)
                .orElseThrow(() -> new AssertionError("no Deployment of component " + component));
    }

    // --- running the rendered containers ---------------------------------------------------------

    /** Every migration Job's container, all at once; each must exit 0. */
    private static void runMigrationJobs() throws Exception {
        List<Pod> jobs = new ArrayList<>();
        for (Job job : manifests.of(Job.class)) {
            jobs.add(launch(job));
        }
        for (Pod pod : jobs) {
            boolean exited = pod.process().waitFor(MIGRATION_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(exited)
                    .as("migration Job %s still running after %s:%n%s", pod.name(), MIGRATION_TIMEOUT, pod.logTail())
                    .isTrue();
            assertThat(pod.process().exitValue())
                    .as("exit code of migration Job %s:%n%s", pod.name(), pod.logTail())
                    .isZero();
        }
    }

    /** Every Deployment's container, all at once, then each until ready. */
    private static void startDeployments() throws Exception {
        List<Pod> started = new ArrayList<>();
        for (Deployment d : manifests.of(Deployment.class)) {
            Pod pod = launch(d);
            started.add(pod);
            if (CATALOGUE.services().get(Manifests.component(d)).isPublic()) {
                gateway = pod;
            }
        }
        assertThat(gateway).as("the public component's Deployment").isNotNull();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        for (Pod pod : started) {
            awaitReady(pod, deadline);
        }
    }

    /**
     * Runs a workload's one container as a process: its module's jar (from the image's name), the rendered
     * environment with Secrets filled in, its mounted files in a folder of its own.
     */
    private static Pod launch(HasMetadata workload) throws IOException {
        String name = name(workload);
        PodSpec spec = Manifests.podSpec(workload);
        Container container = container(workload);
        Path dir = WORK.resolve(name);
        deleteTree(dir);
        Files.createDirectories(dir);
        Map<String, Path> mounts = writeMounts(name, spec, container, dir);

        int http = 0;
        int management = 0;
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : container.getEnv()) {
            String value = resolve(name, e);
            if (value == null) {
                continue; // an optional secretKeyRef whose key is absent: Kubernetes leaves the variable out
            }
            String var = e.getName();
            Matcher upstream = UPSTREAM.matcher(var);
            if (var.equals("QUARKUS_HTTP_PORT")) {
                http = movedContainerPort(name, container, "http", value);
                value = Integer.toString(http);
            } else if (var.equals("QUARKUS_MANAGEMENT_PORT")) {
                management = movedContainerPort(name, container, "management", value);
                value = Integer.toString(management);
            } else if (upstream.matches() && upstream.group(3).equals("HOST")) {
                assertThat(services())
                        .as("%s: %s names a Service of the release", name, var)
                        .containsKey(value);
                value = "127.0.0.1";
            } else if (upstream.matches()) {
                String host = Manifests.envValue(container, upstream.group(1) + "_" + upstream.group(2) + "_HOST");
                value = Integer.toString(movedServicePort(name, var, host, value));
            }
            for (Map.Entry<String, Path> m : mounts.entrySet()) {
                value = value.replace(m.getKey(), m.getValue().toString());
            }
            assertThat(value)
                    .as("%s: %s still names a cluster address", name, var)
                    .doesNotContain(".svc");
            env.put(var, value);
        }
        Path jar = jar(name, container);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        // only what the container would have: the rendered variables (and what finding java needs)
        Map<String, String> pbEnv = pb.environment();
        String path = pbEnv.get("PATH");
        String home = pbEnv.get("HOME");
        pbEnv.clear();
        Optional.ofNullable(path).ifPresent(p -> pbEnv.put("PATH", p));
        Optional.ofNullable(home).ifPresent(h -> pbEnv.put("HOME", h));
        pbEnv.putAll(env);
        Path log = LOGS.resolve(name + ".log");
        Files.writeString(
                log,
                "# " + String.join(" ", command) + "\n# env: "
                        + env.keySet().stream().sorted().collect(Collectors.joining(" ")) + "\n");
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Pod pod = new Pod(name, pb.start(), log, http, management, Map.copyOf(env));
        PODS.add(pod);
        return pod;
    }

    /** A value of the container's env: its value, or its Secret's key; null for an optional key not there. */
    private static String resolve(String where, EnvVar e) {
        if (e.getValueFrom() == null) {
            return e.getValue() == null ? "" : e.getValue();
        }
        SecretKeySelector ref = e.getValueFrom().getSecretKeyRef();
        assertThat(ref)
                .as("%s: env %s comes from something other than a Secret: %s", where, e.getName(), e.getValueFrom())
                .isNotNull();
        Map<String, String> secret = secrets.get(ref.getName());
        String value = secret == null ? null : secret.get(ref.getKey());
        if (value == null && Boolean.TRUE.equals(ref.getOptional())) {
            return null;
        }
        assertThat(value)
                .as(
                        "%s: env %s needs key %s of Secret %s, which the test's Secrets %s lack",
                        where, e.getName(), ref.getKey(), ref.getName(), secrets.keySet())
                .isNotNull();
        return value;
    }

    /** Writes the ConfigMaps a container mounts; returns mount path → local folder. */
    private static Map<String, Path> writeMounts(String where, PodSpec spec, Container container, Path dir)
            throws IOException {
        Map<String, Path> mounts = new LinkedHashMap<>();
        for (VolumeMount mount : container.getVolumeMounts()) {
            Volume volume = spec.getVolumes().stream()
                    .filter(v -> v.getName().equals(mount.getName()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(where + ": mount of unknown volume " + mount.getName()));
            if (volume.getEmptyDir() != null) {
                continue; // scratch space (/tmp): the machine's own
            }
            assertThat(volume.getConfigMap())
                    .as("%s: volume %s is neither an emptyDir nor a ConfigMap (not handled here)", where, volume)
                    .isNotNull();
            ConfigMap map = manifests.of(ConfigMap.class).stream()
                    .filter(cm -> cm.getMetadata()
                            .getName()
                            .equals(volume.getConfigMap().getName()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(where + ": mounts ConfigMap "
                            + volume.getConfigMap().getName() + ", not in the render"));
            Path local = dir.resolve(mount.getMountPath().replaceFirst("^/+", ""));
            Files.createDirectories(local);
            Map<String, String> files = new LinkedHashMap<>();
            if (volume.getConfigMap().getItems() == null
                    || volume.getConfigMap().getItems().isEmpty()) {
                files.putAll(map.getData());
            } else {
                for (KeyToPath item : volume.getConfigMap().getItems()) {
                    files.put(item.getPath(), map.getData().get(item.getKey()));
                }
            }
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path file = local.resolve(f.getKey());
                Files.createDirectories(file.getParent());
                Files.writeString(file, f.getValue());
            }
            mounts.put(mount.getMountPath(), local);
        }
        return mounts;
    }

    /** The rendered port variable must be the container's named port; it moves by the offset. */
    private static int movedContainerPort(String where, Container container, String portName, String value) {
        int port = containerPort(container, portName)
                .orElseThrow(() -> new AssertionError(where + ": no container port named " + portName));
        assertThat(Integer.parseInt(value))
                .as("%s: the %s port the service listens on is the container's port %s", where, portName, portName)
                .isEqualTo(port);
        return port + offset;
    }

    /** An upstream client's port: the Service's port, through its targetPort to the Deployment's container, moved. */
    private static int movedServicePort(String where, String var, String host, String value) {
        Service service = services().get(host);
        assertThat(service)
                .as("%s: %s is a port of Service %s of the release", where, var, host)
                .isNotNull();
        ServicePort port = service.getSpec().getPorts().stream()
                .filter(p -> p.getPort() == Integer.parseInt(value))
                .findFirst()
                .orElseThrow(() -> new AssertionError(where + ": Service " + host + " has no port " + value));
        Deployment target = manifests.of(Deployment.class).stream()
                .filter(d -> Manifests.component(d).equals(Manifests.component(service)))
                .findFirst()
                .orElseThrow(() -> new AssertionError(where + ": no Deployment behind Service " + host));
        IntOrString targetPort = port.getTargetPort();
        int containerPort = targetPort.getIntVal() != null
                ? targetPort.getIntVal()
                : containerPort(container(target), targetPort.getStrVal())
                        .orElseThrow(() -> new AssertionError(where + ": Service " + host + "'s targetPort "
                                + targetPort.getStrVal() + " is no port of " + name(target)));
        return containerPort + offset;
    }

    /** The release's Services by the DNS name its pods reach them at. */
    private static Map<String, Service> services() {
        return manifests.of(Service.class).stream()
                .collect(Collectors.toMap(s -> s.getMetadata().getName() + "." + Chart.NAMESPACE + ".svc", s -> s));
    }

    private static Optional<Integer> containerPort(Container container, String name) {
        return container.getPorts().stream()
                .filter(p -> name.equals(p.getName()))
                .map(ContainerPort::getContainerPort)
                .findFirst();
    }

    /** The packaged app of the container's image: {@code <registry>/<repository>/<module>:<tag>}. */
    private static Path jar(String where, Container container) {
        String image = container.getImage();
        String module = image.substring(image.lastIndexOf('/') + 1).replaceFirst("[:@].*$", "");
        Path jar = Chart.REPO.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        assertThat(jar)
                .as("%s runs image %s: the packaged app of module %s (build it first)", where, image, module)
                .isRegularFile();
        return jar;
    }

    private static void awaitReady(Pod pod, long deadline) throws InterruptedException {
        URI ready = URI.create("http://127.0.0.1:" + pod.managementPort() + "/q/health/ready");
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!pod.process().isAlive()) {
                throw new AssertionError(pod.name() + " exited with "
                        + pod.process().exitValue() + " before it was ready:\n" + pod.logTail());
            }
            try {
                HttpResponse<String> r = HTTP.send(
                        HttpRequest.newBuilder(ready)
                                .timeout(Duration.ofSeconds(3))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new AssertionError(
                pod.name() + " not ready within " + READY_TIMEOUT + " (last: " + last + "):\n" + pod.logTail());
    }

    /** The first offset at which every port the suite listens on is free on this machine. */
    private static int freeOffset() {
        List<Integer> ports = new ArrayList<>();
        for (Deployment d : manifests.of(Deployment.class)) {
            container(d).getPorts().forEach(p -> ports.add(p.getContainerPort()));
        }
        for (int candidate : OFFSETS) {
            if (ports.stream().allMatch(p -> free(p + candidate))) {
                return candidate;
            }
        }
        throw new AssertionError("no free ports for the suite at any of the offsets " + OFFSETS + " from " + ports);
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("0.0.0.0"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // --- HTTP through the gateway --------------------------------------------------------------

    private static JsonNode call(String method, String path, Object body, int expected) throws Exception {
        HttpRequest.Builder b = authorized(path).header("Content-Type", "application/json");
        b = body == null
                ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        HttpResponse<String> r = send(b);
        assertThat(r.statusCode()).as("%s %s: %s", method, path, describe(r)).isEqualTo(expected);
        return JSON.readTree(r.body());
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.httpPort() + path))
                .timeout(Duration.ofSeconds(30));
    }

    private static HttpRequest.Builder authorized(String path) {
        return request(path).header("Authorization", basic(admin().getKey(), admin().getValue()));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String describe(HttpResponse<String> r) {
        return r.statusCode() + " " + r.body() + "\n--- gateway log:\n" + gateway.logTail();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    // --- small helpers -------------------------------------------------------------------------

    /** The test's database as its superuser, in sessions named {@value #TEST_SESSIONS}. */
    private static Connection database() throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://" + TestInfra.DB_HOST + ":" + TestInfra.DB_PORT + "/" + DATABASE
                        + "?ApplicationName=" + TEST_SESSIONS,
                TestInfra.DB_USER,
                TestInfra.DB_PASSWORD);
    }

    private static Container container(HasMetadata workload) {
        List<Container> containers = Manifests.podSpec(workload).getContainers();
        assertThat(containers).as("containers of %s", name(workload)).hasSize(1);
        return containers.get(0);
    }

    private static String name(HasMetadata r) {
        return r.getMetadata().getName();
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ": " + e + ")";
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
