package dev.skein.tracking.messaging;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.skein.common.error.ApiException;
import dev.skein.common.messaging.ConsumerRetry;
import dev.skein.common.messaging.DeadLetters;
import dev.skein.ingest.v1.MetricBatch;
import dev.skein.tracking.MetricPoint;
import dev.skein.tracking.config.TrackingConfig;
import dev.skein.tracking.repository.RunDataRepository;
import dev.skein.tracking.repository.RunDataRepository.RunPoint;
import dev.skein.tracking.repository.RunDataRepository.RunsNotActive;
import dev.skein.tracking.service.Validation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Metric points from Kafka topic {@code skein.tracking.metrics.v1}, for producers such as Spark jobs
 * that write far more than one client's log-batch calls. Records arrive in batches (one Kafka poll)
 * and are written set-based, a few statements per 20,000 points; a point already stored changes
 * nothing, so a redelivered record is harmless. A record that cannot be used — not JSON or protobuf
 * of the documented schema, an invalid point, a run that does not exist or is not active — goes to
 * the dead-letter topic with its reason in header {@code skein-dlq-reason}, whole: a record is all
 * or nothing, like a log-batch. The poll's offsets are committed only once every record of it is
 * written or dead-lettered; while PostgreSQL or Kafka fails, or a lock is held past the ingest's
 * lock timeout, the poll is retried by {@link ConsumerRetry} (consumer {@value #CONSUMER}) for as
 * long as it takes — the channel never gives up on it.
 */
@ApplicationScoped
public class MetricIngest {

    public static final String CHANNEL = "metrics-ingest";
    public static final String DLQ_CHANNEL = "metrics-dlq";
    public static final String CONSUMER = "metrics-ingest";
    public static final String REASON_HEADER = DeadLetters.REASON_HEADER;
    public static final String PROTOBUF = "application/x-protobuf";

    private static final int POINTS_PER_TRANSACTION = 20_000;
    /**
     * MLflow 3's fields of a logged model's metric (by their number in MLflow's {@code Metric}), which
     * ingest records do not carry: refused, not dropped.
     */
    private static final Map<Integer, String> MODEL_FIELD_NUMBERS =
            Map.of(5, "dataset_name", 6, "dataset_digest", 7, "model_id");
    /** Histogram buckets of the lag, so that a scraper can tell its distribution over any interval. */
    private static final Duration[] LAG_BUCKETS = Stream.of(5, 10, 25, 50, 100, 250, 500, 750, 1000, 2500, 5000, 10000)
            .map(Duration::ofMillis)
            .toArray(Duration[]::new);

    private final RunDataRepository data;
    private final MutinyEmitter<byte[]> deadLetters;
    private final ConsumerRetry.Consumer retry;
    private final Duration lockTimeout;
    private final Timer lag;
    private final Counter points;
    private final Counter deadLettered;

    public MetricIngest(
            RunDataRepository data,
            @Channel(DLQ_CHANNEL) MutinyEmitter<byte[]> deadLetters,
            ConsumerRetry retry,
            TrackingConfig config,
            MeterRegistry registry) {
        this.data = data;
        this.deadLetters = deadLetters;
        this.retry = retry.consumer(CONSUMER);
        this.lockTimeout = config.ingest().lockTimeout();
        this.lag = Timer.builder("skein.tracking.ingest.lag")
                .description("From a record's Kafka timestamp until its points are committed to PostgreSQL")
                .publishPercentiles(0.5, 0.99)
                .serviceLevelObjectives(LAG_BUCKETS)
                .register(registry);
        this.points = Counter.builder("skein.tracking.ingest.points")
                .description("Metric points ingested from Kafka")
                .register(registry);
        this.deadLettered = Counter.builder("skein.tracking.ingest.dead.letters")
                .description("Metric records sent to the dead-letter topic")
                .register(registry);
    }

    /** A record made into points, or refused with a reason. */
    private record Parsed(
            ConsumerRecord<String, byte[]> record, String runId, List<MetricPoint> points, String error) {}

    @Incoming(CHANNEL)
    public Uni<Void> consume(ConsumerRecords<String, byte[]> records) {
        // every attempt starts again from the whole poll: points already written are not written twice
        return retry.untilDone("ingesting " + records.count() + " metric records", () -> ingest(records));
    }

    private Uni<Void> ingest(ConsumerRecords<String, byte[]> records) {
        List<Parsed> writable = new ArrayList<>(records.count());
        List<Parsed> refused = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            Parsed p = parse(r);
            (p.error() == null ? writable : refused).add(p);
        }
        return write(writable, refused).flatMap(v -> deadLetter(refused));
    }

    /** Writes the records in transactions of up to 20,000 points; a record the database refuses is set apart. */
    private Uni<Void> write(List<Parsed> records, List<Parsed> refused) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        List<Parsed> chunk = new ArrayList<>();
        int size = 0;
        for (Parsed p : records) {
            if (size > 0 && size + p.points().size() > POINTS_PER_TRANSACTION) {
                List<Parsed> these = chunk;
                chain = chain.flatMap(v -> writeChunk(these, refused));
                chunk = new ArrayList<>();
                size = 0;
            }
            chunk.add(p);
            size += p.points().size();
        }
        if (!chunk.isEmpty()) {
            List<Parsed> these = chunk;
            chain = chain.flatMap(v -> writeChunk(these, refused));
        }
        return chain;
    }

    private Uni<Void> writeChunk(List<Parsed> chunk, List<Parsed> refused) {
        if (chunk.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return data.ingestMetrics(runPoints(chunk), lockTimeout)
                .invoke(() -> written(chunk))
                .onFailure(RunsNotActive.class)
                .recoverWithUni(e -> {
                    // missing, deleted or not active: those records are refused, the rest written
                    Map<String, String> reasons = ((RunsNotActive) e).reasons;
                    List<Parsed> rest = new ArrayList<>();
                    for (Parsed p : chunk) {
                        if (reasons.containsKey(p.runId())) {
                            refused.add(refuse(p, reasons.get(p.runId())));
                        } else {
                            rest.add(p);
                        }
                    }
                    return writeChunk(rest, refused);
                })
                .onFailure(MetricIngest::refusedByData)
                .recoverWithUni(e -> chunk.size() == 1
                        ? Uni.createFrom().item(() -> {
                            refused.add(refuse(chunk.get(0), dataError(e)));
                            return null;
                        })
                        : one(chunk, 0, refused));
    }

    /** After the database refused a chunk: its records one by one, to set apart only the bad one. */
    private Uni<Void> one(List<Parsed> chunk, int i, List<Parsed> refused) {
        if (i == chunk.size()) {
            return Uni.createFrom().voidItem();
        }
        return writeChunk(List.of(chunk.get(i)), refused).flatMap(v -> one(chunk, i + 1, refused));
    }

    private void written(List<Parsed> chunk) {
        long now = System.currentTimeMillis();
        int n = 0;
        for (Parsed p : chunk) {
            lag.record(Duration.ofMillis(Math.max(0, now - p.record().timestamp())));
            n += p.points().size();
        }
        points.increment(n);
    }

    private static List<RunPoint> runPoints(List<Parsed> chunk) {
        List<RunPoint> all = new ArrayList<>();
        for (Parsed p : chunk) {
            for (MetricPoint m : p.points()) {
                all.add(new RunPoint(p.runId(), m));
            }
        }
        return all;
    }

    /** A data error (SQLSTATE class 22): the record's fault, not the database's. */
    private static boolean refusedByData(Throwable e) {
        return e instanceof PgException pg
                && pg.getSqlState() != null
                && pg.getSqlState().startsWith("22");
    }

    private static String dataError(Throwable e) {
        return "Invalid metric data: " + ((PgException) e).getErrorMessage();
    }

    private Uni<Void> deadLetter(List<Parsed> refused) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (Parsed p : refused) {
            chain = chain.flatMap(v -> send(p));
        }
        return chain;
    }

    private Uni<Void> send(Parsed p) {
        ConsumerRecord<String, byte[]> r = p.record();
        byte[] value = r.value() == null ? new byte[0] : r.value();
        return deadLetters.sendMessage(DeadLetters.of(r, value, p.error())).invoke(() -> deadLettered.increment());
    }

    private static Parsed refuse(Parsed p, String reason) {
        return new Parsed(p.record(), p.runId(), List.of(), reason);
    }

    // --- parsing -------------------------------------------------------------------------------

    static Parsed parse(ConsumerRecord<String, byte[]> r) {
        try {
            if (r.value() == null || r.value().length == 0) {
                throw new BadRecord("Empty record");
            }
            Header type = r.headers().lastHeader("content-type");
            boolean protobuf = type != null && new String(type.value(), StandardCharsets.UTF_8).startsWith(PROTOBUF);
            Parsed p = protobuf ? fromProtobuf(r) : fromJson(r);
            if (p.points().isEmpty()) {
                throw new BadRecord("No metric points in the record");
            }
            return p;
        } catch (BadRecord | ApiException e) {
            return new Parsed(r, null, List.of(), e.getMessage());
        }
    }

    private static Parsed fromProtobuf(ConsumerRecord<String, byte[]> r) {
        MetricBatch batch;
        try {
            batch = MetricBatch.parseFrom(r.value());
        } catch (InvalidProtocolBufferException e) {
            throw new BadRecord("Not a skein.ingest.v1.MetricBatch: " + e.getMessage());
        }
        String runId = runId(r, batch.getRunId().isEmpty() ? null : batch.getRunId());
        List<MetricPoint> points = new ArrayList<>(batch.getMetricsCount());
        for (var m : batch.getMetricsList()) {
            MODEL_FIELD_NUMBERS.forEach((number, field) -> {
                // a point encoded from MLflow's Metric, whose fields 5-7 name the model and dataset
                if (m.getUnknownFields().hasField(number)) {
                    throw modelField(field);
                }
            });
            Validation.metric(m.getKey(), m.getValue(), m.getTimestamp());
            points.add(new MetricPoint(m.getKey(), m.getValue(), m.getTimestamp(), m.getStep()));
        }
        return new Parsed(r, runId, points, null);
    }

    private static Parsed fromJson(ConsumerRecord<String, byte[]> r) {
        JsonObject json;
        try {
            json = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
        } catch (DecodeException | ClassCastException e) {
            throw new BadRecord("Not a JSON object: " + e.getMessage());
        }
        refuseModelFields(json);
        String runId = runId(r, string(json, "run_id"));
        List<MetricPoint> points = new ArrayList<>();
        Object metrics = json.getValue("metrics");
        if (metrics != null) {
            if (!(metrics instanceof JsonArray array)) {
                throw new BadRecord("'metrics' must be an array of metric points");
            }
            for (Object o : array) {
                if (!(o instanceof JsonObject point)) {
                    throw new BadRecord("Each of 'metrics' must be an object");
                }
                points.add(point(point));
            }
        } else if (json.containsKey("key")) {
            points.add(point(json)); // one point: {"run_id", "key", "value", "timestamp", "step"}
        }
        return new Parsed(r, runId, points, null);
    }

    private static void refuseModelFields(JsonObject json) {
        for (String field : MODEL_FIELD_NUMBERS.values()) {
            if (json.getValue(field) != null) {
                throw modelField(field);
            }
        }
    }

    private static BadRecord modelField(String field) {
        return new BadRecord("'" + field + "' is not taken here: ingest records carry run metrics only;"
                + " log a logged model's metrics with runs/log-batch");
    }

    private static MetricPoint point(JsonObject json) {
        refuseModelFields(json);
        String key = string(json, "key");
        Double value = number(json, "value");
        Long timestamp = integer(json, "timestamp");
        Long step = integer(json, "step");
        Validation.metric(key, value, timestamp);
        return new MetricPoint(key, value, timestamp, step == null ? 0 : step);
    }

    /** The run id from the value, else from the record key; both given, they must agree. */
    private static String runId(ConsumerRecord<String, byte[]> r, String fromValue) {
        String runId = fromValue != null ? fromValue : r.key();
        if (runId == null || runId.isEmpty()) {
            throw new BadRecord("No run id: give 'run_id' or use the run id as the record key");
        }
        if (fromValue != null && r.key() != null && !r.key().equals(fromValue)) {
            throw new BadRecord("The record key " + r.key() + " is not the run_id " + fromValue);
        }
        Validation.runId(runId);
        return runId;
    }

    private static String string(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v != null && !(v instanceof String)) {
            throw new BadRecord("'" + field + "' must be a string");
        }
        return (String) v;
    }

    private static Double number(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v == null) {
            return null;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof String s) {
            switch (s) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
            }
        }
        throw new BadRecord("'" + field + "' must be a number (or \"NaN\", \"Infinity\", \"-Infinity\")");
    }

    private static Long integer(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v == null) {
            return null;
        }
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw new BadRecord("'" + field + "' must be an integer");
    }

    /** A record that is not of the documented schema. */
    private static final class BadRecord extends RuntimeException {
        BadRecord(String message) {
            super(message, null, false, false);
        }
    }
}
