package dev.skein.common.outbox;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Appends events to a service's outbox table within the caller's transaction (Hibernate Reactive's
 * session, or the reactive SQL client's connection), so they commit or roll back with the change they
 * describe.
 */
public final class OutboxWriter {

    private static final String COLUMNS = " (event_id, topic, partition_key, event_type, subject, payload, created_at)";

    private OutboxWriter() {}

    /** @param table the outbox table, schema-qualified ({@code tracking.outbox}) */
    public static Uni<Void> append(Mutiny.Session session, String table, List<OutboxEvent> events) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (OutboxEvent e : events) {
            chain = chain.flatMap(v -> session.createNativeQuery(
                            "INSERT INTO " + table + COLUMNS + " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                    .setParameter(1, e.id())
                    .setParameter(2, e.topic())
                    .setParameter(3, e.key())
                    .setParameter(4, e.type())
                    .setParameter(5, e.subject())
                    .setParameter(6, e.payload())
                    .setParameter(7, e.time().atOffset(ZoneOffset.UTC))
                    .executeUpdate()
                    .replaceWithVoid());
        }
        return chain;
    }

    /**
     * The same on a reactive SQL client connection that holds the caller's transaction, in one batch (its own
     * name: a service without Hibernate Reactive cannot resolve the session overload).
     */
    public static Uni<Void> appendBatch(SqlConnection conn, String table, List<OutboxEvent> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Tuple> rows = new ArrayList<>();
        for (OutboxEvent e : events) {
            rows.add(Tuple.tuple(List.of(
                    e.id(),
                    e.topic(),
                    e.key(),
                    e.type(),
                    e.subject(),
                    e.payload(),
                    e.time().atOffset(ZoneOffset.UTC))));
        }
        return conn.preparedQuery("INSERT INTO " + table + COLUMNS + " VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .executeBatch(rows)
                .replaceWithVoid();
    }
}
