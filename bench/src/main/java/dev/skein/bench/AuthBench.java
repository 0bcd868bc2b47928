package dev.skein.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;

/**
 * What authentication and a permission check add to a request. A second gateway, with authentication
 * on, is started from {@code gateway-service/target/quarkus-app/quarkus-run.jar} on port 28090 beside
 * the suite's (authentication off, port 28080), on the same services and database, with the suite's
 * JVM options, the rate limit off and an identity provider whose JWKS this process serves (JDK
 * {@code HttpServer} on 127.0.0.1, an RSA key made here, tokens signed here).
 *
 * <p>The same read, {@code GET runs/get} (a RUN-level check: the run's experiment looked up once and
 * remembered, then the caller's permission on it read from schema {@code gateway}), and one write,
 * {@code POST runs/log-metric} on the same run, are sent by {@code --clients} clients (4), HTTP/1.1
 * with keep-alive, {@code --requests} times (5,000) each: to the suite's gateway (the floor), and to
 * the authenticating one as a user with EDIT on the experiment by Basic (credential verified before),
 * by that user's access token, by a JWT of the identity provider (a user with EDIT), as an
 * administrator by Basic (no permission lookup), and with the operator's admin token (no database
 * read and no permission lookup: the authenticating gateway's own floor). Every request must answer
 * 200. Warm-up: a quarter as many of each first (five times that for the floor, so that both gateways
 * have served as many requests before they are timed); then the measurement in five interleaved
 * rounds, each starting with another caller, so that a change in the machine's load falls on all of
 * them alike. The gateway runs in a session of its own ({@code setsid}), as the runner starts the
 * suite's services.
 *
 * <p>Last, a Basic credential's first verification: {@value #FRESH_USERS} new users, each one's first
 * request (the PBKDF2 hash) and second (remembered), one at a time.
 */
final class AuthBench {

    /** The authenticating gateway's port, beside the suite's 28080–28083. */
    static final int PORT = 28090;

    private static final String PROVIDER = "bench";
    private static final String AUDIENCE = "skein-bench";
    private static final String USER = "bench-user";
    private static final String JWT_USER = "bench-jwt-user";
    private static final String JWT_GROUP = "bench-group";
    private static final String ADMIN = "bench-admin";
    private static final int ROUNDS = 5;
    /** The floor and the five callers of the authenticating gateway. */
    private static final int CALLERS = 6;

    private static final int FRESH_USERS = 5;
    private static final Duration START_PATIENCE = Duration.ofMinutes(3);
    private static final Duration STOP_PATIENCE = Duration.ofSeconds(30);
    private static final Pattern USERNAME = Pattern.compile("\"username\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern IS_ADMIN = Pattern.compile("\"is_admin\"\\s*:\\s*(true|false)");

    /** Who sends the measured requests, where, with which {@code Authorization} header (null: none). */
    private record Caller(String label, String base, String authorization) {}

    private enum Kind {
        READ,
        WRITE
    }

    /** One caller's timings of one kind of request, over the rounds. */
    private static final class Measured {
        private final List<long[]> latencies = new ArrayList<>();
        private final List<Double> roundMedians = new ArrayList<>();
        private long requests;
        private long elapsedNanos;

        void add(Load.Result r) {
            latencies.add(r.latenciesNanos());
            roundMedians.add(r.latencyMillis(0.5));
            requests += r.requests();
            elapsedNanos += r.elapsedNanos();
        }

        double millis(double q) {
            long[] all =
                    latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            return Quantiles.millis(all, q);
        }

        double perSecond() {
            return requests * 1e9 / elapsedNanos;
        }
    }

    private final Options options;
    private final Gateway suite;
    private final String authBase = "http://127.0.0.1:" + PORT;
    private final SecureRandom random = new SecureRandom();
    private final HttpClient setup = client();
    /** One HTTP client (and so one keep-alive connection to each gateway) per load client. */
    private HttpClient[] connections;

    private String runId;

    AuthBench(Options options) {
        this.options = options;
        this.suite = new Gateway(options.gateway());
    }

    void run() throws Exception {
        int clients = options.clients(4);
        int requests = options.requests();
        if (requests < ROUNDS) {
            throw new IllegalArgumentException("--requests is at least " + ROUNDS + " (one a round), not " + requests);
        }
        int warmup = Math.max(clients, requests / 4);
        System.out.printf(
                "auth: runs/get and runs/log-metric on one run, %,d requests each per caller from %d clients"
                        + " (HTTP/1.1, keep-alive) after %,d of warm-up (the floor: %,d), in %d interleaved rounds;"
                        + " a gateway with authentication on (port %d) beside the suite's without (the floor)%n",
                requests, clients, warmup, warmup * (CALLERS - 1), ROUNDS, PORT);
        Machine.print(options);
        System.out.println("machine load before (1, 5, 15 min): " + loadAverage());

        // the experiment and its run, made through the suite's gateway (authentication off)
        String experimentId = suite.createExperiment("bench-auth-" + System.nanoTime());
        runId = suite.createRun(experimentId, "run-0", System.currentTimeMillis());

        RsaJsonWebKey key = RsaJwkGenerator.generateJwk(2048);
        key.setKeyId("bench-" + HexFormat.of().toHexDigits(random.nextInt()));
        AtomicInteger jwksFetches = new AtomicInteger();
        HttpServer jwks = jwks(key, jwksFetches);
        String idp = "http://127.0.0.1:" + jwks.getAddress().getPort();
        String issuer = idp + "/idp";
        String adminPassword = secret();
        String operatorToken = secret();
        Process gateway = null;
        try {
            gateway = startGateway(issuer, idp + "/idp/jwks", adminPassword, operatorToken);
            String operator = "Bearer " + operatorToken;
            String admin = basic(ADMIN, adminPassword);

            // bench-user with EDIT on the experiment, and an access token of theirs
            String password = secret();
            call("POST", "mlflow/users/create", admin, json("username", USER, "password", password), 200);
            grant(admin, experimentId, USER);
            String user = basic(USER, password);
            String token = "Bearer "
                    + Gateway.id("secret", call("POST", "skein/tokens/create", user, json("name", "bench-auth"), 200));

            // a user of the identity provider: made at first sight, then given EDIT by name
            String jwt = "Bearer " + jwt(key, issuer);
            call("GET", "mlflow/runs/get?run_id=" + runId, jwt, null, 200);
            grant(admin, experimentId, JWT_USER);

            // authentication is on and each credential is who it should be (each Basic one verified here)
            call("GET", "mlflow/runs/get?run_id=" + runId, null, null, 401);
            call("GET", "mlflow/runs/get?run_id=" + runId, "Bearer skein_not-a-token", null, 401);
            whoIs(user, USER, false);
            whoIs(token, USER, false);
            whoIs(jwt, JWT_USER, false);
            whoIs(admin, ADMIN, true);
            whoIs(operator, "admin-token", true);

            List<Caller> callers = List.of(
                    new Caller("floor: authentication off (the suite's gateway)", options.gateway(), null),
                    new Caller("Basic, a user with EDIT (credential verified before)", authBase, user),
                    new Caller("access token of that user (`skein_…`, one row read)", authBase, token),
                    new Caller("JWT of an identity provider (RS256, JWKS), a user with EDIT", authBase, jwt),
                    new Caller("administrator, Basic (no permission lookup)", authBase, admin),
                    new Caller(
                            "the operator's admin token (no database read, no permission lookup)", authBase, operator));
            if (callers.size() != CALLERS) {
                throw new IllegalStateException("CALLERS is " + CALLERS + ", the callers " + callers.size());
            }
            Measured[][] measured = measure(callers, clients, requests, warmup);

            double[] hashes = firstVerifications(admin);

            print(callers, measured, clients);
            printRounds(callers, measured);
            printHashes(hashes);
            System.out.printf(
                    "%nJWKS fetched %d time(s) by the gateway; gateway log: %s%n", jwksFetches.get(), logFile());
            System.out.println("machine load after (1, 5, 15 min): " + loadAverage());
        } finally {
            stop(gateway);
            jwks.stop(0);
        }
    }

    // ---- the measurement -----------------------------------------------------------------------

    private Measured[][] measure(List<Caller> callers, int clients, int requests, int warmup) throws Exception {
        connections = new HttpClient[clients];
        for (int i = 0; i < clients; i++) {
            connections[i] = client();
        }
        Kind[] kinds = Kind.values();
        Measured[][] measured = new Measured[callers.size()][kinds.length];
        for (Measured[] row : measured) {
            for (int k = 0; k < kinds.length; k++) {
                row[k] = new Measured();
            }
        }
        long step = 0; // every write a step of its own
        for (int c = 0; c < callers.size(); c++) {
            // the floor's gateway gets as many as the authenticating one gets from all its callers
            int n = c == 0 ? warmup * (callers.size() - 1) : warmup;
            for (Kind kind : kinds) {
                Load.count(clients, step, n, load(c, callers.get(c), kind));
                step += n;
            }
        }
        for (int round = 0; round < ROUNDS; round++) {
            int n = requests / ROUNDS + (round < requests % ROUNDS ? 1 : 0);
            for (int i = 0; i < callers.size(); i++) {
                int c = (i + round) % callers.size();
                for (Kind kind : kinds) {
                    measured[c][kind.ordinal()].add(Load.count(clients, step, n, load(c, callers.get(c), kind)));
                    step += n;
                }
            }
        }
        return measured;
    }

    /** Clients sending {@code kind} as {@code caller}; a write logs metric {@code auth_<caller>_<client>}. */
    private Load.ClientFactory load(int callerIndex, Caller caller, Kind kind) {
        return index -> step -> {
            HttpRequest.Builder b;
            if (kind == Kind.READ) {
                b = HttpRequest.newBuilder(URI.create(caller.base() + "/api/2.0/mlflow/runs/get?run_id=" + runId))
                        .GET();
            } else {
                String body = "{\"run_id\":\"" + runId + "\",\"key\":\"auth_" + callerIndex + "_" + index
                        + "\",\"value\":" + Workload.value(index, callerIndex, step) + ",\"timestamp\":"
                        + System.currentTimeMillis() + ",\"step\":" + step + "}";
                b = HttpRequest.newBuilder(URI.create(caller.base() + "/api/2.0/mlflow/runs/log-metric"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body));
            }
            if (caller.authorization() != null) {
                b.header("Authorization", caller.authorization());
            }
            HttpResponse<String> response = connections[index].send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(caller.label() + ": " + (kind == Kind.READ ? "runs/get" : "log-metric")
                        + " answered " + response.statusCode() + ": " + response.body());
            }
            return 1;
        };
    }

    /**
     * A Basic credential's first verification: new users (made by the administrator), each one's first
     * request — {@code runs/get}, the default permission READ — and second, one at a time; p50 of each
     * and of their difference. A write by such a user, who has no permission of their own, must be refused.
     */
    private double[] firstVerifications(String admin) throws Exception {
        long[] first = new long[FRESH_USERS];
        long[] second = new long[FRESH_USERS];
        long[] added = new long[FRESH_USERS];
        String fresh = null;
        for (int i = 0; i < FRESH_USERS; i++) {
            String name = "bench-fresh-" + i + "-" + System.nanoTime();
            String password = secret();
            call("POST", "mlflow/users/create", admin, json("username", name, "password", password), 200);
            fresh = basic(name, password);
            long t0 = System.nanoTime();
            call("GET", "mlflow/runs/get?run_id=" + runId, fresh, null, 200);
            long t1 = System.nanoTime();
            call("GET", "mlflow/runs/get?run_id=" + runId, fresh, null, 200);
            long t2 = System.nanoTime();
            first[i] = t1 - t0;
            second[i] = t2 - t1;
            added[i] = first[i] - second[i];
        }
        call(
                "POST",
                "mlflow/runs/log-metric",
                fresh,
                "{\"run_id\":\"" + runId + "\",\"key\":\"refused\",\"value\":1,\"timestamp\":1,\"step\":0}",
                403);
        Arrays.sort(first);
        Arrays.sort(second);
        Arrays.sort(added);
        return new double[] {
            Quantiles.millis(first, 0.5),
            first[first.length - 1] / 1e6,
            Quantiles.millis(second, 0.5),
            second[second.length - 1] / 1e6,
            Quantiles.millis(added, 0.5)
        };
    }

    // ---- the report ----------------------------------------------------------------------------

    private void print(List<Caller> callers, Measured[][] measured, int clients) {
        for (Kind kind : Kind.values()) {
            Table t = new Table(
                    (kind == Kind.READ
                                    ? "`GET runs/get` (READ, judged by the run's experiment)"
                                    : "`POST runs/log-metric` (EDIT, judged by the run's experiment)")
                            + ", " + clients + " clients",
                    "p50 ms",
                    "p99 ms",
                    "requests/s",
                    "added p50 ms",
                    "p50 ÷ floor",
                    "requests/s ÷ floor",
                    "p50 ms over the admin token");
            Measured floor = measured[0][kind.ordinal()];
            Measured token = measured[CALLERS - 1][kind.ordinal()];
            for (int c = 0; c < callers.size(); c++) {
                Measured m = measured[c][kind.ordinal()];
                t.row(
                        callers.get(c).label(),
                        Table.number(m.millis(0.5), 2),
                        Table.number(m.millis(0.99), 2),
                        Table.number(m.perSecond(), 0),
                        c == 0 ? "" : Table.number(m.millis(0.5) - floor.millis(0.5), 2),
                        Table.number(m.millis(0.5) / floor.millis(0.5), 2),
                        Table.number(m.perSecond() / floor.perSecond(), 2),
                        c == 0 || c == CALLERS - 1 ? "" : Table.number(m.millis(0.5) - token.millis(0.5), 2));
            }
        }
    }

    /** Each round's p50, to judge the noise: the machine's load moves during a run. */
    private static void printRounds(List<Caller> callers, Measured[][] measured) {
        String[] header = new String[ROUNDS + 1];
        header[0] = "p50 ms in each round (runs/get; log-metric)";
        for (int r = 0; r < ROUNDS; r++) {
            header[r + 1] = Integer.toString(r + 1);
        }
        Table t = new Table(header);
        for (int c = 0; c < callers.size(); c++) {
            Object[] cells = new Object[ROUNDS + 1];
            cells[0] = callers.get(c).label();
            for (int r = 0; r < ROUNDS; r++) {
                cells[r + 1] = Table.number(measured[c][Kind.READ.ordinal()].roundMedians.get(r), 2) + "; "
                        + Table.number(measured[c][Kind.WRITE.ordinal()].roundMedians.get(r), 2);
            }
            t.row(cells);
        }
    }

    private static void printHashes(double[] h) {
        Table t = new Table(
                "a Basic credential's first verification, " + FRESH_USERS + " new users, one request at a time",
                "p50 ms",
                "max ms");
        t.row(
                "first request of a new user (`runs/get`: PBKDF2-HMAC-SHA256)",
                Table.number(h[0], 1),
                Table.number(h[1], 1));
        t.row("the same user's second request (credential remembered)", Table.number(h[2], 1), Table.number(h[3], 1));
        t.row("added by the first verification (per user, first − second)", Table.number(h[4], 1), "");
    }

    // ---- the authenticating gateway ------------------------------------------------------------

    /** Starts the gateway with authentication on, and waits until it is ready. */
    private Process startGateway(String issuer, String jwksUrl, String adminPassword, String operatorToken)
            throws Exception {
        Path jar = Bench.root().resolve("gateway-service/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build the gateway (./skein build)");
        }
        if (listening(PORT)) {
            throw new IllegalStateException("port " + PORT + " is taken (a gateway an aborted run left behind?)");
        }
        List<String> command = new ArrayList<>();
        // in a session of its own, as the runner starts the suite's services (setsid): with the
        // kernel's autogroups, a session is what the scheduler shares the CPU between, and a gateway in
        // the benchmark's own session would be scheduled with the load generator, unlike the floor's
        Path setsid = Path.of("/usr/bin/setsid");
        boolean session = Files.isExecutable(setsid);
        if (session) {
            command.add(setsid.toString());
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(Arrays.asList(javaOptions().trim().split("\\s+")));
        command.add("-Dskein.auth.oidc." + PROVIDER + ".issuer=" + issuer);
        command.add("-Dskein.auth.oidc." + PROVIDER + ".jwks-url=" + jwksUrl);
        command.add("-Dskein.auth.oidc." + PROVIDER + ".audience=" + AUDIENCE);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.put("QUARKUS_HTTP_PORT", Integer.toString(PORT));
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(PORT + 1000));
        service(env, "TRACKING", options.tracking());
        service(env, "REGISTRY", options.registry());
        service(env, "ARTIFACT", options.artifacts());
        env.put("SKEIN_INTERNAL_TOKEN", internalToken());
        URI db = URI.create(options.jdbcUrl().substring("jdbc:".length()));
        env.put("SKEIN_DB_HOST", db.getHost());
        env.put("SKEIN_DB_PORT", Integer.toString(db.getPort() < 0 ? 5432 : db.getPort()));
        env.put("SKEIN_DB_NAME", db.getPath().substring(1));
        // the suite's gateway role (data access only) when the runner names it; else the schemas' owner
        String dbUser = System.getenv("SKEIN_BENCH_GATEWAY_DB_USER");
        boolean role = dbUser != null && !dbUser.isBlank();
        env.put("SKEIN_DB_USER", role ? dbUser : options.dbUser());
        env.put(
                "SKEIN_DB_PASSWORD",
                role ? System.getenv().getOrDefault("SKEIN_BENCH_GATEWAY_DB_PASSWORD", "") : options.dbPassword());
        env.put("SKEIN_DB_OWNER_USER", options.dbUser());
        env.put("SKEIN_DB_OWNER_PASSWORD", options.dbPassword());
        env.put("SKEIN_AUTH_ENABLED", "true");
        env.put("SKEIN_AUTH_ADMIN_USERNAME", ADMIN);
        env.put("SKEIN_AUTH_ADMIN_PASSWORD", adminPassword);
        env.put("SKEIN_AUTH_RATE_LIMIT_PER_MINUTE", "0");
        // the operator's credential: authenticated by a constant-time compare, nothing read, nothing checked
        env.put("SKEIN_GATEWAY_ADMIN_TOKEN", operatorToken);
        Path log = logFile();
        Files.createDirectories(log.getParent());
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        Thread hook = new Thread(() -> p.destroyForcibly(), "bench-stop-auth-gateway");
        Runtime.getRuntime().addShutdownHook(hook);
        Path pidFile = pidFile();
        if (pidFile != null) {
            Files.createDirectories(pidFile.getParent());
            Files.writeString(pidFile, Long.toString(p.pid()));
        }
        System.out.printf(
                "started a gateway with authentication on, port %d (pid %d%s, %s, %s)%n",
                PORT,
                p.pid(),
                session ? ", a session of its own" : "",
                javaOptions().trim(),
                role ? "database role " + dbUser : "database owner");
        long deadline = System.nanoTime() + START_PATIENCE.toNanos();
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException(
                        "the gateway with authentication on exited (" + p.exitValue() + "): see " + log);
            }
            if (ready()) {
                return p;
            }
            if (System.nanoTime() > deadline) {
                stop(p);
                throw new IllegalStateException(
                        "the gateway with authentication on was not ready after " + START_PATIENCE + ": see " + log);
            }
            Thread.sleep(200);
        }
    }

    private boolean ready() {
        try {
            return setup.send(
                                    HttpRequest.newBuilder(URI.create(Bench.management(authBase) + "/q/health/ready"))
                                            .timeout(Duration.ofSeconds(5))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void stop(Process p) throws Exception {
        if (p == null) {
            return;
        }
        p.destroy();
        if (!p.waitFor(STOP_PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(STOP_PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        Path pidFile = pidFile();
        if (pidFile != null) {
            Files.deleteIfExists(pidFile);
        }
    }

    private static void service(Map<String, String> env, String name, String url) {
        URI u = URI.create(url);
        env.put("QUARKUS_GRPC_CLIENTS_" + name + "_HOST", u.getHost());
        env.put("QUARKUS_GRPC_CLIENTS_" + name + "_PORT", Integer.toString(u.getPort()));
    }

    /** The suite's JVM options for services, as the runner passes them. */
    private static String javaOptions() {
        String opts = System.getenv("SKEIN_BENCH_SERVICE_JAVA_OPTS");
        return opts == null || opts.isBlank() ? "-Xmx256m -XX:+UseSerialGC" : opts;
    }

    /** The suite's internal credential: as the runner passes it, else the one kept under its SKEIN_HOME. */
    private static String internalToken() throws IOException {
        String token = System.getenv("SKEIN_INTERNAL_TOKEN");
        if (token != null && !token.isBlank()) {
            return token;
        }
        String home = System.getenv("SKEIN_HOME");
        Path file = home == null ? null : Path.of(home, "internal-token");
        if (file == null || !Files.isReadable(file)) {
            throw new IllegalStateException("no internal credential: set SKEIN_INTERNAL_TOKEN or SKEIN_HOME (run it"
                    + " with ./skein bench auth)");
        }
        return Files.readString(file).trim();
    }

    private static Path pidFile() {
        String home = System.getenv("SKEIN_HOME");
        return home == null ? null : Path.of(home, "run", "gateway-auth.pid");
    }

    private Path logFile() {
        return Path.of(options.logDir(), "gateway-auth.log");
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ---- the identity provider -----------------------------------------------------------------

    /** Serves the key's public half as a JWKS at {@code /idp/jwks} on 127.0.0.1, counting the fetches. */
    private static HttpServer jwks(RsaJsonWebKey key, AtomicInteger fetches) throws IOException {
        byte[] body = new JsonWebKeySet(key)
                .toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY)
                .getBytes(StandardCharsets.UTF_8);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/idp/jwks", exchange -> {
            fetches.incrementAndGet();
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }

    /** A JWT of the provider for {@link #JWT_USER}, in group {@link #JWT_GROUP}, valid for a day. */
    private static String jwt(RsaJsonWebKey key, String issuer) throws Exception {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(issuer);
        claims.setAudience(AUDIENCE);
        claims.setSubject("3f1c2a9e-" + JWT_USER);
        claims.setClaim("preferred_username", JWT_USER);
        claims.setStringListClaim("groups", JWT_GROUP);
        claims.setIssuedAtToNow();
        claims.setNotBeforeMinutesInThePast(1);
        claims.setExpirationTimeMinutesInTheFuture(24 * 60);
        claims.setGeneratedJwtId();
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.getPrivateKey());
        jws.setKeyIdHeaderValue(key.getKeyId());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        return jws.getCompactSerialization();
    }

    // ---- calls to the authenticating gateway ---------------------------------------------------

    /** Gives {@code username} EDIT on the experiment (as the administrator). */
    private void grant(String admin, String experimentId, String username) throws Exception {
        call(
                "POST",
                "mlflow/experiments/permissions/create",
                admin,
                json("experiment_id", experimentId, "username", username, "permission", "EDIT"),
                200);
    }

    /** Fails unless the credential signs in as {@code username}, an administrator or not as said. */
    private void whoIs(String authorization, String username, boolean admin) throws Exception {
        String answer = call("GET", "skein/session", authorization, null, 200);
        Matcher name = USERNAME.matcher(answer);
        Matcher isAdmin = IS_ADMIN.matcher(answer);
        if (!name.find()
                || !name.group(1).equals(username)
                || !isAdmin.find()
                || Boolean.parseBoolean(isAdmin.group(1)) != admin) {
            throw new IllegalStateException(
                    "expected " + username + (admin ? " (administrator)" : "") + ", the gateway says " + answer);
        }
    }

    /** {@code /api/2.0/<path>} on the authenticating gateway; any status but {@code expect} fails the benchmark. */
    private String call(String method, String path, String authorization, String json, int expect) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(authBase + "/api/2.0/" + path))
                .method(
                        method,
                        json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        HttpResponse<String> response = setup.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expect) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + " (expected "
                    + expect + "): " + response.body());
        }
        return response.body();
    }

    /** A JSON object of string fields, from name, value pairs (values without quotes or backslashes). */
    private static String json(String... pairs) {
        StringBuilder s = new StringBuilder("{");
        for (int i = 0; i < pairs.length; i += 2) {
            s.append(i == 0 ? "" : ",")
                    .append('"')
                    .append(pairs[i])
                    .append("\":\"")
                    .append(pairs[i + 1])
                    .append('"');
        }
        return s.append('}').toString();
    }

    private static String basic(String username, String password) {
        return "Basic "
                + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private String secret() {
        byte[] b = new byte[24];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static HttpClient client() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }
}
