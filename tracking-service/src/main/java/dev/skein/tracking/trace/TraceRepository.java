package dev.skein.tracking.trace;

import dev.skein.common.search.SqlQuery;
import dev.skein.tracking.KeyValue;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Traces in PostgreSQL, with the reactive SQL client: each change is one transaction of a few set-based statements. */
@ApplicationScoped
public class TraceRepository {

    private final Pool pool;

    public TraceRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<Void> insert(TraceInfo trace) {
        return pool.withTransaction(conn -> conn.preparedQuery(
                                "INSERT INTO tracking.trace_info (request_id, experiment_id, timestamp_ms,"
                                        + " execution_time_ms, status) VALUES ($1, $2, $3, $4, $5)")
                        .execute(Tuple.of(
                                trace.requestId(),
                                trace.experimentId(),
                                trace.timestampMs(),
                                trace.executionTimeMs(),
                                trace.status()))
                        .flatMap(v -> upsert(conn, "trace_tags", trace.requestId(), trace.tags()))
                        .flatMap(v ->
                                upsert(conn, "trace_request_metadata", trace.requestId(), trace.requestMetadata())))
                .replaceWithVoid();
    }

    /**
     * Ends a trace: execution time = {@code endMs} − its start, the status set, metadata and tags
     * merged. False if there is no such trace.
     */
    public Uni<Boolean> end(
            String requestId, long endMs, String status, List<KeyValue> requestMetadata, List<KeyValue> tags) {
        return pool.withTransaction(conn -> conn.preparedQuery("UPDATE tracking.trace_info"
                        + " SET execution_time_ms = $2 - timestamp_ms, status = $3 WHERE request_id = $1")
                .execute(Tuple.of(requestId, endMs, status))
                .flatMap(rows -> rows.rowCount() == 0
                        ? Uni.createFrom().item(false)
                        : upsert(conn, "trace_request_metadata", requestId, requestMetadata)
                                .flatMap(v -> upsert(conn, "trace_tags", requestId, tags))
                                .replaceWith(true)));
    }

    /** Sets a tag; false if there is no such trace. */
    public Uni<Boolean> setTag(String requestId, String key, String value) {
        return pool.preparedQuery("INSERT INTO tracking.trace_tags (request_id, key, value)"
                        + " SELECT request_id, $2, $3 FROM tracking.trace_info WHERE request_id = $1"
                        + " ON CONFLICT (request_id, key) DO UPDATE SET value = EXCLUDED.value")
                .execute(Tuple.of(requestId, key, value))
                .map(rows -> rows.rowCount() > 0);
    }

    /** Deletes a tag; false if the trace has no such tag. */
    public Uni<Boolean> deleteTag(String requestId, String key) {
        return pool.preparedQuery("DELETE FROM tracking.trace_tags WHERE request_id = $1 AND key = $2")
                .execute(Tuple.of(requestId, key))
                .map(rows -> rows.rowCount() > 0);
    }

    /** The trace, or null. */
    public Uni<TraceInfo> find(String requestId) {
        return pool.preparedQuery(
                        "SELECT " + TraceSearchSql.COLUMNS + " FROM tracking.trace_info t WHERE t.request_id = $1")
                .execute(Tuple.of(requestId))
                .flatMap(rows -> withDetails(pool, rows))
                .map(found -> found.isEmpty() ? null : found.get(0));
    }

    public Uni<List<TraceInfo>> search(SqlQuery query) {
        return pool.preparedQuery(query.sql()).execute(query.tuple()).flatMap(rows -> withDetails(pool, rows));
    }

    /**
     * Deletes an experiment's traces: those given by id, or those started at or before {@code
     * maxTimestampMs} — with {@code maxTraces}, only that many, oldest first. Tags and metadata go
     * with them. Returns how many were deleted.
     */
    public Uni<Integer> delete(long experimentId, Long maxTimestampMs, Integer maxTraces, List<String> requestIds) {
        SqlQuery q = new SqlQuery()
                .append("DELETE FROM tracking.trace_info WHERE request_id IN (SELECT request_id FROM"
                        + " tracking.trace_info WHERE experiment_id = ")
                .bind(experimentId);
        if (maxTimestampMs != null) {
            q.append(" AND timestamp_ms <= ").bind(maxTimestampMs);
        }
        if (!requestIds.isEmpty()) {
            q.append(" AND request_id = ANY(")
                    .bind(requestIds.toArray(new String[0]))
                    .append(")");
        }
        if (maxTraces != null) {
            q.append(" ORDER BY timestamp_ms, request_id LIMIT ").bind(maxTraces);
        }
        q.append(")");
        return pool.preparedQuery(q.sql()).execute(q.tuple()).map(rows -> rows.rowCount());
    }

    private static Uni<Void> upsert(SqlClient conn, String table, String requestId, List<KeyValue> entries) {
        if (entries.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        String[] keys = entries.stream().map(KeyValue::key).toArray(String[]::new);
        String[] values = entries.stream().map(KeyValue::value).toArray(String[]::new);
        return conn.preparedQuery("INSERT INTO tracking." + table + " (request_id, key, value)"
                        + " SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS e(k, v)"
                        + " ON CONFLICT (request_id, key) DO UPDATE SET value = EXCLUDED.value")
                .execute(Tuple.of(requestId, keys, values))
                .replaceWithVoid();
    }

    /** The traces of these rows, in their order, each with its tags and request metadata. */
    private static Uni<List<TraceInfo>> withDetails(SqlClient client, io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
        if (rows.size() == 0) {
            return Uni.createFrom().item(List.of());
        }
        List<Row> found = new ArrayList<>(rows.size());
        rows.forEach(found::add);
        String[] ids = found.stream().map(r -> r.getString("request_id")).toArray(String[]::new);
        return client.preparedQuery("SELECT 't' AS kind, request_id, key, value FROM tracking.trace_tags"
                        + " WHERE request_id = ANY($1) UNION ALL SELECT 'm', request_id, key, value"
                        + " FROM tracking.trace_request_metadata WHERE request_id = ANY($1)"
                        + " ORDER BY kind, request_id, key")
                .execute(Tuple.of((Object) ids))
                .map(details -> {
                    Map<String, List<KeyValue>> tags = new HashMap<>();
                    Map<String, List<KeyValue>> metadata = new HashMap<>();
                    details.forEach(d -> ("t".equals(d.getString("kind")) ? tags : metadata)
                            .computeIfAbsent(d.getString("request_id"), k -> new ArrayList<>())
                            .add(new KeyValue(d.getString("key"), d.getString("value"))));
                    List<TraceInfo> traces = new ArrayList<>(found.size());
                    for (Row r : found) {
                        String id = r.getString("request_id");
                        traces.add(new TraceInfo(
                                id,
                                r.getLong("experiment_id"),
                                r.getLong("timestamp_ms"),
                                r.getLong("execution_time_ms"),
                                r.getString("status"),
                                metadata.getOrDefault(id, List.of()),
                                tags.getOrDefault(id, List.of())));
                    }
                    return traces;
                });
    }
}
