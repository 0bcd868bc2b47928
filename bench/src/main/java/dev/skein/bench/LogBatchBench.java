package dev.skein.bench;

import java.time.Duration;
import java.util.List;

/**
 * Metric points per second through {@code POST /api/2.0/mlflow/runs/log-batch} on the gateway,
 * with batches of {@code keys × steps} points, one run per client, for each client count asked —
 * and, in the same run, the JDBC and COPY floors of {@link Floors} with the same clients and batches.
 */
final class LogBatchBench {

    private final Options options;
    private final Workload workload;
    private final Gateway gateway;

    LogBatchBench(Options options) {
        this.options = options;
        this.workload = new Workload(options.keys(), options.steps());
        this.gateway = new Gateway(options.gateway());
    }

    void run() throws Exception {
        int maxClients = options.maxClients();
        List<String> runIds = gateway.newRuns("bench-log-batch", maxClients);
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
        return index -> batch -> {
            gateway.post("runs/log-batch", workload.json(index, batch, runIds.get(index)));
            return workload.size();
        };
    }

    private void printSetting(Floors floors) throws Exception {
        System.out.printf(
                "log-batch: %,d metric points per request (%d keys × %d steps), one run per client, %d s per"
                        + " measurement after a %d s warm-up%n",
                workload.size(), options.keys(), options.steps(), options.seconds(), options.warmupSeconds());
        Machine.print(options);
    }
}
