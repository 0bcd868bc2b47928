package dev.skein.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skein.artifacts.gc.RunPurgeListener;
import dev.skein.common.outbox.OutboxEvent;
import dev.skein.common.testing.ConsumerProbe;
import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.common.testing.TopicReader.Event;
import dev.skein.events.v1.RunPurged;
import dev.skein.proto.artifacts.v1.ArtifactServiceGrpc;
import dev.skein.proto.artifacts.v1.FileInfo;
import dev.skein.proto.artifacts.v1.ListArtifacts;
import dev.skein.proto.artifacts.v1.UploadChunk;
import dev.skein.proto.artifacts.v1.UploadHeader;
import dev.skein.proto.artifacts.v1.UploadResult;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Garbage collection: a RunPurged event on the run topic deletes exactly that run's artifacts, also
 * when the store was down for longer than the Kafka channel's 60 s limit on an unacknowledged record
 * ({@code skein.test.outage-seconds}, 75 by default; 300 for the five minutes issue 9 asks for).
 */
@QuarkusTest
class RunPurgeTest {

    private static final String TOPIC = "skein.tracking.runs.v1";
    private static final String DLQ = "skein.tracking.runs.v1.artifact-gc-dlq";
    /** The test instance's management port (quarkus.management.test-port): /q/health and /q/metrics. */
    private static final int MANAGEMENT_PORT = 18383;

    @GrpcClient("artifacts")
    ArtifactServiceGrpc.ArtifactServiceBlockingStub blocking;

    @GrpcClient("artifacts")
    io.grpc.Channel channel;

    /**
     * S3Proxy keeps objects as files and removes a directory once its last object is deleted: a
     * purge emptying the whole artifact root would race the next test's upload into it (the upload
     * fails as if the bucket were missing). Real S3 has no directories; one object kept in the root
     * for the class keeps the local store's root directory, and the tests independent. The first
     * may come before the service has created its bucket (it does so in the background at start).
     */
    @BeforeEach
    void keepTheRootDirectory() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                put("keep-the-root-directory");
                return;
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }

    private void put(String path) throws Exception {
        CompletableFuture<UploadResult> done = new CompletableFuture<>();
        StreamObserver<UploadChunk> call = ArtifactServiceGrpc.newStub(channel).upload(new StreamObserver<>() {
            @Override
            public void onNext(UploadResult value) {
                done.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
        });
        call.onNext(UploadChunk.newBuilder()
                .setHeader(UploadHeader.newBuilder().setPath(path))
                .setData(ByteString.copyFromUtf8(path))
                .build());
        call.onCompleted();
        done.get(30, TimeUnit.SECONDS);
    }

    private List<String> tree(String dir) {
        List<String> files = new ArrayList<>();
        blocking.listArtifacts(ListArtifacts.newBuilder().setPath(dir).build()).forEachRemaining(r -> {
            for (FileInfo f : r.getFilesList()) {
                if (f.getIsDir()) {
                    tree(dir + "/" + f.getPath()).forEach(files::add);
                } else {
                    files.add(dir + "/" + f.getPath());
                }
            }
        });
        return files;
    }

    private static void publish(String type, String runId, String artifactUri) {
        publishRaw(
                type,
                runId,
                OutboxEvent.json(RunPurged.newBuilder()
                        .setRunId(runId)
                        .setExperimentId("7")
                        .setArtifactUri(artifactUri)
                        .setPurgedTime(System.currentTimeMillis())));
    }

    private static void publishRaw(String type, String runId, String value) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.kafkaBootstrap());
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            ProducerRecord<String, String> record = new ProducerRecord<>(TOPIC, runId, value);
            record.headers().add("ce_type", type.getBytes(StandardCharsets.UTF_8));
            producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void shouldDeleteExactlyThePurgedRunsArtifacts() throws Exception {
        String exp = "gc-" + UUID.randomUUID();
        String run = "r" + UUID.randomUUID().toString().replace("-", "");
        for (String path : List.of(
                exp + "/" + run + "/artifacts/model/MLmodel",
                exp + "/" + run + "/artifacts/model/data/weights.bin",
                exp + "/" + run + "/artifacts/plot.png",
                // a run whose id starts with the purged one's, and another run
                exp + "/" + run + "0/artifacts/keep.txt",
                exp + "/other/artifacts/keep.txt")) {
            put(path);
        }
        assertThat(tree(exp)).hasSize(5);

        // not purges, or purges of runs elsewhere: nothing happens
        publish("dev.skein.tracking.run.deleted.v1", run, "mlflow-artifacts:/" + exp + "/" + run + "/artifacts");
        publish("dev.skein.tracking.run.purged.v1", "elsewhere", "s3://another-bucket/" + exp + "/other/artifacts");
        publish("dev.skein.tracking.run.purged.v1", run, "mlflow-artifacts:/" + exp + "/" + run + "/artifacts");

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (tree(exp).size() != 2 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(tree(exp))
                .containsExactlyInAnyOrder(exp + "/" + run + "0/artifacts/keep.txt", exp + "/other/artifacts/keep.txt");

        // a redelivered purge finds nothing left and harms nothing; a run claiming a whole root
        // (the proxy's, the bucket's) deletes nothing
        publish("dev.skein.tracking.run.purged.v1", run, "mlflow-artifacts:/" + exp + "/" + run + "/artifacts");
        publish("dev.skein.tracking.run.purged.v1", run, "mlflow-artifacts:/");
        publish("dev.skein.tracking.run.purged.v1", run, "s3://" + TestResources.BUCKET);
        String marker = "gc-marker-" + UUID.randomUUID();
        put(marker + "/" + run + "/artifacts/x.txt");
        publish("dev.skein.tracking.run.purged.v1", run, "mlflow-artifacts:/" + marker + "/" + run + "/artifacts");
        deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!tree(marker).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(tree(marker)).isEmpty();
        assertThat(tree(exp)).hasSize(2);
    }

    @Test
    void shouldDeleteAPurgedExperimentsLocationUnlessItIsShared() throws Exception {
        String exp = "gc-exp-" + UUID.randomUUID();
        String shared = "gc-shared-" + UUID.randomUUID();
        for (String path : List.of(
                exp + "/models/m-1/artifacts/MLmodel",
                exp + "/traces/t-1/artifacts/traces.json",
                // an experiment whose location starts with the purged one's
                exp + "0/models/m-2/artifacts/MLmodel",
                shared + "/models/m-3/artifacts/MLmodel")) {
            put(path);
        }
        // in one partition, in order: an experiment whose location another one shares (tracking-service leaves the
        // location out), then one whose location is its own
        publishRaw(
                "dev.skein.tracking.experiment.purged.v1",
                exp,
                OutboxEvent.json(dev.skein.events.v1.ExperimentPurged.newBuilder()
                        .setExperimentId("41")
                        .setPurgedTime(System.currentTimeMillis())));
        publishRaw(
                "dev.skein.tracking.experiment.purged.v1",
                exp,
                OutboxEvent.json(dev.skein.events.v1.ExperimentPurged.newBuilder()
                        .setExperimentId("42")
                        .setArtifactLocation("mlflow-artifacts:/" + exp)
                        .setPurgedTime(System.currentTimeMillis())));
        awaitEmpty(exp);
        assertThat(tree(exp + "0")).containsExactly(exp + "0/models/m-2/artifacts/MLmodel");
        assertThat(tree(shared)).containsExactly(shared + "/models/m-3/artifacts/MLmodel");
    }

    @Test
    void shouldDeadLetterAnUnreadablePurgeAndGoOnWithTheNext() throws Exception {
        String exp = "gc-dlq-" + UUID.randomUUID();
        String bad = "r" + UUID.randomUUID().toString().replace("-", "");
        String run = "r" + UUID.randomUUID().toString().replace("-", "");
        put(exp + "/" + run + "/artifacts/a.txt");
        publishRaw("dev.skein.tracking.run.purged.v1", bad, "{\"run_id\": ");
        publish("dev.skein.tracking.run.purged.v1", run, "mlflow-artifacts:/" + exp + "/" + run + "/artifacts");

        List<Event> dead = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                DLQ,
                Set.of(bad)::contains,
                1,
                Duration.ofSeconds(60),
                Duration.ofSeconds(1));
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).value()).isEqualTo("{\"run_id\": ");
        assertThat(dead.get(0).header("skein-dlq-reason")).startsWith("Not a RunPurged event");
        assertThat(dead.get(0).header("skein-dlq-topic")).isEqualTo(TOPIC);
        assertThat(dead.get(0).header("ce_type")).isEqualTo("dev.skein.tracking.run.purged.v1");
        awaitEmpty(exp);
    }

    @Test
    void shouldDeleteThePurgedRunsArtifactsOnceTheStoreIsBackAfterALongOutage() throws Exception {
        int outageSeconds = Integer.getInteger("skein.test.outage-seconds", 75);
        String exp = "gc-outage-" + UUID.randomUUID();
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String run = "r" + UUID.randomUUID().toString().replace("-", "");
            runs.add(run);
            put(exp + "/" + run + "/artifacts/model/MLmodel");
            put(exp + "/" + run + "/artifacts/metrics.json");
        }
        put(exp + "/kept/artifacts/keep.txt");
        double retriesBefore = ConsumerProbe.retries(MANAGEMENT_PORT, RunPurgeListener.CONSUMER);
        boolean sawStalled = false;
        TestInfra.stopS3();
        try {
            long start = System.nanoTime();
            long end = start + Duration.ofSeconds(outageSeconds).toNanos();
            int sent = 0;
            while (System.nanoTime() < end) {
                // the purges arrive spread over the outage, the first at once
                if (sent < runs.size() && System.nanoTime() >= start + (end - start) * sent / runs.size()) {
                    String run = runs.get(sent++);
                    publish(
                            "dev.skein.tracking.run.purged.v1",
                            run,
                            "mlflow-artifacts:/" + exp + "/" + run + "/artifacts");
                }
                sawStalled |= "DOWN".equals(ConsumerProbe.consumersReadiness(MANAGEMENT_PORT));
                Thread.sleep(1000);
            }
            assertThat(ConsumerProbe.retries(MANAGEMENT_PORT, RunPurgeListener.CONSUMER))
                    .as("retry rounds counted while the store was down")
                    .isGreaterThan(retriesBefore);
        } finally {
            TestInfra.startS3();
        }
        assertThat(sawStalled)
                .as("readiness check \"consumers\" DOWN while GC was stalled")
                .isTrue();

        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (tree(exp).size() != 1 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        assertThat(tree(exp)).containsExactly(exp + "/kept/artifacts/keep.txt");
        deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!"UP".equals(ConsumerProbe.consumersReadiness(MANAGEMENT_PORT)) && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        assertThat(ConsumerProbe.consumersReadiness(MANAGEMENT_PORT)).isEqualTo("UP");

        // the consumer is alive: a purge published now is carried out
        String after = "r" + UUID.randomUUID().toString().replace("-", "");
        put(exp + "/" + after + "/artifacts/late.txt");
        publish("dev.skein.tracking.run.purged.v1", after, "mlflow-artifacts:/" + exp + "/" + after + "/artifacts");
        deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (tree(exp).size() != 1 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(tree(exp)).containsExactly(exp + "/kept/artifacts/keep.txt");
    }

    private void awaitEmpty(String dir) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!tree(dir).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(tree(dir)).isEmpty();
    }
}
