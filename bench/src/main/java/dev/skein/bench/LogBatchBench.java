package dev.skein.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Metric points per second through {@code POST /api/2.0/mlflow/runs/log-batch} on the gateway,
 * with batches of {@code keys × steps} points, one run per client, for each client count asked —
 * and, in the same run, the JDBC and COPY floors of {@link Floors} with the same clients and batches.
 */
final class LogBatchBench {

    private final Options options;
    private final Workload workload;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    LogBatchBench(Options options) {
        this.options = options;
        this.workload = new Workload(options.keys(), options.steps());
    }

    void run() throws Exception {
        int maxClients = options.maxClients();
        String experimentId = id(
                "experiment_id",
                post("experiments/create", "{\"name\":\"bench-log-batch-" + System.nanoTime() + "\"}"));
        List<String> runIds = new ArrayList<>();
        for (int i = 0; i < maxClients; i++) {
            runIds.add(id(
                    "run_id",
                    post(
                            "runs/create",
                            "{\"experiment_id\":\"" + experimentId + "\",\"run_name\":\"client-" + i + "\"}")));
        }
        Floors floors = new Floors(options, workload, runIds);
        floors.create();
        try {
            printSetting(floors);
            long[] skeinBatch = new long[maxClients];
            long[] floorBatch = new long[maxClients];
            Duration measure = Duration.ofSeconds(options.seconds());
            // Warm-up: the JIT compiles the services' hot paths; PostgreSQL's caches fill.
            Duration warmup = Duration.ofSeconds(options.warmupSeconds());
            Load.measure(maxClients, warmup, skein(runIds), skeinBatch);
            Load.measure(maxClients, warmup.dividedBy(3), floors.jdbc(), floorBatch);
            Load.measure(maxClients, warmup.dividedBy(3), floors.copy(), floorBatch);

            System.out.println();
            System.out.println(
                    "| clients | Skein log-batch points/s | p50 ms | p99 ms | JDBC batch rows/s | COPY rows/s"
                            + " | ÷ JDBC | ÷ COPY |");
            System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|");
            for (int n : options.clients()) {
                Load.Result jdbc = Load.measure(n, measure, floors.jdbc(), floorBatch);
                Load.Result copy = Load.measure(n, measure, floors.copy(), floorBatch);
                Load.Result skein = Load.measure(n, measure, skein(runIds), skeinBatch);
                System.out.printf(
                        "| %d | %,.0f | %.1f | %.1f | %,.0f | %,.0f | %.2f | %.2f |%n",
                        n,
                        skein.pointsPerSecond(),
                        skein.latencyMillis(0.5),
                        skein.latencyMillis(0.99),
                        jdbc.pointsPerSecond(),
                        copy.pointsPerSecond(),
                        skein.pointsPerSecond() / jdbc.pointsPerSecond(),
                        skein.pointsPerSecond() / copy.pointsPerSecond());
            }
        } finally {
            floors.drop();
        }
    }

    private Load.ClientFactory skein(List<String> runIds) {
        URI uri = URI.create(options.gateway() + "/api/2.0/mlflow/runs/log-batch");
        return index -> batch -> {
            StringBuilder body = new StringBuilder(80 * workload.size());
            body.append("{\"run_id\":\"").append(runIds.get(index)).append("\",\"metrics\":[");
            workload.forEach(index, batch, (key, step, timestamp, value) -> body.append("{\"key\":\"")
                    .append(key)
                    .append("\",\"value\":")
                    .append(value)
                    .append(",\"timestamp\":")
                    .append(timestamp)
                    .append(",\"step\":")
                    .append(step)
                    .append("},"));
            body.setLength(body.length() - 1);
            body.append("]}");
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(uri)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("log-batch answered " + response.statusCode() + ": " + response.body());
            }
            return workload.size();
        };
    }

    private void printSetting(Floors floors) throws Exception {
        System.out.printf(
                "log-batch: %,d metric points per request (%d keys × %d steps), one run per client, %d s per"
                        + " measurement after a %d s warm-up%n",
                workload.size(), options.keys(), options.steps(), options.seconds(), options.warmupSeconds());
        System.out.printf(
                "machine: %d cores, %s; Java %s%n",
                Runtime.getRuntime().availableProcessors(), memory(), System.getProperty("java.version"));
        try (Connection c = floors.connect();
                Statement s = c.createStatement()) {
            System.out.printf(
                    "PostgreSQL %s, synchronous_commit=%s, shared_buffers=%s%n",
                    show(s, "server_version"), show(s, "synchronous_commit"), show(s, "shared_buffers"));
        }
    }

    private static String show(Statement s, String setting) throws Exception {
        try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String memory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("\\D", ""));
                    return String.format("%.0f GB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (Exception e) {
            // not Linux: leave it out
        }
        return "memory unknown";
    }

    private String post(String path, String json) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(options.gateway() + "/api/2.0/mlflow/" + path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private static String id(String field, String json) {
        Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no id in " + json);
        }
        return m.group(1);
    }
}
