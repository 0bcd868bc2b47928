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

    private static final java.util.Set<Field.Type> KEYED =
            java.util.EnumSet.of(Field.Type.METRIC, Field.Type.PARAM, Field.Type.TAG);

    private static final java.util.Set<String> NUMERIC_ATTRIBUTES = java.util.Set.of("start_time", "end_time");

    private RunSearchSql() {}

    /**
     * Where the previous page of a search ordered by one metric, param or tag ended: its last run's
     * value of the key (a metric's as {@link Double#toString}), start time and id. The next page is
     * the runs after it in the search's order (keyset paging), so it walks from there instead of
     * from the first run again. Only for a last run that has the key (a metric's: a number).
     */
    public record After(String value, Long startTime, String runId) {}

    /** Whether pages of a search in this order can start {@link After} a run. */
    public static boolean keyset(List<OrderBy> orderBy) {
        return orderBy.size() == 1 && KEYED.contains(orderBy.get(0).field().type());
    }

    public static SqlQuery build(
            Long[] experimentIds,
            String[] lifecycleStages,
            List<Comparison> filter,
            List<OrderBy> orderBy,
            int limit,
            long offset,
            long snapshot) {
        return build(experimentIds, lifecycleStages, filter, orderBy, limit, offset, snapshot, null);
    }

    /**
     * The search's statement; with {@code after} (only where {@link #keyset} holds) the page starts
     * after that run and {@code offset} is not used. A statement ordered by a key also returns each
     * run's {@code sort_group} (0: it has a value — for a metric a number; 1: NaN; 2: none) and its
     * {@code sort_value}.
     */
    public static SqlQuery build(
            Long[] experimentIds,
            String[] lifecycleStages,
            List<Comparison> filter,
            List<OrderBy> orderBy,
            int limit,
            long offset,
            long snapshot,
            After after) {
        if (!orderBy.isEmpty() && KEYED.contains(orderBy.get(0).field().type())) {
            if (after != null && !keyset(orderBy)) {
                throw new IllegalArgumentException("keyset paging needs a single metric, param or tag order");
            }
            return byKey(
                    experimentIds,
                    lifecycleStages,
                    filter,
                    orderBy,
                    limit,
                    after != null ? 0 : offset,
                    snapshot,
                    after);
        }
        SqlQuery q = new SqlQuery().append("SELECT ").append(COLUMNS).append(" FROM ");
        experimentIds = java.util.Arrays.stream(experimentIds).distinct().toArray(Long[]::new);
        if (merged(experimentIds, lifecycleStages, filter, snapshot)) {
            // each experiment's first offset + limit runs on their own (read in order from its index
            // where the order is start time), then those put in order: never every run of them all
            String n = Long.toString(offset + limit);
            q.append("(");
            for (int i = 0; i < experimentIds.length; i++) {
                q.append(i == 0 ? "(SELECT " : " UNION ALL (SELECT ")
                        .append(COLUMNS)
                        .append(" FROM tracking.runs r WHERE ");
                where(q, new Long[] {experimentIds[i]}, lifecycleStages, filter, snapshot);
                q.append(" ORDER BY ");
                orderKeys(q, orderBy);
                q.append(TIE_BREAK).append(" LIMIT ").append(n).append(")");
            }
            q.append(") r");
        } else {
            q.append("tracking.runs r WHERE ");
            where(q, experimentIds, lifecycleStages, filter, snapshot);
        }
        q.append(" ORDER BY ");
        orderKeys(q, orderBy);
        q.append(TIE_BREAK).append(" LIMIT ").append(Integer.toString(limit));
        if (offset > 0) {
            q.append(" OFFSET ").append(Long.toString(offset));
        }
        return q;
    }

    /**
     * How far a search ordered by a key walks the key's index before it reads and sorts the searched
     * runs instead: {@code WALK_PER_RUN} entries per run wanted (offset + limit) plus {@code WALK_MIN}.
     * The walk passes the key's entries in every experiment and those its filter refuses; 50 per run
     * finds a page where a twentieth of the entries walked match.
     */
    private static final long WALK_PER_RUN = 50;

    private static final long WALK_MIN = 1000;

    /**
     * Up to how many experiments a search not ordered by a key reads each experiment's first runs on
     * its own and merges them; past it, one scan of them all.
     */
    private static final int MAX_MERGED = 100;

    /** At most this many values bound across a merged search's branches (PostgreSQL takes 65,535). */
    private static final int MAX_MERGED_BINDS = 10_000;

    /**
     * Whether a search of several experiments not ordered by a key is better read an experiment at a
     * time: only where its filter tests the run's own columns (each branch then walks its experiment's
     * index; a metric, param, tag or dataset clause would repeat its table's index work in every
     * branch), for at most {@link #MAX_MERGED} experiments and {@link #MAX_MERGED_BINDS} values.
     */
    private static boolean merged(
            Long[] experimentIds, String[] lifecycleStages, List<Comparison> filter, long snapshot) {
        if (experimentIds.length < 2 || experimentIds.length > MAX_MERGED) {
            return false;
        }
        if (!filter.stream().allMatch(c -> c.field().type() == Field.Type.ATTRIBUTE)) {
            return false;
        }
        SqlQuery branch = new SqlQuery();
        where(branch, new Long[] {experimentIds[0]}, lifecycleStages, filter, snapshot);
        return (long) branch.tuple().size() * experimentIds.length <= MAX_MERGED_BINDS;
    }

    /** Characters of a param or tag value its (key, prefix) index holds. */
    private static final int PREFIX = 200;

    /** MLflow's tie-break after the requested keys: newest start first, then run id. */
    private static final String TIE_BREAK = "r.start_time DESC NULLS LAST, r.run_uuid ASC";

    /**
     * A search ordered first by a metric, a param or a tag, in MLflow's order: runs with a value for
     * it (by that value; for a metric only its numbers), then — for a metric — runs whose latest value
     * is NaN, then runs without it. Each group is read on its own, at most offset + limit runs of it,
     * and a later group only if the earlier ones came short (its gate a one-time filter). The first
     * group walks the key's (key, value) index in the requested order, at most {@code WALK_PER_RUN}
     * entries per run wanted, and keeps the searched runs that match: where those are a page's worth
     * it stops there instead of sorting every match. Where they are not — the key is common in other
     * experiments, or the filter refuses most runs — the searched runs are read and sorted instead,
     * as before the walk existed, so a walk never costs more than its cap on top of that. The groups
     * are then put in order again (at most 3 × (offset + limit) runs) and paged. Param and tag values
     * are walked by their first 200 characters in byte order (the index holds no more: a value can
     * exceed an index row), ties in those by the whole value — the same order as the whole value's.
     */
    private static SqlQuery byKey(
            Long[] experimentIds,
            String[] lifecycleStages,
            List<Comparison> filter,
            List<OrderBy> orderBy,
            int limit,
            long offset,
            long snapshot,
            After after) {
        OrderBy first = orderBy.get(0);
        Field key = first.field();
        boolean metric = key.type() == Field.Type.METRIC;
        String table = metric ? "latest_metrics" : key.type() == Field.Type.PARAM ? "params" : "tags";
        String none = metric ? "NULL::float8" : "NULL::text";
        List<OrderBy> rest = orderBy.subList(1, orderBy.size());
        String n = Long.toString(offset + limit);
        String direction = first.ascending() ? " ASC" : " DESC";
        String walk = metric
                ? "o.value" + direction
                : "left(o.value, 200) COLLATE \"C\"" + direction + ", o.value COLLATE \"C\"" + direction;
        long wanted = offset + limit;
        String cap = Long.toString(
                wanted > (Long.MAX_VALUE - WALK_MIN) / WALK_PER_RUN
                        ? Long.MAX_VALUE
                        : WALK_PER_RUN * wanted + WALK_MIN);
        // NaN is above every number: as an index condition (< NaN) a descending walk skips them
        String numbers = metric ? " AND o.value < 'NaN'::float8" : "";
        // the walk: the key's entries in order, in every experiment, at most cap of them, each looked
        // up by its run's id (never a join reading every run); it stops at the page's last match
        SqlQuery q = new SqlQuery().append("WITH walked AS MATERIALIZED (SELECT ");
        q.append(COLUMNS).append(", o.value AS sort_value FROM (SELECT o.run_uuid, o.value FROM tracking.");
        q.append(table).append(" o WHERE o.key = ").bind(key.key()).append(numbers);
        walkFrom(q, after, metric, first.ascending());
        q.append(" ORDER BY ").append(walk).append(" LIMIT ").append(cap).append(") o");
        q.append(
                " CROSS JOIN LATERAL (SELECT * FROM tracking.runs x0 WHERE x0.run_uuid = o.run_uuid OFFSET 0) r WHERE ");
        where(q, experimentIds, lifecycleStages, filter, snapshot);
        afterRun(q, after, metric, first.ascending());
        q.append(" ORDER BY ").append(walk).append(", ");
        orderKeys(q, rest);
        q.append(TIE_BREAK).append(" LIMIT ").append(n).append(")");
        // they are the group's first runs if the walk covered every entry of the key, or found a page's
        // worth and covered every entry up to the last one's value (ties included): fewer than cap
        // entries come before it. For params and tags by their indexed prefix: never fewer than exact
        String last = (first.ascending() ? "max" : "min") + "(%s" + (metric ? ")" : " COLLATE \"C\")");
        String upTo = metric
                ? "o.value " + (first.ascending() ? "<=" : ">=") + " (SELECT " + String.format(last, "sort_value")
                        + " FROM walked)"
                : "left(o.value, 200) COLLATE \"C\" " + (first.ascending() ? "<=" : ">=") + " (SELECT left("
                        + String.format(last, "sort_value") + ", 200) FROM walked)";
        q.append(", gate AS MATERIALIZED (SELECT CASE WHEN (SELECT count(*) FROM walked) = ")
                .append(n)
                .append(" THEN (SELECT count(*) FROM (SELECT FROM tracking.")
                .append(table)
                .append(" o WHERE o.key = ")
                .bind(key.key())
                .append(numbers);
        walkFrom(q, after, metric, first.ascending());
        // each count in the index's order: the planner then reads the index and stops at cap, where on
        // its own it may scan the whole table for a LIMIT it expects to reach early
        String indexOrder = metric ? "o.value" + direction : "left(o.value, 200) COLLATE \"C\"" + direction;
        q.append(" AND ")
                .append(upTo)
                .append(" ORDER BY ")
                .append(indexOrder)
                .append(" LIMIT ")
                .append(cap)
                .append(") c) ELSE (SELECT count(*) FROM (SELECT FROM tracking.")
                .append(table)
                .append(" o WHERE o.key = ")
                .bind(key.key())
                .append(numbers);
        walkFrom(q, after, metric, first.ascending());
        q.append(" ORDER BY ")
                .append(indexOrder)
                .append(" LIMIT ")
                .append(cap)
                .append(") c) END < ")
                .append(cap)
                .append(" AS walked_enough)");
        // otherwise the experiment's runs are read and sorted (an order the key's index cannot give)
        q.append(", sorted AS MATERIALIZED (SELECT * FROM (SELECT ")
                .append(COLUMNS)
                .append(", o.value AS sort_value FROM tracking.runs r JOIN tracking.")
                .append(table)
                .append(" o ON o.run_uuid = r.run_uuid AND o.key = ")
                .bind(key.key())
                .append(metric ? " AND o.value <> 'NaN'::float8" : "")
                .append(" WHERE ");
        if (after != null) {
            q.append("TRUE");
            afterRun(q, after, metric, first.ascending());
            q.append(" AND ");
        }
        gatedGroup(
                q,
                experimentIds,
                lifecycleStages,
                filter,
                snapshot,
                (metric ? "o.value + 0" : "(o.value || '') COLLATE \"C\"") + direction + ", ",
                rest,
                n,
                "NOT (SELECT walked_enough FROM gate)");
        q.append(", present AS MATERIALIZED (SELECT * FROM walked WHERE (SELECT walked_enough FROM gate)")
                .append(" UNION ALL SELECT * FROM sorted)");
        // each later group only if the earlier came short: the gate sits above the group's plan, which
        // is then never started
        String earlier = "(SELECT count(*) FROM present)";
        if (metric) {
            q.append(", nans AS MATERIALIZED (SELECT * FROM (SELECT ");
            q.append(COLUMNS)
                    .append(", NULL::float8 AS sort_value FROM tracking.latest_metrics o")
                    .append(" JOIN tracking.runs r ON r.run_uuid = o.run_uuid WHERE o.key = ")
                    .bind(key.key())
                    .append(" AND o.value = 'NaN'::float8 AND ");
            gatedGroup(q, experimentIds, lifecycleStages, filter, snapshot, "", rest, n, earlier + " < " + n);
            earlier += " + (SELECT count(*) FROM nans)";
        }
        q.append(", missing AS MATERIALIZED (SELECT * FROM (SELECT ");
        q.append(COLUMNS)
                .append(", ")
                .append(none)
                .append(" AS sort_value FROM tracking.runs r WHERE NOT EXISTS (SELECT 1 FROM tracking.")
                .append(table)
                .append(" x WHERE x.run_uuid = r.run_uuid AND x.key = ")
                .bind(key.key())
                // OFFSET 0 keeps it a probe per run: an anti-join may read the key's entries in every
                // experiment
                .append(" OFFSET 0) AND ");
        gatedGroup(q, experimentIds, lifecycleStages, filter, snapshot, "", rest, n, earlier + " < " + n);
        q.append(" SELECT ")
                .append(COLUMNS)
                .append(", r.sort_group, r.sort_value FROM (SELECT 0 AS sort_group, * FROM present")
                .append(metric ? " UNION ALL SELECT 1, * FROM nans" : "")
                .append(" UNION ALL SELECT 2, * FROM missing) r ORDER BY r.sort_group, r.sort_value")
                .append(metric ? "" : " COLLATE \"C\"")
                .append(direction)
                .append(", ");
        orderKeys(q, rest);
        q.append(TIE_BREAK).append(" LIMIT ").append(Integer.toString(limit));
        if (offset > 0) {
            q.append(" OFFSET ").append(Long.toString(offset));
        }
        return q;
    }

    /**
     * Starts a walk of the key's index at the value of the run a keyset page comes after (that run and
     * the others with its value included: {@link #afterRun} tells them apart).
     */
    private static void walkFrom(SqlQuery q, After after, boolean metric, boolean ascending) {
        if (after == null) {
            return;
        }
        String op = ascending ? " >= " : " <= ";
        if (metric) {
            q.append(" AND o.value").append(op).bind(Double.parseDouble(after.value()));
        } else {
            q.append(" AND left(o.value, 200) COLLATE \"C\"")
                    .append(op)
                    .append("left(")
                    .bind(after.value())
                    .append("::text, 200) COLLATE \"C\"");
        }
    }

    /**
     * {@code AND} the run (its value {@code o.value}) comes after the run a keyset page comes after:
     * a value further in the requested order, or the same value and a later tie-break (start time
     * newest first with none last, then run id).
     */
    private static void afterRun(SqlQuery q, After after, boolean metric, boolean ascending) {
        if (after == null) {
            return;
        }
        String value = metric ? "o.value" : "o.value COLLATE \"C\"";
        q.append(" AND (").append(value).append(ascending ? " > " : " < ");
        bindValue(q, after, metric);
        q.append(" OR (").append(value).append(" = ");
        bindValue(q, after, metric);
        q.append(" AND ");
        if (after.startTime() == null) {
            q.append("r.start_time IS NULL AND r.run_uuid > ").bind(after.runId());
        } else {
            q.append("(r.start_time < ")
                    .bind(after.startTime())
                    .append(" OR r.start_time IS NULL OR (r.start_time = ")
                    .bind(after.startTime())
                    .append(" AND r.run_uuid > ")
                    .bind(after.runId())
                    .append("))");
        }
        q.append("))");
    }

    private static void bindValue(SqlQuery q, After after, boolean metric) {
        if (metric) {
            q.bind(Double.parseDouble(after.value()));
        } else {
            q.bind(after.value()).append("::text COLLATE \"C\"");
        }
    }

    /**
     * Ends a group of a keyed search begun with {@code SELECT * FROM (SELECT … WHERE}: the searched
     * runs and the filter, the group's order ({@code first} — ending in ", " — the other keys, the
     * tie-break), at most {@code n} runs, and the gate above it all, so that a group whose gate is
     * false never starts its plan.
     */
    private static void gatedGroup(
            SqlQuery q,
            Long[] experimentIds,
            String[] lifecycleStages,
            List<Comparison> filter,
            long snapshot,
            String first,
            List<OrderBy> rest,
            String n,
            String gate) {
        where(q, experimentIds, lifecycleStages, filter, snapshot);
        q.append(" ORDER BY ").append(first);
        orderKeys(q, rest);
        q.append(TIE_BREAK)
                .append(" LIMIT ")
                .append(n)
                .append(") g WHERE ")
                .append(gate)
                .append(")");
    }

    /** The runs searched (experiments, lifecycle stages, up to the snapshot) and the filter's clauses. */
    private static void where(
            SqlQuery q, Long[] experimentIds, String[] lifecycleStages, List<Comparison> filter, long snapshot) {
        if (experimentIds.length == 1) {
            // not = ANY: PostgreSQL (before 17) reads an index in order only for a plain equality
            q.append("r.experiment_id = ").bind(experimentIds[0]);
        } else {
            q.append("r.experiment_id = ANY(").bind(experimentIds).append(")");
        }
        q.append(" AND r.lifecycle_stage = ANY(")
                .bind(lifecycleStages)
                .append(") AND r.seq <= ")
                .bind(snapshot);
        for (Comparison c : filter) {
            q.append(" AND ");
            clause(q, c);
        }
    }

    /**
     * The requested sort keys, each followed by ", ". Missing values sort last either way, and a
     * metric's NaN after its numbers but before runs without it, as MLflow's SQL store sorts.
     */
    private static void orderKeys(SqlQuery q, List<OrderBy> orderBy) {
        for (OrderBy o : orderBy) {
            if (o.field().type() == Field.Type.METRIC) {
                q.append("(SELECT CASE WHEN x.value = 'NaN'::float8 THEN 1 ELSE 0 END FROM tracking.latest_metrics x")
                        .append(" WHERE x.run_uuid = r.run_uuid AND x.key = ")
                        .bind(o.field().key())
                        .append(") ASC NULLS LAST, ");
            }
            sortKey(q, o.field());
            if (o.field().type() != Field.Type.METRIC
                    && !NUMERIC_ATTRIBUTES.contains(o.field().key())) {
                // byte order, as MLflow's stores sort strings, whatever the database's collation
                q.append(" COLLATE \"C\"");
            }
            q.append(o.ascending() ? " ASC NULLS LAST, " : " DESC NULLS LAST, ");
        }
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
                        .append(" AND ");
                if (c.op().equals("=") && c.text().codePointCount(0, c.text().length()) < PREFIX) {
                    // the same test as on the whole value (bytewise, as equality is, and a value whose
                    // first 200 characters are a shorter string is that string), answered by the
                    // (key, prefix) index where the matching runs are few
                    q.append("left(x.value, 200) COLLATE \"C\" = ")
                            .bind(c.text())
                            .append(" COLLATE \"C\"");
                } else {
                    q.append("x.value ");
                    q.compare(c);
                }
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
                    String[] range = f.key().equals("run_name") && c.op().equals("LIKE") ? prefixRange(c.text()) : null;
                    if (range != null) {
                        // the names a LIKE 'prefix…' can match, as a range of the (experiment, name
                        // prefix) index: the planner weighs it against walking the runs newest first
                        q.append(" AND left(r.name, 200) COLLATE \"C\" >= ")
                                .bind(range[0])
                                .append(" COLLATE \"C\"");
                        if (range[1] != null) {
                            q.append(" AND left(r.name, 200) COLLATE \"C\" < ")
                                    .bind(range[1])
                                    .append(" COLLATE \"C\"");
                        }
                    }
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

    /**
     * The byte-order range of the first 200 characters of every string a LIKE pattern (no escape
     * character) matches: from its literal beginning (up to the first {@code %} or {@code _}) to the
     * next string of that length, null where no range narrows it (the pattern begins with a wildcard,
     * or its beginning is longer than the index holds); the upper end null when nothing follows it.
     */
    static String[] prefixRange(String pattern) {
        int end = 0;
        while (end < pattern.length() && pattern.charAt(end) != '%' && pattern.charAt(end) != '_') {
            end++;
        }
        String prefix = pattern.substring(0, end);
        if (prefix.isEmpty() || prefix.codePointCount(0, prefix.length()) > PREFIX) {
            return null;
        }
        int[] points = prefix.codePoints().toArray();
        for (int i = points.length - 1; i >= 0; i--) {
            int next = points[i] + 1;
            if (next == Character.MIN_SURROGATE) {
                next = Character.MAX_SURROGATE + 1; // no string holds a lone surrogate
            }
            if (next <= Character.MAX_CODE_POINT) {
                points[i] = next;
                return new String[] {prefix, new String(points, 0, i + 1)};
            }
        }
        return new String[] {prefix, null};
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
