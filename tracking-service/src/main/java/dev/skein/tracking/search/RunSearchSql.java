package dev.skein.tracking.search;

import dev.skein.common.search.Comparison;
import dev.skein.common.search.Field;
import dev.skein.common.search.OrderBy;
import dev.skein.common.search.SqlQuery;
import java.util.List;
import java.util.Map;

/**
 * Turns a parsed run search into one parameterised statement over the {@code tracking} schema.
 * Each metric, param, tag and dataset clause is an EXISTS on its own table (a run lacking the key
 * never matches); order-by on those is a scalar subquery with missing values last; ties are
 * broken by start time (newest first), then run id — MLflow's order. Only runs inserted up to the
 * search's snapshot are seen, so that its pages stay put while runs are created.
 */
public final class RunSearchSql {

    public static final String COLUMNS = "r.run_uuid, r.experiment_id, r.name, r.user_id, r.status, r.start_time,"
            + " r.end_time, r.deleted_time, r.lifecycle_stage, r.artifact_uri";

    private static final Map<String, String> ATTRIBUTE_COLUMNS = Map.of(
            "run_id", "r.run_uuid",
            "run_name", "r.name",
            "status", "r.status",
            "user_id", "r.user_id",
            "artifact_uri", "r.artifact_uri",
            "start_time", "r.start_time",
            "end_time", "r.end_time");

    private static final java.util.Set<String> NUMERIC_ATTRIBUTES = java.util.Set.of("start_time", "end_time");

    private RunSearchSql() {}

    public static SqlQuery build(
            Long[] experimentIds,
            String[] lifecycleStages,
            List<Comparison> filter,
            List<OrderBy> orderBy,
            int limit,
            long offset,
            long snapshot) {
        SqlQuery q = new SqlQuery()
                .append("SELECT ")
                .append(COLUMNS)
                .append(" FROM tracking.runs r WHERE r.experiment_id = ANY(")
                .bind(experimentIds)
                .append(") AND r.lifecycle_stage = ANY(")
                .bind(lifecycleStages)
                .append(") AND r.seq <= ")
                .bind(snapshot);
        for (Comparison c : filter) {
            q.append(" AND ");
            clause(q, c);
        }
        q.append(" ORDER BY ");
        for (OrderBy o : orderBy) {
            sortKey(q, o.field());
            if (o.field().type() != Field.Type.METRIC
                    && !NUMERIC_ATTRIBUTES.contains(o.field().key())) {
                // byte order, as MLflow's stores sort strings, whatever the database's collation
                q.append(" COLLATE \"C\"");
            }
            q.append(o.ascending() ? " ASC NULLS LAST, " : " DESC NULLS LAST, ");
        }
        q.append("r.start_time DESC NULLS LAST, r.run_uuid ASC LIMIT ")
                .bind(limit)
                .append(" OFFSET ")
                .bind(offset);
        return q;
    }

    private static void clause(SqlQuery q, Comparison c) {
        Field f = c.field();
        switch (f.type()) {
            case METRIC -> {
                q.append("EXISTS (SELECT 1 FROM tracking.latest_metrics x WHERE x.run_uuid = r.run_uuid AND x.key = ")
                        .bind(f.key())
                        .append(" AND x.value <> 'NaN'::float8 AND x.value ");
                q.compare(c);
                q.append(")");
            }
            case PARAM, TAG -> {
                q.append("EXISTS (SELECT 1 FROM tracking.")
                        .append(f.type() == Field.Type.PARAM ? "params" : "tags")
                        .append(" x WHERE x.run_uuid = r.run_uuid AND x.key = ")
                        .bind(f.key())
                        .append(" AND x.value ");
                q.compare(c);
                q.append(")");
            }
            case ATTRIBUTE -> {
                String column = ATTRIBUTE_COLUMNS.get(f.key());
                if (c.op().equals("IN") || c.op().equals("NOT IN")) {
                    q.append(c.op().equals("IN") ? "" : "NOT ")
                            .append(column)
                            .append(" = ANY(")
                            .bind(c.list().toArray(new String[0]))
                            .append(")");
                } else {
                    q.append(column).append(" ");
                    q.compare(c);
                }
            }
            case DATASET -> {
                if (f.key().equals("context")) {
                    q.append(
                            "EXISTS (SELECT 1 FROM tracking.inputs i JOIN tracking.input_tags t ON t.input_uuid = i.input_uuid"
                                    + " WHERE i.run_uuid = r.run_uuid AND t.name = 'mlflow.data.context' AND ");
                    q.compare("t.value", c);
                } else {
                    q.append(
                            "EXISTS (SELECT 1 FROM tracking.inputs i JOIN tracking.datasets d ON d.dataset_uuid = i.dataset_uuid"
                                    + " WHERE i.run_uuid = r.run_uuid AND ");
                    q.compare("d." + f.key(), c);
                }
                q.append(")");
            }
        }
    }

    private static void sortKey(SqlQuery q, Field f) {
        switch (f.type()) {
            case METRIC ->
                q.append("(SELECT x.value FROM tracking.latest_metrics x WHERE x.run_uuid = r.run_uuid AND x.key = ")
                        .bind(f.key())
                        .append(")");
            case PARAM, TAG ->
                q.append("(SELECT x.value FROM tracking.")
                        .append(f.type() == Field.Type.PARAM ? "params" : "tags")
                        .append(" x WHERE x.run_uuid = r.run_uuid AND x.key = ")
                        .bind(f.key())
                        .append(")");
            case ATTRIBUTE -> q.append(ATTRIBUTE_COLUMNS.get(f.key()));
            case DATASET -> throw new IllegalArgumentException("datasets cannot order runs");
        }
    }
}
