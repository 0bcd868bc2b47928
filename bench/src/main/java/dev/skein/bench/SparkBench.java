package dev.skein.bench;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * A real Spark job (Apache Spark 4, {@code local[2]}, its own JVM) computes {@code --history-points}
 * metric points (1,000,000) for 10 runs in a DataFrame and writes them to Kafka topic
 * {@code skein.tracking.metrics.v1} with Spark's Kafka sink — nothing of Skein's in it but the record
 * schema ({@code bench/spark}). Then every point must be in the runs' histories exactly once: counted
 * in the database, and read back through the gateway's get-history for a sample of keys.
 */
final class SparkBench {

    private static final int RUNS = 10;
    private static final int KEYS = 100;
    /** What Spark needs opened on Java 17, as spark-submit passes it. */
    private static final List<String> JAVA_OPTIONS = List.of(
            "-XX:+IgnoreUnrecognizedVMOptions",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
            "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
            "-Djdk.reflect.useDirectMethodHandle=false",
            "-Dio.netty.tryReflectionSetAccessible=true");

    private final Options options;
    private final Gateway gateway;
    private final Ingest ingest;

    SparkBench(Options options) {
        this.options = options;
        this.gateway = new Gateway(options.gateway());
        this.ingest = new Ingest(options.tracking());
    }

    void run() throws Exception {
        int steps = options.historyPoints() / (RUNS * KEYS);
        long points = (long) RUNS * KEYS * steps;
        System.out.printf(
                "spark: a Spark job (local[2]) writes %,d points (%d runs × %d keys × %,d steps) to"
                        + " skein.tracking.metrics.v1 with its Kafka sink%n",
                points, RUNS, KEYS, steps);
        Machine.print(options);
        List<String> runIds = gateway.newRuns("bench-spark", RUNS);
        long before = ingest.points();

        List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + "/bin/java");
        command.add("-Xmx1g");
        command.addAll(JAVA_OPTIONS);
        command.addAll(List.of(
                "-cp",
                options.sparkClasspath(),
                "dev.skein.examples.spark.SparkMetricsJob",
                options.kafka(),
                String.join(",", runIds),
                Integer.toString(KEYS),
                Integer.toString(steps)));
        File log = new File(options.logDir(), "spark-job.log");
        long t0 = System.nanoTime();
        Process job = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log)
                .start();
        int exit = job.waitFor();
        double jobSeconds = (System.nanoTime() - t0) / 1e9;
        if (exit != 0) {
            throw new IllegalStateException("the Spark job failed (exit " + exit + "): see " + log);
        }
        ingest.awaitPoints(before + points);
        double allSeconds = (System.nanoTime() - t0) / 1e9;

        long[] stored = Db.points(options, runIds);
        int checked = checkHistories(runIds, steps);
        System.out.println();
        System.out.println("| Spark job (start to end) | until all ingested | points/s end to end | points stored |"
                + " distinct (run, key, step) | histories read back |");
        System.out.println("|---:|---:|---:|---:|---:|---:|");
        System.out.printf(
                "| %.1f s | %.1f s | %,.0f | %,d | %,d | %d of %,d steps each, every step once |%n",
                jobSeconds, allSeconds, points / allSeconds, stored[0], stored[1], checked, steps);
        if (stored[0] != points || stored[1] != points) {
            throw new IllegalStateException("expected " + points + " points exactly once, stored " + stored[0] + " ("
                    + stored[1] + " distinct)");
        }
    }

    /** Reads three keys of every run back through the gateway; each must hold every step exactly once. */
    private int checkHistories(List<String> runIds, int steps) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        int checked = 0;
        for (String runId : runIds) {
            for (String key : List.of("metric_000", "metric_042", "metric_099")) {
                String body = http.send(
                                HttpRequest.newBuilder(URI.create(options.gateway()
                                                + "/api/2.0/mlflow/metrics/get-history?run_id=" + runId
                                                + "&metric_key=" + key))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                BitSet seen = new BitSet(steps);
                new StepScanner(seen, steps).feed(body.getBytes(StandardCharsets.UTF_8));
                if (seen.cardinality() != steps) {
                    throw new IllegalStateException(
                            runId + "/" + key + ": " + seen.cardinality() + " distinct steps of " + steps);
                }
                checked++;
            }
        }
        return checked;
    }
}
