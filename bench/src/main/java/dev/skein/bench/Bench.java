package dev.skein.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Skein's benchmarks, each run with {@code ./skein bench NAME [OPTIONS]} against a suite the runner
 * starts for it. Every benchmark prints the rate it measured through Skein's public API next to a
 * floor measured in the same run on the same machine, and their ratio.
 */
public final class Bench {

    private Bench() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
            return;
        }
        Options options = Options.parse(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "log-batch" -> new LogBatchBench(options).run();
            case "kafka-ingest" -> new KafkaIngestBench(options).run();
            case "search" -> new SearchBench(options).run();
            case "create-runs" -> new CreateRunsBench(options).run();
            case "history" -> new HistoryBench(options).run();
            case "spark" -> new SparkBench(options).run();
            case "traces" -> new TraceBench(options).run();
            case "ui" -> new UiBench(options).run();
            case "auth" -> new AuthBench(options).run();
            case "evaluation" -> new EvaluationBench(options).run();
            case "llm-gateway" -> new LlmGatewayBench(options).run();
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println(String.join(
                "\n",
                List.of(
                        "usage: ./skein bench NAME [--option value ...]",
                        "  log-batch   metric points/s through the gateway's runs/log-batch, against raw JDBC",
                        "              batch inserts and COPY BINARY into the same tables",
                        "  kafka-ingest  metric points/s through Kafka topic skein.tracking.metrics.v1, and the",
                        "              end-to-end lag at half that rate, against COPY BINARY",
                        "  search      runs/search latency over 100,000 runs loaded through the API by 16 clients,",
                        "              right after the load and after ANALYZE, against the same search as hand-written",
                        "              SQL; experiments/search over 10,000 experiments",
                        "  create-runs runs/s through runs/create from 16 clients, against the same rows inserted",
                        "              over JDBC; every RunCreated event must reach Kafka",
                        "  history     a 1,000,000-point metric history read whole and paged, with the services'",
                        "              memory, and bulk-interval charts, against COPY … TO STDOUT",
                        "  spark       a real Spark 4 job writes 1,000,000 points with its Kafka sink; all must",
                        "              arrive exactly once",
                        "  traces      spans/s through the gateway's OTLP /v1/traces against COPY into the spans",
                        "              table, and MLflow 3 trace search p50/p95 over 1,000,000 spans against SQL",
                        "  ui          the web UI in Chromium: time to the first rows of a 100,000-run table, frames and",
                        "              long tasks while scrolling it and while zooming a chart of 100 runs × 100,000",
                        "              points, against the same API calls from the bench's client",
                        "  auth        runs/get and runs/log-metric through a second gateway with authentication on",
                        "              (Basic, access token, JWT, administrator, admin token), against the suite's without it;",
                        "              a password's first verification",
                        "  evaluation  Evaluator.evaluate rows/s and heap on 250,000 and 1,000,000 CSV rows against",
                        "              reading the same file; run finished → metrics on the run and POST evaluations →",
                        "              SUCCEEDED for a 10,000-row table, against the pipeline's own calls from the bench",
                        "  llm-gateway POST /v1/chat/completions (JSON and streamed) through the gateway at 1, 10 and 100",
                        "              clients, against the same provider called directly; 1,000 streams held open",
                        "              through it with the services' heap and RSS",
                        "options: " + Options.HELP)));
        System.exit(2);
    }

    /**
     * Where the service at {@code url} serves /q/health and /q/metrics: {@code ./skein bench} runs each
     * service on its catalogue port + 20000 and its management port likewise, 1000 above its port.
     */
    static String management(String url) {
        java.net.URI u = java.net.URI.create(url);
        return u.getScheme() + "://" + u.getHost() + ":" + (u.getPort() + 1000);
    }

    /** The repository: the bench's jar is {@code bench/target/bench.jar} in it (else the working directory). */
    static java.nio.file.Path root() throws Exception {
        java.nio.file.Path jar = java.nio.file.Path.of(
                Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        for (java.nio.file.Path p = jar; p != null; p = p.getParent()) {
            if (java.nio.file.Files.isDirectory(p.resolve("gateway-service"))
                    && java.nio.file.Files.isDirectory(p.resolve("bench"))) {
                return p;
            }
        }
        return java.nio.file.Path.of("").toAbsolutePath();
    }
}
