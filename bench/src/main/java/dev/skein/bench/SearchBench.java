package dev.skein.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code runs/search} latency at scale, for data loaded the way users load it. {@code --population}
 * runs (100,000; {@code --runs} is the same) in one experiment and a twentieth as many in each of
 * nine more, every run with 20 metrics ({@code m0}…{@code m19}, uniform in [0, 1)), 10 params
 * ({@code p1} of 4 values) and 5 tags, created through the gateway by {@code --clients} clients
 * (16) in interleaved order — {@code runs/create}, {@code runs/log-batch}, {@code runs/update} to
 * FINISHED (one in ten FAILED), as {@code with mlflow.start_run(): mlflow.log_…} does — or, with
 * {@code --load sql}, written straight into tracking's tables in the same shape (quick iterations).
 *
 * <p>Then the searches, one after another from one client, 100 runs a page: right after the load
 * (nothing has run ANALYZE but autovacuum, whenever it chose to), and again after {@code ANALYZE}.
 * The main one, {@code metrics.m3 > X and params.p1 = 'vN'} ordered by {@code metrics.m7 DESC}, is
 * followed for five pages; the others are filters on a tag and on attributes, orders by a param and
 * by start time, and the main search across the ten experiments. The baseline: the main search's
 * first page as MLflow's SQL store shapes it, a hand-written join timed over JDBC.
 */
final class SearchBench {

    private static final int METRICS = 20;
    private static final int PARAMS = 10;
    private static final int TAGS = 5;
    private static final int PAGES = 5;
    private static final int EXPERIMENTS = 10;
    private static final Pattern TOKEN = Pattern.compile("\"next_page_token\"\\s*:\\s*\"([^\"]+)\"");
    private static final String MAIN_ORDER = "metrics.m7 DESC";
    private static final String HAND_SQL = "SELECT r.run_uuid FROM tracking.runs r"
            + " JOIN tracking.latest_metrics f ON f.run_uuid = r.run_uuid AND f.key = 'm3' AND f.value > ?"
            + " JOIN tracking.params p ON p.run_uuid = r.run_uuid AND p.key = 'p1' AND p.value = ?"
            + " LEFT JOIN tracking.latest_metrics o ON o.run_uuid = r.run_uuid AND o.key = 'm7'"
            + " WHERE r.experiment_id = ? AND r.lifecycle_stage = 'active'"
            + " ORDER BY o.value DESC NULLS LAST, r.start_time DESC, r.run_uuid LIMIT 100";
    private static final List<String> TABLES = List.of("runs", "tags", "params", "latest_metrics", "metrics");

    private final Options options;
    private final Gateway gateway;
    private final int population;
    private final int clients;
    private List<String> experimentIds;
    /** The start times of the runs, for {@code attributes.start_time > X}. */
    private long firstStart;

    private long lastStart;

    SearchBench(Options options) {
        this.options = options;
        this.gateway = new Gateway(options.gateway());
        this.population = options.runs(options.population());
        this.clients = options.clients(16);
        if (!List.of("api", "sql", "existing").contains(options.load())) {
            throw new IllegalArgumentException("--load is api, sql or existing, not " + options.load());
        }
    }

    void run() throws Exception {
        int others = population / 20;
        System.out.printf(
                "search: %,d runs in one experiment and %,d in each of %d more (%d metrics, %d params, %d tags each),"
                        + " %,d experiments; %d searches of each kind, 100 runs a page%n",
                population, others, EXPERIMENTS - 1, METRICS, PARAMS, TAGS, options.experiments(), options.queries());
        Machine.print(options);
        if (options.load().equals("existing")) {
            findLoaded();
        } else {
            seedExperiments();
            experimentIds = new ArrayList<>();
            for (int e = 0; e < EXPERIMENTS; e++) {
                experimentIds.add(gateway.createExperiment("bench-search-" + e + "-" + System.nanoTime()));
            }
            if (options.load().equals("api")) {
                loadThroughApi(others);
            } else {
                loadWithSql(others);
            }
        }

        Phase afterLoad = measure("right after the load (no ANALYZE but autovacuum's)", true);
        long analysing = System.nanoTime();
        try (Connection c = Db.connect(options);
                Statement s = c.createStatement()) {
            s.execute("ANALYZE");
        }
        System.out.printf("%nANALYZE took %.1f s%n", (System.nanoTime() - analysing) / 1e9);
        Phase afterAnalyze = measure("after ANALYZE", false);

        double analysed = afterAnalyze.main().millis(0.95);
        Timings unanalysed = afterLoad.of(Phase.UNANALYSED);
        System.out.println();
        System.out.printf(
                "main search, first page, p95: %.1f ms right after the load, %.1f ms after ANALYZE:"
                        + " after-load ÷ after-analyze %.2f%n",
                afterLoad.main().millis(0.95), analysed, afterLoad.main().millis(0.95) / analysed);
        if (unanalysed.count() == 0) {
            System.out.println("  (autovacuum analysed a table during the warm-up: no round ran before it)");
        } else {
            System.out.printf(
                    "  in the %d of %d rounds before autovacuum analysed a table: p95 %.1f ms, ÷ after-analyze %.2f%n",
                    unanalysed.count(),
                    afterLoad.main().count(),
                    unanalysed.millis(0.95),
                    unanalysed.millis(0.95) / analysed);
        }
        printSelectivity();
    }

    // ---- loading -------------------------------------------------------------------------------

    /**
     * Every run as a user's script makes it: create, one log-batch with its metrics, params and
     * tags, then end it. Runs go to the experiments in a shuffled order (a tenth of them to the nine
     * small ones, interleaved), numbered within their experiment; the clients take the next run as
     * they become free, so the runs of different clients interleave in time as in a sweep.
     */
    private void loadThroughApi(int others) throws Exception {
        int total = population + (EXPERIMENTS - 1) * others;
        byte[] experimentOf = new byte[total];
        for (int e = 1, i = population; e < EXPERIMENTS; e++) {
            for (int k = 0; k < others; k++) {
                experimentOf[i++] = (byte) e;
            }
        }
        SplittableRandom shuffle = new SplittableRandom(42);
        for (int i = total - 1; i > 0; i--) {
            int j = shuffle.nextInt(i + 1);
            byte t = experimentOf[i];
            experimentOf[i] = experimentOf[j];
            experimentOf[j] = t;
        }
        int[] ordinal = new int[total];
        int[] next = new int[EXPERIMENTS];
        for (int i = 0; i < total; i++) {
            ordinal[i] = next[experimentOf[i]]++;
        }
        System.out.printf(
                "%nloading %,d runs through the API (runs/create, runs/log-batch, runs/update each) from %d clients…%n",
                total, clients);
        AtomicLong done = new AtomicLong();
        Timings[][] requests = new Timings[clients][];
        for (int c = 0; c < clients; c++) {
            requests[c] = new Timings[] {new Timings(), new Timings(), new Timings()};
        }
        firstStart = System.currentTimeMillis();
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-progress");
            t.setDaemon(true);
            return t;
        });
        long began = System.nanoTime();
        progress.scheduleAtFixedRate(
                () -> System.out.printf(
                        "  %,d of %,d runs, %,.0f runs/s%n",
                        done.get(), total, done.get() * 1e9 / (System.nanoTime() - began)),
                60,
                60,
                TimeUnit.SECONDS);
        Load.Result loaded;
        try {
            loaded = Load.count(clients, 0, total, index -> run -> {
                int i = (int) run;
                SplittableRandom r = new SplittableRandom(run);
                Timings[] mine = requests[index];
                String runId = mine[0].time(() -> gateway.createRun(
                        experimentIds.get(experimentOf[i]), "run-" + ordinal[i], System.currentTimeMillis()));
                String batch = logBatch(runId, r);
                mine[1].time(() -> gateway.post("runs/log-batch", batch));
                String end = "{\"run_id\":\"" + runId + "\",\"status\":\""
                        + (r.nextInt(10) == 0 ? "FAILED" : "FINISHED") + "\",\"end_time\":"
                        + System.currentTimeMillis() + "}";
                mine[2].time(() -> gateway.post("runs/update", end));
                done.incrementAndGet();
                return 1;
            });
        } finally {
            progress.shutdownNow();
        }
        lastStart = System.currentTimeMillis();
        System.out.printf(
                "loaded through the API: %,d runs in %.0f s, %,.0f runs/s%n",
                total, loaded.seconds(), loaded.pointsPerSecond());
        Table table = new Table("load request, " + clients + " clients", "p50 ms", "p95 ms", "p99 ms", "requests");
        String[] kinds = {"runs/create", "runs/log-batch (20 metrics, 10 params, 5 tags)", "runs/update (end the run)"};
        for (int k = 0; k < kinds.length; k++) {
            Timings all = new Timings();
            for (Timings[] mine : requests) {
                all.addAll(mine[k]);
            }
            table.row(Table.latencies(kinds[k], all));
        }
    }

    /** Run {@code i}'s log-batch: metrics m0…m19 (step 0), params p0…p9, tags t0…t4, from its own random. */
    private static String logBatch(String runId, SplittableRandom r) {
        long now = System.currentTimeMillis();
        StringBuilder b =
                new StringBuilder(2048).append("{\"run_id\":\"").append(runId).append("\",\"metrics\":[");
        for (int m = 0; m < METRICS; m++) {
            b.append(m == 0 ? "" : ",")
                    .append("{\"key\":\"m")
                    .append(m)
                    .append("\",\"value\":")
                    .append(r.nextDouble())
                    .append(",\"timestamp\":")
                    .append(now)
                    .append(",\"step\":0}");
        }
        b.append("],\"params\":[");
        for (int p = 0; p < PARAMS; p++) {
            b.append(p == 0 ? "" : ",")
                    .append("{\"key\":\"p")
                    .append(p)
                    .append("\",\"value\":\"v")
                    .append(r.nextInt(paramValues(p)))
                    .append("\"}");
        }
        b.append("],\"tags\":[");
        for (int t = 0; t < TAGS; t++) {
            b.append(t == 0 ? "" : ",")
                    .append("{\"key\":\"t")
                    .append(t)
                    .append("\",\"value\":\"tag-")
                    .append(r.nextInt(100))
                    .append("\"}");
        }
        return b.append("]}").toString();
    }

    /** How many values param {@code p} takes: p1 four (the main search's filter), p0 ten, p2 a thousand, the rest 100. */
    private static int paramValues(int p) {
        return switch (p) {
            case 0 -> 10;
            case 1 -> 4;
            case 2 -> 1000;
            default -> 100;
        };
    }

    /**
     * The same shape written straight into tracking's tables, as the API writes them (the run, its
     * tags, params, metric history and latest metrics): minutes faster, for iterating on a search.
     * It follows tracking's schema by hand, so a schema change must change it too.
     */
    private void loadWithSql(int others) throws Exception {
        firstStart = 1_700_000_000_000L;
        lastStart = firstStart + population;
        long began = System.nanoTime();
        try (Connection c = Db.connect(options);
                Statement s = c.createStatement()) {
            s.execute("SELECT setseed(0.42)");
            // each table's rows are written in the order of its primary key (the run id first), so its
            // indexes grow at their ends instead of taking inserts at random pages: at 1,000,000 runs
            // (20,000,000 metric points) random order no longer fits in memory and takes hours
            s.execute("SET work_mem = '256MB'");
            for (int e = 0; e < EXPERIMENTS; e++) {
                insertRuns(s, Long.parseLong(experimentIds.get(e)), e == 0 ? population : others, firstStart);
            }
        }
        System.out.printf(
                "%nloaded with SQL (--load sql): %,d runs in %.0f s%n",
                population + (EXPERIMENTS - 1) * others, (System.nanoTime() - began) / 1e9);
    }

    /**
     * Runs {@code 0 … count − 1} of experiment {@code exp} in this benchmark's shape (names
     * {@code run-i}, start times {@code firstStart + i}, 20 metrics, 10 params, 5 tags and the four
     * tags of a run's creation), each table's rows in its primary key's order, on {@code s}: its
     * connection's random seed and {@code work_mem} are the caller's. Also used by {@link UiBench}.
     */
    static void insertRuns(Statement s, long exp, int count, long firstStart) throws SQLException {
        String values = "CASE p WHEN 0 THEN 10 WHEN 1 THEN 4 WHEN 2 THEN 1000 ELSE 100 END";
        String runs = "generate_series(0, " + (count - 1) + ") i";
        String run = "md5('bench-run-" + exp + "-' || i)";
        for (String sql : List.of(
                "INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id, status, start_time,"
                        + " end_time, lifecycle_stage, artifact_uri) SELECT " + run + ", " + exp
                        + ", 'run-' || i, 'bench', CASE WHEN random() < 0.1 THEN 'FAILED' ELSE 'FINISHED' END, "
                        + firstStart + " + i, " + firstStart + " + 60000 + i, 'active', 'mlflow-artifacts:/"
                        + exp + "/' || " + run + " || '/artifacts' FROM " + runs + " ORDER BY 1",
                "INSERT INTO tracking.tags (run_uuid, key, value) SELECT " + run + ", t.key, coalesce(t.value,"
                        + " 'run-' || i) FROM " + runs + ", (VALUES ('mlflow.runName', NULL), ('mlflow.user',"
                        + " 'bench'), ('mlflow.source.name', 'train.py'), ('mlflow.source.type', 'LOCAL'))"
                        + " t (key, value) ORDER BY 1, 2",
                "INSERT INTO tracking.tags (run_uuid, key, value) SELECT " + run + ", 't' || t, 'tag-' ||"
                        + " floor(random() * 100) FROM " + runs + ", generate_series(0, " + (TAGS - 1) + ") t"
                        + " ORDER BY 1, 2",
                "INSERT INTO tracking.params (run_uuid, key, value) SELECT " + run + ", 'p' || p, 'v' ||"
                        + " floor(random() * " + values + ") FROM " + runs + ", generate_series(0, "
                        + (PARAMS - 1) + ") p ORDER BY 1, 2",
                "INSERT INTO tracking.metrics (run_uuid, key, step, timestamp, value) SELECT " + run
                        + ", 'm' || m, 0, " + firstStart + " + 1000 + i, random() FROM " + runs
                        + ", generate_series(0, " + (METRICS - 1) + ") m ORDER BY 1, 2",
                "INSERT INTO tracking.latest_metrics (run_uuid, key, step, timestamp, value, step_count)"
                        + " SELECT m.run_uuid, m.key, m.step, m.timestamp, m.value, 1 FROM tracking.metrics m"
                        + " JOIN tracking.runs r ON r.run_uuid = m.run_uuid WHERE r.experiment_id = " + exp
                        + " ORDER BY 1, 2")) {
            s.execute(sql);
        }
    }

    /**
     * {@code --load existing}: the population an earlier run of this bench left in the database (the
     * runner keeps it), its ten experiments the last ones it created; nothing is written.
     */
    private void findLoaded() throws Exception {
        experimentIds = new ArrayList<>();
        try (Connection c = Db.connect(options);
                Statement s = c.createStatement()) {
            try (var rows = s.executeQuery("SELECT experiment_id FROM (SELECT experiment_id FROM tracking.experiments"
                    + " WHERE name LIKE 'bench-search-%' ORDER BY experiment_id DESC LIMIT " + EXPERIMENTS
                    + ") e ORDER BY experiment_id")) {
                while (rows.next()) {
                    experimentIds.add(Long.toString(rows.getLong(1)));
                }
            }
            if (experimentIds.size() < EXPERIMENTS) {
                throw new IllegalStateException("--load existing: no population of this bench in the database");
            }
            try (var rows = s.executeQuery("SELECT min(start_time), max(start_time) FROM tracking.runs"
                    + " WHERE experiment_id = " + experimentIds.get(0))) {
                rows.next();
                firstStart = rows.getLong(1);
                lastStart = rows.getLong(2);
            }
            try (var rows = s.executeQuery("SELECT count(*) FILTER (WHERE experiment_id = " + experimentIds.get(0)
                    + "), count(*) FROM tracking.runs WHERE experiment_id IN (" + String.join(",", experimentIds)
                    + ")")) {
                rows.next();
                System.out.printf(
                        "%nthe population already loaded (--load existing; the line above gives the options, not"
                                + " it): %,d runs in the searched experiment, %,d in its ten experiments %s%n",
                        rows.getLong(1), rows.getLong(2), experimentIds);
            }
        }
    }

    /** {@code --experiments} experiments with a {@code team} tag, for {@code experiments/search}. */
    private void seedExperiments() throws Exception {
        try (Connection c = Db.connect(options);
                Statement s = c.createStatement()) {
            s.execute("INSERT INTO tracking.experiments (experiment_id, name, artifact_location, lifecycle_stage,"
                    + " creation_time, last_update_time) SELECT nextval('tracking.experiments_seq'),"
                    + " 'bench-exp-' || i, 'mlflow-artifacts:/bench-exp-' || i, 'active', 1700000000000 + i,"
                    + " 1700000000000 + i FROM generate_series(1, " + options.experiments() + ") i");
            s.execute("INSERT INTO tracking.experiment_tags (experiment_id, key, value) SELECT experiment_id, 'team',"
                    + " 'team-' || (experiment_id % 5) FROM tracking.experiments WHERE name LIKE 'bench-exp-%'");
        }
    }

    // ---- searching -----------------------------------------------------------------------------

    /** One phase's timings by kind of request, in the order they are printed; the main one first. */
    private record Phase(Map<String, Timings> timings) {

        static final String MAIN = "main: `metrics.m3 > X and params.p1 = 'vN'`, `" + MAIN_ORDER + "`, page 1";
        static final String LATER = "main, pages 2–5";
        static final String UNANALYSED = "main, page 1, in the rounds before autovacuum analysed a table";
        static final String BASELINE = "baseline: main page 1 as MLflow's SQL, hand-written, over JDBC (ids only)";
        static final String EXPERIMENTS_SEARCH = "experiments/search (name prefix, tag, creation_time DESC)";

        Timings of(String what) {
            return timings.computeIfAbsent(what, w -> new Timings());
        }

        Timings main() {
            return of(MAIN);
        }
    }

    /** The searches of one phase; {@code watchAutovacuum}: also the main search's time before autovacuum analyses. */
    private Phase measure(String title, boolean watchAutovacuum) throws Exception {
        System.out.printf("%n### searches %s%n", title);
        try (Connection stats = Db.connect(options)) {
            Map<String, Analysed> before = analyses(stats);
            printStatistics(before);
            SplittableRandom random = new SplittableRandom(7);
            // Warm-up (not counted): the services' search path compiled, connections opened.
            Phase warmup = new Phase(new LinkedHashMap<>());
            for (int q = 0; q < Math.max(1, options.queries() / 10); q++) {
                round(random, warmup, false);
            }
            Phase phase = new Phase(new LinkedHashMap<>());
            phase.of(Phase.MAIN);
            phase.of(Phase.LATER);
            if (watchAutovacuum) {
                phase.of(Phase.UNANALYSED);
            }
            List<String> analysed = List.of();
            for (int q = 0; q < options.queries(); q++) {
                round(random, phase, watchAutovacuum && analysed.isEmpty());
                Map<String, Analysed> now = analyses(stats);
                analysed = TABLES.stream()
                        .filter(t -> now.get(t).analyses() > before.get(t).analyses())
                        .toList();
            }
            double main = phase.main().millis(0.95);
            Table table = new Table("search, 100 runs a page", "p50 ms", "p95 ms", "p99 ms", "requests", "p95 ÷ main");
            for (Map.Entry<String, Timings> e : phase.timings().entrySet()) {
                table.row(Table.latencies(
                        e.getKey(), e.getValue(), Table.number(e.getValue().millis(0.95) / main, 2)));
            }
            System.out.printf(
                    "%nmain search ÷ baseline, p95: %.2f; autovacuum analysed during these searches: %s%n",
                    main / phase.of(Phase.BASELINE).millis(0.95), analysed.isEmpty() ? "none of " + TABLES : analysed);
            return phase;
        }
    }

    /**
     * One search of every kind, with fresh random values; {@code unanalysed}: autovacuum has analysed
     * none of the tables since the phase began, and the main search's time also counts apart.
     */
    private void round(SplittableRandom random, Phase phase, boolean unanalysed) throws Exception {
        double above = 0.4 + 0.4 * random.nextDouble();
        String p1 = "v" + random.nextInt(4);
        String main = String.format(Locale.ROOT, "metrics.m3 > %.3f and params.p1 = '%s'", above, p1);
        String one = experimentIds.get(0);

        String token = null;
        for (int page = 0; page < PAGES; page++) {
            String body = search(List.of(one), main, MAIN_ORDER, token);
            long t0 = System.nanoTime();
            String response = gateway.post("runs/search", body);
            long took = System.nanoTime() - t0;
            phase.of(page == 0 ? Phase.MAIN : Phase.LATER).add(took);
            if (page == 0 && unanalysed) {
                phase.of(Phase.UNANALYSED).add(took);
            }
            Matcher m = TOKEN.matcher(response);
            if (!m.find()) {
                break;
            }
            token = m.group(1);
        }
        timeSearch(phase, "`tags.t1 = 'tag-N'`", List.of(one), "tags.t1 = 'tag-" + random.nextInt(100) + "'", null);
        timeSearch(phase, "`attributes.status = 'FINISHED'`", List.of(one), "attributes.status = 'FINISHED'", null);
        timeSearch(
                phase,
                "`attributes.run_name LIKE 'run-N%'`",
                List.of(one),
                "attributes.run_name LIKE 'run-" + (1 + random.nextInt(9)) + "%'",
                null);
        timeSearch(
                phase,
                "`attributes.start_time > X`",
                List.of(one),
                "attributes.start_time > " + (firstStart + random.nextLong(Math.max(1, lastStart - firstStart))),
                null);
        timeSearch(phase, "no filter, `params.p2 ASC`", List.of(one), "", "params.p2 ASC");
        timeSearch(phase, "no filter, `attributes.start_time DESC`", List.of(one), "", "attributes.start_time DESC");
        timeSearch(phase, "main across the 10 experiments, page 1", experimentIds, main, MAIN_ORDER);
        timeSearch(phase, "the 10 experiments, no filter, newest first", experimentIds, "", null);
        phase.of(Phase.BASELINE).add(hand(one, above, p1));

        String experiments = "{\"filter\":\"name LIKE 'bench-exp-" + random.nextInt(10)
                + "%' and tags.team = 'team-" + random.nextInt(5) + "'\",\"order_by\":[\"creation_time DESC\"],"
                + "\"max_results\":100}";
        phase.of(Phase.EXPERIMENTS_SEARCH).time(() -> gateway.post("experiments/search", experiments));
    }

    private void timeSearch(Phase phase, String what, List<String> experiments, String filter, String orderBy)
            throws Exception {
        String body = search(experiments, filter, orderBy, null);
        phase.of(what).time(() -> gateway.post("runs/search", body));
    }

    private static String search(List<String> experiments, String filter, String orderBy, String token) {
        return "{\"experiment_ids\":["
                + experiments.stream().map(e -> "\"" + e + "\"").collect(Collectors.joining(","))
                + "],\"filter\":\"" + filter + "\""
                + (orderBy == null ? "" : ",\"order_by\":[\"" + orderBy + "\"]")
                + ",\"max_results\":100"
                + (token == null ? "" : ",\"page_token\":\"" + token + "\"") + "}";
    }

    private long hand(String experimentId, double above, String p1) throws Exception {
        try (Connection c = Db.connect(options);
                PreparedStatement s = c.prepareStatement(HAND_SQL)) {
            s.setDouble(1, above);
            s.setString(2, p1);
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

    // ---- what the numbers depend on ------------------------------------------------------------

    /** A table's statistics as PostgreSQL keeps them: live rows, rows changed since it was last analysed, analyses. */
    private record Analysed(long live, long changed, long analyses) {}

    private static Map<String, Analysed> analyses(Connection c) throws Exception {
        Map<String, Analysed> stats = new LinkedHashMap<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT relname, n_live_tup, n_mod_since_analyze,"
                                + " autoanalyze_count + analyze_count FROM pg_stat_user_tables WHERE schemaname = 'tracking'")) {
            while (rs.next()) {
                stats.put(rs.getString(1), new Analysed(rs.getLong(2), rs.getLong(3), rs.getLong(4)));
            }
        }
        return stats;
    }

    private static void printStatistics(Map<String, Analysed> stats) {
        System.out.println("PostgreSQL's statistics at the start (live rows / rows changed since last analysed):");
        System.out.println("  "
                + TABLES.stream()
                        .map(t -> String.format(
                                "%s %,d / %,d",
                                t, stats.get(t).live(), stats.get(t).changed()))
                        .collect(Collectors.joining("; ")));
    }

    /** What share of the main experiment's runs the main filter matches, at its lowest and highest threshold. */
    private void printSelectivity() throws Exception {
        String count = "SELECT count(*) FILTER (WHERE m.value > 0.4), count(*) FILTER (WHERE m.value > 0.8),"
                + " (SELECT count(*) FROM tracking.runs WHERE experiment_id = ?) FROM tracking.runs r"
                + " JOIN tracking.latest_metrics m ON m.run_uuid = r.run_uuid AND m.key = 'm3'"
                + " JOIN tracking.params p ON p.run_uuid = r.run_uuid AND p.key = 'p1' AND p.value = 'v1'"
                + " WHERE r.experiment_id = ?";
        try (Connection c = Db.connect(options);
                PreparedStatement s = c.prepareStatement(count)) {
            long exp = Long.parseLong(experimentIds.get(0));
            s.setLong(1, exp);
            s.setLong(2, exp);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                double runs = rs.getLong(3);
                System.out.printf(
                        "the main filter matches %.1f%% (m3 > 0.8) to %.1f%% (m3 > 0.4) of its experiment's %,d runs%n",
                        100 * rs.getLong(2) / runs, 100 * rs.getLong(1) / runs, (long) runs);
            }
        }
    }
}
