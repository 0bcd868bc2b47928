package dev.skein.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
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
}
