package dev.skein.gateway.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.gateway.client.Upstreams;
import dev.skein.gateway.config.GatewayConfig;
import dev.skein.gateway.route.RouteTable;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulkInterval;
import dev.skein.proto.tracking.v1.GetRun;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.Run;
import dev.skein.proto.tracking.v1.RunData;
import dev.skein.proto.tracking.v1.RunInfo;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc;
import graphql.ExecutionResult;
import graphql.GraphQLError;
import graphql.SerializationError;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The GraphQL API over a real gRPC server standing in for tracking-service: how metric values that
 * are not finite are written, and that a request's service calls end when its client goes away.
 */
class MlflowGraphqlTest {

    private Server server;
    private ManagedChannel channel;
    private Vertx vertx;

    /** A gateway's GraphQL whose tracking-service answers GetRun with {@code getRun}. */
    private MlflowGraphql graphql(BiConsumer<GetRun, StreamObserver<GetRun.Response>> getRun) throws Exception {
        return graphql(new TrackingServiceGrpc.TrackingServiceImplBase() {
            @Override
            public void getRun(GetRun request, StreamObserver<GetRun.Response> observer) {
                getRun.accept(request, observer);
            }
        });
    }

    /** A gateway's GraphQL in front of this tracking-service. */
    private MlflowGraphql graphql(TrackingServiceGrpc.TrackingServiceImplBase tracking) throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(tracking)
                .build()
                .start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
                .usePlaintext()
                .build();
        vertx = Vertx.vertx();
        GatewayConfig config = (GatewayConfig) Proxy.newProxyInstance(
                GatewayConfig.class.getClassLoader(), new Class<?>[] {GatewayConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("upstreamTimeout")
                            || method.getName().equals("streamIdleTimeout")) {
                        return Duration.ofMinutes(5);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        Upstreams upstreams =
                new Upstreams(channel, channel, channel, channel, config, vertx, new SimpleMeterRegistry());
        return new MlflowGraphql(RouteTable.of(upstreams.services(), 1_000_000), upstreams, 10, Throwable::toString);
    }

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.shutdownNow();
        }
        if (vertx != null) {
            vertx.close();
        }
    }

    private static final String RUN_METRICS =
            "query q { mlflowGetRun(input: {runId: \"r1\"}) { run { data { metrics { key value } } } } }";

    @Test
    void shouldWriteNonFiniteMetricValuesAsNullWithGraphqlCoresMessageAsMlflowDoes() throws Exception {
        MlflowGraphql graphql = graphql((request, observer) -> {
            RunData.Builder data = RunData.newBuilder();
            double[] values = {1.5, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
            for (int i = 0; i < values.length; i++) {
                data.addMetrics(Metric.newBuilder().setKey("m" + i).setValue(values[i]));
            }
            observer.onNext(GetRun.Response.newBuilder()
                    .setRun(Run.newBuilder()
                            .setInfo(RunInfo.newBuilder().setRunId("r1"))
                            .setData(data))
                    .build());
            observer.onCompleted();
        });
        ExecutionResult result = graphql.execute(
                        RUN_METRICS,
                        "q",
                        Map.of(),
                        "tester",
                        MlflowGraphql.CallGuard.OPEN,
                        new MlflowGraphql.InFlight())
                .get(30, TimeUnit.SECONDS);
        Map<String, Object> data = result.getData();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> metrics = (List<Map<String, Object>>) ((Map<String, Object>)
                        ((Map<String, Object>) ((Map<String, Object>) data.get("mlflowGetRun")).get("run")).get("data"))
                .get("metrics");
        assertThat(metrics).extracting(m -> m.get("key")).containsExactly("m0", "m1", "m2", "m3");
        assertThat(metrics).extracting(m -> m.get("value")).containsExactly(1.5, null, null, null);
        // graphql-core's words (MLflow 2.17's /graphql), without graphql-java's path and prefix
        assertThat(result.getErrors()).allMatch(e -> e instanceof SerializationError);
        assertThat(result.getErrors())
                .extracting(e -> ((SerializationError) e).getException().getMessage())
                .containsExactly(
                        "Float cannot represent non numeric value: nan",
                        "Float cannot represent non numeric value: inf",
                        "Float cannot represent non numeric value: -inf");
    }

    @Test
    void shouldCancelTheServiceCallsOfARequestWhoseClientWentAway() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        // a call tracking-service stops when it is cancelled: the bulk history read behind the UI's charts
        MlflowGraphql graphql = graphql(new TrackingServiceGrpc.TrackingServiceImplBase() {
            @Override
            public void getMetricHistoryBulkInterval(
                    GetMetricHistoryBulkInterval request,
                    StreamObserver<GetMetricHistoryBulkInterval.Response> observer) {
                ((ServerCallStreamObserver<GetMetricHistoryBulkInterval.Response>) observer)
                        .setOnCancelHandler(cancelled::countDown);
                started.countDown();
                // never answers: only a cancel ends the call (the upstream deadline is minutes away)
            }
        });
        MlflowGraphql.InFlight inFlight = new MlflowGraphql.InFlight();
        CompletableFuture<ExecutionResult> result = graphql.execute(
                "query q { mlflowGetMetricHistoryBulkInterval(input: {runIds: [\"r1\"], metricKey: \"m\"})"
                        + " { metrics { key } } }",
                "q",
                Map.of(),
                "tester",
                MlflowGraphql.CallGuard.OPEN,
                inFlight);
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        inFlight.cancel();
        assertThat(cancelled.await(30, TimeUnit.SECONDS))
                .as("tracking-service saw its call cancelled")
                .isTrue();
        ExecutionResult answered = result.get(30, TimeUnit.SECONDS);
        assertThat(answered.getErrors()).extracting(GraphQLError::getMessage).isNotEmpty();
    }
}
