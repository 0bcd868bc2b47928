package dev.skein.tracking.repository;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.tracking.OutboxRecord;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** Writes events into the outbox within the caller's transaction. */
@ApplicationScoped
public class OutboxRepository implements PanacheRepositoryBase<OutboxRecord, Long> {

    public Uni<Void> add(List<OutboxEvent> events) {
        // Panache refuses to persist an empty stream
        return events.isEmpty()
                ? Uni.createFrom().voidItem()
                : persist(events.stream().map(OutboxRecord::of)).replaceWithVoid();
    }
}
