package dev.skein.registry.search;

import dev.skein.common.search.Comparison;
import dev.skein.common.search.Field;
import dev.skein.common.search.OrderBy;
import dev.skein.common.search.SqlQuery;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parameterised statements for registry searches. They return keys only (model id, version); the
 * entities are then read through Hibernate. Strings sort in byte order, as in MLflow's stores.
 */
public final class RegistrySearchSql {

    private static final Map<String, String> MODEL_COLUMNS = Map.of(
            "name", "m.name",
            "creation_timestamp", "m.creation_time",
            "last_updated_timestamp", "m.last_updated_time");

    private static final Map<String, String> VERSION_COLUMNS = Map.of(
            "name", "m.name",
            "run_id", "v.run_id",
            "source_path", "v.source",
            "version_number", "v.version",
            "creation_timestamp", "v.creation_time",
            "last_updated_timestamp", "v.last_updated_time");

    /** MLflow's tag that makes a registered model or a model version a prompt. */
    public static final String PROMPT_TAG = "mlflow.prompt.is_prompt";

    private RegistrySearchSql() {}

    /**
     * Whether a filter asks for prompts, by MLflow's SQL store's rule: its first comparison on the
     * prompt tag is {@code = 'true'} or {@code != 'false'} (the value in any case). Any other
     * filter — none, {@code != 'true'}, {@code = 'false'} — asks for models: prompts are left out
     * and a model without the tag matches, which a plain tag comparison could not express.
     */
    static boolean asksForPrompts(List<Comparison> filter) {
        for (Comparison c : filter) {
            if (isPromptTag(c)) {
                String value = c.text() == null ? "" : c.text().toLowerCase(Locale.ROOT);
                return (c.op().equals("=") && value.equals("true")) || (c.op().equals("!=") && value.equals("false"));
            }
        }
        return false;
    }

    private static boolean isPromptTag(Comparison c) {
        return c.field().type() == Field.Type.TAG && c.field().key().equals(PROMPT_TAG);
    }

    /**
     * The comparisons to apply as written: all of them when prompts are asked for; otherwise all
     * but those on the prompt tag, which become the exclusion of prompts.
     */
    private static List<Comparison> applied(List<Comparison> filter, boolean prompts) {
        return prompts ? filter : filter.stream().filter(c -> !isPromptTag(c)).toList();
    }

    /** Registered models; ties broken by name. Prompts only when the filter asks for them. */
    public static SqlQuery models(List<Comparison> filter, List<OrderBy> orderBy, int limit, long offset) {
        SqlQuery q = new SqlQuery().append("SELECT m.model_id FROM registry.registered_models m WHERE TRUE");
        boolean prompts = asksForPrompts(filter);
        if (!prompts) {
            q.append(" AND NOT EXISTS (SELECT 1 FROM registry.registered_model_tags p"
                            + " WHERE p.model_id = m.model_id AND p.key = ")
                    .bind(PROMPT_TAG)
                    .append(" AND p.value = 'true')");
        }
        for (Comparison c : applied(filter, prompts)) {
            q.append(" AND ");
            if (c.field().type() == Field.Type.TAG) {
                q.append(
                                "EXISTS (SELECT 1 FROM registry.registered_model_tags x WHERE x.model_id = m.model_id AND x.key = ")
                        .bind(c.field().key())
                        .append(" AND x.value ")
                        .compare(c)
                        .append(")");
            } else {
                q.append(MODEL_COLUMNS.get(c.field().key())).append(" ").compare(c);
            }
        }
        q.append(" ORDER BY ");
        order(q, orderBy, MODEL_COLUMNS);
        return q.append("m.name COLLATE \"C\" ASC LIMIT ")
                .bind(limit)
                .append(" OFFSET ")
                .bind(offset);
    }

    /**
     * Model versions; ties broken by model name, then newest version first. Without an order, the
     * most recently updated first (MLflow's default).
     */
    public static SqlQuery versions(List<Comparison> filter, List<OrderBy> orderBy, int limit, long offset) {
        SqlQuery q = new SqlQuery()
                .append("SELECT v.model_id, v.version FROM registry.model_versions v"
                        + " JOIN registry.registered_models m ON m.model_id = v.model_id WHERE TRUE");
        boolean prompts = asksForPrompts(filter);
        if (!prompts) {
            // as MLflow's SQL store: a model with any version tagged as a prompt is left out whole
            q.append(" AND NOT EXISTS (SELECT 1 FROM registry.model_version_tags p"
                            + " WHERE p.model_id = v.model_id AND p.key = ")
                    .bind(PROMPT_TAG)
                    .append(" AND p.value = 'true')");
        }
        for (Comparison c : applied(filter, prompts)) {
            q.append(" AND ");
            if (c.field().type() == Field.Type.TAG) {
                q.append("EXISTS (SELECT 1 FROM registry.model_version_tags x WHERE x.model_id = v.model_id"
                                + " AND x.version = v.version AND x.key = ")
                        .bind(c.field().key())
                        .append(" AND x.value ")
                        .compare(c)
                        .append(")");
            } else if (c.op().equals("IN") || c.op().equals("NOT IN")) {
                q.append(c.op().equals("IN") ? "" : "NOT ")
                        .append(VERSION_COLUMNS.get(c.field().key()))
                        .append(" = ANY(")
                        .bind(c.list().toArray(new String[0]))
                        .append(")");
            } else {
                q.append(VERSION_COLUMNS.get(c.field().key())).append(" ").compare(c);
            }
        }
        q.append(" ORDER BY ");
        if (orderBy.isEmpty()) {
            q.append("v.last_updated_time DESC, ");
        }
        order(q, orderBy, VERSION_COLUMNS);
        return q.append("m.name COLLATE \"C\" ASC, v.version DESC LIMIT ")
                .bind(limit)
                .append(" OFFSET ")
                .bind(offset);
    }

    private static void order(SqlQuery q, List<OrderBy> orderBy, Map<String, String> columns) {
        for (OrderBy o : orderBy) {
            String column = columns.get(o.field().key());
            q.append(column)
                    .append(column.equals("m.name") ? " COLLATE \"C\"" : "")
                    .append(o.ascending() ? " ASC, " : " DESC, ");
        }
    }
}
