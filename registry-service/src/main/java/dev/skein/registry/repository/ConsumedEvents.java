package dev.skein.registry.repository;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The ids of events consumed from other services ({@code registry.consumed_events}), written through
 * the current session, so in the transaction of the change the event makes: the change and the
 * record that it was made commit together.
 */
@ApplicationScoped
public class ConsumedEvents {

    /**
     * Records that {@code consumer} consumes this event now; false if it had already (a committed
     * record, or one committing in another transaction, which this one waits for).
     */
    public Uni<Boolean> claim(String consumer, String eventId, long now) {
        return Panache.getSession()
                .flatMap(s -> s.createNativeQuery("INSERT INTO registry.consumed_events (consumer, event_id,"
                                + " consumed_at) VALUES (?1, ?2, ?3) ON CONFLICT (consumer, event_id) DO NOTHING")
                        .setParameter(1, consumer)
                        .setParameter(2, eventId)
                        .setParameter(3, now)
                        .executeUpdate())
                .map(inserted -> inserted == 1);
    }
}
