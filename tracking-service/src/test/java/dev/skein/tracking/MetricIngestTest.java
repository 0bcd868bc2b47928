package dev.skein.tracking;

import static dev.skein.tracking.Grpc.getRun;
import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.TestInfra;
import dev.skein.common.testing.TopicReader;
import dev.skein.common.testing.TopicReader.Event;
import dev.skein.ingest.v1.MetricBatch;
import dev.skein.ingest.v1.MetricPoint;
import dev.skein.proto.tracking.v1.DeleteRun;
import dev.skein.proto.tracking.v1.Metric;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Metric points from Kafka topic skein.tracking.metrics.v1, as a Spark job or any producer writes them. */
@QuarkusTest
class MetricIngestTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    static final String TOPIC = "skein.tracking.metrics.v1";
    static final String DLQ = "skein.tracking.metrics.v1.dlq";

    static KafkaProducer<String, byte[]> producer;

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    @BeforeAll
    static void producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.kafkaBootstrap());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void close() {
        producer.close();
    }

    private static void send(String key, String json) throws Exception {
        producer.send(new ProducerRecord<>(TOPIC, key, json.getBytes(StandardCharsets.UTF_8)))
                .get();
    }

    private static void sendProtobuf(String key, MetricBatch batch) throws Exception {
        producer.send(new ProducerRecord<>(
                        TOPIC,
                        null,
                        key,
                        batch.toByteArray(),
                        List.of(new org.apache.kafka.common.header.internals.RecordHeader(
                                "content-type", "application/x-protobuf".getBytes(StandardCharsets.UTF_8)))))
                .get();
    }

    @Test
    void shouldWriteJsonBatchesSinglePointsAndProtobufIntoTheRunsHistories() throws Exception {
        String run = newRun(tracking, newExperiment(tracking));
        send(
                run,
                "{\"run_id\":\"" + run + "\",\"metrics\":["
                        + "{\"key\":\"loss\",\"value\":0.5,\"timestamp\":1000,\"step\":1},"
                        + "{\"key\":\"loss\",\"value\":\"NaN\",\"timestamp\":1001,\"step\":2},"
                        + "{\"key\":\"acc\",\"value\":0.75,\"timestamp\":1000}]}");
        send(run, "{\"key\":\"loss\",\"value\":0.25,\"timestamp\":1002,\"step\":3}");
        sendProtobuf(
                run,
                MetricBatch.newBuilder()
                        .addMetrics(MetricPoint.newBuilder()
                                .setKey("loss")
                                .setValue(0.125)
                                .setTimestamp(1003)
                                .setStep(4))
                        .build());

        Grpc.await(
                "five points",
                WAIT,
                () -> Grpc.points(tracking, run, "loss").size() == 4
                        && Grpc.points(tracking, run, "acc").size() == 1);
        assertThat(Grpc.points(tracking, run, "loss"))
                .extracting(Metric::getStep, Metric::getTimestamp)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(1L, 1000L),
                        org.assertj.core.groups.Tuple.tuple(2L, 1001L),
                        org.assertj.core.groups.Tuple.tuple(3L, 1002L),
                        org.assertj.core.groups.Tuple.tuple(4L, 1003L));
        assertThat(Grpc.points(tracking, run, "acc").get(0).getStep()).isZero();
        // the latest value is the highest step's, as with log-batch
        assertThat(getRun(tracking, run).getData().getMetricsList())
                .filteredOn(m -> m.getKey().equals("loss"))
                .extracting(Metric::getValue)
                .containsExactly(0.125);
    }

    @Test
    void shouldNotDoubleCountARedeliveredRecord() throws Exception {
        String run = newRun(tracking, newExperiment(tracking));
        StringBuilder batch = new StringBuilder("{\"metrics\":[");
        for (int step = 0; step < 500; step++) {
            batch.append(step == 0 ? "" : ",")
                    .append("{\"key\":\"loss\",\"value\":")
                    .append(1.0 / (step + 1))
                    .append(",\"timestamp\":")
                    .append(5000 + step)
                    .append(",\"step\":")
                    .append(step)
                    .append('}');
        }
        String record = batch.append("]}").toString();
        send(run, record);
        send(run, record); // delivered again, as after a producer retry or a consumer restart
        send(run, "{\"key\":\"done\",\"value\":1,\"timestamp\":9999}"); // same partition: read after both
        Grpc.await(
                "the marker point",
                WAIT,
                () -> Grpc.points(tracking, run, "done").size() == 1);
        List<Metric> loss = Grpc.points(tracking, run, "loss");
        assertThat(loss).hasSize(500);
        assertThat(loss.stream().map(Metric::getStep).distinct().count()).isEqualTo(500);
    }

    @Test
    void shouldSendUnusableRecordsToTheDeadLetterTopicWithTheirReasonAndGoOn() throws Exception {
        String good = newRun(tracking, newExperiment(tracking));
        String deleted = newRun(tracking, newExperiment(tracking));
        tracking.deleteRun(DeleteRun.newBuilder().setRunId(deleted).build());
        String unknown = UUID.randomUUID().toString().replace("-", "");
        String notJson = "bad-" + UUID.randomUUID();
        String badPoint = "bad-" + UUID.randomUUID();
        String point = "{\"key\":\"loss\",\"value\":1.5,\"timestamp\":1000,\"step\":1}";
        send(unknown, point);
        send(deleted, point);
        send(notJson, "{\"metrics\": [");
        send(badPoint, "{\"key\":\"loss\",\"value\":1.5}");
        // a logged model's metric is refused whole, not written as a plain run metric
        String modelPoint = newRun(tracking, newExperiment(tracking));
        send(
                modelPoint,
                "{\"metrics\":[" + point + ",{\"key\":\"acc\",\"value\":0.9,\"timestamp\":1000,"
                        + "\"model_id\":\"m-0123456789abcdef0123456789abcdef\"}]}");
        // the same as protobuf, encoded from MLflow's Metric (field 7: model_id)
        String modelProto = newRun(tracking, newExperiment(tracking));
        sendProtobuf(
                modelProto,
                MetricBatch.newBuilder()
                        .addMetrics(MetricPoint.newBuilder()
                                .setKey("loss")
                                .setValue(1)
                                .setTimestamp(1000)
                                .setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                                        .addField(
                                                7,
                                                com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                                                        .addLengthDelimited(com.google.protobuf.ByteString.copyFromUtf8(
                                                                "m-0123456789abcdef0123456789abcdef"))
                                                        .build())
                                        .build()))
                        .build());
        send(good, point);

        List<Event> dead = TopicReader.read(
                TestInfra.kafkaBootstrap(),
                DLQ,
                Set.of(unknown, deleted, notJson, badPoint, modelPoint, modelProto)::contains,
                6,
                Duration.ofSeconds(60),
                Duration.ofSeconds(1));
        Map<String, Event> byKey = new java.util.HashMap<>();
        dead.forEach(e -> byKey.put(e.key(), e));
        assertThat(dead).hasSize(6);
        assertThat(byKey.get(unknown).header("skein-dlq-reason")).isEqualTo("Run with id=" + unknown + " not found");
        assertThat(byKey.get(unknown).value()).isEqualTo(point);
        assertThat(byKey.get(unknown).header("skein-dlq-topic")).isEqualTo(TOPIC);
        assertThat(byKey.get(unknown).header("skein-dlq-offset")).matches("\\d+");
        assertThat(byKey.get(deleted).header("skein-dlq-reason")).contains("must be in the 'active' state");
        assertThat(byKey.get(notJson).header("skein-dlq-reason")).startsWith("Not a JSON object");
        assertThat(byKey.get(badPoint).header("skein-dlq-reason")).startsWith("Got invalid timestamp None");

        Grpc.await(
                "the good record",
                WAIT,
                () -> Grpc.points(tracking, good, "loss").size() == 1);
        assertThat(Grpc.points(tracking, deleted, "loss")).isEmpty();
        assertThat(byKey.get(modelPoint).header("skein-dlq-reason")).startsWith("'model_id' is not taken here");
        assertThat(Grpc.points(tracking, modelPoint, "loss")).isEmpty();
        assertThat(byKey.get(modelProto).header("skein-dlq-reason")).startsWith("'model_id' is not taken here");
        assertThat(Grpc.points(tracking, modelProto, "loss")).isEmpty();
    }

    @Test
    void shouldExposeIngestLagAndConsumerLagAsMetrics() throws Exception {
        String run = newRun(tracking, newExperiment(tracking));
        send(run, "{\"key\":\"loss\",\"value\":1,\"timestamp\":1}");
        Grpc.await("the point", WAIT, () -> Grpc.points(tracking, run, "loss").size() == 1);
        String metrics = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:18381/q/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics)
                .contains("skein_tracking_ingest_lag_seconds{quantile=\"0.99\"")
                .contains("skein_tracking_ingest_dead_letters_total")
                .contains("kafka_consumer_fetch_manager_records_lag_max");
        // counted, not only declared: this point (at least) was ingested and its lag recorded
        assertThat(sample(metrics, "skein_tracking_ingest_points_total")).isGreaterThanOrEqualTo(1);
        assertThat(sample(metrics, "skein_tracking_ingest_lag_seconds_count")).isGreaterThanOrEqualTo(1);
    }

    /** The value of a Prometheus sample without labels other than the registry's own. */
    private static double sample(String metrics, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})?\\s+(\\S+)$")
                .matcher(metrics);
        assertThat(m.find()).as(name + " in /q/metrics").isTrue();
        return Double.parseDouble(m.group(1));
    }
}
