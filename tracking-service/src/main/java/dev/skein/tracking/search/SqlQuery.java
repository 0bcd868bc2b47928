package dev.skein.tracking.search;

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
