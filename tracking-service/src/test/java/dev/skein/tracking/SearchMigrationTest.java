package dev.skein.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.search.SearchParser;
import dev.skein.common.search.SqlQuery;
import dev.skein.common.testing.TestInfra;
import dev.skein.tracking.search.RunSearchSql;
import dev.skein.tracking.search.TrackingGrammars;
import io.vertx.mutiny.sqlclient.Tuple;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * An installation from before the search layout of issue 12 (schema version 10), with runs in it,
 * upgraded by the service's migrations: every search answers exactly as before the upgrade, and the
 * upgrade leaves the search's indexes built and valid. PostgreSQL only; no service is started.
 */
class SearchMigrationTest {

    private static final String DATABASE = "skein_migration_test";

    /** The searches compared: filter, order, experiments (first, or both), page size, offset. */
    private record Search(String filter, String orderBy, boolean both, int limit, long offset) {}

    private static final List<Search> SEARCHES = List.of(
            new Search("", null, false, 50, 0),
            new Search("", null, false, 50, 50),
            new Search("", null, true, 40, 80),
            new Search("attributes.status = 'FINISHED'", "attributes.run_name ASC", true, 30, 0),
            new Search("metrics.m > 3 and params.p = 'b'", "metrics.m DESC", false, 25, 0),
            new Search("", "metrics.m ASC", false, 60, 1_130),
            new Search("", "params.p DESC", false, 45, 20),
            new Search("tags.t = 'tag-3'", "tags.t ASC", true, 35, 0),
            new Search("attributes.run_name LIKE 'run-1%'", null, false, 50, 0),
            new Search("attributes.run_name LIKE 'run-2_'", "attributes.start_time ASC", true, 50, 0));

    private static Flyway flyway(String target) {
        return Flyway.configure()
                .dataSource(
                        "jdbc:postgresql://" + TestInfra.DB_HOST + ":" + TestInfra.DB_PORT + "/" + DATABASE,
                        TestInfra.DB_USER,
                        TestInfra.DB_PASSWORD)
                .schemas("tracking")
                .defaultSchema("tracking")
                .createSchemas(true)
                .locations("classpath:db/migration")
                .placeholders(Map.of("app_user", TestInfra.DB_USER))
                .target(target)
                .load();
    }

    @Test
    void shouldAnswerEverySearchAsBeforeOnceAnInstallationWithRunsIsUpgraded() throws Exception {
        TestInfra.recreateDatabase(DATABASE);
        flyway("10").migrate();
        long[] experiments;
        Map<Search, List<String>> before;
        try (Connection c = TestInfra.connect(DATABASE)) {
            experiments = fill(c);
            assertThat(indexes(c)).doesNotContain("runs_experiment_name_prefix", "params_key_value_prefix");
            before = searchAll(c, experiments);
        }
        long began = System.nanoTime();
        var result = flyway("latest").migrate();
        System.out.printf("migrated 3,500 runs from version 10 in %d ms%n", (System.nanoTime() - began) / 1_000_000);
        assertThat(result.success).isTrue();
        try (Connection c = TestInfra.connect(DATABASE)) {
            assertThat(indexes(c))
                    .contains(
                            "runs_experiment_newest",
                            "params_key_value_prefix",
                            "tags_key_value_prefix",
                            "runs_experiment_name_prefix");
            Map<Search, List<String>> after = searchAll(c, experiments);
            for (Search s : SEARCHES) {
                assertThat(after.get(s)).as(s.toString()).isNotEmpty().containsExactlyElementsOf(before.get(s));
            }
            // and the default order is MLflow's: newest first (none last), then run id
            List<String> newest = new ArrayList<>();
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT run_uuid FROM tracking.runs WHERE experiment_id = "
                            + experiments[0] + " AND lifecycle_stage = 'active'"
                            + " ORDER BY start_time DESC NULLS LAST, run_uuid COLLATE \"C\" LIMIT 100")) {
                while (rs.next()) {
                    newest.add(rs.getString(1));
                }
            }
            List<String> pages = new ArrayList<>(after.get(SEARCHES.get(0)));
            pages.addAll(after.get(SEARCHES.get(1)));
            assertThat(pages).containsExactlyElementsOf(newest);
        }
    }

    /** Two experiments of runs as the service wrote them at version 10; returns their ids. */
    private static long[] fill(Connection c) throws SQLException {
        long[] ids = new long[2];
        try (Statement s = c.createStatement()) {
            for (int e = 0; e < 2; e++) {
                try (ResultSet rs = s.executeQuery("INSERT INTO tracking.experiments (experiment_id, name,"
                        + " artifact_location, creation_time, last_update_time) VALUES (nextval('tracking.experiments_seq'),"
                        + " 'migrated-" + e + "', 'mlflow-artifacts:/m', 1, 1) RETURNING experiment_id")) {
                    rs.next();
                    ids[e] = rs.getLong(1);
                }
            }
            String run = "md5('migrated-' || g)";
            // 3,000 runs in the first experiment, 500 in the second; start times tied in threes, some
            // none; one in 20 deleted; names run-g
            s.execute("INSERT INTO tracking.runs (run_uuid, experiment_id, name, user_id, status, start_time,"
                    + " lifecycle_stage, artifact_uri) SELECT " + run + ", CASE WHEN g <= 3000 THEN " + ids[0]
                    + " ELSE " + ids[1] + " END, 'run-' || g, 'u', CASE WHEN g % 4 = 0 THEN 'FAILED' ELSE"
                    + " 'FINISHED' END, CASE WHEN g % 17 = 0 THEN NULL ELSE 1000 + g / 3 END,"
                    + " CASE WHEN g % 20 = 0 THEN 'deleted' ELSE 'active' END, 'mlflow-artifacts:/r'"
                    + " FROM generate_series(1, 3500) g");
            // metric m: ten values with ties, NaN for some runs, none for others
            s.execute("INSERT INTO tracking.latest_metrics (run_uuid, key, step, timestamp, value) SELECT " + run
                    + ", 'm', 0, 1, CASE WHEN g % 23 = 0 THEN 'NaN'::float8 ELSE g % 10 END"
                    + " FROM generate_series(1, 3500) g WHERE g % 29 <> 0");
            // param p: short values and ones longer than an index row holds, sharing their first 200
            s.execute("INSERT INTO tracking.params (run_uuid, key, value) SELECT " + run + ", 'p',"
                    + " CASE g % 5 WHEN 0 THEN 'a' WHEN 1 THEN 'b' WHEN 2 THEN repeat('z', 200) || (g % 3)"
                    + " ELSE 'c' || (g % 7) END FROM generate_series(1, 3500) g WHERE g % 31 <> 0");
            s.execute("INSERT INTO tracking.tags (run_uuid, key, value) SELECT " + run + ", 't', 'tag-' || (g % 6)"
                    + " FROM generate_series(1, 3500) g WHERE g % 37 <> 0");
            s.execute("ANALYZE");
        }
        return ids;
    }

    private static Map<Search, List<String>> searchAll(Connection c, long[] experiments) throws SQLException {
        Map<Search, List<String>> answers = new LinkedHashMap<>();
        for (Search s : SEARCHES) {
            Long[] ids = s.both() ? new Long[] {experiments[0], experiments[1]} : new Long[] {experiments[0]};
            SqlQuery q = RunSearchSql.build(
                    ids,
                    new String[] {"active"},
                    SearchParser.parseFilter(TrackingGrammars.RUNS, s.filter()),
                    SearchParser.parseOrderBy(
                            TrackingGrammars.RUNS, s.orderBy() == null ? List.of() : List.of(s.orderBy())),
                    s.limit(),
                    s.offset(),
                    Long.MAX_VALUE);
            answers.put(s, run(c, q));
        }
        return answers;
    }

    /** Runs the service's statement over JDBC: its placeholders are numbered in order, each used once. */
    private static List<String> run(Connection c, SqlQuery q) throws SQLException {
        String sql = q.sql().replaceAll("\\$\\d+", "?");
        Tuple values = q.tuple();
        List<String> ids = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(sql)) {
            for (int i = 0; i < values.size(); i++) {
                Object v = values.getValue(i);
                if (v instanceof Long[] longs) {
                    p.setArray(i + 1, c.createArrayOf("bigint", longs));
                } else if (v instanceof String[] texts) {
                    p.setArray(i + 1, c.createArrayOf("text", texts));
                } else {
                    p.setObject(i + 1, v);
                }
            }
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString("run_uuid"));
                }
            }
        }
        return ids;
    }

    private static List<String> indexes(Connection c) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                                + " JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = 'tracking' AND x.indisvalid")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }
}
