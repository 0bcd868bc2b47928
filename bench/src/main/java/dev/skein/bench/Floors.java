package dev.skein.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * The floors a metric-ingest rate is compared with, written straight to PostgreSQL from this
 * process: copies of tracking's {@code metrics} and {@code latest_metrics} tables (same columns,
 * defaults, keys and indexes) in schema {@code bench_floor}, filled with the same batches as Skein
 * gets.
 *
 * <ul>
 *   <li>JDBC: per batch, one transaction with the points as a batched {@code INSERT … ON CONFLICT DO
 *       NOTHING} (pgjdbc's {@code reWriteBatchedInserts}) and each key's newest point as a batched
 *       latest-metric upsert guarded like Skein's — the same work as a log-batch.
 *   <li>COPY: per batch, one transaction with the points as {@code COPY … FROM STDIN (FORMAT
 *       BINARY)} into the history table only: COPY cannot upsert, so this floor leaves the latest
 *       metrics out and is the higher bar, PostgreSQL's own ceiling for these rows.
 * </ul>
 */
final class Floors {

    static final String SCHEMA = "bench_floor";

    private static final String INSERT_POINT = "INSERT INTO " + SCHEMA
            + ".metrics (run_uuid, key, step, timestamp, value) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
    private static final String UPSERT_LATEST = "INSERT INTO " + SCHEMA
            + ".latest_metrics AS lm (run_uuid, key, step, timestamp, value) VALUES (?, ?, ?, ?, ?)"
            + " ON CONFLICT (run_uuid, key) DO UPDATE"
            + " SET step = EXCLUDED.step, timestamp = EXCLUDED.timestamp, value = EXCLUDED.value"
            + " WHERE (EXCLUDED.step, EXCLUDED.timestamp, EXCLUDED.value) > (lm.step, lm.timestamp, lm.value)";
    private static final String COPY_POINTS =
            "COPY " + SCHEMA + ".metrics (run_uuid, key, step, timestamp, value) FROM STDIN (FORMAT BINARY)";
    private static final byte[] COPY_SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);

    private final Options options;
    private final Workload workload;
    private final List<String> runIds;

    Floors(Options options, Workload workload, List<String> runIds) {
        this.options = options;
        this.workload = workload;
        this.runIds = runIds;
    }

    Connection connect() throws SQLException {
        return Db.connect(options);
    }

    /** (Re)creates the floor tables as copies of tracking's. */
    void create() throws SQLException {
        recreate(options, List.of(copyOf("metrics"), copyOf("latest_metrics")));
    }

    void drop() throws SQLException {
        drop(options);
    }

    /** A floor table: tracking's table {@code table} with the same columns, defaults, keys and indexes. */
    static String copyOf(String table) {
        return "CREATE TABLE " + SCHEMA + "." + table + " (LIKE tracking." + table + " INCLUDING ALL)";
    }

    /** (Re)creates schema {@value #SCHEMA}, empty, then runs {@code ddl} (the floor's tables) in order. */
    static void recreate(Options options, List<String> ddl) throws SQLException {
        try (Connection c = Db.connect(options);
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            s.execute("CREATE SCHEMA " + SCHEMA);
            for (String statement : ddl) {
                s.execute(statement);
            }
        }
    }

    static void drop(Options options) throws SQLException {
        try (Connection c = Db.connect(options);
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
    }

    Load.ClientFactory jdbc() {
        return index -> {
            Connection c = connect();
            c.setAutoCommit(false);
            PreparedStatement points = c.prepareStatement(INSERT_POINT);
            PreparedStatement latest = c.prepareStatement(UPSERT_LATEST);
            String runId = runIds.get(index);
            return new Load.Client() {
                @Override
                public int send(long batch) throws Exception {
                    workload.forEach(index, batch, (key, step, timestamp, value) -> {
                        points.setString(1, runId);
                        points.setString(2, key);
                        points.setLong(3, step);
                        points.setLong(4, timestamp);
                        points.setDouble(5, value);
                        points.addBatch();
                    });
                    points.executeBatch();
                    long step = workload.lastStep(batch);
                    for (int k = 0; k < workload.keys(); k++) {
                        latest.setString(1, runId);
                        latest.setString(2, workload.key(k));
                        latest.setLong(3, step);
                        latest.setLong(4, workload.timestamp(batch));
                        latest.setDouble(5, Workload.value(index, k, step));
                        latest.addBatch();
                    }
                    latest.executeBatch();
                    c.commit();
                    return workload.size();
                }

                @Override
                public void close() throws Exception {
                    c.close();
                }
            };
        };
    }

    Load.ClientFactory copy() {
        return index -> {
            Connection c = connect();
            c.setAutoCommit(false);
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            byte[] runId = runIds.get(index).getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream buffer = new ByteArrayOutputStream(64 * workload.size());
            DataOutputStream out = new DataOutputStream(buffer);
            return new Load.Client() {
                @Override
                public int send(long batch) throws Exception {
                    buffer.reset();
                    out.write(COPY_SIGNATURE);
                    out.writeInt(0); // flags
                    out.writeInt(0); // header extension length
                    workload.forEach(index, batch, (key, step, timestamp, value) -> {
                        out.writeShort(5);
                        bytes(out, runId);
                        bytes(out, key.getBytes(StandardCharsets.UTF_8));
                        out.writeInt(8);
                        out.writeLong(step);
                        out.writeInt(8);
                        out.writeLong(timestamp);
                        out.writeInt(8);
                        out.writeDouble(value);
                    });
                    out.writeShort(-1);
                    out.flush();
                    copy.copyIn(COPY_POINTS, new ByteArrayInputStream(buffer.toByteArray()));
                    c.commit();
                    return workload.size();
                }

                @Override
                public void close() throws Exception {
                    c.close();
                }
            };
        };
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }
}
