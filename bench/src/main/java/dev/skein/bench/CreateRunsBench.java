package dev.skein.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;

/**
 * Runs created per second through {@code POST /api/2.0/mlflow/runs/create} on the gateway, as
 * MLflow's clients create them (a run name, a start time, the user and source tags), by
 * {@code --clients} clients (16) one request after another, {@code --runs} runs (50,000) after a
 * warm-up of a tenth as many. Then every run created must have its {@code RunCreated} event on Kafka
 * within a minute. The floor, in the same run: the rows a run creation writes, inserted over JDBC
 * by as many threads as a hand-written loader would ({@link RunFloor}).
 */
final class CreateRunsBench {

    private static final Duration EVENT_PATIENCE = Duration.ofMinutes(1);

    private final Options options;
    private final Gateway gateway;

    CreateRunsBench(Options options) {
        this.options = options;
        this.gateway = new Gateway(options.gateway());
    }

    void run() throws Exception {
        int clients = options.clients(16);
        int runs = options.runs(50_000);
        int warmup = Math.max(clients, runs / 10);
        System.out.printf(
                "create-runs: %,d runs through runs/create from %d clients after a warm-up of %,d; floor: the same"
                        + " rows over JDBC, %d runs a transaction%n",
                runs, clients, warmup, RunFloor.BATCH);
        Machine.print(options);
        String experimentId = gateway.createExperiment("bench-create-runs-" + System.nanoTime());
        String[] runIds = new String[warmup + runs];
        Load.ClientFactory skein = index -> batch -> {
            runIds[(int) batch] = gateway.createRun(experimentId, "run-" + batch, System.currentTimeMillis());
            return 1;
        };
        Load.count(clients, 0, warmup, skein);
        Load.Result created = Load.count(clients, warmup, runs, skein);

        long waited = System.nanoTime();
        int events = RunEvents.created(options.kafka(), Set.copyOf(Arrays.asList(runIds)), EVENT_PATIENCE);
        double eventSeconds = (System.nanoTime() - waited) / 1e9;

        RunFloor floor = new RunFloor(options, experimentId);
        floor.create();
        Load.Result rows;
        try {
            long batches = (runs + RunFloor.BATCH - 1) / RunFloor.BATCH;
            Load.count(clients, 0, Math.max(clients, batches / 10), floor.jdbc());
            rows = Load.count(clients, 0, batches, floor.jdbc());
        } finally {
            floor.drop();
        }

        Table table = new Table("runs/create, " + clients + " clients", "runs/s", "p50 ms", "p99 ms", "seconds");
        table.row(
                "Skein through the gateway, one run a request",
                Table.number(created.pointsPerSecond(), 0),
                Table.number(created.latencyMillis(0.5), 1),
                Table.number(created.latencyMillis(0.99), 1),
                Table.number(created.seconds(), 1));
        table.row(
                "floor: the same rows over JDBC, " + RunFloor.BATCH + " runs a transaction",
                Table.number(rows.pointsPerSecond(), 0),
                Table.number(rows.latencyMillis(0.5), 1),
                Table.number(rows.latencyMillis(0.99), 1),
                Table.number(rows.seconds(), 1));
        System.out.printf("%nSkein ÷ floor: %.2f%n", created.pointsPerSecond() / rows.pointsPerSecond());
        System.out.printf(
                "events: %,d of %,d runs have their RunCreated on %s (read %.1f s after the last run was created)%n",
                events, runIds.length, RunEvents.TOPIC, eventSeconds);
        if (events != runIds.length) {
            throw new IllegalStateException(
                    (runIds.length - events) + " runs have no RunCreated event after " + EVENT_PATIENCE);
        }
    }
}
