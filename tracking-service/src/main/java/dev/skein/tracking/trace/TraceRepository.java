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
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

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

    /**
     * Records an MLflow 3 trace info: a new row, or — when its spans arrived first and made one —
     * that row completed with the client's fields; its tags and metadata merged, the server's own
     * tags kept. Null if the trace id is taken by a trace of another experiment.
     */
    public Uni<Boolean> startV3(TraceInfo trace, String artifactLocation) {
        return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO tracking.trace_info (request_id,"
                        + " experiment_id, timestamp_ms, execution_time_ms, status, client_request_id,"
                        + " request_preview, response_preview) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                        + " ON CONFLICT (request_id) DO UPDATE SET timestamp_ms = EXCLUDED.timestamp_ms,"
                        + " execution_time_ms = EXCLUDED.execution_time_ms, status = EXCLUDED.status,"
                        + " client_request_id = COALESCE(EXCLUDED.client_request_id, trace_info.client_request_id),"
                        + " request_preview = COALESCE(EXCLUDED.request_preview, trace_info.request_preview),"
                        + " response_preview = COALESCE(EXCLUDED.response_preview, trace_info.response_preview)"
                        + " WHERE trace_info.experiment_id = EXCLUDED.experiment_id RETURNING request_id")
                .execute(Tuple.from(new Object[] {
                    trace.requestId(),
                    trace.experimentId(),
                    trace.timestampMs(),
                    trace.executionTimeMs(),
                    trace.status(),
                    trace.clientRequestId(),
                    trace.requestPreview(),
                    trace.responsePreview()
                }))
                .flatMap(rows -> rows.size() == 0
                        ? Uni.createFrom().item(false)
                        : upsert(conn, "trace_tags", trace.requestId(), trace.tags())
                                .flatMap(v -> upsert(
                                        conn, "trace_request_metadata", trace.requestId(), trace.requestMetadata()))
                                .flatMap(v -> conn.preparedQuery("INSERT INTO tracking.trace_tags"
                                                + " (request_id, key, value) VALUES ($1, $2, $3)"
                                                + " ON CONFLICT (request_id, key) DO NOTHING")
                                        .execute(Tuple.of(
                                                trace.requestId(), TraceInfo.ARTIFACT_LOCATION, artifactLocation)))
                                .replaceWith(true)));
    }

    /**
     * Writes spans into one experiment in one transaction of a few set-based statements, whatever
     * their number. The experiment's row is read first and locked FOR SHARE (a delete of it waits),
     * and {@code artifactRoot} turns it into its artifact location (or throws MLflow's error for a
     * missing or deleted experiment). Then each trace's info is made or widened (start the earliest,
     * end the latest; state and previews from its root span when that is among them), the server's
     * tags set, and the spans inserted or replaced (a span logged again, e.g. once ended, replaces its
     * earlier self). Tag {@value TraceInfo#SPANS_LOCATION} is set with the trace's root span: once
     * it is stored the trace is, and the client need not upload its spans as an artifact.
     *
     * <p>{@code spans} must be at most one per (trace, span id) and sorted by them: concurrent
     * batches then lock the rows they share in the same order, and cannot deadlock. Fails with
     * {@link ForeignTraces} if a trace belongs to another experiment, {@link TooManySpans} if a trace
     * would hold more than {@code maxSpansPerTrace} spans; nothing is written then.
     */
    public Uni<Void> logSpans(
            long experimentId,
            Function<ExperimentRow, String> artifactRoot,
            List<SpanRow> spans,
            int maxSpansPerTrace) {
        Map<String, TraceSpans> byTrace = new TreeMap<>();
        for (SpanRow s : spans) {
            byTrace.computeIfAbsent(s.traceId(), id -> new TraceSpans()).add(s);
        }
        int n = byTrace.size();
        String[] ids = new String[n];
        Long[] starts = new Long[n];
        Long[] ends = new Long[n];
        String[] states = new String[n];
        String[] inputs = new String[n];
        String[] outputs = new String[n];
        String[] names = new String[n];
        int i = 0;
        for (Map.Entry<String, TraceSpans> e : byTrace.entrySet()) {
            TraceSpans t = e.getValue();
            ids[i] = e.getKey();
            starts[i] = t.startNs / 1_000_000;
            ends[i] = t.endNs == null ? null : t.endNs / 1_000_000;
            states[i] = t.root == null ? null : t.root.traceState();
            inputs[i] = t.root == null ? null : TraceService.preview(t.root.inputs());
            outputs[i] = t.root == null ? null : TraceService.preview(t.root.outputs());
            names[i] = t.root == null ? null : t.root.name();
            i++;
        }
        int m = spans.size();
        String[] spanTrace = new String[m];
        String[] spanIds = new String[m];
        String[] parents = new String[m];
        String[] spanNames = new String[m];
        String[] types = new String[m];
        String[] statuses = new String[m];
        Long[] spanStarts = new Long[m];
        Long[] spanEnds = new Long[m];
        io.vertx.core.buffer.Buffer[] contents = new io.vertx.core.buffer.Buffer[m];
        for (int j = 0; j < m; j++) {
            SpanRow s = spans.get(j);
            spanTrace[j] = s.traceId();
            spanIds[j] = s.spanId();
            parents[j] = s.parentSpanId();
            spanNames[j] = s.name();
            types[j] = s.type();
            statuses[j] = s.status();
            spanStarts[j] = s.startTimeUnixNano();
            spanEnds[j] = s.endTimeUnixNano();
            contents[j] = io.vertx.core.buffer.Buffer.buffer(s.content());
        }
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT artifact_location, lifecycle_stage"
                                + " FROM tracking.experiments WHERE experiment_id = $1 FOR SHARE")
                        .execute(Tuple.of(experimentId))
                        .map(rows -> artifactRoot.apply(
                                rows.size() == 0
                                        ? null
                                        : new ExperimentRow(
                                                experimentId,
                                                rows.iterator().next().getString("artifact_location"),
                                                rows.iterator().next().getString("lifecycle_stage"))))
                        .flatMap(root -> conn.preparedQuery(
                                        // execution time: from the earliest start to the latest end seen; the state
                                        // stays IN_PROGRESS until the root span (a finished trace) is logged
                                        "INSERT INTO tracking.trace_info AS t (request_id, experiment_id, timestamp_ms,"
                                                + " execution_time_ms, status, request_preview, response_preview)"
                                                + " SELECT id, $1, s, e - s, COALESCE(st, 'IN_PROGRESS'), i, o FROM unnest($2::text[],"
                                                + " $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS x(id, s, e, st, i, o)"
                                                + " ON CONFLICT (request_id) DO UPDATE SET"
                                                + " timestamp_ms = LEAST(t.timestamp_ms, EXCLUDED.timestamp_ms),"
                                                + " execution_time_ms = GREATEST(t.timestamp_ms + COALESCE(t.execution_time_ms, 0),"
                                                + " EXCLUDED.timestamp_ms + COALESCE(EXCLUDED.execution_time_ms, 0))"
                                                + " - LEAST(t.timestamp_ms, EXCLUDED.timestamp_ms),"
                                                + " status = CASE WHEN EXCLUDED.status = 'IN_PROGRESS' THEN t.status ELSE EXCLUDED.status END,"
                                                + " request_preview = COALESCE(t.request_preview, EXCLUDED.request_preview),"
                                                + " response_preview = COALESCE(t.response_preview, EXCLUDED.response_preview)"
                                                + " WHERE t.experiment_id = EXCLUDED.experiment_id RETURNING request_id")
                                .execute(Tuple.from(
                                        new Object[] {experimentId, ids, starts, ends, states, inputs, outputs}))
                                .flatMap(written -> {
                                    if (written.size() < n) {
                                        Set<String> ok = new HashSet<>();
                                        written.forEach(r -> ok.add(r.getString(0)));
                                        throw new ForeignTraces(Arrays.stream(ids)
                                                .filter(id -> !ok.contains(id))
                                                .toList());
                                    }
                                    // each trace's row is locked by now: a concurrent batch of the same trace
                                    // waits, so the count below sees every span stored before this one
                                    return conn.preparedQuery("WITH b(t, s) AS (SELECT * FROM unnest($1::text[],"
                                                    + " $2::text[])) SELECT x.t FROM (SELECT t, count(*) AS n FROM b GROUP BY t) x"
                                                    + " WHERE x.n + (SELECT count(*) FROM tracking.spans s WHERE s.trace_id = x.t"
                                                    + " AND NOT EXISTS (SELECT 1 FROM b WHERE b.t = s.trace_id AND b.s = s.span_id)) > $3"
                                                    + " ORDER BY x.t")
                                            .execute(Tuple.of(spanTrace, spanIds, maxSpansPerTrace));
                                })
                                .flatMap(over -> {
                                    if (over.size() > 0) {
                                        throw new TooManySpans(
                                                over.iterator().next().getString(0));
                                    }
                                    String[] locations = Arrays.stream(ids)
                                            .map(id -> TraceService.artifactLocation(root, id))
                                            .toArray(String[]::new);
                                    return conn.preparedQuery("INSERT INTO tracking.trace_tags (request_id, key, value)"
                                                    + " SELECT id, k, v FROM unnest($1::text[], $2::text[], $3::text[]) AS x(id, loc, nm),"
                                                    + " LATERAL (VALUES ($4, CASE WHEN nm IS NOT NULL THEN $7 END), ($5, loc),"
                                                    + " ($6, nm)) AS kv(k, v)"
                                                    + " WHERE v IS NOT NULL ON CONFLICT (request_id, key) DO NOTHING")
                                            .execute(Tuple.from(new Object[] {
                                                ids,
                                                locations,
                                                names,
                                                TraceInfo.SPANS_LOCATION,
                                                TraceInfo.ARTIFACT_LOCATION,
                                                TraceInfo.TRACE_NAME,
                                                TraceInfo.TRACKING_STORE
                                            }));
                                })
                                .flatMap(v -> conn.preparedQuery(
                                                "INSERT INTO tracking.spans (trace_id, span_id,"
                                                        + " experiment_id, parent_span_id, name, type, status,"
                                                        + " start_time_unix_nano, end_time_unix_nano, content)"
                                                        + " SELECT t, s, $1, p, n, ty, st, b, e, c FROM unnest($2::text[],"
                                                        + " $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
                                                        + " $8::bigint[], $9::bigint[], $10::bytea[]) AS x(t, s, p, n, ty, st, b, e, c)"
                                                        + " ON CONFLICT (trace_id, span_id) DO UPDATE SET"
                                                        + " parent_span_id = EXCLUDED.parent_span_id, name = EXCLUDED.name,"
                                                        + " type = EXCLUDED.type, status = EXCLUDED.status,"
                                                        + " start_time_unix_nano = EXCLUDED.start_time_unix_nano,"
                                                        + " end_time_unix_nano = EXCLUDED.end_time_unix_nano, content = EXCLUDED.content")
                                        .execute(Tuple.from(new Object[] {
                                            experimentId,
                                            spanTrace,
                                            spanIds,
                                            parents,
                                            spanNames,
                                            types,
                                            statuses,
                                            spanStarts,
                                            spanEnds,
                                            contents
                                        })))))
                .replaceWithVoid();
    }

    /** An experiment as a write of spans into it needs it. */
    public record ExperimentRow(long id, String artifactLocation, String lifecycleStage) {}

    /** The bytes the stored spans of these traces take (the OTLP spans as sent), counted without reading them. */
    public Uni<Long> spanBytes(List<String> traceIds) {
        return pool.preparedQuery(
                        "SELECT COALESCE(sum(octet_length(content)), 0) FROM tracking.spans WHERE trace_id = ANY($1)")
                .execute(Tuple.of((Object) traceIds.toArray(new String[0])))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /** Spans of these traces (OTLP bytes), by trace, in start order. */
    public Uni<Map<String, List<byte[]>>> spans(List<String> traceIds) {
        return pool.preparedQuery("SELECT trace_id, content FROM tracking.spans WHERE trace_id = ANY($1)"
                        + " ORDER BY trace_id, start_time_unix_nano, span_id")
                .execute(Tuple.of((Object) traceIds.toArray(new String[0])))
                .map(rows -> {
                    Map<String, List<byte[]>> byTrace = new HashMap<>();
                    rows.forEach(r -> byTrace.computeIfAbsent(r.getString(0), k -> new ArrayList<>())
                            .add(r.getBuffer(1).getBytes()));
                    return byTrace;
                });
    }

    /** The traces with these ids (unknown ones left out), optionally only of these experiments. */
    public Uni<List<TraceInfo>> findAll(List<String> traceIds, Long[] experimentIds) {
        SqlQuery q = new SqlQuery()
                .append("SELECT " + TraceSearchSql.COLUMNS + " FROM tracking.trace_info t WHERE t.request_id = ANY(")
                .bind(traceIds.toArray(new String[0]))
                .append(")");
        if (experimentIds != null) {
            q.append(" AND t.experiment_id = ANY(").bind(experimentIds).append(")");
        }
        return search(q);
    }

    /** One trace's span extent and root, gathered before the batch is written. */
    private static final class TraceSpans {
        long startNs = Long.MAX_VALUE;
        Long endNs;
        SpanRow root;

        void add(SpanRow s) {
            startNs = Math.min(startNs, s.startTimeUnixNano());
            if (s.endTimeUnixNano() != null) {
                endNs = endNs == null ? s.endTimeUnixNano() : Math.max(endNs, s.endTimeUnixNano());
            }
            if (s.isRoot()) {
                root = s;
            }
        }
    }

    /** A span batch named traces of another experiment; it was rolled back. */
    public static final class ForeignTraces extends RuntimeException {
        public final List<String> ids;

        ForeignTraces(List<String> ids) {
            super(null, null, false, false);
            this.ids = ids;
        }
    }

    /** A span batch would have made a trace hold too many spans; it was rolled back. */
    public static final class TooManySpans extends RuntimeException {
        public final String traceId;

        TooManySpans(String traceId) {
            super(null, null, false, false);
            this.traceId = traceId;
        }
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
                                tags.getOrDefault(id, List.of()),
                                r.getString("client_request_id"),
                                r.getString("request_preview"),
                                r.getString("response_preview")));
                    }
                    return traces;
                });
    }
}
