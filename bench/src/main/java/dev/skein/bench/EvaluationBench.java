package dev.skein.bench;

import dev.skein.evaluation.service.Evaluator;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code ./skein bench evaluation} (issue 16, "Speed"): evaluation-service's computation and its pipeline.
 *
 * <ol>
 *   <li><b>Throughput</b>, in a JVM of its own per table size ({@link EvaluationThroughput}, {@code -Xmx512m
 *       -XX:+UseSerialGC}): rows/s of {@code Evaluator.evaluate} (metrics and plots) on a binary classifier's
 *       predictions with probabilities, as CSV and as Parquet, against the floor of merely reading and parsing
 *       the same file with the same {@code TableReader}; the heap of each.
 *   <li><b>Through the service</b>, on the bench suite, a 10,000-row table: the time from a run's
 *       {@code runs/update} FINISHED returning until its {@code skein.evaluation.status} tag (logged in the same
 *       LogBatch as the metrics) is on the run, and from {@code POST /api/2.0/skein/evaluations} returning until
 *       the evaluation is SUCCEEDED; against the floor of the work the pipeline cannot avoid, done from this
 *       process through the gateway: the run read, the table downloaded, its artifacts (plots) uploaded, the metrics
 *       and tags logged — plus the same computation in this JVM.
 * </ol>
 */
final class EvaluationBench {

    private static final String JAVA_OPTS_ENV = "SKEIN_BENCH_EVALUATION_JAVA_OPTS";
    private static final String DEFAULT_JAVA_OPTS = "-Xmx512m -XX:+UseSerialGC";
    private static final String TABLE_PATH = "eval/predictions.csv";
    private static final long POLL_MILLIS = 10;
    private static final Duration DEADLINE = Duration.ofMinutes(2);
    private static final Pattern TAG = Pattern.compile(
            "\\{\"key\"\\s*:\\s*\"skein\\.evaluation\\.status\"\\s*,\\s*\"value\"\\s*:\\s*\"([A-Z]+)\"\\s*\\}");
    private static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*\"([A-Z_]+)\"");
    private static final double MB = 1024.0 * 1024.0;
    /** The curves' budget of the spilled runs: every table size of the benchmark goes to disk. */
    private static final long SPILL_BUDGET = 16L << 20;

    private static final String SPILLED = "16 MiB budget, ";

    private final Options options;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    EvaluationBench(Options options) {
        this.options = options;
    }

    void run() throws Exception {
        Machine.print(options);
        System.out.println("load average before: " + loadAverage());
        throughput();
        service();
        System.out.println("load average after: " + loadAverage());
    }

    // --- 1. throughput in one JVM ------------------------------------------------------------------

    private void throughput() throws Exception {
        String javaOpts = System.getenv().getOrDefault(JAVA_OPTS_ENV, DEFAULT_JAVA_OPTS);
        List<Integer> sizes = options.tableRows();
        int rounds = options.rounds();
        System.out.printf(
                "%n## evaluation: throughput and heap in one JVM (%s, one JVM per size and format), a binary"
                        + " classifier's table (label, prediction, proba; seed %d) as CSV and as SNAPPY Parquet"
                        + " (pyarrow's 1Mi-row groups); median of %d interleaved rounds after one warm-up round%n",
                javaOpts, PredictionsTable.SEED, rounds);
        Path dir = Path.of(options.logDir()).toAbsolutePath().resolveSibling("evaluation");
        Files.createDirectories(dir);
        Map<String, Map<String, String>> results = new LinkedHashMap<>();
        try {
            for (int rows : sizes) {
                Path csv = dir.resolve("predictions-" + rows + ".csv");
                try (OutputStream out = Files.newOutputStream(csv)) {
                    PredictionsTable.write(out, rows, PredictionsTable.SEED);
                }
                Path parquet = dir.resolve("predictions-" + rows + ".parquet");
                ParquetPredictions.convert(csv, parquet);
                results.put(rows + " csv", child(javaOpts, csv, rounds, null));
                results.put(rows + " " + SPILLED + "csv", child(javaOpts, csv, rounds, SPILL_BUDGET));
                Files.delete(csv);
                results.put(rows + " parquet", child(javaOpts, parquet, rounds, null));
                results.put(rows + " " + SPILLED + "parquet", child(javaOpts, parquet, rounds, SPILL_BUDGET));
                Files.delete(parquet);
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }

        Table t = new Table(
                "rows",
                "format",
                "file MB",
                "floor: read + parse, rows/s",
                "read + accumulate, rows/s",
                "evaluate (metrics + plots), rows/s",
                "evaluate ÷ floor",
                "compute + plots, ms");
        for (var e : results.entrySet()) {
            Map<String, String> r = e.getValue();
            long rows = Long.parseLong(r.get("rows"));
            double read = Double.parseDouble(r.get("read.nanos"));
            double feed = Double.parseDouble(r.get("feed.nanos"));
            double evaluate = Double.parseDouble(r.get("evaluate.nanos"));
            t.row(
                    Table.number(rows, 0),
                    format(e.getKey()),
                    Table.number(Long.parseLong(r.get("bytes")) / MB, 1),
                    Table.number(rows / (read / 1e9), 0),
                    Table.number(rows / (feed / 1e9), 0),
                    Table.number(rows / (evaluate / 1e9), 0),
                    Table.number(read / evaluate, 2) + "×",
                    Table.number((evaluate - feed) / 1e6, 0));
        }
        System.out.println();
        System.out.println("goal: evaluate ≥ 0.5× the read floor. \"compute + plots\" = evaluate − read + accumulate"
                + " (the metrics, the curves' sorts and the PNGs).");
        for (var e : results.entrySet()) {
            Map<String, String> r = e.getValue();
            System.out.printf(
                    "%s: %s metrics (roc_auc %s), artifacts: %s; per round ms: read %s, evaluate %s%n",
                    e.getKey(),
                    r.get("metrics"),
                    r.get("roc_auc"),
                    r.get("artifacts"),
                    millis(r.get("read.all")),
                    millis(r.get("evaluate.all")));
        }

        Table h = new Table(
                "rows",
                "format",
                "phase",
                "live before, MB",
                "live peak (full GC every 50 ms), MB",
                "growth, MB",
                "growth, bytes/row",
                "max after any GC (timed rounds), MB",
                "GCs",
                "pool peak incl. garbage, MB");
        for (var e : results.entrySet()) {
            Map<String, String> r = e.getValue();
            long rows = Long.parseLong(r.get("rows"));
            for (String phase : List.of("read", "evaluate")) {
                long base = Long.parseLong(r.get(phase + ".baseline"));
                long peak = Long.parseLong(r.get(phase + ".live.peak"));
                h.row(
                        Table.number(rows, 0),
                        format(e.getKey()),
                        phase,
                        Table.number(base / MB, 1),
                        Table.number(peak / MB, 1),
                        Table.number((peak - base) / MB, 1),
                        Table.number((double) (peak - base) / rows, 1),
                        Table.number(Long.parseLong(r.get(phase + ".gc.max.after")) / MB, 1),
                        r.get(phase + ".gc.count"),
                        Table.number(Long.parseLong(r.get(phase + ".pool.peak")) / MB, 1));
            }
        }
        System.out.println();
        if (sizes.size() >= 2) {
            int rowsSmall = sizes.get(0);
            int rowsLarge = sizes.get(sizes.size() - 1);
            for (String format : List.of("csv", "parquet", SPILLED + "csv", SPILLED + "parquet")) {
                Map<String, String> small = results.get(rowsSmall + " " + format);
                Map<String, String> large = results.get(rowsLarge + " " + format);
                for (String phase : List.of("read", "evaluate")) {
                    double growth = (growth(large, phase) - growth(small, phase)) / (double) (rowsLarge - rowsSmall);
                    System.out.printf(
                            "%s, %s: the live peak grows by %s bytes a row from %,d to %,d rows%n",
                            format, phase, Table.number(growth, 1), rowsSmall, rowsLarge);
                }
            }
            System.out.println("(evaluation-service keeps 12 bytes a row for the curves with one probability"
                    + " column, in arrays that double when full, while twelve times that, the curves' peak, fits in"
                    + " skein.evaluation.curves-memory-bytes, 144 MiB: 1 Mi rows; past it the rows go to disk in"
                    + " chunks and are merged, and the heap stays at the chunk's. The \"" + SPILLED.trim()
                    + "\" rows give the same evaluation a " + SPILL_BUDGET / (1 << 20) + " MiB budget: every size"
                    + " spills)");
        }
        System.out.printf(
                "heap limit %s MB (%s)%n",
                Table.number(Long.parseLong(results.values().iterator().next().get("heap.max")) / MB, 0),
                results.values().iterator().next().get("jvm"));
    }

    private static String format(String key) {
        return key.substring(key.indexOf(' ') + 1);
    }

    private static long growth(Map<String, String> r, String phase) {
        return Long.parseLong(r.get(phase + ".live.peak")) - Long.parseLong(r.get(phase + ".baseline"));
    }

    private static String millis(String nanosArray) {
        return Arrays.stream(nanosArray.replaceAll("[\\[\\]]", "").split(",\\s*"))
                .map(n -> String.valueOf(Math.round(Long.parseLong(n) / 1e6)))
                .collect(Collectors.joining("/"));
    }

    /** Runs {@link EvaluationThroughput} on {@code table} in a JVM of its own; its {@code result} lines. */
    private static Map<String, String> child(String javaOpts, Path table, int rounds, Long budget) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(Arrays.asList(javaOpts.trim().split("\\s+")));
        command.add("-Djava.awt.headless=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(EvaluationThroughput.MAIN);
        command.add(table.toString());
        command.add(String.valueOf(rounds));
        if (budget != null) {
            command.add(String.valueOf(budget));
        }
        Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        Map<String, String> results = new HashMap<>();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("result ")) {
                    String[] kv = line.substring(7).split(" ", 2);
                    results.put(kv[0], kv.length > 1 ? kv[1] : "");
                }
            }
        }
        int exit = p.waitFor();
        if (exit != 0) {
            throw new IllegalStateException("the throughput JVM for " + table.getFileName() + " exited with " + exit);
        }
        return results;
    }

    // --- 2. through the service ----------------------------------------------------------------

    private void service() throws Exception {
        int rows = options.serviceRows();
        int runs = options.runs(50);
        int warmup = Math.max(5, runs / 10);
        int total = warmup + runs;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PredictionsTable.write(buffer, rows, PredictionsTable.SEED);
        byte[] table = buffer.toByteArray();
        System.out.printf(
                "%n## evaluation through the service: a %,d-row table (%s KiB), %d evaluations of each kind one"
                        + " at a time (after %d warm-up), interleaved with the floor; polled every %d ms%n",
                rows, Table.number(table.length / 1024.0, 0), runs, warmup, POLL_MILLIS);

        String experimentId = Gateway.id(
                "experiment_id",
                post(
                        "/api/2.0/mlflow/experiments/create",
                        "{\"name\":\"bench-evaluation-" + System.nanoTime() + "\"}"));
        String tags = "{\"key\":\"skein.evaluate.data\",\"value\":\"" + TABLE_PATH + "\"},"
                + "{\"key\":\"skein.evaluate.model_type\",\"value\":\"classifier\"},"
                + "{\"key\":\"skein.evaluate.targets\",\"value\":\"label\"},"
                + "{\"key\":\"skein.evaluate.predictions\",\"value\":\"prediction\"},"
                + "{\"key\":\"skein.evaluate.probabilities\",\"value\":\"proba\"}";
        List<String> finishRuns = new ArrayList<>();
        List<String> apiRuns = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            finishRuns.add(newRun(experimentId, "finish-" + i, tags, table));
            apiRuns.add(newRun(experimentId, "api-" + i, "", table));
        }
        String floorRun = newRun(experimentId, "floor", "", table);
        String spec = "{\"data\":\"" + TABLE_PATH + "\",\"model_type\":\"classifier\",\"targets\":\"label\","
                + "\"predictions\":\"prediction\",\"probabilities\":[\"proba\"]}";

        Timings finished = new Timings();
        Timings api = new Timings();
        Timings floorIo = new Timings();
        Timings floorAll = new Timings();
        Map<String, Timings> floorParts = new LinkedHashMap<>();
        for (String part : List.of("runs/get", "download", "uploads", "log-batch", "evaluate (this JVM)")) {
            floorParts.put(part, new Timings());
        }
        Evaluator evaluator = new Evaluator(EvaluationThroughput.MAX_TABLE_BYTES);
        List<Upload> plots = null;
        String logBatch = null;
        for (int i = 0; i < total; i++) {
            boolean timed = i >= warmup;

            // (b) a run ending with skein.evaluate.* tags
            String runId = finishRuns.get(i);
            post(
                    "/api/2.0/mlflow/runs/update",
                    "{\"run_id\":\"" + runId + "\",\"status\":\"FINISHED\",\"end_time\":" + System.currentTimeMillis()
                            + "}");
            long t0 = System.nanoTime();
            String run = awaitRunTag(runId);
            long d = System.nanoTime() - t0;
            requireSucceeded(run, runId);
            if (timed) {
                finished.add(d);
            }

            // (a) the API
            String created =
                    post("/api/2.0/skein/evaluations", "{\"run_id\":\"" + apiRuns.get(i) + "\",\"spec\":" + spec + "}");
            t0 = System.nanoTime();
            String evaluationId = Gateway.id("evaluation_id", created);
            String evaluation = awaitEvaluation(evaluationId);
            d = System.nanoTime() - t0;
            if (timed) {
                api.add(d);
            }
            if (plots == null) {
                plots = plots(experimentId, apiRuns.get(i), evaluation);
                logBatch = logBatch(floorRun, apiRuns.get(i));
            }

            // the floor: what the pipeline must at least do, from here through the gateway, one call after another
            long f0 = System.nanoTime();
            long s = System.nanoTime();
            get("/api/2.0/mlflow/runs/get?run_id=" + floorRun);
            long getRun = System.nanoTime() - s;
            s = System.nanoTime();
            byte[] downloaded = getBytes(artifact(experimentId, floorRun, TABLE_PATH));
            long download = System.nanoTime() - s;
            s = System.nanoTime();
            for (Upload u : plots) {
                put(artifact(experimentId, floorRun, "floor/" + u.path()), u.content());
            }
            long upload = System.nanoTime() - s;
            s = System.nanoTime();
            post("/api/2.0/mlflow/runs/log-batch", logBatch);
            long log = System.nanoTime() - s;
            long io = System.nanoTime() - f0;
            s = System.nanoTime();
            Evaluator.Outcome outcome = evaluator.evaluate(
                    EvaluationThroughput.SPEC, "predictions.csv", new ByteArrayInputStream(downloaded));
            long compute = System.nanoTime() - s;
            if (outcome.rows() != rows) {
                throw new IllegalStateException("the floor evaluated " + outcome.rows() + " rows");
            }
            if (timed) {
                floorIo.add(io);
                floorAll.add(io + compute);
                floorParts.get("runs/get").add(getRun);
                floorParts.get("download").add(download);
                floorParts.get("uploads").add(upload);
                floorParts.get("log-batch").add(log);
                floorParts.get("evaluate (this JVM)").add(compute);
            }
        }

        double floorP50 = floorAll.millis(0.5);
        Table t = new Table("path", "p50 ms", "p95 ms", "max ms", "n", "p50 ÷ floor p50");
        t.row(latency(
                "run finished → metrics on the run (runs/get shows skein.evaluation.status)", finished, floorP50));
        t.row(latency("POST evaluations → SUCCEEDED (evaluations/get)", api, floorP50));
        t.row(latency("floor: I/O + evaluate in this JVM", floorAll, floorP50));
        t.row(latency("floor: I/O only (runs/get, download, the artifacts uploaded, log-batch)", floorIo, floorP50));
        for (var e : floorParts.entrySet()) {
            t.row(latency("  floor part: " + e.getKey(), e.getValue(), Double.NaN));
        }
        System.out.println();
        System.out.println("Both service paths end at a poll that sees the result (resolution about " + POLL_MILLIS
                + " ms plus a request). The floor is the pipeline without Kafka, the work queue or the evaluation's"
                + " record: its calls go through the gateway (one hop more than evaluation-service's direct gRPC"
                + " calls) and its evaluation runs in this JVM (C2, a large heap) rather than in the service's.");
    }

    private record Upload(String path, byte[] content) {}

    /** A run with {@code tags} and the table uploaded as its artifact {@value #TABLE_PATH}. */
    private String newRun(String experimentId, String name, String tags, byte[] table) throws Exception {
        String runId = Gateway.id(
                "run_id",
                post(
                        "/api/2.0/mlflow/runs/create",
                        "{\"experiment_id\":\"" + experimentId + "\",\"run_name\":\"" + name + "\",\"start_time\":"
                                + System.currentTimeMillis() + ",\"tags\":[" + tags + "]}"));
        put(artifact(experimentId, runId, TABLE_PATH), table);
        return runId;
    }

    /** The plots the service logged for an evaluation, downloaded: the floor uploads the same bytes. */
    private List<Upload> plots(String experimentId, String runId, String evaluation) throws Exception {
        Matcher m = Pattern.compile("\"artifacts\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(evaluation);
        if (!m.find()) {
            throw new IllegalStateException("no artifacts in " + evaluation);
        }
        List<Upload> uploads = new ArrayList<>();
        for (String quoted : m.group(1).split(",")) {
            String path = quoted.trim().replaceAll("^\"|\"$", "");
            uploads.add(new Upload(path, getBytes(artifact(experimentId, runId, path))));
        }
        System.out.println("the service's artifacts: "
                + uploads.stream()
                        .map(u -> u.path() + " " + u.content().length / 1024 + " KiB")
                        .collect(Collectors.joining(", ")));
        return uploads;
    }

    /** A LogBatch of the metrics and status tags the service logged on {@code evaluatedRun}, for {@code runId}. */
    private String logBatch(String runId, String evaluatedRun) throws Exception {
        String run = get("/api/2.0/mlflow/runs/get?run_id=" + evaluatedRun);
        Matcher m = Pattern.compile("\\{\"key\"\\s*:\\s*\"([a-z0-9_]+)\"\\s*,\\s*\"value\"\\s*:\\s*([-0-9.eE]+)")
                .matcher(run);
        List<String> metrics = new ArrayList<>();
        long now = System.currentTimeMillis();
        while (m.find()) {
            metrics.add("{\"key\":\"" + m.group(1) + "\",\"value\":" + m.group(2) + ",\"timestamp\":" + now
                    + ",\"step\":0}");
        }
        if (metrics.size() != 12) {
            throw new IllegalStateException(
                    "expected the 12 metrics of a binary classifier on the run, got " + metrics.size() + ": " + run);
        }
        return "{\"run_id\":\"" + runId + "\",\"metrics\":[" + String.join(",", metrics) + "],\"tags\":["
                + "{\"key\":\"skein.evaluation.status\",\"value\":\"SUCCEEDED\"},"
                + "{\"key\":\"skein.evaluation.id\",\"value\":\"00000000-0000-0000-0000-000000000000\"}]}";
    }

    private String awaitRunTag(String runId) throws Exception {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            String run = get("/api/2.0/mlflow/runs/get?run_id=" + runId);
            if (TAG.matcher(run).find()) {
                return run;
            }
            pause(deadline, "run " + runId + " to be evaluated");
        }
    }

    private static void requireSucceeded(String run, String runId) {
        Matcher m = TAG.matcher(run);
        if (!m.find() || !m.group(1).equals("SUCCEEDED")) {
            throw new IllegalStateException("the evaluation of run " + runId + " did not succeed: " + run);
        }
        int metrics = run.split("\"timestamp\"", -1).length - 1;
        if (metrics < 12) {
            throw new IllegalStateException("run " + runId + " has " + metrics + " metrics, not 12: " + run);
        }
    }

    private String awaitEvaluation(String evaluationId) throws Exception {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            String evaluation = get("/api/2.0/skein/evaluations/get?evaluation_id=" + evaluationId);
            Matcher m = STATUS.matcher(evaluation);
            String status = m.find() ? m.group(1) : "";
            if (status.equals("SUCCEEDED")) {
                return evaluation;
            }
            if (status.equals("FAILED")) {
                throw new IllegalStateException("evaluation " + evaluationId + " failed: " + evaluation);
            }
            pause(deadline, "evaluation " + evaluationId);
        }
    }

    private static void pause(long deadline, String what) throws InterruptedException {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("waited " + DEADLINE.toSeconds() + " s for " + what);
        }
        Thread.sleep(POLL_MILLIS);
    }

    private static Object[] latency(String what, Timings t, double floorP50) {
        double p50 = t.millis(0.5);
        return new Object[] {
            what,
            Table.number(p50, 1),
            Table.number(t.millis(0.95), 1),
            Table.number(t.millis(1.0), 1),
            Table.number(t.count(), 0),
            Double.isNaN(floorP50) ? "" : Table.number(p50 / floorP50, 2) + "×"
        };
    }

    private String artifact(String experimentId, String runId, String path) {
        return "/api/2.0/mlflow-artifacts/artifacts/" + experimentId + "/" + runId + "/artifacts/" + path;
    }

    // --- HTTP: anything but 200 fails the benchmark ----------------------------------------------

    private String post(String path, String json) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(options.gateway() + path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json)))
                .body();
    }

    private String get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(options.gateway() + path)).GET())
                .body();
    }

    private byte[] getBytes(String path) throws Exception {
        HttpResponse<byte[]> r = http.send(
                HttpRequest.newBuilder(URI.create(options.gateway() + path))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + " answered " + r.statusCode());
        }
        return r.body();
    }

    private void put(String path, byte[] content) throws Exception {
        send(HttpRequest.newBuilder(URI.create(options.gateway() + path))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        HttpRequest built = request.build();
        HttpResponse<String> r = http.send(built, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(
                    built.method() + " " + built.uri().getPath() + " answered " + r.statusCode() + ": " + r.body());
        }
        return r;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return String.format(Locale.ROOT, "%s, %s, %s", f[0], f[1], f[2]);
        } catch (Exception e) {
            return "unknown";
        }
    }
}
