package dev.skein.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code runs/search} and {@code experiments/search} latency at scale: {@code --population} runs
 * (100,000) in one experiment, each with 20 metrics, 10 params and 5 tags, and {@code --experiments}
 * experiments (10,000) with a tag, written straight into tracking's tables; then searches with a metric filter, a param filter and {@code order_by metrics.m01 DESC},
 * 100 runs per page, each followed for up to five pages — timed one after another from one client.
 * The floor: the same search as a hand-written join over the same tables, timed over JDBC.
 */
final class SearchBench {

    private static final int METRICS = 20;
    private static final int PARAMS = 10;
    private static final int TAGS = 5;
    private static final int PAGES = 5;
    private static final Pattern TOKEN = Pattern.compile("\"next_page_token\"\\s*:\\s*\"([^\"]+)\"");
    private static final String HAND_SQL = "SELECT r.run_uuid FROM tracking.runs r"
            + " JOIN tracking.latest_metrics f ON f.run_uuid = r.run_uuid AND f.key = 'm00' AND f.value > ?"
            + " JOIN tracking.params p ON p.run_uuid = r.run_uuid AND p.key = 'p0' AND p.value = ?"
            + " LEFT JOIN tracking.latest_metrics o ON o.run_uuid = r.run_uuid AND o.key = 'm01'"
            + " WHERE r.experiment_id = ? AND r.lifecycle_stage = 'active'"
            + " ORDER BY o.value DESC NULLS LAST, r.start_time DESC, r.run_uuid LIMIT 100";

    private final Options options;
    private final Gateway gateway;

    SearchBench(Options options) {
        this.options = options;
        this.gateway = new Gateway(options.gateway());
    }

    void run() throws Exception {
        int population = options.population();
        System.out.printf(
                "search: %,d runs in one experiment (%d metrics, %d params, %d tags each), %,d experiments;"
                        + " %d searches, each followed for up to %d pages of 100%n",
                population, METRICS, PARAMS, TAGS, options.experiments(), options.queries(), PAGES);
        Machine.print(options);
        String experimentId =
                Gateway.id("experiment_id", gateway.post("experiments/create", "{\"name\":\"bench-search\"}"));
        long seeding = System.nanoTime();
        seed(experimentId);
        System.out.printf("seeded with SQL in %.0f s%n", (System.nanoTime() - seeding) / 1e9);

        SplittableRandom random = new SplittableRandom(42);
        List<Long> first = new ArrayList<>();
        List<Long> later = new ArrayList<>();
        List<Long> experiments = new ArrayList<>();
        List<Long> hand = new ArrayList<>();
        for (int q = 0; q < options.queries(); q++) {
            double above = 0.2 + 0.6 * random.nextDouble();
            String p0 = "v" + random.nextInt(10);
            String filter = String.format(Locale.ROOT, "metrics.m00 > %.3f and params.p0 = '%s'", above, p0);
            String token = null;
            for (int page = 0; page < PAGES; page++) {
                String body = "{\"experiment_ids\":[\"" + experimentId + "\"],\"filter\":\"" + filter
                        + "\",\"order_by\":[\"metrics.m01 DESC\"],\"max_results\":100"
                        + (token == null ? "" : ",\"page_token\":\"" + token + "\"") + "}";
                long t0 = System.nanoTime();
                String response = gateway.post("runs/search", body);
                (page == 0 ? first : later).add(System.nanoTime() - t0);
                Matcher m = TOKEN.matcher(response);
                if (!m.find()) {
                    break;
                }
                token = m.group(1);
            }
            String expBody = "{\"filter\":\"name LIKE 'bench-exp-" + random.nextInt(10)
                    + "%' and tags.team = 'team-" + random.nextInt(5) + "'\",\"order_by\":[\"creation_time DESC\"],"
                    + "\"max_results\":100}";
            long t0 = System.nanoTime();
            gateway.post("experiments/search", expBody);
            experiments.add(System.nanoTime() - t0);
            hand.add(hand(experimentId, above, p0));
        }
        System.out.println();
        System.out.println("| request | p50 ms | p95 ms | p99 ms | requests |");
        System.out.println("|---|---:|---:|---:|---:|");
        row("runs/search, first page", first);
        row("runs/search, pages 2–5", later);
        row("experiments/search", experiments);
        row("floor: hand-written SQL over JDBC (first page, ids only)", hand);
    }

    private long hand(String experimentId, double above, String p0) throws Exception {
        try (Connection c = Db.connect(options);
                PreparedStatement s = c.prepareStatement(HAND_SQL)) {
            s.setDouble(1, above);
            s.setString(2, p0);
            s.setLong(3, Long.parseLong(experimentId));
            long t0 = System.nanoTime();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rs.getString(1);
                }
            }
            return System.nanoTime() - t0;
        }
    }

    private static void row(String what, List<Long> nanos) {
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(
                "| %s | %.1f | %.1f | %.1f | %d |%n",
                what,
                Quantiles.millis(sorted, 0.5),
                Quantiles.millis(sorted, 0.95),
                Quantiles.millis(sorted, 0.99),
                sorted.length);
    }

    /**
     * Writes the population straight into tracking's tables, in the shape the API writes it (a run,
     * its tags, params, latest metrics and history points): 100,000 runs through the API would take
     * minutes of setup for a benchmark that measures reads.
     */
    private void seed(String experimentId) throws Exception {
        long exp = Long.parseLong(experimentId);
        String run = "md5('bench-run-' || i)";
        List<String> statements = List.of(
                "SELECT setseed(0.42)",
                "INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time,"
                        + " lifecycle_stage, artifact_uri) SELECT " + run + ", " + exp + ", 'run-' || i, 'bench',"
                        + " 'FINISHED', 1700000000000 + i, 1700000060000 + i, 'active', 'mlflow-artifacts:/" + exp
                        + "/' || " + run + " || '/artifacts' FROM generate_series(1, " + options.population() + ") i",
                "INSERT INTO tracking.tags (run_uuid, key, value) SELECT " + run + ", 'mlflow.runName', 'run-' || i"
                        + " FROM generate_series(1, " + options.population() + ") i",
                "INSERT INTO tracking.tags (run_uuid, key, value) SELECT " + run + ", 't' || t,"
                        + " 'tag-' || floor(random() * 100) FROM generate_series(1, " + options.population()
                        + ") i, generate_series(1, "
                        + (TAGS - 1)
                        + ") t",
                "INSERT INTO tracking.params (run_uuid, key, value) SELECT " + run + ", 'p' || p, 'v' || floor(random()"
                        + " * CASE p WHEN 0 THEN 10 WHEN 1 THEN 100 ELSE 1000 END) FROM generate_series(1, "
                        + options.population() + ") i,"
                        + " generate_series(0, " + (PARAMS - 1) + ") p",
                "INSERT INTO tracking.metrics (run_uuid, key, step, timestamp, value) SELECT " + run
                        + ", 'm' || lpad(m::text, 2, '0'), 0, 1700000060000 + i, random() FROM generate_series(1, "
                        + options.population() + ") i,"
                        + " generate_series(0, " + (METRICS - 1) + ") m",
                "INSERT INTO tracking.latest_metrics (run_uuid, key, step, timestamp, value)"
                        + " SELECT run_uuid, key, step, timestamp, value FROM tracking.metrics m"
                        + " WHERE run_uuid IN (SELECT run_uuid FROM tracking.runs WHERE experiment_id = " + exp + ")",
                "INSERT INTO tracking.experiments (experiment_id, name, artifact_location, lifecycle_stage,"
                        + " creation_time, last_update_time) SELECT nextval('tracking.experiments_seq'),"
                        + " 'bench-exp-' || i, 'mlflow-artifacts:/bench-exp-' || i, 'active', 1700000000000 + i,"
                        + " 1700000000000 + i FROM generate_series(1, " + options.experiments() + ") i",
                "INSERT INTO tracking.experiment_tags (experiment_id, key, value) SELECT experiment_id, 'team',"
                        + " 'team-' || (experiment_id % 5) FROM tracking.experiments WHERE name LIKE 'bench-exp-%'",
                "ANALYZE");
        try (Connection c = Db.connect(options)) {
            for (String sql : statements) {
                try (Statement s = c.createStatement()) {
                    s.execute(sql);
                }
            }
        }
    }
}
