package dev.skein.registry.repository;

import dev.skein.common.search.SqlQuery;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the audit trail ({@code registry.audit_events}) in the order it was written; {@link
 * AuditRepository} appends to it.
 */
@ApplicationScoped
public class AuditEvents {

    /** Which records to read, as stored; a null member does not filter. Times are inclusive. */
    public record Criteria(String model, String actor, String type, Long since, Long until) {}

    /** A record: its place in the trail, its CloudEvent type and the change as JSON. */
    public record Stored(long seq, String type, String change) {}

    private final Pool pool;

    public AuditEvents(Pool pool) {
        this.pool = pool;
    }

    /**
     * The first {@code limit} records after sequence number {@code after} that meet the criteria.
     * The statement names only the criteria given, each value bound, so the planner sees which
     * columns are compared and can read the index that leads with one of them ({@code (model_name,
     * seq)}, {@code (actor, seq)}, {@code (type, seq)}, {@code (time, seq)}) instead of walking the
     * whole trail for a rare actor or kind.
     */
    public Uni<List<Stored>> after(long after, Criteria c, int limit) {
        SqlQuery q = new SqlQuery()
                .append("SELECT seq, type, change FROM registry.audit_events WHERE seq > ")
                .bind(after);
        where(q, "model_name =", c.model());
        where(q, "actor =", c.actor());
        where(q, "type =", c.type());
        where(q, "time >=", c.since());
        where(q, "time <=", c.until());
        q.append(" ORDER BY seq LIMIT ").bind(limit);
        return pool.preparedQuery(q.sql()).execute(q.tuple()).map(rows -> {
            List<Stored> stored = new ArrayList<>();
            for (Row r : rows) {
                stored.add(new Stored(r.getLong("seq"), r.getString("type"), r.getString("change")));
            }
            return stored;
        });
    }

    private static void where(SqlQuery q, String comparison, Object value) {
        if (value != null) {
            q.append(" AND ").append(comparison).append(" ").bind(value);
        }
    }
}
