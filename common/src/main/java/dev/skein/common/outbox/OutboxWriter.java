package dev.skein.common.outbox;

import io.smallrye.mutiny.Uni;
import java.time.ZoneOffset;
import java.util.List;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Appends events to a service's outbox table within the caller's Hibernate Reactive transaction,
 * so they commit or roll back with the change they describe.
 */
public final class OutboxWriter {

    private OutboxWriter() {}

    /** @param table the outbox table, schema-qualified ({@code tracking.outbox}) */
    public static Uni<Void> append(Mutiny.Session session, String table, List<OutboxEvent> events) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (OutboxEvent e : events) {
            chain = chain.flatMap(v -> session.createNativeQuery("INSERT INTO " + table
                            + " (event_id, topic, partition_key, event_type, subject, payload, created_at)"
                            + " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
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
}
