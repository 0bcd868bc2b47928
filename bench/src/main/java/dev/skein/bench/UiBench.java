package dev.skein.bench;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The web UI measured in a browser (issue 13): Debian's Chromium, driven by {@code playwright-core}
 * from {@code gateway-service/src/main/ui/bench/ui.bench.mjs}, measures inside the page the runs
 * table of an experiment of {@code --population} runs (100,000, each with 20 metrics, 10 params and
 * 5 tags, written with SearchBench's SQL loader) — time to the first row and to a complete first
 * screen, then frames and long tasks while the table is scrolled with the mouse wheel through
 * thousands of rows, pages of 100 loading as it goes — and a chart of 100 runs × {@code
 * --history-points} points (100,000) of one metric: time to the chart drawn, then zooms until the
 * window's finer samples are drawn, with frames and long tasks.
 *
 * <p>Each figure is printed next to its floor, measured from this process's own HTTP client in the
 * same run: the very API requests the page made (its first {@code runs/search} page, the pages after
 * it, the chart's {@code runs/search} and {@code get-history-bulk-interval} calls, each zoom's
 * windowed call), replayed one after another. With {@code --no-chart} only the runs table is loaded and
 * measured; without it, a chart not measured fails the run, as does any figure the browser half did not
 * deliver.
 */
final class UiBench {

    private static final String METRIC = "loss";
    private static final int CHART_RUNS = 100;
    private static final long FIRST_START = 1_700_000_000_000L;
    private static final double GOAL_FIRST_ROWS_MS = 1000;
    private static final double GOAL_LONG_TASK_MS = 100;
    private static final Pattern TOKEN = Pattern.compile("\"next_page_token\"\\s*:\\s*\"([^\"]+)\"");
    private static final int FLOOR_REPEATS = 20;
    /** The numbers of {@code scroll.summary}: see {@code scroll()} in ui.bench.mjs. */
    private static final int SCROLL_SUMMARY = 11;
    /** Lines of the browser half's stderr quoted when it fails. */
    private static final int ERROR_LINES = 20;

    private final Options options;
    private final Gateway gateway;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    /** The sizes loaded: from the options, or found in the tables with {@code --load existing}. */
    private int population;

    private int chartPoints;
    private final int loads;
    private final int seconds;

    /** What the browser half printed: its figures, the requests it made, its notes. */
    private final Map<String, double[]> values = new LinkedHashMap<>();

    private final List<String[]> requests = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    UiBench(Options options) {
        this.options = options;
        this.gateway = new Gateway(options.gateway());
        this.population = options.runs(options.population());
        this.chartPoints = options.given().contains("history-points") ? options.historyPoints() : 100_000;
        this.loads = options.given().contains("queries") ? options.queries() : 5;
        this.seconds = options.given().contains("seconds") ? options.seconds() : 30;
        if (options.given().contains("load") && !List.of("sql", "existing").contains(options.load())) {
            throw new IllegalArgumentException("--load is sql (the default here) or existing, not " + options.load());
        }
    }

    void run() throws Exception {
        System.out.printf(
                "ui: the runs table of %,d runs (20 metrics, 10 params, 5 tags each) and %s, measured in Chromium;"
                        + " %d page loads each, %d s of scrolling%n",
                population,
                options.noChart()
                        ? "no chart (--no-chart)"
                        : String.format("a chart of %d runs × %,d points", CHART_RUNS, chartPoints),
                loads,
                seconds);
        Machine.print(options);
        System.out.println("machine load before (1, 5, 15 min): " + loadAverage());

        String experimentName;
        String experimentId;
        String chartExperimentId = null;
        List<String> chartRuns = List.of();
        if (options.load().equals("existing")) {
            String[] found = findLoaded();
            experimentName = found[0];
            experimentId = found[1];
            if (!options.noChart()) {
                chartExperimentId = found[2];
                chartRuns = chartRuns(found[2]);
            }
        } else {
            experimentName = "bench-ui-" + System.nanoTime();
            experimentId = gateway.createExperiment(experimentName);
            if (!options.noChart()) {
                chartExperimentId = gateway.createExperiment("bench-ui-chart-" + System.nanoTime());
            }
            long began = System.nanoTime();
            try (Connection c = Db.connect(options);
                    Statement s = c.createStatement()) {
                s.execute("SELECT setseed(0.42)");
                s.execute("SET work_mem = '256MB'");
                SearchBench.insertRuns(s, Long.parseLong(experimentId), population, FIRST_START);
                System.out.printf(
                        "loaded with SQL: %,d runs in experiment %s in %.0f s%n",
                        population, experimentId, (System.nanoTime() - began) / 1e9);
                if (chartExperimentId != null) {
                    began = System.nanoTime();
                    insertChart(s, Long.parseLong(chartExperimentId));
                    System.out.printf(
                            "loaded with SQL: %d runs × %,d points of %s in experiment %s in %.0f s%n",
                            CHART_RUNS, chartPoints, METRIC, chartExperimentId, (System.nanoTime() - began) / 1e9);
                }
                began = System.nanoTime();
                s.execute("ANALYZE");
                System.out.printf("ANALYZE took %.1f s%n", (System.nanoTime() - began) / 1e9);
            }
            if (chartExperimentId != null) {
                chartRuns = chartRuns(chartExperimentId);
            }
        }

        // the services warmed up (compiled, connections open, the tables' pages cached) before the
        // browser's first load, as for the floors after it
        String firstPage = "{\"experiment_ids\":[\"" + experimentId + "\"],\"filter\":\"\",\"run_view_type\":"
                + "\"ACTIVE_ONLY\",\"order_by\":[\"attributes.start_time DESC\"],\"max_results\":100}";
        for (int i = 0; i < FLOOR_REPEATS; i++) {
            send("POST", "/api/2.0/mlflow/runs/search", firstPage);
        }

        browse(experimentId, experimentName, chartExperimentId, chartRuns);
        System.out.println("machine load after the browser (1, 5, 15 min): " + loadAverage());
        requireFigures();

        printTable();
        printScroll();
        printChart();
        notes.forEach(n -> System.out.println("note: " + n));
    }

    // ---- loading -------------------------------------------------------------------------------

    /**
     * {@code CHART_RUNS} runs, each with {@code chartPoints} steps of one metric (a decaying loss with
     * noise, a second apart), written in the primary key's order, and their latest metric.
     */
    private void insertChart(Statement s, long exp) throws Exception {
        String runs = "generate_series(0, " + (CHART_RUNS - 1) + ") i";
        String run = "md5('bench-ui-chart-" + exp + "-' || i)";
        s.execute("INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time,"
                + " lifecycle_stage, artifact_uri) SELECT " + run + ", " + exp + ", 'chart-run-' || i, 'bench',"
                + " 'FINISHED', " + FIRST_START + " + i, " + FIRST_START + " + " + chartPoints * 1000L + " + i,"
                + " 'active', 'mlflow-artifacts:/" + exp + "/' || " + run + " || '/artifacts' FROM " + runs
                + " ORDER BY 1");
        s.execute("INSERT INTO tracking.tags (run_uuid, key, value) SELECT " + run + ", t.key, coalesce(t.value,"
                + " 'chart-run-' || i) FROM " + runs + ", (VALUES ('mlflow.runName', NULL), ('mlflow.user', 'bench'))"
                + " t (key, value) ORDER BY 1, 2");
        // the runs in id order, each one's steps in order inside it: the primary key's order, unsorted
        s.execute("INSERT INTO tracking.metrics (run_uuid, key, step, timestamp, value) SELECT r.id, '" + METRIC
                + "', st, " + FIRST_START + " + st * 1000, exp(-st / " + Math.max(1, chartPoints / 5) + ".0)"
                + " * (1 + r.i / 100.0) + 0.05 * random() FROM (SELECT " + run + " AS id, i FROM " + runs
                + " ORDER BY 1) r CROSS JOIN LATERAL generate_series(0, " + (chartPoints - 1) + ") st");
        s.execute("INSERT INTO tracking.latest_metrics (run_uuid, key, step, timestamp, value, step_count)"
                + " SELECT m.run_uuid, m.key, m.step, m.timestamp, m.value, " + chartPoints + " FROM tracking.metrics m"
                + " JOIN tracking.runs r ON r.run_uuid = m.run_uuid WHERE r.experiment_id = " + exp
                + " AND m.key = '" + METRIC + "' AND m.step = " + (chartPoints - 1) + " ORDER BY 1");
    }

    /** The chart experiment's runs, oldest first. */
    private List<String> chartRuns(String experimentId) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection c = Db.connect(options);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT run_uuid FROM tracking.runs WHERE experiment_id = "
                        + Long.parseLong(experimentId) + " ORDER BY start_time")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    /**
     * {@code --load existing}: the experiments an earlier run of this bench left in the database (the
     * runner keeps it), the newest of each kind: name and id of the table's, id of the chart's (null
     * with {@code --no-chart}).
     */
    private String[] findLoaded() throws Exception {
        try (Connection c = Db.connect(options);
                Statement s = c.createStatement()) {
            String[] found = new String[3];
            try (ResultSet rs = s.executeQuery("SELECT name, experiment_id FROM tracking.experiments WHERE name LIKE"
                    + " 'bench-ui-%' AND name NOT LIKE 'bench-ui-chart-%' ORDER BY experiment_id DESC LIMIT 1")) {
                if (!rs.next()) {
                    throw new IllegalStateException("--load existing: no runs table of this bench in the database");
                }
                found[0] = rs.getString(1);
                found[1] = rs.getString(2);
            }
            try (ResultSet rs =
                    s.executeQuery("SELECT count(*) FROM tracking.runs WHERE experiment_id = " + found[1])) {
                rs.next();
                population = (int) rs.getLong(1);
            }
            if (options.noChart()) {
                System.out.printf(
                        "the data already loaded (--load existing; the first line gives the options, not it): %,d"
                                + " runs in experiment %s%n",
                        population, found[1]);
                return found;
            }
            try (ResultSet rs = s.executeQuery("SELECT experiment_id FROM tracking.experiments WHERE name LIKE"
                    + " 'bench-ui-chart-%' ORDER BY experiment_id DESC LIMIT 1")) {
                if (!rs.next()) {
                    throw new IllegalStateException("--load existing: no chart of this bench in the database"
                            + " (--no-chart measures the runs table alone)");
                }
                found[2] = rs.getString(1);
            }
            try (ResultSet rs = s.executeQuery("SELECT max(step_count) FROM tracking.latest_metrics m JOIN"
                    + " tracking.runs r ON r.run_uuid = m.run_uuid WHERE r.experiment_id = " + found[2])) {
                rs.next();
                chartPoints = (int) rs.getLong(1);
            }
            System.out.printf(
                    "the data already loaded (--load existing; the first line gives the options, not it): %,d"
                            + " runs in experiment %s, the chart's runs of %,d points in experiment %s%n",
                    population, found[1], chartPoints, found[2]);
            return found;
        }
    }

    // ---- the browser ---------------------------------------------------------------------------

    /**
     * Runs the browser half (node, in the UI's folder so that its node_modules resolve) and reads what it
     * prints; fails at once when node fails or outlives {@link #browserLimit()}, and never leaves node or
     * its Chromium running.
     */
    private void browse(String experimentId, String experimentName, String chartExperimentId, List<String> chartRuns)
            throws Exception {
        Path ui = Bench.root().resolve("gateway-service/src/main/ui");
        Path script = ui.resolve("bench/ui.bench.mjs");
        if (!Files.exists(ui.resolve("node_modules/playwright-core"))) {
            throw new IllegalStateException("no " + ui.resolve("node_modules/playwright-core")
                    + ": the UI's dependencies are installed by the gateway's build (./skein build)");
        }
        List<String> command = new ArrayList<>(List.of(
                "node", script.toString(),
                "--api", options.gateway(),
                "--experiment", experimentId,
                "--experiment-name", experimentName,
                "--population", Integer.toString(population),
                "--loads", Integer.toString(loads),
                "--seconds", Integer.toString(seconds)));
        if (chartExperimentId == null) {
            command.add("--no-chart");
        } else {
            command.addAll(List.of(
                    "--chart-experiment", chartExperimentId,
                    "--chart-runs", String.join(",", chartRuns),
                    "--metric", METRIC));
        }
        Duration limit = browserLimit();
        System.out.println();
        System.out.printf(
                "browser: node %s (progress below; stopped after %d min)%n", ui.relativize(script), limit.toMinutes());
        Process node = new ProcessBuilder(command).directory(ui.toFile()).start();
        try {
            node.getOutputStream().close();
            AtomicReference<Exception> failure = new AtomicReference<>();
            Deque<String> errors = new ArrayDeque<>();
            // both pipes read on threads of their own, so that a node that hangs cannot hold this
            // thread past the limit, and one that writes much to stderr cannot block on a full pipe
            Thread out = pump(node, node.getInputStream(), this::read, failure);
            Thread err = pump(
                    node,
                    node.getErrorStream(),
                    line -> {
                        System.err.println(line);
                        synchronized (errors) {
                            errors.addLast(line);
                            if (errors.size() > ERROR_LINES) {
                                errors.removeFirst();
                            }
                        }
                    },
                    failure);
            boolean exited = node.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
            if (exited) {
                // the pipes close with node; the wait only covers a child that kept them open
                out.join(10_000);
                err.join(10_000);
                if (out.isAlive()) {
                    throw new IllegalStateException(
                            "the browser half exited but its output stayed open (a process it started still runs?)");
                }
            }
            if (failure.get() != null) {
                throw new IllegalStateException("reading the browser half's output failed", failure.get());
            }
            if (!exited || node.exitValue() != 0) {
                notes.forEach(n -> System.out.println("note: " + n));
                String tail;
                synchronized (errors) {
                    tail = String.join("\n", errors);
                }
                throw new IllegalStateException((exited
                                ? "the browser half failed (exit " + node.exitValue() + ")"
                                : "the browser half did not finish within " + limit.toMinutes() + " min")
                        + "; the last lines of its stderr:\n" + tail);
            }
        } finally {
            stop(node);
        }
    }

    /**
     * How long the browser half may take: a generous bound over its parts (each page load waits at most
     * a minute for each of its marks, each zoom a minute for its samples) so that only a hang reaches it.
     */
    private Duration browserLimit() {
        return Duration.ofMinutes(20 + 5L * loads).plusSeconds(seconds);
    }

    /** Reads {@code in} line by line on a daemon thread; a line that fails to be read stops node. */
    private static Thread pump(
            Process node, InputStream in, Consumer<String> each, AtomicReference<Exception> failure) {
        Thread t = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                        for (String line; (line = r.readLine()) != null; ) {
                            each.accept(line);
                        }
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                        stop(node);
                    }
                },
                "ui-bench-node-pipe");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Stops node if it still runs, and the processes it started (Chromium) first, while they are still its own. */
    private static void stop(Process node) {
        if (node.isAlive()) {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly();
        }
    }

    /**
     * Fails unless the browser half delivered every figure the tables need, each a finite number: a
     * figure missing would otherwise print as "–", and a goal over none as met. Long tasks are not
     * among them (a Chromium without the 'longtask' entry type prints "not measured").
     */
    private void requireFigures() {
        List<String> names = new ArrayList<>();
        for (String kind : List.of("empty", "cached")) {
            for (String field : List.of("firstRow", "firstScreen", "floor")) {
                names.add("table." + kind + "." + field);
            }
        }
        names.addAll(List.of("scroll.summary", "scroll.frames"));
        if (!options.noChart()) {
            names.addAll(List.of(
                    "chart.draw",
                    "chart.floor",
                    "chart.points",
                    "zoom.scaled",
                    "zoom.refined",
                    "zoom.request",
                    "zoom.floor",
                    "zoom.frames",
                    "zoom.summary"));
        }
        List<String> missing = new ArrayList<>(names.stream()
                .filter(n -> get(n).length == 0 || Arrays.stream(get(n)).anyMatch(v -> !Double.isFinite(v)))
                .toList());
        if (get("scroll.summary").length < SCROLL_SUMMARY) {
            missing.add("scroll.summary (" + SCROLL_SUMMARY + " numbers)");
        }
        List<String> kinds = new ArrayList<>(List.of("table-first-page"));
        if (!options.noChart()) {
            kinds.addAll(List.of("chart-bulk", "zoom-bulk"));
        }
        kinds.stream().filter(k -> requests(k).isEmpty()).forEach(k -> missing.add("the page's " + k + " request"));
        if (!missing.isEmpty()) {
            throw new IllegalStateException(
                    "the browser half did not measure " + String.join(", ", missing) + " (see its output above)");
        }
    }

    private void read(String line) {
        String[] words = line.split(" ", 2);
        String rest = words.length > 1 ? words[1] : "";
        switch (words[0]) {
            case "VALUES" -> {
                String[] parts = rest.trim().split(" ");
                values.put(
                        parts[0],
                        Arrays.stream(parts, 1, parts.length)
                                .mapToDouble(Double::parseDouble)
                                .toArray());
            }
            case "REQUEST" -> requests.add(rest.split(" ", 4));
            case "UI", "BROWSER" -> System.out.println(words[0].toLowerCase() + ": " + rest);
            case "NOTE" -> notes.add(rest);
            default -> System.out.println(line);
        }
    }

    // ---- floors and reports --------------------------------------------------------------------

    /** Sends one API request to the gateway as the page sent it; its answer, anything but 200 failing. */
    private String send(String method, String address, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(options.gateway() + address));
        if (method.equals("POST")) {
            b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.GET();
        }
        HttpResponse<String> response = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(address + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private List<String[]> requests(String kind) {
        return requests.stream().filter(r -> r[0].equals(kind)).toList();
    }

    /** The requests of {@code kind} replayed one after another, {@code times} times: each round's total. */
    private Timings replay(String kind, int times) throws Exception {
        Timings t = new Timings();
        List<String[]> mine = requests(kind);
        if (mine.isEmpty()) {
            return t;
        }
        for (int i = 0; i < times; i++) {
            long t0 = System.nanoTime();
            for (String[] r : mine) {
                send(r[1], r[2], r[3]);
            }
            t.add(System.nanoTime() - t0);
        }
        return t;
    }

    private void printTable() throws Exception {
        Timings after = replay("table-first-page", FLOOR_REPEATS);
        double[] interleaved = concat(get("table.empty.floor"), get("table.cached.floor"));
        double floorMs = p(interleaved, 0.5);
        System.out.printf(
                "%nfloor: the page's first runs/search (the body it sent: 100 runs, start_time DESC) sent again right"
                        + " after each load from the bench's client: p50 %s ms, max %s ms over %d; from the bench's"
                        + " Java client after the browser: p50 %.1f ms, p95 %.1f ms over %d%n",
                ms(floorMs),
                ms(max(interleaved)),
                interleaved.length,
                after.millis(0.5),
                after.millis(0.95),
                after.count());
        Table t = new Table(
                "runs table, " + String.format("%,d", population) + " runs",
                "p50 ms",
                "max ms",
                "loads",
                "÷ floor (p50)",
                "goal");
        for (String kind : List.of("empty", "cached")) {
            String cache = kind.equals("empty") ? "empty cache (first visit)" : "cached bundle (a new tab)";
            double[] first = get("table." + kind + ".firstRow");
            double[] screen = get("table." + kind + ".firstScreen");
            t.row(
                    "first row in the page, " + cache,
                    ms(p(first, 0.5)),
                    ms(max(first)),
                    first.length,
                    ratio(p(first, 0.5), floorMs),
                    firstRowsGoal(first));
            t.row(
                    "first screen complete and painted, " + cache,
                    ms(p(screen, 0.5)),
                    ms(max(screen)),
                    screen.length,
                    ratio(p(screen, 0.5), floorMs),
                    "");
        }
        double[] bundle = get("table.empty.bundle");
        double[] sent = get("table.empty.sent");
        double[] answered = get("table.empty.answered");
        double[] request = get("table.empty.request");
        double[] first = get("table.empty.firstRow");
        System.out.printf(
                "where the first row's time goes (empty cache, p50 of each, from navigation): script loaded %s ms,"
                        + " runs/search sent %s ms and answered %s ms (in the browser %s ms, floor %.1f ms),"
                        + " first row %s ms%n",
                ms(p(bundle, 0.5)),
                ms(p(sent, 0.5)),
                ms(p(answered, 0.5)),
                ms(p(request, 0.5)),
                floorMs,
                ms(p(first, 0.5)));
    }

    private void printScroll() throws Exception {
        double[] summary = get("scroll.summary");
        double secs = summary[0];
        double rowsScrolled = summary[2];
        double atEnd = summary[3];
        int pages = (int) summary[6];
        double[] frames = get("scroll.frames");
        boolean longTasksMeasured = values.containsKey("scroll.longTasks");
        double[] longTasks = get("scroll.longTasks");
        double[] pageRequests = get("scroll.pageRequests");
        // floor: the same pages through their tokens, from the bench's client
        Timings pagesFloor = new Timings();
        String[] first = requests("table-first-page").isEmpty()
                ? null
                : requests("table-first-page").get(0);
        if (first != null) {
            String body = first[3];
            String answer = send(first[1], first[2], body);
            for (int i = 0; i < Math.max(pages, 10); i++) {
                Matcher m = TOKEN.matcher(answer);
                if (!m.find()) {
                    break;
                }
                String next = body.substring(0, body.lastIndexOf('}')) + ",\"page_token\":\"" + m.group(1) + "\"}";
                long t0 = System.nanoTime();
                answer = send(first[1], first[2], next);
                pagesFloor.add(System.nanoTime() - t0);
            }
        }
        long over = Arrays.stream(longTasks).filter(d -> d > GOAL_LONG_TASK_MS).count();
        System.out.printf(
                "%nscrolling the runs table: mouse wheel at %.0f rows/s for %.1f s: %,.0f rows scrolled (%,.0f asked),"
                        + " %,.0f rows loaded, %d pages loaded while scrolling%n",
                summary[10], secs, rowsScrolled, summary[1], summary[7], pages);
        Table t = new Table("while scrolling", "value", "floor / goal", "ratio");
        t.row(
                "frames per second (requestAnimationFrame)",
                Table.number(frames.length / secs, 1),
                "60 (the display's rate)",
                ratio(frames.length / secs, 60));
        t.row(
                "frame interval p50 / p95 / p99 ms",
                ms(p(frames, 0.5)) + " / " + ms(p(frames, 0.95)) + " / " + ms(p(frames, 0.99)),
                "16.7",
                ratio(p(frames, 0.95), 1000 / 60.0));
        t.row(
                "longest frame ms; frames over 50 ms",
                ms(max(frames)) + "; "
                        + Arrays.stream(frames).filter(f -> f > 50).count(),
                "",
                "");
        t.row(
                "long tasks (over 50 ms): count, longest ms, total ms",
                longTasksMeasured
                        ? longTasks.length + ", " + ms(max(longTasks)) + ", "
                                + ms(Arrays.stream(longTasks).sum())
                        : "–",
                "none over 100 ms",
                !longTasksMeasured ? "not measured" : over == 0 ? "met" : "not met (" + over + " over 100 ms)");
        t.row(
                "frames showing no row where rows were loaded",
                Table.number(summary[4], 0) + " of " + Table.number(summary[5], 0),
                "0",
                "");
        t.row("time at the end of the rows loaded (waiting for a page) ms", ms(atEnd), "0", "");
        t.row(
                "a page while scrolling: runs/search in the browser, p50 / p95 ms",
                ms(p(pageRequests, 0.5)) + " / " + ms(p(pageRequests, 0.95)),
                ms(pagesFloor.millis(0.5)) + " / " + ms(pagesFloor.millis(0.95)) + " (same pages, bench's client, "
                        + pagesFloor.count() + ")",
                ratio(p(pageRequests, 0.5), pagesFloor.millis(0.5)));
    }

    private void printChart() throws Exception {
        if (options.noChart()) {
            System.out.println("\nchart: not measured (--no-chart)");
            return;
        }
        double[] draws = get("chart.draw");
        Timings search = replay("chart-search", FLOOR_REPEATS);
        Timings bulk = replay("chart-bulk", FLOOR_REPEATS);
        List<String[]> zooms = requests("zoom-bulk");
        Timings zoomAfter = new Timings();
        for (String[] r : zooms) {
            long t0 = System.nanoTime();
            send(r[1], r[2], r[3]);
            zoomAfter.add(System.nanoTime() - t0);
        }
        double[] chartFloor = get("chart.floor");
        double[] zoomFloor = get("zoom.floor");
        double[] points = get("chart.points");
        System.out.printf(
                "%nchart of %d runs × %,d points of %s: %,.0f points drawn (sampled by get-history-bulk-interval)."
                        + " Floors: the page's own calls sent again from the bench's client right after each load"
                        + " (runs/search, then bulk-interval) p50 %s ms, after each zoom (its windowed call) p50 %s"
                        + " ms; from the Java client after the browser: runs/search p50 %.1f ms, bulk-interval p50"
                        + " %.1f ms, a zoom's call p50 %.1f ms%n",
                CHART_RUNS,
                chartPoints,
                METRIC,
                points.length > 0 ? points[0] : Double.NaN,
                ms(p(chartFloor, 0.5)),
                ms(p(zoomFloor, 0.5)),
                search.millis(0.5),
                bulk.millis(0.5),
                zoomAfter.millis(0.5));
        System.out.printf(
                "where the chart's time goes (p50 of each, from navigation): runs/search sent %s ms, answered %s ms;"
                        + " get-history-bulk-interval (%s call(s)) sent %s ms, answered %s ms; chart drawn %s ms;"
                        + " the same bulk-interval call(s) by a bare fetch in the page %s ms%n",
                ms(p(get("chart.searchStart"), 0.5)),
                ms(p(get("chart.searchEnd"), 0.5)),
                ms(p(get("chart.bulkCalls"), 0.5)),
                ms(p(get("chart.bulkStart"), 0.5)),
                ms(p(get("chart.bulkEnd"), 0.5)),
                ms(p(draws, 0.5)),
                ms(p(get("chart.pageFetch"), 0.5)));
        double[] scaled = get("zoom.scaled");
        double[] refined = get("zoom.refined");
        double[] request = get("zoom.request");
        double[] frames = get("zoom.frames");
        boolean longTasksMeasured = values.containsKey("zoom.longTasks");
        double[] longTasks = get("zoom.longTasks");
        double[] summary = get("zoom.summary");
        Table t = new Table("chart", "p50 ms", "max ms", "count", "floor p50 ms", "÷ floor (p50)");
        timed(t, "chart drawn, from navigation (cached bundle)", draws, chartFloor);
        timed(t, "zoom: the view rescaled, from the mouse release", scaled, null);
        timed(t, "zoom: the window's finer samples drawn, from the release", refined, zoomFloor);
        timed(t, "zoom: its bulk-interval call in the browser", request, zoomFloor);
        double secs = summary[0];
        long over = Arrays.stream(longTasks).filter(d -> d > GOAL_LONG_TASK_MS).count();
        System.out.printf(
                "while zooming (%d drags of 15 mouse moves and their redraws, %.1f s): %.1f frames/s, frame interval"
                        + " p50 %s / p95 %s / max %s ms; %s%n",
                scaled.length,
                secs,
                frames.length / secs,
                ms(p(frames, 0.5)),
                ms(p(frames, 0.95)),
                ms(max(frames)),
                longTasksMeasured
                        ? String.format(
                                "%d long tasks, longest %s ms, total %s ms, %d over 100 ms",
                                longTasks.length,
                                ms(max(longTasks)),
                                ms(Arrays.stream(longTasks).sum()),
                                over)
                        : "long tasks not measured");
    }

    private String firstRowsGoal(double[] first) {
        if (first.length == 0) {
            return "< 1,000 ms: not measured";
        }
        long over = Arrays.stream(first).filter(v -> v >= GOAL_FIRST_ROWS_MS).count();
        return "< 1,000 ms: "
                + (over == 0
                        ? "met"
                        : p(first, 0.5) < GOAL_FIRST_ROWS_MS
                                ? "met at p50, " + over + " of " + first.length + " over"
                                : "not met");
    }

    private static double[] concat(double[] a, double[] b) {
        double[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private double[] get(String name) {
        return values.getOrDefault(name, new double[0]);
    }

    /** Nearest-rank quantile, NaN when empty. */
    private static double p(double[] v, double q) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1))];
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    private static String ms(double v) {
        return Table.number(v, Math.abs(v) >= 100 ? 0 : 1);
    }

    private static String ratio(double a, double b) {
        return Table.number(a / b, 2);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    /** A row of timings: p50, max, count, and the floor's p50 with the ratio when there is a floor. */
    private static void timed(Table t, String what, double[] times, double[] floor) {
        t.row(
                what,
                ms(p(times, 0.5)),
                ms(max(times)),
                times.length,
                floor == null ? "" : ms(p(floor, 0.5)),
                floor == null ? "" : ratio(p(times, 0.5), p(floor, 0.5)));
    }
}
