package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.error;
import static dev.skein.e2e.Http.newExperiment;
import static dev.skein.e2e.Http.newRun;
import static dev.skein.e2e.Http.ok;
import static dev.skein.e2e.Http.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import io.minio.ListObjectsArgs;
import io.minio.MinioAsyncClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow.tracking.MlflowClient;

/**
 * Artifacts through the gateway against the real S3 server, in MLflow's wire format: what
 * MLflow's Python client sends for log_artifact / list_artifacts / download_artifacts (PUT of the
 * raw bytes, GET with {@code ?path=}), multipart uploads, the tracking API's listing, the UI's
 * downloads, presigned URLs, path safety and garbage collection.
 */
@ExtendWith(Suite.class)
class ArtifactIT {

    private static final String PROXY = "/api/2.0/mlflow-artifacts/artifacts";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static MinioAsyncClient s3;

    @BeforeAll
    static void connect() {
        TestInfra.S3 server = TestInfra.s3();
        s3 = MinioAsyncClient.builder()
                .endpoint(server.endpoint())
                .credentials(server.accessKey(), server.secretKey())
                .region("us-east-1")
                .build();
    }

    // --- helpers -----------------------------------------------------------------------------

    /** The proxy path of a run's artifact root, as MLflow's client derives it from artifact_uri. */
    private static String proxyRoot(String artifactUri) {
        assertThat(artifactUri).startsWith("mlflow-artifacts:/");
        return artifactUri.substring("mlflow-artifacts:/".length());
    }

    private static String encodePath(String path) {
        List<String> parts = new ArrayList<>();
        for (String segment : path.split("/", -1)) {
            parts.add(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return String.join("/", parts);
    }

    /** A request exactly as given: the path is not normalised or re-encoded on its way. */
    private static HttpResponse<byte[]> raw(String method, String pathAndQuery, byte[] body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(Suite.url() + pathAndQuery))
                .timeout(Duration.ofMinutes(2))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void put(String path, byte[] data, String contentType) throws Exception {
        HttpResponse<byte[]> r = raw("PUT", PROXY + "/" + encodePath(path), data, "Content-Type", contentType);
        assertThat(r.statusCode())
                .as(new String(r.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("{}");
    }

    private static HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        return raw("GET", PROXY + "/" + encodePath(path), null, headers);
    }

    private static JsonArray list(String dir) {
        JsonObject answer = ok(api().queryParam("path", dir).get(PROXY));
        return answer.containsKey("files") ? answer.getJsonArray("files") : new JsonArray();
    }

    private static JsonObject entry(JsonArray files, String path) {
        for (int i = 0; i < files.size(); i++) {
            if (files.getJsonObject(i).getString("path").equals(path)) {
                return files.getJsonObject(i);
            }
        }
        throw new AssertionError(path + " not in " + files.encode());
    }

    private static String jsonError(HttpResponse<byte[]> r) {
        return r.statusCode() + " "
                + new JsonObject(new String(r.body(), StandardCharsets.UTF_8)).getString("error_code");
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static List<String> keys(String prefix) throws Exception {
        List<String> keys = new ArrayList<>();
        for (Result<Item> r : s3.listObjects(ListObjectsArgs.builder()
                .bucket(Suite.BUCKET)
                .prefix(prefix)
                .recursive(true)
                .build())) {
            keys.add(r.get().objectName());
        }
        return keys;
    }

    /** What S3Proxy keeps on disk for the suite's bucket whose path mentions {@code name}, multipart parts included. */
    private static List<Path> onDisk(String name) throws IOException {
        try (Stream<Path> files = Files.walk(TestInfra.s3().dataDir().resolve(Suite.BUCKET))) {
            return files.filter(p -> p.toString().contains(name)).toList();
        }
    }

    private static RunInfo newClientRun() {
        try (MlflowClient client = new MlflowClient(Suite.url())) {
            String experiment = client.createExperiment("artifacts-" + UUID.randomUUID());
            return client.createRun(experiment);
        }
    }

    // --- MLflow's proxy, as its Python client calls it ----------------------------------------

    @Test
    void shouldLogListAndDownloadArtifactsAsMlflowsPythonClientDoes() throws Exception {
        RunInfo run = newClientRun();
        assertThat(run.getArtifactUri())
                .isEqualTo("mlflow-artifacts:/" + run.getExperimentId() + "/" + run.getRunId() + "/artifacts");
        String root = proxyRoot(run.getArtifactUri());
        byte[] mlmodel = "artifact_path: model\nflavors:\n  python_function: {}\n".getBytes(StandardCharsets.UTF_8);
        byte[] weights = new byte[300_000];
        new Random(7).nextBytes(weights);
        byte[] plot = "not really a png".getBytes(StandardCharsets.UTF_8);
        put(root + "/model/MLmodel", mlmodel, "text/plain");
        put(root + "/model/data/weights.bin", weights, "application/octet-stream");
        put(root + "/empty.txt", new byte[0], "text/plain");
        put(root + "/plots/loss curve+v2.png", plot, "image/png");

        JsonArray top = list(root);
        assertThat(top).hasSize(3);
        assertThat(entry(top, "empty.txt").getMap())
                .containsEntry("is_dir", false)
                .containsEntry("file_size", 0);
        assertThat(entry(top, "model").getMap()).containsEntry("is_dir", true).doesNotContainKey("file_size");
        JsonArray model = list(root + "/model");
        assertThat(entry(model, "MLmodel").getLong("file_size")).isEqualTo(mlmodel.length);
        assertThat(entry(model, "data").getBoolean("is_dir")).isTrue();
        assertThat(entry(list(root + "/model/data"), "weights.bin").getLong("file_size"))
                .isEqualTo(weights.length);
        assertThat(entry(list(root + "/plots"), "loss curve+v2.png").getLong("file_size"))
                .isEqualTo(plot.length);
        // a directory with nothing in it lists as nothing, like MLflow: {}
        assertThat(api().queryParam("path", root + "/nothing-here").get(PROXY).asString())
                .isEqualTo("{}");

        HttpResponse<byte[]> w = get(root + "/model/data/weights.bin");
        assertThat(w.statusCode()).isEqualTo(200);
        assertThat(w.body()).isEqualTo(weights);
        assertThat(w.headers().firstValue("Content-Length")).hasValue(Integer.toString(weights.length));
        assertThat(w.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        HttpResponse<byte[]> m = get(root + "/model/MLmodel");
        assertThat(m.body()).isEqualTo(mlmodel);
        assertThat(m.headers().firstValue("Content-Type")).hasValue("text/plain");
        HttpResponse<byte[]> e = get(root + "/empty.txt");
        assertThat(e.statusCode()).isEqualTo(200);
        assertThat(e.body()).isEmpty();
        assertThat(e.headers().firstValue("Content-Length")).hasValue("0");
        assertThat(get(root + "/plots/loss curve+v2.png").body()).isEqualTo(plot);
        assertThat(jsonError(get(root + "/model/missing.bin"))).isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(jsonError(get(root + "/model"))).isEqualTo("400 INVALID_PARAMETER_VALUE");

        // the tracking API's listing of the run: paths relative to its root, and pages on request
        JsonObject listed = ok(api().queryParam("run_id", run.getRunId())
                .queryParam("path", "model")
                .get("/api/2.0/mlflow/artifacts/list"));
        assertThat(listed.getString("root_uri")).isEqualTo(run.getArtifactUri());
        assertThat(listed.getJsonArray("files").stream()
                        .map(f -> ((JsonObject) f).getString("path"))
                        .toList())
                .containsExactlyInAnyOrder("model/MLmodel", "model/data");
        List<String> paged = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            var request = api().queryParam("run_id", run.getRunId()).queryParam("max_results", 2);
            if (token != null) {
                request.queryParam("page_token", token);
            }
            JsonObject page = ok(request.get("/api/2.0/mlflow/artifacts/list"));
            page.getJsonArray("files").forEach(f -> paged.add(((JsonObject) f).getString("path")));
            token = page.getString("next_page_token");
            pages++;
        } while (token != null);
        assertThat(pages).isEqualTo(2);
        assertThat(paged).containsExactlyInAnyOrder("empty.txt", "model", "plots");
        // the web UI's spelling (ajax-api, run_uuid)
        assertThat(ok(api().queryParam("run_uuid", run.getRunId()).get("/ajax-api/2.0/mlflow/artifacts/list"))
                        .getJsonArray("files"))
                .hasSize(3);
        assertThat(error(api().queryParam("run_id", "0123456789abcdef0123456789abcdef")
                        .get("/api/2.0/mlflow/artifacts/list")))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");

        // the UI's download of a run's file
        HttpResponse<byte[]> ui = raw("GET", "/get-artifact?run_id=" + run.getRunId() + "&path=model/MLmodel", null);
        assertThat(ui.statusCode()).isEqualTo(200);
        assertThat(ui.body()).isEqualTo(mlmodel);

        // deleting a directory takes everything under it, nothing beside it
        HttpResponse<byte[]> deleted = raw("DELETE", PROXY + "/" + encodePath(root + "/plots"), null);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(list(root)).hasSize(2);
        assertThat(get(root + "/model/MLmodel").statusCode()).isEqualTo(200);
    }

    @Test
    void shouldAnswerRangesWithPartialContent() throws Exception {
        String dir = "ranges-" + UUID.randomUUID();
        byte[] data = "0123456789".getBytes(StandardCharsets.UTF_8);
        put(dir + "/digits.txt", data, "text/plain");
        HttpResponse<byte[]> part = get(dir + "/digits.txt", "Range", "bytes=2-5");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(new String(part.body(), StandardCharsets.UTF_8)).isEqualTo("2345");
        assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 2-5/10");
        assertThat(part.headers().firstValue("Content-Length")).hasValue("4");
        assertThat(new String(get(dir + "/digits.txt", "Range", "bytes=-3").body(), StandardCharsets.UTF_8))
                .isEqualTo("789");
        assertThat(new String(get(dir + "/digits.txt", "Range", "bytes=7-").body(), StandardCharsets.UTF_8))
                .isEqualTo("789");
        HttpResponse<byte[]> past = get(dir + "/digits.txt", "Range", "bytes=10-");
        assertThat(past.statusCode()).isEqualTo(416);
        assertThat(past.headers().firstValue("Content-Range")).hasValue("bytes */10");
        // a range we do not serve (several parts) gets the whole file
        HttpResponse<byte[]> multi = get(dir + "/digits.txt", "Range", "bytes=0-1,4-5");
        assertThat(multi.statusCode()).isEqualTo(200);
        assertThat(multi.body()).isEqualTo(data);
    }

    // --- size ----------------------------------------------------------------------------------

    /** Sum of a service's maximum heap pools, from its Prometheus metrics (on its management port). */
    private static double maxHeap(int port) throws Exception {
        HttpResponse<String> metrics = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/metrics"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return metrics.body()
                .lines()
                .filter(l -> l.startsWith("jvm_memory_max_bytes{area=\"heap\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** {@code size} pseudo-random bytes, made as they are read, hashed on the way. */
    private static final class Generated extends InputStream {
        private final Random random = new Random(42);
        private final MessageDigest sha = MessageDigest.getInstance("SHA-256");
        private long left;

        Generated(long size) throws Exception {
            this.left = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            byte[] chunk = new byte[n];
            random.nextBytes(chunk);
            System.arraycopy(chunk, 0, b, off, n);
            sha.update(chunk);
            left -= n;
            return n;
        }
    }

    @Test
    void shouldMoveAGigabyteThroughTheGatewayWithHeapsCappedAt256Megabytes() throws Exception {
        double cap = 256.0 * 1024 * 1024;
        assertThat(maxHeap(Suite.GATEWAY_MANAGEMENT_PORT)).isGreaterThan(0).isLessThanOrEqualTo(cap);
        assertThat(maxHeap(Suite.ARTIFACT_MANAGEMENT_PORT)).isGreaterThan(0).isLessThanOrEqualTo(cap);

        long size = 1024L * 1024 * 1024;
        String path = "big-" + UUID.randomUUID() + "/one-gigabyte.bin";
        Generated body = new Generated(size);
        HttpResponse<String> up = HTTP.send(
                HttpRequest.newBuilder(URI.create(Suite.url() + PROXY + "/" + path))
                        .timeout(Duration.ofMinutes(10))
                        .header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.fromPublisher(
                                HttpRequest.BodyPublishers.ofInputStream(() -> body), size))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
        String sent = HexFormat.of().formatHex(body.sha.digest());

        HttpResponse<InputStream> down = HTTP.send(
                HttpRequest.newBuilder(URI.create(Suite.url() + PROXY + "/" + path))
                        .timeout(Duration.ofMinutes(10))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(down.statusCode()).isEqualTo(200);
        assertThat(down.headers().firstValue("Content-Length")).hasValue(Long.toString(size));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long received = 0;
        try (InputStream in = down.body()) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
                received += n;
            }
        }
        assertThat(received).isEqualTo(size);
        assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(sent);
        assertThat(entry(list(path.substring(0, path.indexOf('/'))), "one-gigabyte.bin")
                        .getLong("file_size"))
                .isEqualTo(size);
        // both services are still there to answer
        assertThat(maxHeap(Suite.GATEWAY_MANAGEMENT_PORT)).isLessThanOrEqualTo(cap);
        assertThat(maxHeap(Suite.ARTIFACT_MANAGEMENT_PORT)).isLessThanOrEqualTo(cap);
        raw("DELETE", PROXY + "/" + path, null);
    }

    // --- multipart -----------------------------------------------------------------------------

    private static JsonObject mpu(String action, String dir, JsonObject body) {
        return ok(api().contentType(ContentType.JSON)
                .body(body.encode())
                .post("/api/2.0/mlflow-artifacts/mpu/" + action + "/" + dir));
    }

    private static String putPart(String url, byte[] data) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(url))
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(data))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.headers().firstValue("ETag").orElseThrow();
    }

    @Test
    void shouldUploadFivePartsThroughTheMultipartEndpointsAndAbortLeavingNothing() throws Exception {
        String dir = "mpu-" + UUID.randomUUID() + "/model";
        int partSize = 5 * 1024 * 1024;
        byte[] data = new byte[partSize * 4 + 12_345];
        new Random(3).nextBytes(data);
        // MLflow's client sends its local file's path; the artifact is dir/<its base name>
        JsonObject created = mpu(
                "create",
                dir,
                new JsonObject().put("path", "/tmp/somewhere/weights.bin").put("num_parts", 5));
        String uploadId = created.getString("upload_id");
        JsonArray credentials = created.getJsonArray("credentials");
        assertThat(credentials).hasSize(5);
        JsonArray parts = new JsonArray();
        for (int i = 0; i < 5; i++) {
            JsonObject credential = credentials.getJsonObject(i);
            assertThat(credential.getInteger("part_number")).isEqualTo(i + 1);
            byte[] part = java.util.Arrays.copyOfRange(data, i * partSize, Math.min(data.length, (i + 1) * partSize));
            parts.add(new JsonObject()
                    .put("part_number", i + 1)
                    .put("etag", putPart(credential.getString("url"), part))
                    .put("url", credential.getString("url")));
        }
        assertThat(mpu(
                                "complete",
                                dir,
                                new JsonObject()
                                        .put("path", "/tmp/somewhere/weights.bin")
                                        .put("upload_id", uploadId)
                                        .put("parts", parts))
                        .isEmpty())
                .isTrue();
        HttpResponse<byte[]> whole = get(dir + "/weights.bin");
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(sha256(whole.body())).isEqualTo(sha256(data));

        // an aborted upload leaves no parts and no object
        JsonObject second =
                mpu("create", dir, new JsonObject().put("path", "aborted.bin").put("num_parts", 2));
        putPart(second.getJsonArray("credentials").getJsonObject(0).getString("url"), new byte[partSize]);
        assertThat(onDisk("aborted.bin")).as("the part is in the store").isNotEmpty();
        mpu("abort", dir, new JsonObject().put("path", "aborted.bin").put("upload_id", second.getString("upload_id")));
        assertThat(onDisk("aborted.bin")).isEmpty();
        assertThat(onDisk(second.getString("upload_id"))).isEmpty();
        assertThat(list(dir).stream().map(f -> ((JsonObject) f).getString("path")))
                .containsExactly("weights.bin");
        // a second abort, or completing it now: it is gone
        assertThat(error(api().contentType(ContentType.JSON)
                        .body(new JsonObject()
                                .put("path", "aborted.bin")
                                .put("upload_id", second.getString("upload_id"))
                                .encode())
                        .post("/api/2.0/mlflow-artifacts/mpu/abort/" + dir)))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
        assertThat(error(api().contentType(ContentType.JSON)
                        .body(new JsonObject()
                                .put("path", "x.bin")
                                .put("num_parts", 0)
                                .encode())
                        .post("/api/2.0/mlflow-artifacts/mpu/create/" + dir)))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
    }

    // --- safety --------------------------------------------------------------------------------

    @Test
    void shouldRefuseEveryPathTraversalFormAndTouchNothingOutsideTheRoot() throws Exception {
        String secret = "secret-" + UUID.randomUUID();
        String content = "TOP SECRET " + UUID.randomUUID();
        // a file outside the proxied root (mlartifacts/), in the same bucket
        s3.putObject(PutObjectArgs.builder().bucket(Suite.BUCKET).object(secret + ".txt").stream(
                                new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)),
                                content.length(),
                                -1)
                        .build())
                .get();
        RunInfo run = newClientRun();
        String root = proxyRoot(run.getArtifactUri());
        List<String> attacks = List.of(
                "../" + secret + ".txt",
                "../../" + secret + ".txt",
                root + "/../../../../" + secret + ".txt",
                "..%2f" + secret + ".txt",
                "%2e%2e/" + secret + ".txt",
                "%2E%2E%2F" + secret + ".txt",
                "%252e%252e%252f" + secret + ".txt",
                "a/%2e%2e/%2e%2e/" + secret + ".txt",
                "%2f" + secret + ".txt",
                "..%5c" + secret + ".txt",
                "a%5c..%5c" + secret + ".txt",
                "a%00b.txt",
                secret + ".txt%00.png");
        List<String> failures = new ArrayList<>();
        for (String attack : attacks) {
            for (String method : List.of("GET", "PUT", "DELETE")) {
                HttpResponse<byte[]> r =
                        raw(method, PROXY + "/" + attack, method.equals("PUT") ? "pwned".getBytes() : null);
                String body = new String(r.body(), StandardCharsets.UTF_8);
                if (r.statusCode() != 400 || !body.contains("INVALID_PARAMETER_VALUE") || body.contains(content)) {
                    failures.add(method + " " + attack + " -> " + r.statusCode() + " " + body);
                }
            }
            String query = URLEncoder.encode(RouteDecoding.decodeOnce(attack), StandardCharsets.UTF_8);
            List<String> queries = List.of(
                    PROXY + "?path=" + query,
                    "/api/2.0/mlflow/artifacts/list?run_id=" + run.getRunId() + "&path=" + query,
                    "/get-artifact?run_id=" + run.getRunId() + "&path=" + query);
            for (String q : queries) {
                HttpResponse<byte[]> r = raw("GET", q, null);
                if (r.statusCode() != 400) {
                    failures.add(
                            "GET " + q + " -> " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
                }
            }
            HttpResponse<byte[]> mpu = raw(
                    "POST",
                    "/api/2.0/mlflow-artifacts/mpu/create/" + attack,
                    new JsonObject()
                            .put("path", "f.bin")
                            .put("num_parts", 1)
                            .encode()
                            .getBytes(),
                    "Content-Type",
                    "application/json");
            if (mpu.statusCode() != 400) {
                failures.add("mpu/create/" + attack + " -> " + mpu.statusCode());
            }
            HttpResponse<byte[]> presigned = raw(
                    "POST",
                    "/api/2.0/mlflow/artifacts/presigned-upload-url",
                    new JsonObject()
                            .put("run_id", run.getRunId())
                            .put("path", RouteDecoding.decodeOnce(attack))
                            .encode()
                            .getBytes(),
                    "Content-Type",
                    "application/json");
            if (presigned.statusCode() != 400) {
                failures.add("presigned-upload-url " + attack + " -> " + presigned.statusCode());
            }
        }
        // the file name of a multipart upload must not climb either
        HttpResponse<byte[]> dotdot = raw(
                "POST",
                "/api/2.0/mlflow-artifacts/mpu/create/" + root,
                new JsonObject().put("path", "..").put("num_parts", 1).encode().getBytes(),
                "Content-Type",
                "application/json");
        assertThat(dotdot.statusCode()).isEqualTo(400);
        assertThat(failures).isEmpty();

        // nothing was written outside the root, nor the secret changed
        for (String key : keys("")) {
            assertThat(key.startsWith("mlartifacts/") || key.startsWith("secret-") || key.startsWith("team-"))
                    .as(key)
                    .isTrue();
        }
        try (InputStream in = s3.getObject(io.minio.GetObjectArgs.builder()
                        .bucket(Suite.BUCKET)
                        .object(secret + ".txt")
                        .build())
                .get()) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(content);
        }
    }

    /**
     * A large upload refused before its body was read gets its 400, and the client can go on: over
     * HTTP/2 on the same connection, whose other streams are not disturbed; over HTTP/1.1 on a new one.
     */
    @Test
    void shouldRefuseALargeUploadEarlyAndKeepServing() throws Exception {
        byte[] big = new byte[32 * 1024 * 1024];
        for (HttpClient.Version version : List.of(HttpClient.Version.HTTP_2, HttpClient.Version.HTTP_1_1)) {
            HttpClient client = HttpClient.newBuilder().version(version).build();
            assertThat(health(client).version()).isEqualTo(version); // HTTP/2: upgraded here, h2c
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> refused = client.send(
                        HttpRequest.newBuilder(URI.create(Suite.url() + PROXY + "/../escape-" + i + ".bin"))
                                .timeout(Duration.ofSeconds(60))
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(big))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(refused.version()).isEqualTo(version);
                assertThat(refused.statusCode())
                        .as(version + " " + refused.body())
                        .isEqualTo(400);
                assertThat(refused.body()).contains("INVALID_PARAMETER_VALUE");
                assertThat(health(client).body()).as(version.toString()).isEqualTo("OK");
            }
        }
    }

    private static HttpResponse<String> health(HttpClient client) throws IOException, InterruptedException {
        return client.send(
                HttpRequest.newBuilder(URI.create(Suite.url() + "/health"))
                        .timeout(Duration.ofSeconds(60))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Query parameters arrive decoded once; an attack meant for the path is sent decoded one level. */
    private static final class RouteDecoding {
        static String decodeOnce(String s) {
            try {
                return java.net.URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return s;
            }
        }
    }

    // --- runs, model versions, presigned URLs, s3:// locations ---------------------------------

    @Test
    void shouldServeModelVersionFilesWhereTheRegistrySaysTheyAre() throws Exception {
        RunInfo run = newClientRun();
        byte[] mlmodel = "flavors: {}\n".getBytes(StandardCharsets.UTF_8);
        put(proxyRoot(run.getArtifactUri()) + "/model/MLmodel", mlmodel, "text/plain");
        String name = "artifact-model-" + UUID.randomUUID();
        ok(post("registered-models/create", new JsonObject().put("name", name)));
        String version = ok(post(
                        "model-versions/create",
                        new JsonObject()
                                .put("name", name)
                                .put("source", "runs:/" + run.getRunId() + "/model")
                                .put("run_id", run.getRunId())))
                .getJsonObject("model_version")
                .getString("version");
        String uri = ok(api().queryParam("name", name)
                        .queryParam("version", version)
                        .get("/api/2.0/mlflow/model-versions/get-download-uri"))
                .getString("artifact_uri");
        // as MLflow answers: the runs:/ source itself; the client reads the run's artifacts through this proxy
        assertThat(uri).isEqualTo("runs:/" + run.getRunId() + "/model");
        assertThat(get(proxyRoot(run.getArtifactUri()) + "/model/MLmodel").body())
                .isEqualTo(mlmodel);
        HttpResponse<byte[]> ui = raw(
                "GET",
                "/model-versions/get-artifact?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8) + "&version="
                        + version + "&path=MLmodel",
                null);
        assertThat(ui.statusCode()).isEqualTo(200);
        assertThat(ui.body()).isEqualTo(mlmodel);
        assertThat(jsonError(
                        raw("GET", "/model-versions/get-artifact?name=" + name + "&version=99&path=MLmodel", null)))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");
    }

    @Test
    void shouldHandOutPresignedUrlsStraightToTheStore() throws Exception {
        String runId = newRun(newExperiment());
        byte[] data = "large file, pretend".getBytes(StandardCharsets.UTF_8);
        JsonObject upload = ok(post(
                "artifacts/presigned-upload-url",
                new JsonObject()
                        .put("run_id", runId)
                        .put("path", "direct/file.bin")
                        .put("expiration", 600)));
        String url = upload.getString("presigned_url");
        assertThat(url).startsWith(TestInfra.s3().endpoint());
        putPart(url, data);
        HttpResponse<byte[]> via = raw("GET", "/get-artifact?run_id=" + runId + "&path=direct/file.bin", null);
        assertThat(via.body()).isEqualTo(data);
        String download = ok(post(
                        "artifacts/presigned-download-url",
                        new JsonObject().put("run_id", runId).put("path", "direct/file.bin")))
                .getString("presigned_url");
        assertThat(HTTP.send(
                                HttpRequest.newBuilder(URI.create(download)).build(),
                                HttpResponse.BodyHandlers.ofByteArray())
                        .body())
                .isEqualTo(data);
        assertThat(error(post(
                        "artifacts/presigned-upload-url",
                        new JsonObject().put("run_id", runId).put("path", "x").put("expiration", 604_801))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(error(post("artifacts/presigned-download-url", new JsonObject().put("path", "x"))))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
    }

    @Test
    void shouldServeRunsOfExperimentsWithAnS3LocationInTheSameStore() throws Exception {
        String prefix = Suite.TEAMS_ROOT + "/team-" + UUID.randomUUID();
        String experiment = ok(post(
                        "experiments/create",
                        new JsonObject()
                                .put("name", "s3-" + prefix.replace('/', '-'))
                                .put("artifact_location", "s3://" + Suite.BUCKET + "/" + prefix)))
                .getString("experiment_id");
        String runId = newRun(experiment);
        String artifactUri = Http.getRun(runId).getJsonObject("info").getString("artifact_uri");
        assertThat(artifactUri).isEqualTo("s3://" + Suite.BUCKET + "/" + prefix + "/" + runId + "/artifacts");
        // MLflow's client writes s3:// artifacts straight to the store
        byte[] data = "written by boto3".getBytes(StandardCharsets.UTF_8);
        s3.putObject(
                        PutObjectArgs.builder()
                                .bucket(Suite.BUCKET)
                                .object(prefix + "/" + runId + "/artifacts/metrics/summary.json")
                                .stream(new ByteArrayInputStream(data), data.length, -1)
                                .build())
                .get();
        JsonObject listed = ok(api().queryParam("run_id", runId).get("/api/2.0/mlflow/artifacts/list"));
        assertThat(listed.getString("root_uri")).isEqualTo(artifactUri);
        assertThat(listed.getJsonArray("files").getJsonObject(0).getMap())
                .containsEntry("path", "metrics")
                .containsEntry("is_dir", true);
        assertThat(raw("GET", "/get-artifact?run_id=" + runId + "&path=metrics/summary.json", null)
                        .body())
                .isEqualTo(data);

        // a bucket this store does not hold is not served
        String elsewhere = ok(post(
                        "experiments/create",
                        new JsonObject()
                                .put("name", "elsewhere-" + prefix.replace('/', '-'))
                                .put("artifact_location", "s3://some-other-bucket/x")))
                .getString("experiment_id");
        String foreign = newRun(elsewhere);
        Response refused = api().queryParam("run_id", foreign).get("/api/2.0/mlflow/artifacts/list");
        assertThat(error(refused)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(refused.asString()).contains("outside the artifact roots");
    }

    @Test
    void shouldNeverReadListOrPresignOutsideTheArtifactRoots() throws Exception {
        // a key of the bucket outside every artifact root, say another system's or an old backup
        String secret = "secret-" + UUID.randomUUID();
        byte[] hidden = "not for you".getBytes(StandardCharsets.UTF_8);
        for (String key : List.of(secret + "/model/MLmodel", secret + "/artifacts/model/MLmodel")) {
            s3.putObject(PutObjectArgs.builder().bucket(Suite.BUCKET).object(key).stream(
                                    new ByteArrayInputStream(hidden), hidden.length, -1)
                            .build())
                    .get();
        }
        String name = "confined-" + UUID.randomUUID();
        ok(post("registered-models/create", new JsonObject().put("name", name)));
        String outside = ok(post(
                        "model-versions/create",
                        new JsonObject()
                                .put("name", name)
                                .put("source", "s3://" + Suite.BUCKET + "/" + secret + "/model")))
                .getJsonObject("model_version")
                .getString("version");
        // an encoded climb out of the roots is refused when the version is created, as MLflow refuses it
        Response traversing = post(
                "model-versions/create",
                new JsonObject()
                        .put("name", name)
                        .put(
                                "source",
                                "s3://" + Suite.BUCKET + "/" + Suite.TEAMS_ROOT + "/%2e%2e/" + secret + "/model"));
        assertThat(traversing.statusCode()).isEqualTo(400);
        assertThat(traversing.asString()).contains("without relative path references");
        for (String version : List.of(outside)) {
            HttpResponse<byte[]> read = raw(
                    "GET", "/model-versions/get-artifact?name=" + name + "&version=" + version + "&path=MLmodel", null);
            assertThat(jsonError(read)).isEqualTo("400 INVALID_PARAMETER_VALUE");
            assertThat(new String(read.body(), StandardCharsets.UTF_8)).doesNotContain("not for you");
        }

        // a run whose experiment names a location outside the roots: no listing, download or presigned URL
        String experiment = ok(post(
                        "experiments/create",
                        new JsonObject()
                                .put("name", "outside-" + secret)
                                .put("artifact_location", "s3://" + Suite.BUCKET + "/" + secret)))
                .getString("experiment_id");
        String runId = newRun(experiment);
        s3.putObject(
                        PutObjectArgs.builder()
                                .bucket(Suite.BUCKET)
                                .object(secret + "/" + runId + "/artifacts/data.txt")
                                .stream(new ByteArrayInputStream(hidden), hidden.length, -1)
                                .build())
                .get();
        Response listed = api().queryParam("run_id", runId).get("/api/2.0/mlflow/artifacts/list");
        assertThat(error(listed)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(listed.asString()).doesNotContain("data.txt");
        HttpResponse<byte[]> read = raw("GET", "/get-artifact?run_id=" + runId + "&path=data.txt", null);
        assertThat(jsonError(read)).isEqualTo("400 INVALID_PARAMETER_VALUE");
        assertThat(new String(read.body(), StandardCharsets.UTF_8)).doesNotContain("not for you");
        for (String kind : List.of("download", "upload")) {
            Response presigned = post(
                    "artifacts/presigned-" + kind + "-url",
                    new JsonObject().put("run_id", runId).put("path", "data.txt"));
            assertThat(error(presigned)).isEqualTo("400 INVALID_PARAMETER_VALUE");
            assertThat(presigned.asString()).doesNotContain("presigned_url", "X-Amz");
        }

        // a model version inside an artifact root is still served
        String prefix = Suite.TEAMS_ROOT + "/" + secret;
        s3.putObject(PutObjectArgs.builder().bucket(Suite.BUCKET).object(prefix + "/model/MLmodel").stream(
                                new ByteArrayInputStream(hidden), hidden.length, -1)
                        .build())
                .get();
        String inside = ok(post(
                        "model-versions/create",
                        new JsonObject()
                                .put("name", name)
                                .put("source", "s3://" + Suite.BUCKET + "/" + prefix + "/model")))
                .getJsonObject("model_version")
                .getString("version");
        HttpResponse<byte[]> served =
                raw("GET", "/model-versions/get-artifact?name=" + name + "&version=" + inside + "&path=MLmodel", null);
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.body()).isEqualTo(hidden);
    }

    // --- garbage collection --------------------------------------------------------------------

    private static Response purge(JsonObject body, String token) {
        var request = api().contentType(ContentType.JSON).body(body.encode());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return request.post("/api/2.0/skein/admin/runs/purge");
    }

    @Test
    void shouldRemoveExactlyThePurgedRunsArtifacts() throws Exception {
        String experiment = newExperiment();
        String gone = newRun(experiment);
        String kept = newRun(experiment);
        for (String run : List.of(gone, kept)) {
            String root = proxyRoot(Http.getRun(run).getJsonObject("info").getString("artifact_uri"));
            put(root + "/model/MLmodel", run.getBytes(StandardCharsets.UTF_8), "text/plain");
            put(root + "/model/data/weights.bin", new byte[1000], "application/octet-stream");
        }
        // only deleted runs can be purged, and only by an admin
        assertThat(error(purge(new JsonObject().put("run_ids", new JsonArray().add(gone)), Suite.ADMIN_TOKEN)))
                .isEqualTo("400 INVALID_PARAMETER_VALUE");
        ok(post("runs/delete", new JsonObject().put("run_id", gone)));
        assertThat(error(purge(new JsonObject().put("run_ids", new JsonArray().add(gone)), null)))
                .isEqualTo("401 UNAUTHENTICATED");
        assertThat(error(purge(new JsonObject().put("run_ids", new JsonArray().add(gone)), "wrong")))
                .isEqualTo("401 UNAUTHENTICATED");
        JsonObject purged = ok(purge(new JsonObject().put("run_ids", new JsonArray().add(gone)), Suite.ADMIN_TOKEN));
        assertThat(purged.getJsonArray("run_ids")).containsExactly(gone);
        assertThat(error(api().queryParam("run_id", gone).get("/api/2.0/mlflow/runs/get")))
                .isEqualTo("404 RESOURCE_DOES_NOT_EXIST");

        String goneRoot = "mlartifacts/" + experiment + "/" + gone + "/";
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!keys(goneRoot).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(250);
        }
        assertThat(keys(goneRoot)).isEmpty();
        assertThat(keys("mlartifacts/" + experiment + "/" + kept + "/"))
                .containsExactlyInAnyOrder(
                        "mlartifacts/" + experiment + "/" + kept + "/artifacts/model/MLmodel",
                        "mlartifacts/" + experiment + "/" + kept + "/artifacts/model/data/weights.bin");
        assertThat(ok(api().queryParam("run_id", kept).get("/api/2.0/mlflow/artifacts/list"))
                        .getJsonArray("files"))
                .hasSize(1);
    }
}
