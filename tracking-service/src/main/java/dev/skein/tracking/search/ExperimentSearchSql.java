package dev.skein.tracking.search;

import dev.skein.common.search.Comparison;
import dev.skein.common.search.Field;
import dev.skein.common.search.OrderBy;
import dev.skein.common.search.SqlQuery;
import java.util.List;
import java.util.Map;

/** Turns a parsed experiment search into one parameterised statement; MLflow's default order. */
public final class ExperimentSearchSql {

    public static final String COLUMNS =
            "e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, e.last_update_time";

    private static final Map<String, String> ATTRIBUTE_COLUMNS = Map.of(
            "name", "e.name",
            "experiment_id", "e.experiment_id",
            "creation_time", "e.creation_time",
            "last_update_time", "e.last_update_time");

    private ExperimentSearchSql() {}

    public static SqlQuery build(
            String[] lifecycleStages,
            List<Comparison> filter,
            List<OrderBy> orderBy,
            int limit,
            long offset,
            long snapshot) {
        SqlQuery q = new SqlQuery()
                .append("SELECT ")
                .append(COLUMNS)
                .append(" FROM tracking.experiments e WHERE e.lifecycle_stage = ANY(")
                .bind(lifecycleStages)
                .append(") AND e.experiment_id <= ")
                .bind(snapshot);
        for (Comparison c : filter) {
            q.append(" AND ");
            if (c.field().type() == Field.Type.TAG) {
                q.append(
                                "EXISTS (SELECT 1 FROM tracking.experiment_tags x WHERE x.experiment_id = e.experiment_id AND x.key = ")
                        .bind(c.field().key())
                        .append(" AND x.value ");
                q.compare(c);
                q.append(")");
            } else {
                q.append(ATTRIBUTE_COLUMNS.get(c.field().key())).append(" ");
                q.compare(c);
            }
        }
        List<OrderBy> order = orderBy.isEmpty()
                ? List.of(
                        new OrderBy(new Field(Field.Type.ATTRIBUTE, "creation_time"), false),
                        new OrderBy(new Field(Field.Type.ATTRIBUTE, "experiment_id"), true))
                : orderBy;
        q.append(" ORDER BY ");
        boolean byId = false;
        for (OrderBy o : order) {
            byId |= o.field().key().equals("experiment_id");
            q.append(ATTRIBUTE_COLUMNS.get(o.field().key()))
                    .append(o.field().key().equals("name") ? " COLLATE \"C\"" : "")
                    .append(o.ascending() ? " ASC, " : " DESC, ");
        }
        if (!byId) {
            q.append("e.experiment_id DESC, ");
        }
        q.dropLast(2);
        q.append(" LIMIT ").bind(limit).append(" OFFSET ").bind(offset);
        return q;
    }
}
