package dev.skein.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

/** What a result depends on, printed with it: cores, memory, Java, PostgreSQL and its commit setting. */
final class Machine {

    private Machine() {}

    static void print(Options options) throws Exception {
        System.out.printf(
                "machine: %d cores, %s; Java %s%n",
                Runtime.getRuntime().availableProcessors(), memory(), System.getProperty("java.version"));
        try (Connection c = Db.connect(options);
                Statement s = c.createStatement()) {
            System.out.printf(
                    "PostgreSQL %s, synchronous_commit=%s, shared_buffers=%s%n",
                    show(s, "server_version"), show(s, "synchronous_commit"), show(s, "shared_buffers"));
        }
    }

    private static String show(Statement s, String setting) throws Exception {
        try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The load average over 1, 5 and 15 minutes ("unknown" where there is no {@code /proc/loadavg}). */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static String memory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("\\D", ""));
                    return String.format("%.0f GB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (Exception e) {
            // not Linux: leave it out
        }
        return "memory unknown";
    }
}
