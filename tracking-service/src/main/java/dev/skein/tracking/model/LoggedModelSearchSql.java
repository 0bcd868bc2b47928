package dev.skein.tracking.model;

import dev.skein.common.search.Comparison;
import dev.skein.common.search.Field;
import dev.skein.common.search.SqlQuery;
import java.util.List;
import java.util.Map;

/**
 * Turns a parsed logged-model search into one parameterised statement. Metric, param and tag
 * clauses are EXISTS on their tables (a metric clause matches if any point of that key — on one of
 * the given datasets, when some are — satisfies it, as MLflow's join does, without repeating a
 * model); ordering by a metric uses each model's latest point of that key (by timestamp, then
 * step), missing values last. Ties: newest first unless creation time orders, then model id.
 */
final class LoggedModelSearchSql {

    private static final Map<String, String> STATUS_NAMES = Map.of(
            "LOGGED_MODEL_PENDING", LoggedModel.PENDING,
            "LOGGED_MODEL_READY", LoggedModel.READY,
            "LOGGED_MODEL_UPLOAD_FAILED", LoggedModel.UPLOAD_FAILED);

    private LoggedModelSearchSql() {}

    static SqlQuery build(
            Long[] experimentIds,
            List<Comparison> filter,
            List<LoggedModelSearch.DatasetFilter> datasets,
            List<LoggedModelSearch.Order> order,
            int limit,
            long offset) {
        SqlQuery q = new SqlQuery()
                .append("SELECT ")
                .append(LoggedModelRepository.COLUMNS)
                .append(
                        " FROM tracking.logged_models m WHERE m.lifecycle_stage <> 'deleted' AND m.experiment_id = ANY(")
                .bind(experimentIds)
                .append(")");
        boolean metricFilter = false;
        for (Comparison c : filter) {
            q.append(" AND ");
            switch (c.field().type()) {
                case ATTRIBUTE -> compare(q, "m." + c.field().key(), statusNames(c));
                case METRIC -> {
                    metricFilter = true;
                    q.append("EXISTS (SELECT 1 FROM tracking.logged_model_metrics x WHERE x.model_id = m.model_id"
                                    + " AND x.key = ")
                            .bind(c.field().key())
                            .append(" AND ");
                    compare(q, "x.value", c);
                    datasets(q, datasets);
                    q.append(")");
                }
                default -> {
                    String table = c.field().type() == Field.Type.PARAM
                            ? "tracking.logged_model_params"
                            : "tracking.logged_model_tags";
                    q.append("EXISTS (SELECT 1 FROM ")
                            .append(table)
                            .append(" x WHERE x.model_id = m.model_id AND x.key = ")
                            .bind(c.field().key())
                            .append(" AND ");
                    compare(q, "x.value", c);
                    q.append(")");
                }
            }
        }
        if (!datasets.isEmpty() && !metricFilter) {
            q.append(" AND EXISTS (SELECT 1 FROM tracking.logged_model_metrics x WHERE x.model_id = m.model_id");
            datasets(q, datasets);
            q.append(")");
        }
        q.append(" ORDER BY ");
        boolean byCreation = false;
        for (LoggedModelSearch.Order o : order) {
            if (o.column() != null) {
                byCreation |= o.column().equals("creation_timestamp_ms");
                q.append("m.").append(o.column());
                if (!o.column().endsWith("_ms") && !o.column().equals("experiment_id")) {
                    q.append(" COLLATE \"C\""); // byte order, as MLflow's stores sort strings
                }
            } else {
                q.append("(SELECT x.value FROM tracking.logged_model_metrics x WHERE x.model_id = m.model_id"
                                + " AND x.key = ")
                        .bind(o.metric());
                if (o.datasetName() != null) {
                    q.append(" AND x.dataset_name = ").bind(o.datasetName());
                }
                if (o.datasetDigest() != null) {
                    q.append(" AND x.dataset_digest = ").bind(o.datasetDigest());
                }
                q.append(" ORDER BY x.timestamp DESC, x.step DESC, x.value DESC LIMIT 1)");
            }
            q.append(o.ascending() ? " ASC NULLS LAST, " : " DESC NULLS LAST, ");
        }
        if (!byCreation) {
            q.append("m.creation_timestamp_ms DESC, ");
        }
        q.append("m.model_id COLLATE \"C\" ASC LIMIT ")
                .bind(limit)
                .append(" OFFSET ")
                .bind(offset);
        return q;
    }

    /** Metrics on any of these datasets (name, and digest when given). */
    private static void datasets(SqlQuery q, List<LoggedModelSearch.DatasetFilter> datasets) {
        if (datasets.isEmpty()) {
            return;
        }
        q.append(" AND (");
        for (LoggedModelSearch.DatasetFilter d : datasets) {
            q.append("(x.dataset_name = ").bind(d.name());
            if (d.digest() != null) {
                q.append(" AND x.dataset_digest = ").bind(d.digest());
            }
            q.append(") OR ");
        }
        q.dropLast(4).append(")");
    }

    /** {@code status} compares with MLflow's status names; the proto's names are accepted too. */
    private static Comparison statusNames(Comparison c) {
        if (!c.field().key().equals("status")) {
            return c;
        }
        if (c.list() != null) {
            return new Comparison(
                    c.field(),
                    c.op(),
                    null,
                    null,
                    c.list().stream().map(v -> STATUS_NAMES.getOrDefault(v, v)).toList());
        }
        return new Comparison(c.field(), c.op(), STATUS_NAMES.getOrDefault(c.text(), c.text()), c.number(), null);
    }

    private static void compare(SqlQuery q, String column, Comparison c) {
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
}
