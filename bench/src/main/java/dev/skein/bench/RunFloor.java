package dev.skein.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.UUID;

/**
 * The floor a run-creation rate is compared with: the rows {@code runs/create} writes — the run, its
 * four tags ({@code mlflow.runName} and the three the client sends) and its {@code RunCreated} outbox
 * row — inserted over JDBC into copies of tracking's {@code runs}, {@code tags} and {@code outbox}
 * (schema {@value Floors#SCHEMA}: same columns, defaults, keys and indexes, and the same foreign keys:
 * runs to {@code tracking.experiments}, tags to their run) as a good hand-written loader writes them:
 * {@value #BATCH} runs per transaction, each table's rows as one batched multi-row insert.
 */
final class RunFloor {

    static final int BATCH = 100;

    private static final String RUN = "INSERT INTO " + Floors.SCHEMA + ".runs (run_uuid, experiment_id, name,"
            + " user_id, status, start_time, lifecycle_stage, artifact_uri) VALUES (?, ?, ?, ?, 'RUNNING', ?,"
            + " 'active', ?)";
    private static final String TAG = "INSERT INTO " + Floors.SCHEMA + ".tags (run_uuid, key, value) VALUES (?, ?, ?)";
    private static final String EVENT = "INSERT INTO " + Floors.SCHEMA + ".outbox (event_id, topic, partition_key,"
            + " event_type, subject, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
    private static final String[][] CLIENT_TAGS = {
        {"mlflow.user", "bench"}, {"mlflow.source.name", "train.py"}, {"mlflow.source.type", "LOCAL"}
    };

    private final Options options;
    private final long experimentId;

    RunFloor(Options options, String experimentId) {
        this.options = options;
        this.experimentId = Long.parseLong(experimentId);
    }

    void create() throws SQLException {
        Floors.recreate(
                options,
                List.of(
                        Floors.copyOf("runs"),
                        "ALTER TABLE " + Floors.SCHEMA + ".runs ADD FOREIGN KEY (experiment_id)"
                                + " REFERENCES tracking.experiments (experiment_id)",
                        Floors.copyOf("tags"),
                        "ALTER TABLE " + Floors.SCHEMA + ".tags ADD FOREIGN KEY (run_uuid)" + " REFERENCES "
                                + Floors.SCHEMA + ".runs (run_uuid) ON DELETE CASCADE",
                        Floors.copyOf("outbox"),
                        // LIKE copies the default nextval('tracking.outbox_seq_seq'): the floor's rows
                        // must not take numbers from the outbox the relay reads.
                        "CREATE SEQUENCE " + Floors.SCHEMA + ".outbox_seq",
                        "ALTER TABLE " + Floors.SCHEMA + ".outbox ALTER COLUMN seq SET DEFAULT nextval('"
                                + Floors.SCHEMA + ".outbox_seq')"));
    }

    void drop() throws SQLException {
        Floors.drop(options);
    }

    /** Batch {@code b} of a client: runs {@code b·BATCH …} in one transaction. */
    Load.ClientFactory jdbc() {
        return index -> {
            Connection c = Db.connect(options);
            c.setAutoCommit(false);
            PreparedStatement runs = c.prepareStatement(RUN);
            PreparedStatement tags = c.prepareStatement(TAG);
            PreparedStatement events = c.prepareStatement(EVENT);
            return new Load.Client() {
                @Override
                public int send(long batch) throws Exception {
                    for (int i = 0; i < BATCH; i++) {
                        String runId = UUID.randomUUID().toString().replace("-", "");
                        String name = "run-" + (batch * BATCH + i);
                        long now = System.currentTimeMillis();
                        String artifactUri = "mlflow-artifacts:/" + experimentId + "/" + runId + "/artifacts";
                        runs.setString(1, runId);
                        runs.setLong(2, experimentId);
                        runs.setString(3, name);
                        runs.setString(4, "bench");
                        runs.setLong(5, now);
                        runs.setString(6, artifactUri);
                        runs.addBatch();
                        tag(runId, "mlflow.runName", name);
                        for (String[] t : CLIENT_TAGS) {
                            tag(runId, t[0], t[1]);
                        }
                        events.setObject(1, UUID.randomUUID());
                        events.setString(2, RunEvents.TOPIC);
                        events.setString(3, runId);
                        events.setString(4, RunEvents.CREATED);
                        events.setString(5, runId);
                        events.setString(6, RunEvents.createdJson(runId, experimentId, name, now, artifactUri));
                        events.setTimestamp(7, new Timestamp(now));
                        events.addBatch();
                    }
                    runs.executeBatch();
                    tags.executeBatch();
                    events.executeBatch();
                    c.commit();
                    return BATCH;
                }

                private void tag(String runId, String key, String value) throws SQLException {
                    tags.setString(1, runId);
                    tags.setString(2, key);
                    tags.setString(3, value);
                    tags.addBatch();
                }

                @Override
                public void close() throws Exception {
                    c.close();
                }
            };
        };
    }
}
