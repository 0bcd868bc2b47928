package dev.skein.bench;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;

/**
 * MLflow 3 tracing at scale, two measurements:
 *
 * <ul>
 *   <li><b>ingest</b>: spans per second through the gateway's OTLP endpoint ({@code POST /v1/traces},
 *       protobuf, as MLflow 3 clients and OTel SDKs export), {@code --clients} (first value) clients
 *       each sending batches of {@code --batch} spans (traces of 10 spans), {@code --ingest-spans}
 *       in all. Floor: the same spans, same clients and batches, as {@code COPY … FROM STDIN} into a
 *       copy of tracking's spans table (schema bench_floor, same columns and indexes, no foreign key)
 *       — the database's ceiling for these rows, without the trace rows Skein also writes.
 *   <li><b>search</b>: {@code POST /api/3.0/mlflow/traces/search} latency (p50/p95) over {@code
 *       --trace-spans} spans (1,000,000: 100,000 traces of 10 spans) seeded by SQL in the shape
 *       LogSpans writes, with span, state and tag filters, 100 traces a page. Floor: the same
 *       queries as hand-written SQL over JDBC.
 * </ul>
 */
final class TraceBench {

    private static final int SPANS_PER_TRACE = 10;
    private static final String[] TYPES = {"CHAIN", "LLM", "RETRIEVER", "TOOL", "AGENT"};

    private final Options options;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final Gateway gateway;

    TraceBench(Options options) {
        this.options = options;
        this.gateway = new Gateway(options.gateway());
    }

    void run() throws Exception {
        Machine.print(options);
        ingest();
        search();
    }

    // ---------------------------------------------------------------- ingest

    private void ingest() throws Exception {
        int clients = options.clients().get(0);
        int batch = options.batch();
        long total = options.ingestSpans();
        int batches = (int) Math.max(1, total / batch);
        System.out.printf(
                "traces ingest: %,d spans in batches of %d (traces of %d spans) from %d clients%n",
                (long) batches * batch, batch, SPANS_PER_TRACE, clients);
        String experimentId = Gateway.id(
                "experiment_id",
                gateway.post("experiments/create", "{\"name\":\"bench-traces-" + System.nanoTime() + "\"}"));
        // the request bodies are made before the clock starts: the load generator's work is not timed
        List<byte[]> bodies = new ArrayList<>(batches);
        List<List<Span>> spansOf = new ArrayList<>(batches);
        SplittableRandom random = new SplittableRandom(7);
        for (int b = 0; b < batches; b++) {
            List<Span> spans = batchOfSpans(random, batch);
            spansOf.add(spans);
            bodies.add(ExportTraceServiceRequest.newBuilder()
                    .addResourceSpans(ResourceSpans.newBuilder()
                            .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(spans)))
                    .build()
                    .toByteArray());
        }
        // warm up the path (JIT, pools) with a tenth of the batches, not counted
        runClients(clients, bodies.subList(0, Math.max(1, batches / 10)), body -> otlp(experimentId, body));
        long t0 = System.nanoTime();
        runClients(clients, bodies, body -> otlp(experimentId, body));
        double skein = (double) batches * batch / ((System.nanoTime() - t0) / 1e9);

        try (Connection c = Db.connect(options);
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS " + Floors.SCHEMA);
            s.execute("DROP TABLE IF EXISTS " + Floors.SCHEMA + ".spans");
            s.execute("CREATE TABLE " + Floors.SCHEMA + ".spans (LIKE tracking.spans INCLUDING ALL)");
        }
        List<byte[]> copies = new ArrayList<>(batches);
        for (List<Span> spans : spansOf) {
            copies.add(copyText(experimentId, spans));
        }
        long f0 = System.nanoTime();
        runClients(clients, copies, this::copy);
        double floor = (double) batches * batch / ((System.nanoTime() - f0) / 1e9);
        try (Connection c = Db.connect(options);
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA " + Floors.SCHEMA + " CASCADE");
        }
        System.out.printf("  Skein OTLP /v1/traces   %,12.0f spans/s%n", skein);
        System.out.printf("  COPY into spans (floor) %,12.0f spans/s%n", floor);
        System.out.printf("  ratio Skein / COPY      %12.2f%n", skein / floor);
    }

    private List<Span> batchOfSpans(SplittableRandom random, int n) {
        List<Span> spans = new ArrayList<>(n);
        long t0 = 1_717_000_000_000L * 1_000_000 + random.nextLong(1_000_000_000_000L);
        byte[] trace = new byte[16];
        byte[] root = new byte[8];
        for (int i = 0; i < n; i++) {
            if (i % SPANS_PER_TRACE == 0) {
                trace = bytes(random, 16);
                root = bytes(random, 8);
            }
            boolean isRoot = i % SPANS_PER_TRACE == 0;
            Span.Builder s = Span.newBuilder()
                    .setTraceId(ByteString.copyFrom(trace))
                    .setSpanId(ByteString.copyFrom(isRoot ? root : bytes(random, 8)))
                    .setName("span-" + random.nextInt(50))
                    .setStartTimeUnixNano(t0 + i * 1_000_000L)
                    .setEndTimeUnixNano(t0 + i * 1_000_000L + 500_000)
                    .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_OK))
                    .addAttributes(attr(
                            "mlflow.traceRequestId", "\"tr-" + HexFormat.of().formatHex(trace) + "\""))
                    .addAttributes(attr("mlflow.spanType", "\"" + TYPES[random.nextInt(TYPES.length)] + "\""))
                    .addAttributes(attr(
                            "mlflow.spanInputs",
                            "{\"messages\": [{\"role\": \"user\", \"content\": \"q" + random.nextInt() + "\"}]}"))
                    .addAttributes(attr("mlflow.spanOutputs", "\"answer " + random.nextInt() + "\""));
            if (!isRoot) {
                s.setParentSpanId(ByteString.copyFrom(root));
            }
            spans.add(s.build());
        }
        return spans;
    }

    private static byte[] bytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        return b;
    }

    private static KeyValue attr(String key, String value) {
        return KeyValue.newBuilder()
                .setKey(key)
                .setValue(AnyValue.newBuilder().setStringValue(value))
                .build();
    }

    private void otlp(String experimentId, byte[] body) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(options.gateway() + "/v1/traces"))
                        .header("Content-Type", "application/x-protobuf")
                        .header("x-mlflow-experiment-id", experimentId)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("/v1/traces answered " + r.statusCode() + ": " + r.body());
        }
    }

    /** The batch as COPY text rows of the spans table (bytea in hex), made before timing. */
    private static byte[] copyText(String experimentId, List<Span> spans) {
        StringBuilder sb = new StringBuilder(spans.size() * 600);
        for (Span s : spans) {
            String type = null;
            String traceId = null;
            for (KeyValue a : s.getAttributesList()) {
                if (a.getKey().equals("mlflow.spanType")) {
                    type = a.getValue().getStringValue().replace("\"", "");
                } else if (a.getKey().equals("mlflow.traceRequestId")) {
                    traceId = a.getValue().getStringValue().replace("\"", "");
                }
            }
            sb.append(traceId)
                    .append('\t')
                    .append(HexFormat.of().formatHex(s.getSpanId().toByteArray()))
                    .append('\t')
                    .append(experimentId)
                    .append('\t')
                    .append(
                            s.getParentSpanId().isEmpty()
                                    ? "\\N"
                                    : HexFormat.of()
                                            .formatHex(s.getParentSpanId().toByteArray()))
                    .append('\t')
                    .append(s.getName())
                    .append('\t')
                    .append(type)
                    .append("\tOK\t")
                    .append(s.getStartTimeUnixNano())
                    .append('\t')
                    .append(s.getEndTimeUnixNano())
                    .append("\t\\\\x")
                    .append(HexFormat.of().formatHex(s.toByteArray()))
                    .append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private final ThreadLocal<Connection> copyConnection = new ThreadLocal<>();

    private void copy(byte[] rows) throws Exception {
        Connection c = copyConnection.get();
        if (c == null) {
            c = Db.connect(options);
            copyConnection.set(c);
        }
        c.unwrap(PGConnection.class)
                .getCopyAPI()
                .copyIn(
                        "COPY " + Floors.SCHEMA
                                + ".spans (trace_id, span_id, experiment_id, parent_span_id, name, type,"
                                + " status, start_time_unix_nano, end_time_unix_nano, content) FROM STDIN",
                        new ByteArrayInputStream(rows));
    }

    interface Job {
        void send(byte[] body) throws Exception;
    }

    /** Sends the bodies from {@code clients} threads, each taking the next one until none is left. */
    private static void runClients(int clients, List<byte[]> bodies, Job job) throws Exception {
        AtomicLong next = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    for (long i = next.getAndIncrement(); i < bodies.size(); i = next.getAndIncrement()) {
                        job.send(bodies.get((int) i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- search

    private void search() throws Exception {
        int traces = options.traceSpans() / SPANS_PER_TRACE;
        System.out.printf(
                "traces search: %,d spans (%,d traces of %d) seeded by SQL; %d searches per filter, 100 a page%n",
                (long) traces * SPANS_PER_TRACE, traces, SPANS_PER_TRACE, options.queries());
        String experimentId = Gateway.id(
                "experiment_id",
                gateway.post("experiments/create", "{\"name\":\"bench-trace-search-" + System.nanoTime() + "\"}"));
        long seeding = System.nanoTime();
        try (Connection c = Db.connect(options);
                Statement s = c.createStatement()) {
            // the rows LogSpans writes: trace info, its server tags, the spans (content: an OTLP span's bytes)
            s.execute("INSERT INTO tracking.trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms,"
                    + " status, request_preview, response_preview) SELECT 'tr-' || lpad(to_hex(g), 32, '0'), "
                    + experimentId + ", 1717000000000 + g * 1000, 10 + g % 500,"
                    + " CASE WHEN g % 20 = 0 THEN 'ERROR' ELSE 'OK' END, '{\"q\": \"question ' || g || '\"}',"
                    + " '\"answer\"' FROM generate_series(1, " + traces + ") g");
            s.execute(
                    "INSERT INTO tracking.trace_tags (request_id, key, value) SELECT 'tr-' || lpad(to_hex(g), 32, '0'),"
                            + " k, v FROM generate_series(1, " + traces + ") g, LATERAL (VALUES"
                            + " ('mlflow.trace.spansLocation', 'TRACKING_STORE'), ('mlflow.traceName', 'agent-' || (g % 100)),"
                            + " ('mlflow.artifactLocation', 'mlflow-artifacts:/" + experimentId
                            + "/traces/tr-' || g || '/artifacts'))"
                            + " AS kv(k, v)");
            String[] types = Arrays.stream(TYPES).map(t -> "'" + t + "'").toArray(String[]::new);
            s.execute(
                    "INSERT INTO tracking.spans (trace_id, span_id, experiment_id, parent_span_id, name, type, status,"
                            + " start_time_unix_nano, end_time_unix_nano, content) SELECT 'tr-' || lpad(to_hex(g), 32, '0'),"
                            + " lpad(to_hex(i), 16, '0'), " + experimentId
                            + ", CASE WHEN i = 0 THEN NULL ELSE '0000000000000000' END,"
                            + " 'span-' || ((g * 7 + i) % 50), (ARRAY[" + String.join(",", types) + "])[1 + (g + i) % "
                            + TYPES.length
                            + "], CASE WHEN (g + i) % 97 = 0 THEN 'ERROR' ELSE 'OK' END, (1717000000000 + g * 1000) * 1000000 + i, (1717000000000 + g * 1000) * 1000000 + i + 500,"
                            + " '\\x0a10'::bytea || decode(lpad(to_hex(g), 32, '0'), 'hex')"
                            + " FROM generate_series(1, " + traces + ") g, generate_series(0, " + (SPANS_PER_TRACE - 1)
                            + ") i");
            s.execute("ANALYZE tracking.trace_info, tracking.trace_tags, tracking.spans");
        }
        System.out.printf("  seeded with SQL in %.0f s%n", (System.nanoTime() - seeding) / 1e9);
        // the hand-written queries constrain the spans to the experiment as Skein's do (its indexes)
        String spans = "EXISTS (SELECT 1 FROM tracking.spans s WHERE s.trace_id = t.request_id AND s.experiment_id = "
                + experimentId + " AND ";
        String[][] filters = {
            {"span.type = 'LLM'", spans + "s.type = 'LLM')"},
            {"span.name = 'span-7'", spans + "s.name = 'span-7')"},
            {"span.status = 'ERROR'", spans + "s.status = 'ERROR')"},
            {"trace.status = 'ERROR'", "t.status = 'ERROR'"},
            {
                "tag.mlflow.traceName = 'agent-42'",
                "EXISTS (SELECT 1 FROM tracking.trace_tags x WHERE x.request_id ="
                        + " t.request_id AND x.key = 'mlflow.traceName' AND x.value = 'agent-42')"
            },
            {
                "span.type = 'TOOL' AND trace.execution_time_ms > 400",
                spans + "s.type = 'TOOL') AND t.execution_time_ms > 400"
            }
        };
        // warm-up, not counted: each filter a tenth as often as it is then measured (JIT, pools, caches)
        for (String[] f : filters) {
            for (int q = 0; q < Math.max(1, options.queries() / 10); q++) {
                v3Search(searchBody(experimentId, f[0]));
            }
        }
        System.out.printf("  %-52s %9s %9s %9s %9s %7s%n", "filter", "p50 ms", "p95 ms", "SQL p50", "SQL p95", "ratio");
        for (String[] f : filters) {
            long[] api = new long[options.queries()];
            long[] sql = new long[options.queries()];
            String body = searchBody(experimentId, f[0]);
            try (Connection c = Db.connect(options);
                    PreparedStatement hand = c.prepareStatement("SELECT t.request_id FROM tracking.trace_info t"
                            + " WHERE t.experiment_id = " + experimentId + " AND " + f[1]
                            + " ORDER BY t.timestamp_ms DESC, t.request_id COLLATE \"C\" LIMIT 101")) {
                for (int q = 0; q < options.queries(); q++) {
                    long t0 = System.nanoTime();
                    String answer = v3Search(body);
                    api[q] = System.nanoTime() - t0;
                    if (!answer.contains("trace_id")) {
                        throw new IllegalStateException("search found nothing for " + f[0] + ": " + answer);
                    }
                    long s0 = System.nanoTime();
                    try (ResultSet rs = hand.executeQuery()) {
                        while (rs.next()) {
                            rs.getString(1);
                        }
                    }
                    sql[q] = System.nanoTime() - s0;
                }
            }
            Arrays.sort(api);
            Arrays.sort(sql);
            System.out.printf(
                    "  %-52s %9.1f %9.1f %9.1f %9.1f %7.1f%n",
                    f[0],
                    Quantiles.millis(api, 0.5),
                    Quantiles.millis(api, 0.95),
                    Quantiles.millis(sql, 0.5),
                    Quantiles.millis(sql, 0.95),
                    Quantiles.millis(api, 0.95) / Quantiles.millis(sql, 0.95));
        }
    }

    private static String searchBody(String experimentId, String filter) {
        return "{\"locations\":[{\"type\":\"MLFLOW_EXPERIMENT\",\"mlflow_experiment\":{\"experiment_id\":\""
                + experimentId + "\"}}],\"filter\":\"" + filter + "\",\"max_results\":100}";
    }

    private String v3Search(String json) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(options.gateway() + "/api/3.0/mlflow/traces/search"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("traces/search answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }
}
