package dev.skein.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;

/**
 * A long metric history: {@code --history-points} points (1,000,000, Databricks' per-run cap) of
 * one metric, logged through the gateway, then read back through it whole (one get-history, as
 * MLflow's clients ask) and in pages of 10,000, each read checked point by point (every step
 * exactly once), with the services' memory watched meanwhile; then get-history-bulk-interval, as
 * MLflow's UI draws a chart (320 points, sometimes of a window). The floor: the same rows with
 * {@code COPY (SELECT …) TO STDOUT}.
 */
final class HistoryBench {

    private static final String KEY = "loss";
    private static final int BATCH = 1000;
    private static final Pattern TOKEN = Pattern.compile("\"next_page_token\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern HEAP =
            Pattern.compile("(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*\\}\\s+(\\S+)$");

    private final Options options;
    private final Gateway gateway;
    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    HistoryBench(Options options) {
        this.options = options;
        this.gateway = new Gateway(options.gateway());
    }

    void run() throws Exception {
        int points = options.historyPoints();
        System.out.printf(
                "history: %,d points of one metric, logged through the gateway in batches of %,d; read whole, in"
                        + " pages of 10,000, and as %d bulk-interval charts of 320 points%n",
                points, BATCH, options.queries());
        Machine.print(options);
        String runId = gateway.newRuns("bench-history", 1).get(0);
        log(runId, points);
        String history =
                options.gateway() + "/api/2.0/mlflow/metrics/get-history?run_id=" + runId + "&metric_key=" + KEY;

        Memory memory = new Memory();
        long t0 = System.nanoTime();
        memory.watch();
        BitSet whole = steps(history, points);
        Memory.Growth wholeGrowth = memory.stop();
        double wholeSeconds = (System.nanoTime() - t0) / 1e9;

        t0 = System.nanoTime();
        memory.watch();
        BitSet paged = new BitSet(points);
        String token = null;
        int pages = 0;
        do {
            String body = get(history + "&max_results=10000"
                    + (token == null ? "" : "&page_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)));
            new StepScanner(paged, points).feed(body.getBytes(StandardCharsets.UTF_8));
            pages++;
            Matcher m = TOKEN.matcher(body);
            token = m.find() ? m.group(1) : null;
        } while (token != null);
        Memory.Growth pagedGrowth = memory.stop();
        double pagedSeconds = (System.nanoTime() - t0) / 1e9;

        double copySeconds = copy(runId);

        SplittableRandom random = new SplittableRandom(7);
        long[] charts = new long[options.queries()];
        for (int q = 0; q < charts.length; q++) {
            String window = "";
            if (q % 2 == 1) { // half of them zoomed into a window
                long a = random.nextLong(points);
                long b = random.nextLong(points);
                window = "&start_step=" + Math.min(a, b) + "&end_step=" + Math.max(a, b);
            }
            long c0 = System.nanoTime();
            String body = get(options.gateway() + "/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=" + runId
                    + "&metric_key=" + KEY + "&max_results=320" + window);
            charts[q] = System.nanoTime() - c0;
            int n = body.split("\"step\"", -1).length - 1;
            // MLflow's sampling: at most max_results steps, plus the window's last and the run's first and last
            if (n == 0 || n > 322) {
                throw new IllegalStateException("bulk-interval answered " + n + " points");
            }
        }
        java.util.Arrays.sort(charts);

        System.out.println();
        System.out.println(
                "| read | points/s | seconds | ÷ COPY | tracking heap / RSS growth | gateway heap / RSS growth |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        row("get-history, whole (one response)", points, wholeSeconds, copySeconds, wholeGrowth);
        row("get-history, " + pages + " pages of 10,000", points, pagedSeconds, copySeconds, pagedGrowth);
        System.out.printf(
                "| floor: COPY (SELECT …) TO STDOUT | %,.0f | %.1f | 1.00 | | |%n", points / copySeconds, copySeconds);
        System.out.println();
        System.out.printf(
                "get-history-bulk-interval, 320 points: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms over %d requests%n",
                Quantiles.millis(charts, 0.5),
                Quantiles.millis(charts, 0.95),
                Quantiles.millis(charts, 0.99),
                charts.length);
        check("whole", whole, points);
        check("paged", paged, points);
    }

    private static void row(String what, int points, double seconds, double copySeconds, Memory.Growth g) {
        System.out.printf(
                "| %s | %,.0f | %.1f | %.2f | %s | %s |%n",
                what, points / seconds, seconds, copySeconds / seconds, g.tracking(), g.gateway());
    }

    private static void check(String what, BitSet seen, int points) {
        if (seen.cardinality() != points) {
            throw new IllegalStateException(what + " read " + seen.cardinality() + " distinct steps of " + points);
        }
    }

    /** Logs steps 0 … n−1 of the metric, 1,000 per log-batch, from 8 clients. */
    private void log(String runId, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int from = 0; from < n; from += BATCH) {
                int start = from;
                done.add(pool.submit(() -> {
                    StringBuilder body = new StringBuilder("{\"run_id\":\"" + runId + "\",\"metrics\":[");
                    for (int s = start; s < Math.min(n, start + BATCH); s++) {
                        body.append(s == start ? "" : ",")
                                .append("{\"key\":\"" + KEY + "\",\"value\":")
                                .append(1.0 / (s + 1))
                                .append(",\"timestamp\":")
                                .append(1_700_000_000_000L + s)
                                .append(",\"step\":")
                                .append(s)
                                .append('}');
                    }
                    return gateway.post("runs/log-batch", body.append("]}").toString());
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Reads a whole history response as it streams in, marking each step seen; a step seen twice fails. */
    private BitSet steps(String url, int points) throws Exception {
        HttpResponse<InputStream> response =
                http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("get-history answered " + response.statusCode());
        }
        BitSet seen = new BitSet(points);
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[1 << 16];
            StepScanner scanner = new StepScanner(seen, points);
            for (int n; (n = in.read(buffer)) > 0; ) {
                scanner.feed(buffer, n);
            }
        }
        return seen;
    }

    private String get(String url) throws Exception {
        HttpResponse<String> response =
                http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private double copy(String runId) throws Exception {
        try (Connection c = Db.connect(options)) {
            long t0 = System.nanoTime();
            c.unwrap(PGConnection.class)
                    .getCopyAPI()
                    .copyOut(
                            "COPY (SELECT key, value, timestamp, step FROM tracking.metrics WHERE run_uuid = '" + runId
                                    + "' AND key = '" + KEY + "' ORDER BY seq) TO STDOUT",
                            OutputStream.nullOutputStream());
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /**
     * The services' memory while a read runs, sampled every 50 ms: their JVM heap in use (from
     * {@code /q/metrics}) and their processes' resident memory, each as its peak above what it was
     * just before.
     */
    private final class Memory {
        record Growth(String tracking, String gateway) {}

        private final AtomicBoolean running = new AtomicBoolean();
        private Thread sampler;
        private final long[] base = new long[4];
        private final long[] peak = new long[4];

        void watch() throws Exception {
            long[] now = sample();
            System.arraycopy(now, 0, base, 0, 4);
            System.arraycopy(now, 0, peak, 0, 4);
            running.set(true);
            sampler = new Thread(() -> {
                while (running.get()) {
                    try {
                        long[] s = sample();
                        for (int i = 0; i < 4; i++) {
                            peak[i] = Math.max(peak[i], s[i]);
                        }
                        Thread.sleep(50);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            sampler.start();
        }

        Growth stop() throws InterruptedException {
            running.set(false);
            sampler.join();
            return new Growth(mb(0) + " / " + mb(1), mb(2) + " / " + mb(3));
        }

        private String mb(int i) {
            return String.format("%+.0f MB", (peak[i] - base[i]) / 1048576.0);
        }

        /** tracking heap, tracking RSS, gateway heap, gateway RSS. */
        private long[] sample() throws Exception {
            return new long[] {
                heap(options.tracking()), rss("tracking-service"), heap(options.gateway()), rss("gateway-service")
            };
        }

        private long heap(String base) throws Exception {
            Matcher m = HEAP.matcher(get(Bench.management(base) + "/q/metrics"));
            long sum = 0;
            while (m.find()) {
                sum += (long) Double.parseDouble(m.group(1));
            }
            return sum;
        }

        private static long rss(String service) throws IOException {
            Optional<ProcessHandle> process = ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().orElse("").contains(service + "/target/quarkus-app"))
                    .findFirst();
            if (process.isEmpty()) {
                return 0;
            }
            for (String line :
                    Files.readAllLines(Path.of("/proc/" + process.get().pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
            return 0;
        }
    }
}
