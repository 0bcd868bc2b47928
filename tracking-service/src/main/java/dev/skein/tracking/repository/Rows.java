package dev.skein.tracking.repository;

import dev.skein.tracking.Experiment;
import dev.skein.tracking.Run;
import io.vertx.mutiny.sqlclient.Row;

/** Maps rows of the search statements onto entities (detached: they are only read). */
final class Rows {

    private Rows() {}

    static Run run(Row row) {
        Run r = new Run();
        r.runUuid = row.getString("run_uuid");
        r.experimentId = row.getLong("experiment_id");
        r.name = row.getString("name");
        r.userId = row.getString("user_id");
        r.status = row.getString("status");
        r.startTime = row.getLong("start_time");
        r.endTime = row.getLong("end_time");
        r.deletedTime = row.getLong("deleted_time");
        r.lifecycleStage = row.getString("lifecycle_stage");
        r.artifactUri = row.getString("artifact_uri");
        return r;
    }

    static Experiment experiment(Row row) {
        Experiment e = new Experiment();
        e.id = row.getLong("experiment_id");
        e.name = row.getString("name");
        e.artifactLocation = row.getString("artifact_location");
        e.lifecycleStage = row.getString("lifecycle_stage");
        e.creationTime = row.getLong("creation_time");
        e.lastUpdateTime = row.getLong("last_update_time");
        return e;
    }
}
