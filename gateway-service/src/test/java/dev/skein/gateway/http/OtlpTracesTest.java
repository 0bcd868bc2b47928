package dev.skein.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skein.gateway.client.Upstreams;
import dev.skein.gateway.config.GatewayConfig;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/traces} on a real HTTP server, with tracking-service out of reach (nothing listens
 * on its port, or a peer accepts the connection and never answers): how failures are answered, and
 * what a body holds in the gateway's body budget while it is inflated and sent on.
 */
class OtlpTracesTest {

    private static final long MAX_BODY = 1024 * 1024;

    private final Vertx vertx = Vertx.vertx();
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private BodyBudget budget;
    private int port;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** A gateway serving only the OTLP endpoint, its tracking-service at {@code trackingPort}. */
    private void gateway(int trackingPort, Duration upstreamTimeout) throws Exception {
        ManagedChannel tracking = ManagedChannelBuilder.forAddress("127.0.0.1", trackingPort)
                .usePlaintext()
                .build();
        closing.add(() -> tracking.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        Upstreams upstreams = new Upstreams(
                tracking, tracking, tracking, tracking, config(upstreamTimeout), vertx, new SimpleMeterRegistry());
        budget = new BodyBudget(8 * MAX_BODY);
        RequestBodies bodies = new RequestBodies(budget, 64 * MAX_BODY, Duration.ofSeconds(30), Duration.ofMinutes(2));
        OtlpTraces otlp = new OtlpTraces(upstreams, bodies, MAX_BODY);
        Router router = Router.router(vertx);
        router.route().handler(ctx -> {
            if (!otlp.handle(ctx, "tester")) {
                ctx.next();
            }
        });
        HttpServer server = vertx.createHttpServer()
                .requestHandler(router)
                .listen(0)
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        port = server.actualPort();
    }

    private static GatewayConfig config(Duration upstreamTimeout) {
        return (GatewayConfig) Proxy.newProxyInstance(
                GatewayConfig.class.getClassLoader(), new Class<?>[] {GatewayConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("upstreamTimeout")
                            || method.getName().equals("streamIdleTimeout")) {
                        return upstreamTimeout;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static byte[] export() {
        return export("root");
    }

    private static byte[] export(String name) {
        return ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder()
                        .addScopeSpans(ScopeSpans.newBuilder()
                                .addSpans(Span.newBuilder()
                                        .setTraceId(ByteString.copyFrom(new byte[16]))
                                        .setSpanId(ByteString.copyFrom(new byte[8]))
                                        .setName(name))))
                .build()
                .toByteArray();
    }

    private CompletableFuture<HttpResponse<String>> post(byte[] body, String encoding) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/traces"))
                .header("Content-Type", "application/x-protobuf")
                .header("x-mlflow-experiment-id", "1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (encoding != null) {
            request.header("Content-Encoding", encoding);
        }
        return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldAnswerTemporarilyUnavailableWithRetryAfterAndNoAddressWhenTrackingIsDown() throws Exception {
        int down = closedPort();
        gateway(down, Duration.ofSeconds(10));

        HttpResponse<String> r = post(export(), null).get(30, TimeUnit.SECONDS);

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).contains("1");
        JsonObject error = new JsonObject(r.body());
        assertThat(error.getString("error_code")).isEqualTo("TEMPORARILY_UNAVAILABLE");
        assertThat(r.body()).doesNotContain("127.0.0.1", Integer.toString(down), "Connection refused");
        assertThat(budget.used())
                .as("the body's bytes are given back once the call failed")
                .isZero();
    }

    @Test
    void shouldHoldTheBodyInTheBudgetUntilTheCallToTrackingEnds() throws Exception {
        // a peer that takes the connection and never answers: the call lasts until its deadline
        ServerSocket silent = new ServerSocket(0);
        closing.add(silent);
        CountDownLatch connected = new CountDownLatch(1);
        List<Socket> accepted = new ArrayList<>();
        Thread acceptor = new Thread(() -> {
            try {
                accepted.add(silent.accept());
                connected.countDown();
            } catch (Exception closed) {
                // the test is over
            }
        });
        acceptor.start();
        closing.add(() -> {
            for (Socket s : accepted) {
                s.close();
            }
        });
        gateway(silent.getLocalPort(), Duration.ofSeconds(3));
        byte[] body = export();

        CompletableFuture<HttpResponse<String>> answer = post(body, null);
        assertThat(connected.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(budget.used())
                .as("while the call is under way, the body is still reserved")
                .isEqualTo(body.length);

        HttpResponse<String> r = answer.get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).contains("1");
        assertThat(new JsonObject(r.body()).getString("error_code")).isEqualTo("TEMPORARILY_UNAVAILABLE");
        assertThat(budget.used()).isZero();
    }

    @Test
    void shouldRefuseCompressedBodiesThatInflatePastTheLimitWithoutHoldingThem() throws Exception {
        gateway(closedPort(), Duration.ofSeconds(10));
        // a span whose name is 20 times the limit: a few KB compressed
        byte[] bomb = export("x".repeat(20 * (int) MAX_BODY));

        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(bomb);
        }
        HttpResponse<String> gzip = post(gz.toByteArray(), "gzip").get(30, TimeUnit.SECONDS);
        assertThat(gzip.statusCode()).isEqualTo(413);
        assertThat(new JsonObject(gzip.body()).getString("error_code")).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(new JsonObject(gzip.body()).getString("message")).contains(Long.toString(MAX_BODY));
        assertThat(budget.used()).isZero();

        // raw deflate (no zlib header), which some clients send as "deflate"
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (DeflaterOutputStream out =
                new DeflaterOutputStream(raw, new Deflater(Deflater.DEFAULT_COMPRESSION, true))) {
            out.write(bomb);
        }
        HttpResponse<String> deflate = post(raw.toByteArray(), "deflate").get(30, TimeUnit.SECONDS);
        assertThat(deflate.statusCode()).isEqualTo(413);
        assertThat(budget.used()).isZero();

        HttpResponse<String> notGzip = post(export(), "gzip").get(30, TimeUnit.SECONDS);
        assertThat(notGzip.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(notGzip.body()).getString("detail")).isEqualTo("Failed to decompress gzip payload");
    }

    @Test
    void shouldRefuseALimitThatTrackingCouldNotReceive() {
        Channel none =
                ManagedChannelBuilder.forAddress("127.0.0.1", 1).usePlaintext().build();
        Upstreams upstreams =
                new Upstreams(none, none, none, none, config(Duration.ofSeconds(1)), vertx, new SimpleMeterRegistry());
        RequestBodies bodies =
                new RequestBodies(new BodyBudget(1L << 40), 1L << 30, Duration.ofSeconds(30), Duration.ofMinutes(2));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> new OtlpTraces(upstreams, bodies, OtlpTraces.TRACKING_MAX_INBOUND_MESSAGE))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("skein.gateway.otlp.max-body-size");
        ((ManagedChannel) none).shutdownNow();
    }
}
