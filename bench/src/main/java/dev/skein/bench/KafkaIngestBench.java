package dev.skein.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Metric points per second through Kafka topic {@code skein.tracking.metrics.v1}: records of
 * {@code keys × steps} points (the documented JSON), round-robin over {@code runs} runs, produced as
 * fast as a producer can; the rate is points over the time from the first send until tracking-service
 * counted every point ingested. Then the end-to-end lag (record timestamp → committed), from
 * tracking-service's lag histogram, while records arrive at half that rate. The floor: COPY BINARY
 * into the same tables ({@link Floors}), one connection per run, in the same run.
 */
final class KafkaIngestBench {

    static final String TOPIC = "skein.tracking.metrics.v1";
    private final Options options;
    private final Workload workload;
    private final Ingest ingest;

    KafkaIngestBench(Options options) {
        this.options = options;
        this.workload = new Workload(options.keys(), options.steps());
        this.ingest = new Ingest(options.tracking());
    }

    void run() throws Exception {
        List<String> runIds = new Gateway(options.gateway()).newRuns("bench-kafka-ingest", options.runs());
        Floors floors = new Floors(options, workload, runIds);
        floors.create();
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.kafka());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(1 << 20));
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L << 20));
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            System.out.printf(
                    "kafka-ingest: %,d points in records of %,d (%d keys × %d steps) over %d runs, JSON; lag at half"
                            + " the rate for %d s%n",
                    options.points(),
                    workload.size(),
                    options.keys(),
                    options.steps(),
                    options.runs(),
                    options.seconds());
            Machine.print(options);
            long[] batchOf = new long[options.runs()];
            long sent = 0;

            // Warm-up: the consumer joins its group, the JIT compiles the ingest path.
            long warmup = Math.min(options.points() / 10, 200_000);
            sent += produceAll(producer, records(runIds, batchOf, warmup), ingest.points() + warmup);

            List<ProducerRecord<String, byte[]>> records = records(runIds, batchOf, options.points());
            long expected = ingest.points() + records.size() * (long) workload.size();
            long begin = System.nanoTime();
            sent += produceAll(producer, records, expected);
            double rate = records.size() * (double) workload.size() * 1e9 / (System.nanoTime() - begin);

            Load.Result copy = Load.measure(
                    options.runs(), Duration.ofSeconds(options.seconds()), floors.copy(), new long[options.runs()]);

            TreeMap<Double, Double> before = ingest.lagBuckets();
            sent += paced(producer, runIds, batchOf, rate / 2, Duration.ofSeconds(options.seconds()));
            TreeMap<Double, Double> after = ingest.lagBuckets();

            long stored = Db.points(options, runIds)[0];
            System.out.println();
            System.out.println("| ingest points/s | COPY rows/s | ÷ COPY | lag p50 at half rate | lag p99 at half rate"
                    + " | points sent | points stored |");
            System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
            System.out.printf(
                    "| %,.0f | %,.0f | %.2f | ≤ %s | ≤ %s | %,d | %,d |%n",
                    rate,
                    copy.pointsPerSecond(),
                    rate / copy.pointsPerSecond(),
                    quantile(before, after, 0.5),
                    quantile(before, after, 0.99),
                    sent,
                    stored);
            if (stored != sent) {
                throw new IllegalStateException("points stored " + stored + " != points sent " + sent);
            }
        } finally {
            floors.drop();
        }
    }

    /** {@code points} worth of records, round-robin over the runs, each the next batch of its run. */
    private List<ProducerRecord<String, byte[]>> records(List<String> runIds, long[] batchOf, long points)
            throws Exception {
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        for (long i = 0; i * workload.size() < points; i++) {
            int run = (int) (i % runIds.size());
            records.add(record(runIds, run, batchOf[run]++));
        }
        return records;
    }

    private ProducerRecord<String, byte[]> record(List<String> runIds, int run, long batch) throws Exception {
        String runId = runIds.get(run);
        return new ProducerRecord<>(
                TOPIC, runId, workload.json(run, batch, runId).getBytes(StandardCharsets.UTF_8));
    }

    /** Sends the records as fast as the producer takes them; returns once tracking counted {@code expected}. */
    private long produceAll(
            KafkaProducer<String, byte[]> producer, List<ProducerRecord<String, byte[]>> records, long expected)
            throws Exception {
        for (ProducerRecord<String, byte[]> r : records) {
            producer.send(r);
        }
        producer.flush();
        ingest.awaitPoints(expected);
        return records.size() * (long) workload.size();
    }

    /** Sends records at {@code pointsPerSecond} for {@code duration}; returns once all are ingested. */
    private long paced(
            KafkaProducer<String, byte[]> producer,
            List<String> runIds,
            long[] batchOf,
            double pointsPerSecond,
            Duration duration)
            throws Exception {
        long expected = ingest.points();
        long interval = (long) (1e9 * workload.size() / pointsPerSecond);
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long points = 0;
        for (long i = 0, due = start; due < end; i++, due += interval) {
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            int run = (int) (i % runIds.size());
            producer.send(record(runIds, run, batchOf[run]++));
            points += workload.size();
        }
        producer.flush();
        ingest.awaitPoints(expected + points);
        return points;
    }

    /** The smallest bucket bound holding {@code q} of the records counted between the two scrapes. */
    private static String quantile(TreeMap<Double, Double> before, TreeMap<Double, Double> after, double q) {
        double total = after.lastEntry().getValue() - before.getOrDefault(after.lastKey(), 0.0);
        for (var e : after.entrySet()) {
            double count = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            if (count >= q * total) {
                return e.getKey().isInfinite() ? "∞" : String.format("%.0f ms", e.getKey() * 1000);
            }
        }
        return "∞";
    }
}
