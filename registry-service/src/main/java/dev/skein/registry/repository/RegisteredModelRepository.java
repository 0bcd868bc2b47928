package dev.skein.registry.repository;

import dev.skein.registry.RegisteredModel;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.UUID;

@ApplicationScoped
public class RegisteredModelRepository implements PanacheRepositoryBase<RegisteredModel, UUID> {

    public Uni<RegisteredModel> findByName(String name) {
        return find("name", name).firstResult();
    }

    /**
     * The model, locked for the rest of the transaction: every change to a model (and to its
     * versions, tags and aliases) holds this lock, so changes of one model are serial — version
     * numbers and audit sequence numbers are handed out without gaps or duplicates.
     */
    public Uni<RegisteredModel> lockByName(String name) {
        return find("name", name).withLock(LockModeType.PESSIMISTIC_WRITE).firstResult();
    }
}
