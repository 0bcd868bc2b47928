package dev.skein.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;

/** JDBC connections to the suite's database, for floors and checks; batches rewritten into multi-row inserts. */
final class Db {

    private Db() {}

    static Connection connect(Options options) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", options.dbUser());
        props.setProperty("password", options.dbPassword());
        props.setProperty("reWriteBatchedInserts", "true");
        return DriverManager.getConnection(options.jdbcUrl(), props);
    }

    /** The metric points stored for these runs, and how many distinct (run, key, step) they hold. */
    static long[] points(Options options, List<String> runIds) throws SQLException {
        try (Connection c = connect(options);
                PreparedStatement s = c.prepareStatement("SELECT count(*), count(DISTINCT (run_uuid, key, step))"
                        + " FROM tracking.metrics WHERE run_uuid = ANY(?)")) {
            s.setArray(1, c.createArrayOf("text", runIds.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2)};
            }
        }
    }
}
