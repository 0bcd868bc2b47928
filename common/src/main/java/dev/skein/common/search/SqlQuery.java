package dev.skein.common.search;

import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** SQL text with numbered placeholders and the values bound to them, built side by side. */
public final class SqlQuery {

    private final StringBuilder sql = new StringBuilder();
    private final List<Object> args = new ArrayList<>();

    public SqlQuery append(String text) {
        sql.append(text);
        return this;
    }

    /** Binds a value and appends its placeholder. */
    public SqlQuery bind(Object value) {
        args.add(value);
        sql.append('$').append(args.size());
        return this;
    }

    /**
     * Appends {@code <op> $n} for a scalar comparison, the value bound (numbers compared with an
     * attribute as integers, with a metric as doubles). LIKE patterns have no escape character,
     * as in SQLite (MLflow's default store): a backslash is a backslash.
     */
    public SqlQuery compare(Comparison c) {
        String op = c.op().equals("!=") ? "<>" : c.op();
        append(op).append(" ");
        if (c.number() != null) {
            bind(c.field().type() == Field.Type.ATTRIBUTE ? (Object) c.number().longValue() : c.number());
        } else {
            bind(c.text());
        }
        if (op.equals("LIKE") || op.equals("ILIKE")) {
            append(" ESCAPE ''");
        }
        return this;
    }

    /**
     * Appends {@code <column> <op> $n}, or for IN / NOT IN {@code [NOT] <column> = ANY($n)} with
     * the list bound as one text array, so a list of any length is one placeholder.
     */
    public SqlQuery compare(String column, Comparison c) {
        if (c.op().equals("IN") || c.op().equals("NOT IN")) {
            return append(c.op().equals("IN") ? "" : "NOT ")
                    .append(column)
                    .append(" = ANY(")
                    .bind(c.list().toArray(new String[0]))
                    .append(")");
        }
        return append(column).append(" ").compare(c);
    }

    /** Removes the last {@code chars} characters of SQL text (a trailing separator). */
    public SqlQuery dropLast(int chars) {
        sql.setLength(sql.length() - chars);
        return this;
    }

    public String sql() {
        return sql.toString();
    }

    public Tuple tuple() {
        return Tuple.from(args);
    }
}
