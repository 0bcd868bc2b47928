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
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A second gateway, with authentication on, in front of the suite's services ({@link Suite}): the
 * jar the build made, started as the local runner starts it, on its own port, and the requests of its
 * users (HTTP Basic, as MLflow's clients send them).
 */
final class AuthGateway {

    static final int PORT = 18090;
    static final String ADMIN = "admin";
    /** A caller who sends no credentials. */
    static final String ANONYMOUS = "anonymous";

    /** Each user's current password; a user changing theirs updates it here. */
    private static final Map<String, String> PASSWORDS = new ConcurrentHashMap<>();

    private static Process process;
    private static Path log;

    private AuthGateway() {}

    static String url() {
        return "http://127.0.0.1:" + PORT;
    }

    static Path log() {
        return log;
    }

    /** Starts the gateway and waits until it is ready; the first administrator is {@value #ADMIN}. */
    static void start() throws Exception {
        Path root = TestInfra.repoRoot();
        Path jar = root.resolve("gateway-service/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("No gateway build at " + jar + ": build gateway-service first");
        }
        if (portOpen()) {
            throw new IllegalStateException("Port " + PORT + " for the authenticating gateway is taken");
        }
        String adminPassword = "admin-" + java.util.UUID.randomUUID();
        PASSWORDS.put(ADMIN, adminPassword);
        log = root.resolve("deploy/e2e/target/auth-gateway.log");
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m",
                        "-XX:+UseSerialGC",
                        "-jar",
                        jar.toString())
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
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
                Map.entry("QUARKUS_HTTP_PORT", Integer.toString(PORT)),
                Map.entry("QUARKUS_GRPC_CLIENTS_TRACKING_HOST", "127.0.0.1"),
                Map.entry("QUARKUS_GRPC_CLIENTS_TRACKING_PORT", Integer.toString(Suite.TRACKING_PORT)),
                Map.entry("QUARKUS_GRPC_CLIENTS_REGISTRY_HOST", "127.0.0.1"),
                Map.entry("QUARKUS_GRPC_CLIENTS_REGISTRY_PORT", Integer.toString(Suite.REGISTRY_PORT)),
                Map.entry("QUARKUS_GRPC_CLIENTS_ARTIFACTS_HOST", "127.0.0.1"),
                Map.entry("QUARKUS_GRPC_CLIENTS_ARTIFACTS_PORT", Integer.toString(Suite.ARTIFACT_PORT)),
                Map.entry("SKEIN_INTERNAL_TOKEN", Suite.INTERNAL_TOKEN),
                Map.entry("SKEIN_DB_HOST", TestInfra.DB_HOST),
                Map.entry("SKEIN_DB_PORT", Integer.toString(TestInfra.DB_PORT)),
                Map.entry("SKEIN_DB_USER", TestInfra.DB_USER),
                Map.entry("SKEIN_DB_PASSWORD", TestInfra.DB_PASSWORD),
                Map.entry("SKEIN_DB_NAME", Suite.DATABASE),
                Map.entry("SKEIN_GATEWAY_ADMIN_TOKEN", Suite.ADMIN_TOKEN),
                Map.entry("SKEIN_AUTH_ENABLED", "true"),
                Map.entry("SKEIN_AUTH_ADMIN_USERNAME", ADMIN),
                Map.entry("SKEIN_AUTH_ADMIN_PASSWORD", adminPassword)));
        process = pb.start();
        Process started = process;
        // a test JVM that ends without @AfterAll (killed, crashed) leaves no gateway behind on the port
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroy));
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!ready()) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "The authenticating gateway exited with " + process.exitValue() + ":\n" + tail(60));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The authenticating gateway was not ready in 90 s:\n" + tail(60));
            }
            Thread.sleep(250);
        }
    }

    static void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        process = null;
    }

    private static boolean ready() {
        try {
            HttpURLConnection c = (HttpURLConnection)
                    URI.create(url() + "/q/health/ready").toURL().openConnection();
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

    private static boolean portOpen() {
        try (Socket s = new Socket("127.0.0.1", PORT)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The last lines of the gateway's log. */
    static String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(no log at " + log + ": " + e + ")";
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

    /** A request signed in as {@code user} ({@link #ANONYMOUS}: without credentials). */
    static RequestSpecification as(String user) {
        RequestSpecification r = anonymous();
        return user.equals(ANONYMOUS) ? r : r.header("Authorization", basic(user, password(user)));
    }

    /** A request with this {@code Authorization} header. */
    static RequestSpecification withAuthorization(String authorization) {
        return anonymous().header("Authorization", authorization);
    }

    static Response get(String user, String path, Object... params) {
        RequestSpecification r = as(user);
        for (int i = 0; i < params.length; i += 2) {
            r = r.queryParam((String) params[i], params[i + 1]);
        }
        return r.get(api(path));
    }

    static Response post(String user, String path, JsonObject body) {
        return send(user, "POST", path, body);
    }

    static Response send(String user, String method, String path, JsonObject body) {
        return as(user).contentType(ContentType.JSON).body(body.encode()).request(method, api(path));
    }

    /** MLflow's REST paths are given without their prefix; anything starting with '/' as is. */
    private static String api(String path) {
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
