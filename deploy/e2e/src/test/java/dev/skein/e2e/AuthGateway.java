package dev.skein.e2e;

import static io.restassured.RestAssured.given;

import dev.skein.common.testing.TestInfra;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A second gateway, with authentication on, in front of the suite's services ({@link Suite}): the
 * jar the build made, started as the local runner starts it, on its own port, and the requests of its
 * users (HTTP Basic, as MLflow's clients send them; Bearer tokens). It trusts a {@link FakeIdp
 * fake identity provider} served from the test JVM, whose group {@code ml-admins} makes administrators
 * and {@code ml-editors} gives EDIT by default.
 *
 * <p>A JUnit extension: registered after {@link Suite} ({@code @ExtendWith({Suite.class,
 * AuthGateway.class})}), it starts the gateway once for the whole test run and stops it at its end.
 */
final class AuthGateway implements BeforeAllCallback {

    static final int PORT = 18090;
    static final String ADMIN = "admin";
    /** A caller who sends no credentials. */
    static final String ANONYMOUS = "anonymous";

    /** Each user's current password; a user changing theirs updates it here. */
    private static final Map<String, String> PASSWORDS = new ConcurrentHashMap<>();

    private static volatile Process process;
    private static volatile Path log;
    private static volatile FakeIdp idp;

    AuthGateway() {}

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot()
                .getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(AuthGateway.class.getName(), key -> started(), Running.class);
    }

    private static Running started() {
        try {
            start();
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("The authenticating gateway did not start", e);
        }
        return new Running();
    }

    /** Stops the gateway and the identity provider once the whole run is over. */
    static final class Running implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() {
            stop();
        }
    }

    static String url() {
        return url(PORT);
    }

    static String url(int port) {
        return "http://127.0.0.1:" + port;
    }

    /** Where a gateway started here on {@code port} serves /q/health and /q/metrics. */
    static int managementPort(int port) {
        return port + 1000;
    }

    static Path log() {
        return log;
    }

    /** The identity provider the gateway trusts. */
    static FakeIdp idp() {
        return idp;
    }

    /** Starts the identity provider and the gateway and waits until it is ready; the first administrator is {@value #ADMIN}. */
    private static void start() throws Exception {
        String adminPassword = "admin-" + java.util.UUID.randomUUID();
        PASSWORDS.put(ADMIN, adminPassword);
        idp = FakeIdp.start();
        log = TestInfra.repoRoot().resolve("deploy/e2e/target/auth-gateway.log");
        process = launch(PORT, log, Map.of());
    }

    /**
     * Another gateway process exactly like this one (another replica: same database, services,
     * configuration and identity provider) on {@code port}, ready; {@code extraEnv} adds to or replaces
     * its environment. The caller stops it ({@link #stop(Process)}).
     */
    static Process replica(int port, Path replicaLog, Map<String, String> extraEnv) throws Exception {
        return launch(port, replicaLog, extraEnv);
    }

    private static Process launch(int port, Path logFile, Map<String, String> extraEnv) throws Exception {
        Path root = TestInfra.repoRoot();
        Path jar = root.resolve("gateway-service/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("No gateway build at " + jar + ": build gateway-service first");
        }
        if (portOpen(port)) {
            throw new IllegalStateException("Port " + port + " for an authenticating gateway is taken");
        }
        Files.createDirectories(logFile.getParent());
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:+UseSerialGC"));
        // the identity provider and what its groups give, as an operator configures them
        String provider = "-Dskein.auth.oidc." + FakeIdp.NAME + ".";
        command.addAll(List.of(
                provider + "issuer=" + FakeIdp.ISSUER,
                provider + "jwks-url=" + FakeIdp.ISSUER + "/jwks",
                provider + "audience=" + FakeIdp.AUDIENCE,
                provider + "client-id=" + FakeIdp.CLIENT_ID,
                provider + "authorization-endpoint=" + FakeIdp.ISSUER + "/authorize",
                provider + "token-endpoint=" + FakeIdp.ISSUER + "/token",
                provider + "display-name=" + FakeIdp.DISPLAY_NAME,
                provider + "groups.ml-admins.admin=true",
                provider + "groups.ml-editors.default-permission=EDIT",
                // where the provider sends browsers back (required with browser sign-in)
                "-Dskein.auth.public-url=http://127.0.0.1:" + port,
                "-jar",
                jar.toString()));
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile());
        Map<String, String> env = pb.environment();
        // nothing of the test JVM's own environment (SKEIN_*, QUARKUS_*) reaches it unasked
        Map<String, String> kept = new HashMap<>();
        for (String name : List.of("PATH", "HOME", "LANG", "TMPDIR", "TZ")) {
            if (env.containsKey(name)) {
                kept.put(name, env.get(name));
            }
        }
        env.clear();
        env.putAll(kept);
        env.putAll(Map.ofEntries(
                Map.entry("QUARKUS_HTTP_PORT", Integer.toString(port)),
                Map.entry("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort(port))),
                Map.entry("QUARKUS_GRPC_CLIENTS_TRACKING_HOST", "127.0.0.1"),
                Map.entry("QUARKUS_GRPC_CLIENTS_TRACKING_PORT", Integer.toString(Suite.TRACKING_PORT)),
                Map.entry("QUARKUS_GRPC_CLIENTS_REGISTRY_HOST", "127.0.0.1"),
                Map.entry("QUARKUS_GRPC_CLIENTS_REGISTRY_PORT", Integer.toString(Suite.REGISTRY_PORT)),
                Map.entry("QUARKUS_GRPC_CLIENTS_ARTIFACT_HOST", "127.0.0.1"),
                Map.entry("QUARKUS_GRPC_CLIENTS_ARTIFACT_PORT", Integer.toString(Suite.ARTIFACT_PORT)),
                Map.entry("QUARKUS_GRPC_CLIENTS_EVALUATION_HOST", "127.0.0.1"),
                Map.entry("QUARKUS_GRPC_CLIENTS_EVALUATION_PORT", Integer.toString(Suite.EVALUATION_PORT)),
                Map.entry("SKEIN_UPSTREAMS_LLMGATEWAY_HOST", "127.0.0.1"),
                Map.entry("SKEIN_UPSTREAMS_LLMGATEWAY_PORT", Integer.toString(Suite.LLM_GATEWAY_PORT)),
                Map.entry("SKEIN_INTERNAL_TOKEN", Suite.INTERNAL_TOKEN),
                Map.entry("SKEIN_DB_HOST", TestInfra.DB_HOST),
                Map.entry("SKEIN_DB_PORT", Integer.toString(TestInfra.DB_PORT)),
                Map.entry("SKEIN_DB_USER", TestInfra.DB_USER),
                Map.entry("SKEIN_DB_PASSWORD", TestInfra.DB_PASSWORD),
                Map.entry("SKEIN_DB_NAME", Suite.DATABASE),
                Map.entry("SKEIN_GATEWAY_ADMIN_TOKEN", Suite.ADMIN_TOKEN),
                Map.entry("SKEIN_AUTH_ENABLED", "true"),
                // the suite's own artifact store: versions from there come from readable runs only
                Map.entry("SKEIN_AUTH_PROTECTED_LOCATIONS", "s3://" + Suite.BUCKET + "/"),
                Map.entry("SKEIN_AUTH_ADMIN_USERNAME", ADMIN),
                Map.entry("SKEIN_AUTH_ADMIN_PASSWORD", password(ADMIN)),
                // the browser tests and the permission table make thousands of requests a minute
                Map.entry("SKEIN_AUTH_RATE_LIMIT_PER_MINUTE", "0")));
        env.putAll(extraEnv);
        Process started = pb.start();
        // a test JVM that ends without closing the store (killed, crashed) leaves no gateway behind on the port
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroy));
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!ready(port)) {
            if (!started.isAlive()) {
                throw new IllegalStateException("The authenticating gateway on port " + port + " exited with "
                        + started.exitValue() + ":\n" + tail(logFile, 60));
            }
            if (System.nanoTime() > deadline) {
                started.destroyForcibly();
                throw new IllegalStateException(
                        "The authenticating gateway on port " + port + " was not ready in 90 s:\n" + tail(logFile, 60));
            }
            Thread.sleep(250);
        }
        return started;
    }

    static void stop() {
        stop(process);
        process = null;
        if (idp != null) {
            idp.stop();
            idp = null;
        }
    }

    /** Stops a gateway process (and waits for it to end). */
    static void stop(Process p) {
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static boolean ready(int port) {
        try {
            HttpURLConnection c =
                    (HttpURLConnection) URI.create("http://127.0.0.1:" + managementPort(port) + "/q/health/ready")
                            .toURL()
                            .openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(5000);
            try {
                return c.getResponseCode() == 200;
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    static boolean portOpen(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The last lines of the gateway's log. */
    static String tail(int lines) {
        return tail(log, lines);
    }

    /** The last lines of a log. */
    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(no log at " + file + ": " + e + ")";
        }
    }

    /** The gateway's log from this line on (0: all of it). */
    static List<String> logFrom(int line) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return all.subList(Math.min(line, all.size()), all.size());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- users ---------------------------------------------------------------------------------

    static String password(String user) {
        String p = PASSWORDS.get(user);
        if (p == null) {
            throw new IllegalArgumentException("No password known for " + user);
        }
        return p;
    }

    static void rememberPassword(String user, String password) {
        PASSWORDS.put(user, password);
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    // --- requests ------------------------------------------------------------------------------

    /** A request with no credentials at all. */
    static RequestSpecification anonymous() {
        return given().baseUri(url()).urlEncodingEnabled(true);
    }

    /** A request to the gateway on {@code port} (a replica) with no credentials. */
    static RequestSpecification at(int port) {
        return given().baseUri(url(port)).urlEncodingEnabled(true);
    }

    /** A request signed in as {@code user} ({@link #ANONYMOUS}: without credentials). */
    static RequestSpecification as(String user) {
        RequestSpecification r = anonymous();
        return user.equals(ANONYMOUS) ? r : r.header("Authorization", basic(user, password(user)));
    }

    /** A request with this {@code Authorization} header. */
    static RequestSpecification withAuthorization(String authorization) {
        return anonymous().header("Authorization", authorization);
    }

    /** A request with this bearer token (an access token's secret, a JWT), as MLFLOW_TRACKING_TOKEN sends it. */
    static RequestSpecification bearer(String token) {
        return withAuthorization("Bearer " + token);
    }

    static Response get(String user, String path, Object... params) {
        return get(as(user), path, params);
    }

    /** A GET with this request's credentials; {@code params} are query parameters, name then value. */
    static Response get(RequestSpecification r, String path, Object... params) {
        for (int i = 0; i < params.length; i += 2) {
            r = r.queryParam((String) params[i], params[i + 1]);
        }
        return r.get(api(path));
    }

    static Response post(String user, String path, JsonObject body) {
        return send(user, "POST", path, body);
    }

    static Response send(String user, String method, String path, JsonObject body) {
        return send(as(user), method, path, body);
    }

    /** A JSON request with this request's credentials. */
    static Response send(RequestSpecification r, String method, String path, JsonObject body) {
        return r.contentType(ContentType.JSON).body(body.encode()).request(method, api(path));
    }

    /** MLflow's REST paths are given without their prefix; anything starting with '/' as is. */
    static String api(String path) {
        return path.startsWith("/") ? path : "/api/2.0/mlflow/" + path;
    }

    /**
     * One request written byte for byte, for headers an HTTP client will not send as given (an empty
     * {@code Authorization}); answers the status line and the rest of the response.
     */
    static String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", PORT)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
