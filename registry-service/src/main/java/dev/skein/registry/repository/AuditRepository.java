package dev.skein.registry.repository;

import dev.skein.registry.AuditRecord;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import jakarta.enterprise.context.ApplicationScoped;

/** Appends to the audit trail. It has no update or delete: the table refuses both. */
@ApplicationScoped
public class AuditRepository implements PanacheRepositoryBase<AuditRecord, Long> {}
