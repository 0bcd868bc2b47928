package dev.skein.bench;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A benchmark's settings: {@code --name value} pairs (and flags, {@code --no-chart}) over defaults; the
 * runner passes the endpoints.
 * {@code given} names the options given, for benchmarks whose default differs from the shared one.
 */
record Options(
        String gateway,
        String tracking,
        String registry,
        String artifacts,
        String kafka,
        String jdbcUrl,
        String dbUser,
        String dbPassword,
        List<Integer> clients,
        int seconds,
        int warmupSeconds,
        int keys,
        int steps,
        int runs,
        long points,
        int population,
        int experiments,
        int queries,
        int historyPoints,
        String sparkClasspath,
        String logDir,
        int batch,
        long ingestSpans,
        int traceSpans,
        String load,
        boolean noChart,
        int requests,
        List<Integer> tableRows,
        int serviceRows,
        int rounds,
        String llmGateway,
        int upstreamPort,
        int streams,
        int holdSeconds,
        Set<String> given) {

    static final String HELP = "--gateway URL, --tracking URL, --registry URL, --artifacts URL, --kafka HOST:PORT,"
            + " --jdbc-url URL, --db-user NAME, --db-password SECRET, --clients 8,16,32 (create-runs, search: 16;"
            + " auth: 4), --seconds 10, --warmup 10 (llm-gateway: 30), --keys 100, --steps 10, --runs 8 (create-runs:"
            + " 50000; search: as --population), --points 2000000, --population 100000, --experiments 10000, --queries 100,"
            + " --history-points 1000000, --spark-classpath CP, --log-dir DIR, --batch 500, --ingest-spans 200000,"
            + " --trace-spans 1000000, --load api|sql|existing, --no-chart (ui: the runs table only),"
            + " --requests 5000 (auth), --table-rows 250000,1000000, --service-rows 10000, --rounds 5 (evaluation),"
            + " --clients 1,10,100 (llm-gateway), --llm-gateway URL, --upstream-port 8095, --streams 1000,"
            + " --hold-seconds 60 (llm-gateway)";

    /** Options that take no value. */
    private static final Set<String> FLAGS = Set.of("no-chart");

    static Options parse(String[] args) {
        Map<String, String> given = new HashMap<>();
        for (int i = 0; i < args.length; ) {
            String name = args[i].startsWith("--") ? args[i].substring(2) : null;
            if (name != null && FLAGS.contains(name)) {
                given.put(name, "true");
                i += 1;
                continue;
            }
            if (name == null || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got: " + Arrays.toString(args));
            }
            given.put(name, args[i + 1]);
            i += 2;
        }
        Set<String> names = Set.copyOf(given.keySet());
        Options o = new Options(
                take(given, "gateway", "http://127.0.0.1:8080"),
                take(given, "tracking", "http://127.0.0.1:8081"),
                take(given, "registry", "http://127.0.0.1:8082"),
                take(given, "artifacts", "http://127.0.0.1:8083"),
                take(given, "kafka", "127.0.0.1:9092"),
                take(given, "jdbc-url", "jdbc:postgresql://127.0.0.1:5432/skein"),
                take(given, "db-user", "postgres"),
                take(given, "db-password", ""),
                Arrays.stream(take(given, "clients", "8,16,32").split(","))
                        .map(String::trim)
                        .map(Integer::parseInt)
                        .toList(),
                Integer.parseInt(take(given, "seconds", "10")),
                Integer.parseInt(take(given, "warmup", "10")),
                Integer.parseInt(take(given, "keys", "100")),
                Integer.parseInt(take(given, "steps", "10")),
                Integer.parseInt(take(given, "runs", "8")),
                Long.parseLong(take(given, "points", "2000000")),
                Integer.parseInt(take(given, "population", "100000")),
                Integer.parseInt(take(given, "experiments", "10000")),
                Integer.parseInt(take(given, "queries", "100")),
                Integer.parseInt(take(given, "history-points", "1000000")),
                take(given, "spark-classpath", "bench/spark/target/spark-metrics-job.jar:bench/spark/target/lib/*"),
                take(given, "log-dir", "."),
                Integer.parseInt(take(given, "batch", "500")),
                Long.parseLong(take(given, "ingest-spans", "200000")),
                Integer.parseInt(take(given, "trace-spans", "1000000")),
                take(given, "load", "api"),
                Boolean.parseBoolean(take(given, "no-chart", "false")),
                Integer.parseInt(take(given, "requests", "5000")),
                Arrays.stream(take(given, "table-rows", "250000,1000000").split(","))
                        .map(String::trim)
                        .map(Integer::parseInt)
                        .toList(),
                Integer.parseInt(take(given, "service-rows", "10000")),
                Integer.parseInt(take(given, "rounds", "5")),
                take(given, "llm-gateway", "http://127.0.0.1:8085"),
                Integer.parseInt(take(given, "upstream-port", "8095")),
                Integer.parseInt(take(given, "streams", "1000")),
                Integer.parseInt(take(given, "hold-seconds", "60")),
                names);
        if (!given.isEmpty()) {
            throw new IllegalArgumentException("unknown options " + given.keySet() + "; known: " + HELP);
        }
        return o;
    }

    private static String take(Map<String, String> given, String name, String fallback) {
        String value = given.remove(name);
        return value == null ? fallback : value;
    }

    int maxClients() {
        return clients.stream().mapToInt(Integer::intValue).max().orElse(1);
    }

    /** The one client count of a benchmark that measures one: the highest given, else its own default. */
    int clients(int fallback) {
        return given.contains("clients") ? maxClients() : fallback;
    }

    /** {@code --runs} for a benchmark whose default differs from kafka-ingest's 8. */
    int runs(int fallback) {
        return given.contains("runs") ? runs : fallback;
    }
}
