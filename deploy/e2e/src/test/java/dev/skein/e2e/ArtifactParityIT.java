package dev.skein.e2e;

import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.newRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Artifacts as MLflow 2.17.2's own server tests see them (tests/tracking/test_mlflow_artifacts.py,
 * test_rest_tracking.py: test_path_validation, test_upload_artifact_handler*), through the public
 * gateway; and abandoned downloads that must not take uploads down with them.
 */
@ExtendWith(Suite.class)
class ArtifactParityIT {

    private static final String PROXY = "/api/2.0/mlflow-artifacts/artifacts";
    private static final String UPLOAD = "/ajax-api/2.0/mlflow/upload-artifact";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static HttpResponse<String> send(
            String method, String pathAndQuery, HttpRequest.BodyPublisher body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(Suite.url() + pathAndQuery))
                .timeout(Duration.ofMinutes(2))
                .method(method, body);
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
        return send("GET", pathAndQuery, HttpRequest.BodyPublishers.noBody(), headers);
    }

    private static HttpResponse<String> put(String pathAndQuery, byte[] data) throws Exception {
        return send("PUT", pathAndQuery, HttpRequest.BodyPublishers.ofByteArray(data));
    }

    private static String query(Map<String, String> params) {
        List<String> parts = new ArrayList<>();
        params.forEach((k, v) -> parts.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return "?" + String.join("&", parts);
    }

    private static String runArtifactRoot(String runId) {
        String uri = Http.getRun(runId).getJsonObject("info").getString("artifact_uri");
        assertThat(uri).startsWith("mlflow-artifacts:/");
        return PROXY + "/" + uri.substring("mlflow-artifacts:/".length());
    }

    private static JsonObject json(HttpResponse<String> r) {
        return new JsonObject(r.body());
    }

    private static void assertError(HttpResponse<String> r, String messagePart) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(json(r).getString("error_code")).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(json(r).getString("message")).contains(messagePart);
    }

    // --- test_mlflow_artifacts.py: content types ------------------------------------------------

    @ParameterizedTest
    @CsvSource({
        "a.txt, text/plain",
        "b.pkl, application/octet-stream",
        "c.png, image/png",
        "d.pdf, application/pdf",
        "MLmodel, text/plain",
        "mlproject, text/plain",
    })
    void downloadsCarryMlflowsContentTypeOnTheProxyAndGetArtifact(String name, String type) throws Exception {
        // empty files, as the MLflow test's touch(): a zero-byte download then an upload, each time
        String dir = PROXY + "/parity-" + UUID.randomUUID() + "/dir/";
        assertThat(put(dir + name, new byte[0]).statusCode()).isEqualTo(200);
        HttpResponse<String> proxied = get(dir + name, "Accept", "text/html");
        assertThat(proxied.statusCode()).isEqualTo(200);
        assertThat(proxied.headers().firstValue("Content-Type")).hasValue(type);
        assertThat(proxied.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(proxied.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=" + name);

        String runId = newRun(newExperiment());
        assertThat(put(runArtifactRoot(runId) + "/" + name, new byte[0]).statusCode())
                .isEqualTo(200);
        HttpResponse<String> ui = get("/get-artifact" + query(Map.of("run_id", runId, "path", name)));
        assertThat(ui.statusCode()).isEqualTo(200);
        assertThat(ui.headers().firstValue("Content-Type")).hasValue(type);
        assertThat(ui.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(ui.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=" + name);
    }

    // --- test_rest_tracking.py: test_path_validation ----------------------------------------------

    @Test
    void unsafePathsAreRefusedWithMlflowsExactAnswer() throws Exception {
        String runId = newRun(newExperiment());
        Map<String, String> params = Map.of("run_id", runId, "name", "model", "version", "1", "path", "../path");
        for (String endpoint : List.of(
                "/api/2.0/mlflow/artifacts/list",
                "/get-artifact",
                // Flask counts leading slashes as one: this is the endpoint itself
                "//model-versions/get-artifact",
                "/model-versions/get-artifact",
                "/ajax-api/2.0/mlflow/model-versions/get-artifact")) {
            HttpResponse<String> r = get(endpoint + query(params));
            assertThat(r.statusCode()).as(endpoint).isEqualTo(400);
            assertThat(json(r))
                    .as(endpoint)
                    .isEqualTo(new JsonObject()
                            .put("error_code", "INVALID_PARAMETER_VALUE")
                            .put("message", "Invalid path"));
        }
    }

    @Test
    void modelVersionFilesAreServedAtEverySpellingOfTheEndpoint() throws Exception {
        String runId = newRun(newExperiment());
        put(runArtifactRoot(runId) + "/model/MLmodel", "flavors: {}\n".getBytes(StandardCharsets.UTF_8));
        String name = "parity-model-" + UUID.randomUUID();
        ok(post("registered-models/create", new JsonObject().put("name", name)));
        String version = ok(post(
                        "model-versions/create",
                        new JsonObject()
                                .put("name", name)
                                .put("source", "runs:/" + runId + "/model")
                                .put("run_id", runId)))
                .getJsonObject("model_version")
                .getString("version");
        String q = query(Map.of("name", name, "version", version, "path", "MLmodel"));
        for (String endpoint : List.of(
                "/model-versions/get-artifact",
                "//model-versions/get-artifact",
                "/ajax-api/2.0/mlflow/model-versions/get-artifact")) {
            HttpResponse<String> r = get(endpoint + q);
            assertThat(r.statusCode()).as(endpoint).isEqualTo(200);
            assertThat(r.body()).isEqualTo("flavors: {}\n");
            assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain");
        }
    }

    // --- test_rest_tracking.py: upload-artifact ---------------------------------------------------

    @Test
    void uploadArtifactRefusesInvalidRequestsAsMlflow() throws Exception {
        String runId = newRun(newExperiment());
        HttpRequest.BodyPublisher none = HttpRequest.BodyPublishers.noBody();
        assertError(send("POST", UPLOAD, none), "Request must specify run_uuid.");
        assertError(send("POST", UPLOAD + query(Map.of("run_uuid", runId)), none), "Request must specify path.");
        assertError(
                send("POST", UPLOAD + query(Map.of("run_uuid", runId, "path", "")), none),
                "Request must specify path.");
        assertError(
                send("POST", UPLOAD + query(Map.of("run_uuid", runId, "path", "../test.txt")), none), "Invalid path");
        assertError(
                send("POST", UPLOAD + query(Map.of("run_uuid", runId, "path", "test.txt")), none),
                "Request must specify data.");
        // MLflow's 10 MB limit, declared or not
        byte[] big = new byte[10 * 1024 * 1024 + 1];
        String bigAt = UPLOAD + query(Map.of("run_uuid", runId, "path", "big.bin"));
        assertError(send("POST", bigAt, HttpRequest.BodyPublishers.ofByteArray(big)), "Artifact size is too large");
        assertError(
                send("POST", bigAt, HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))),
                "Artifact size is too large");
        HttpResponse<String> missing = send(
                "POST",
                UPLOAD + query(Map.of("run_uuid", "no-such-run", "path", "a.txt")),
                HttpRequest.BodyPublishers.ofString("x"));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).getString("error_code")).isEqualTo("RESOURCE_DOES_NOT_EXIST");
        // nothing of the refused uploads is in the run
        HttpResponse<String> listing = get("/api/2.0/mlflow/artifacts/list" + query(Map.of("run_id", runId)));
        JsonArray files = json(listing).getJsonArray("files");
        assertThat(files == null ? List.of() : files.getList()).isEmpty();
    }

    /**
     * A declared Content-Length over MLflow's 10 MB is refused from the request head alone, before
     * artifact-service is called and before any of the body is sent, and for a run that does not
     * exist too (MLflow checks the size before it looks the run up).
     */
    @Test
    void uploadArtifactRefusesADeclaredLengthOverTenMegabytesBeforeTheBody() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", Suite.GATEWAY_PORT)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + UPLOAD + "?run_uuid=no-such-run&path=big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            + "Content-Length: " + (10 * 1024 * 1024 + 1) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // no body is ever sent: the answer comes from the head (a wait for the body would end in
            // the body idle timeout's answer instead)
            socket.setSoTimeout((int) Duration.ofSeconds(60).toMillis());
            String answer = new String(socket.getInputStream().readNBytes(4096), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 400").contains("Artifact size is too large. Max size is 10MB.");
        }
    }

    @Test
    void uploadArtifactStoresTheBodyInTheRunsArtifacts() throws Exception {
        String runId = newRun(newExperiment());
        HttpResponse<String> r = send(
                "POST",
                UPLOAD + query(Map.of("run_uuid", runId, "path", "test.txt")),
                HttpRequest.BodyPublishers.ofString("hello world"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        HttpResponse<String> back = get("/get-artifact" + query(Map.of("run_uuid", runId, "path", "test.txt")));
        assertThat(back.statusCode()).isEqualTo(200);
        assertThat(back.body()).isEqualTo("hello world");

        // a nested path, a body of no declared length
        byte[] data = "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8);
        r = send(
                "POST",
                UPLOAD + query(Map.of("run_uuid", runId, "path", "dir/m.csv")),
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(data)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        HttpResponse<String> listing =
                get("/api/2.0/mlflow/artifacts/list" + query(Map.of("run_id", runId, "path", "dir")));
        assertThat(json(listing).getJsonArray("files").getJsonObject(0).getMap())
                .containsEntry("path", "dir/m.csv")
                .containsEntry("file_size", data.length);
        assertThat(get(runArtifactRoot(runId) + "/dir/m.csv").body()).isEqualTo("a,b\n1,2\n");
    }

    // --- abandoned downloads ------------------------------------------------------------------------

    /**
     * GETs {@code path} on a connection of its own and drops it with a TCP reset as soon as the
     * response head is in, as a client does that has all it wants (a zero-byte file) or gives up.
     */
    private static void abandonAfterHead(String path) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", Suite.GATEWAY_PORT)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            int matched = 0;
            byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            while (matched < end.length) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
            }
            socket.setSoLinger(true, 0);
        }
    }

    /** The gateway's count of artifact-service calls it cancelled, from its Prometheus metrics. */
    private static double cancelledArtifactCalls() throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + Suite.GATEWAY_MANAGEMENT_PORT + "/q/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body()
                .lines()
                .filter(l -> l.startsWith("skein_gateway_artifact_calls_cancelled_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /**
     * Regression: a client that dropped a download right after its head made the gateway cancel a
     * finished call, and artifact-service then wrote the call's trailers onto the reset stream — the
     * HTTP/2 connection to it died with GOAWAY PROTOCOL_ERROR, and uploads on it failed with 500.
     * Downloads dropped at once (zero bytes) and midway (600 KB) while uploads run: every upload
     * must succeed.
     */
    @Test
    void abandonedDownloadsDoNotFailConcurrentUploads() throws Exception {
        String dir = PROXY + "/parity-abandon-" + UUID.randomUUID();
        assertThat(put(dir + "/zero.pkl", new byte[0]).statusCode()).isEqualTo(200);
        assertThat(put(dir + "/large.bin", new byte[600 * 1024]).statusCode()).isEqualTo(200);
        int rounds = 250;
        double cancelledBefore = cancelledArtifactCalls();
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<List<String>>> work = new ArrayList<>();
            for (String file : List.of("zero.pkl", "zero.pkl", "large.bin")) {
                work.add(pool.submit(() -> {
                    for (int i = 0; i < rounds; i++) {
                        abandonAfterHead(dir + "/" + file);
                    }
                    return List.of();
                }));
            }
            for (int t = 0; t < 2; t++) {
                int thread = t;
                work.add(pool.submit(() -> {
                    List<String> failures = new ArrayList<>();
                    for (int i = 0; i < rounds; i++) {
                        HttpResponse<String> r = put(
                                dir + "/up-" + thread + "-" + i + ".txt",
                                ("upload " + i).getBytes(StandardCharsets.UTF_8));
                        if (r.statusCode() != 200) {
                            failures.add(r.statusCode() + " " + r.body());
                        }
                    }
                    return failures;
                }));
            }
            List<String> failures = new ArrayList<>();
            for (Future<List<String>> f : work) {
                failures.addAll(f.get());
            }
            assertThat(failures).isEmpty();
        } finally {
            pool.shutdownNow();
        }
        // each cancel is one stream reset on the gateway's connection to artifact-service, whose
        // rapid-reset guard allows quarkus.http.limits.rst-flood-max-rst-frame-per-window per 30 s
        double cancelled = cancelledArtifactCalls() - cancelledBefore;
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(
                "abandoned downloads: %.0f artifact-service calls cancelled (stream resets) in %.1f s%n",
                cancelled, seconds);
        assertThat(cancelled).isPositive().isLessThanOrEqualTo(rounds);
        // and downloads still work on whatever connection the gateway holds now
        HttpResponse<String> zero = get(dir + "/zero.pkl");
        assertThat(zero.statusCode()).isEqualTo(200);
        assertThat(zero.body()).isEmpty();
        assertThat(get(dir + "/up-1-" + (rounds - 1) + ".txt").body()).isEqualTo("upload " + (rounds - 1));
    }
}
