package dev.skein.e2e;

import static dev.skein.e2e.Http.api;
import static dev.skein.e2e.Http.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.http.ContentType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The internal services, as started by {@code ./skein up -d}, are closed to everyone but the suite:
 * they listen on loopback only, refuse gRPC without the internal credential, and the acting user
 * comes from the gateway alone.
 */
@ExtendWith(Suite.class)
class InternalDoorsIT {

    private static final int[] INTERNAL_PORTS = {
        Suite.TRACKING_PORT, Suite.REGISTRY_PORT, Suite.ARTIFACT_PORT, Suite.LLM_GATEWAY_PORT
    };
    private static final String LISTEN = "0A";
    private static final MediaType GRPC = MediaType.get("application/grpc");
    /** An empty protobuf message in gRPC's framing: not compressed, length 0. */
    private static final byte[] EMPTY_MESSAGE = new byte[5];

    private static OkHttpClient h2c;

    @BeforeAll
    static void client() {
        h2c = new OkHttpClient.Builder()
                .protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE))
                .callTimeout(30, TimeUnit.SECONDS)
                .build();
    }

    @AfterAll
    static void close() {
        h2c.dispatcher().executorService().shutdown();
        h2c.connectionPool().evictAll();
    }

    /** A listening socket of this machine, from /proc/net/tcp or tcp6. */
    record Listener(InetAddress address, int port, String line) {}

    private static List<Listener> listeners() throws IOException {
        List<Listener> found = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            List<String> lines = Files.readAllLines(path);
            for (String line : lines.subList(1, lines.size())) { // the first is the header
                String[] fields = line.trim().split("\\s+");
                if (!fields[3].equals(LISTEN)) {
                    continue;
                }
                String[] local = fields[1].split(":");
                found.add(new Listener(address(local[0]), Integer.parseInt(local[1], 16), line.trim()));
            }
        }
        return found;
    }

    /**
     * The kernel prints an address as 32-bit words in the machine's byte order: 127.0.0.1 is
     * {@code 0100007F} on x86; IPv6 four such words, ::ffff:127.0.0.1 (IPv4-mapped) among them.
     */
    static InetAddress address(String hex) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(hex.length() / 2);
        for (int i = 0; i < hex.length(); i += 8) {
            int word = (int) Long.parseLong(hex.substring(i, i + 8), 16);
            bytes.put(ByteBuffer.allocate(4)
                    .order(ByteOrder.nativeOrder())
                    .putInt(word)
                    .array());
        }
        return InetAddress.getByAddress(bytes.array()); // IPv4-mapped comes back as Inet4Address
    }

    @Test
    void shouldReadTheKernelsAddressFormsRight() throws IOException {
        boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        String v4Loopback = little ? "0100007F" : "7F000001";
        String v4Any = "00000000";
        String v6Loopback = little ? "00000000000000000000000001000000" : "00000000000000000000000000000001";
        String v4MappedLoopback = little ? "0000000000000000FFFF00000100007F" : "00000000000000000000FFFF7F000001";
        String v4MappedPublic = little ? "0000000000000000FFFF00000A000001" : "00000000000000000000FFFF0100000A";

        assertThat(address(v4Loopback).isLoopbackAddress()).isTrue();
        assertThat(address(v4Any).isLoopbackAddress()).isFalse();
        assertThat(address(v6Loopback).isLoopbackAddress()).isTrue();
        assertThat(address(v4MappedLoopback).isLoopbackAddress()).isTrue();
        assertThat(address(v4MappedPublic).isLoopbackAddress()).isFalse();
        assertThat(address("00000000000000000000000000000000").isLoopbackAddress())
                .isFalse();
    }

    @Test
    void shouldListenOnLoopbackOnly() throws IOException {
        List<Listener> listeners = listeners();
        for (int port : INTERNAL_PORTS) {
            List<Listener> onPort =
                    listeners.stream().filter(l -> l.port() == port).toList();
            assertThat(onPort).as("something listens on internal port %d", port).isNotEmpty();
            assertThat(onPort)
                    .as("internal port %d listens on loopback only", port)
                    .allSatisfy(l -> assertThat(l.address().isLoopbackAddress())
                            .as(l.line())
                            .isTrue());
        }
    }

    /** The grpc-status of a unary call sent as raw HTTP/2 (h2c), as any client on the machine could. */
    private static String grpcStatus(int port, String method, String authorization) throws IOException {
        Request.Builder request = new Request.Builder()
                .url("http://127.0.0.1:" + port + "/" + method)
                .header("te", "trailers")
                .post(RequestBody.create(EMPTY_MESSAGE, GRPC));
        if (authorization != null) {
            request.header("authorization", authorization);
        }
        try (Response response = h2c.newCall(request.build()).execute()) {
            assertThat(response.code()).isEqualTo(200);
            String status = response.header("grpc-status"); // a trailers-only answer
            if (status == null) {
                response.body().bytes();
                Headers trailers = response.trailers();
                status = trailers.get("grpc-status");
            }
            return status;
        }
    }

    @Test
    void shouldRefuseAnonymousGrpcCallsToTheInternalServices() throws IOException {
        String search = "skein.tracking.v1.TrackingService/SearchExperiments";
        assertThat(grpcStatus(Suite.TRACKING_PORT, search, null)).isEqualTo("16"); // UNAUTHENTICATED
        assertThat(grpcStatus(Suite.TRACKING_PORT, search, "Bearer not-the-internal-credential"))
                .isEqualTo("16");
        assertThat(grpcStatus(Suite.TRACKING_PORT, "skein.tracking.v1.TrackingAdminService/PurgeDeletedRuns", null))
                .isEqualTo("16");
        assertThat(grpcStatus(Suite.REGISTRY_PORT, "skein.registry.v1.WebhookService/ListWebhooks", null))
                .isEqualTo("16");
        // the same call with the suite's credential is served: the door is the credential, not the call
        assertThat(grpcStatus(Suite.TRACKING_PORT, search, "Bearer " + Suite.INTERNAL_TOKEN))
                .isEqualTo("0");
    }

    @Test
    void shouldRefuseCallsToTheLlmGatewayWithoutTheInternalCredential() throws IOException {
        // llm-gateway-service speaks plain HTTP: anyone on the machine could call it and spend its provider keys
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        for (String authorization : new String[] {null, "Bearer not-the-internal-credential"}) {
            Request.Builder request = new Request.Builder()
                    .url("http://127.0.0.1:" + Suite.LLM_GATEWAY_PORT + "/endpoints/chat/invocations")
                    .post(RequestBody.create(body, MediaType.get("application/json")));
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            try (Response response = new OkHttpClient().newCall(request.build()).execute()) {
                assertThat(response.code()).isEqualTo(401);
            }
        }
    }

    @Test
    void shouldNotTakeTheActorFromAClientsHeader() {
        String forged = "mallory-" + UUID.randomUUID();
        String model = "forged-actor-" + UUID.randomUUID();

        ok(api().contentType(ContentType.JSON)
                .header("skein-actor", forged)
                .body(new JsonObject().put("name", model).encode())
                .post("/api/2.0/mlflow/registered-models/create"));

        JsonArray trail = ok(api().queryParam("model", model)
                        .header("skein-actor", forged)
                        .get("/api/2.0/skein/audit/events"))
                .getJsonArray("events");
        assertThat(trail).hasSize(1);
        assertThat(trail.getJsonObject(0).getJsonObject("change").getString("actor"))
                .isEqualTo("unknown");
        assertThat(trail.encode()).doesNotContain(forged);
    }
}
