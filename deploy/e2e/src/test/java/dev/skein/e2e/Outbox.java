package dev.skein.e2e;

import dev.skein.common.testing.TestInfra;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

/** A service's outbox in the suite's database, as the outage tests watch it. */
final class Outbox {

    private Outbox() {}

    /** Events waiting for Kafka in {@code schema.outbox}. */
    static long size(String schema) throws Exception {
        try (Connection c = TestInfra.connect(Suite.DATABASE);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM " + schema + ".outbox")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void waitUntilEmpty(String schema, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (size(schema) > 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the " + schema + " outbox still holds " + size(schema) + " events");
            }
            Thread.sleep(200);
        }
    }
}
