package dev.skein.tracking.trace;

import dev.skein.common.error.ApiException;
import dev.skein.common.search.Comparison;
import dev.skein.common.search.Field;
import dev.skein.common.search.OrderBy;
import dev.skein.common.search.SqlQuery;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a parsed trace search into one parameterised statement. Tag and request-metadata clauses
 * are EXISTS on their tables (a trace lacking the key never matches); ordering on them is a scalar
 * subquery, missing values last; ties go newest first, then by request id — MLflow's order.
 */
final class TraceSearchSql {

    static final String COLUMNS = "t.request_id, t.experiment_id, t.timestamp_ms, t.execution_time_ms, t.status,"
            + " t.client_request_id, t.request_preview, t.response_preview";

    private static final Map<String, String> COLUMNS_BY_ATTRIBUTE = Map.of(
            "request_id", "t.request_id",
            "experiment_id", "t.experiment_id",
            "timestamp_ms", "t.timestamp_ms",
            "execution_time_ms", "t.execution_time_ms",
            "status", "t.status",
            "client_request_id", "t.client_request_id");

    private static final Set<String> NUMERIC = Set.of("experiment_id", "timestamp_ms", "execution_time_ms");

    private TraceSearchSql() {}

    static SqlQuery build(
            Long[] experimentIds, List<Comparison> filter, List<OrderBy> orderBy, int limit, long offset) {
        SqlQuery q = new SqlQuery().append("SELECT ").append(COLUMNS).append(" FROM tracking.trace_info t WHERE ");
        experiments(q, "t.experiment_id", experimentIds);
        for (Comparison c : filter) {
            q.append(" AND ");
            clause(q, mapped(c.field()), c, experimentIds);
        }
        q.append(" ORDER BY ");
        Set<Field> seen = new HashSet<>();
        for (OrderBy o : orderBy) {
            Field f = mapped(o.field());
            if (!seen.add(f)) {
                throw ApiException.invalidParameter("`order_by` contains duplicate fields: "
                        + orderBy.stream().map(x -> x.field().key()).toList());
            }
            sortKey(q, f);
            if (!(f.type() == Field.Type.ATTRIBUTE && NUMERIC.contains(f.key()))) {
                // byte order, as MLflow's stores sort strings, whatever the database's collation
                q.append(" COLLATE \"C\"");
            }
            q.append(o.ascending() ? " ASC NULLS LAST, " : " DESC NULLS LAST, ");
        }
        if (!seen.contains(new Field(Field.Type.ATTRIBUTE, "timestamp_ms"))) {
            q.append("t.timestamp_ms DESC, ");
        }
        if (!seen.contains(new Field(Field.Type.ATTRIBUTE, "request_id"))) {
            q.append("t.request_id COLLATE \"C\" ASC, ");
        }
        q.dropLast(2).append(" LIMIT ").bind(limit).append(" OFFSET ").bind(offset);
        return q;
    }

    /**
     * One experiment (the usual search) is an equality, not {@code = ANY}: PostgreSQL then reads the
     * experiment's traces newest first straight from index {@code trace_info_experiment_newest} and
     * stops at the page's end, where {@code = ANY} makes it read and sort them all.
     */
    private static void experiments(SqlQuery q, String column, Long[] experimentIds) {
        if (experimentIds.length == 1) {
            q.append(column + " = ").bind(experimentIds[0]);
        } else {
            q.append(column + " = ANY(").bind(experimentIds).append(")");
        }
    }

    /** {@code name} and {@code run_id} are a tag and a request metadata key, as in MLflow. */
    private static Field mapped(Field f) {
        if (f.type() == Field.Type.ATTRIBUTE && f.key().equals("name")) {
            return new Field(Field.Type.TAG, TraceInfo.TRACE_NAME);
        }
        if (f.type() == Field.Type.ATTRIBUTE && f.key().equals("run_id")) {
            return new Field(Field.Type.REQUEST_METADATA, TraceInfo.SOURCE_RUN);
        }
        return f;
    }

    private static String table(Field f) {
        return f.type() == Field.Type.TAG ? "tracking.trace_tags" : "tracking.trace_request_metadata";
    }

    private static void clause(SqlQuery q, Field f, Comparison c, Long[] experimentIds) {
        if (f.type() == Field.Type.ATTRIBUTE) {
            q.compare(COLUMNS_BY_ATTRIBUTE.get(f.key()), c);
            return;
        }
        if (f.type() == Field.Type.SPAN) {
            // the span's columns are fixed names (name, type, status), checked by the grammar. The
            // experiments are repeated here so the filter is a range of an (experiment_id, column,
            // trace_id) index; without them PostgreSQL reads every span of every experiment.
            q.append("EXISTS (SELECT 1 FROM tracking.spans s WHERE s.trace_id = t.request_id AND ");
            experiments(q, "s.experiment_id", experimentIds);
            q.append(" AND ");
            q.compare("s." + f.key(), c);
            q.append(")");
            return;
        }
        q.append("EXISTS (SELECT 1 FROM ")
                .append(table(f))
                .append(" x WHERE x.request_id = t.request_id AND x.key = ")
                .bind(f.key())
                .append(" AND ");
        q.compare("x.value", c);
        q.append(")");
    }

    private static void sortKey(SqlQuery q, Field f) {
        if (f.type() == Field.Type.ATTRIBUTE) {
            q.append(COLUMNS_BY_ATTRIBUTE.get(f.key()));
            return;
        }
        q.append("(SELECT x.value FROM ")
                .append(table(f))
                .append(" x WHERE x.request_id = t.request_id AND x.key = ")
                .bind(f.key())
                .append(")");
    }
}
