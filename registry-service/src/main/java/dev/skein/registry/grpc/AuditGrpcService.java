package dev.skein.registry.grpc;

import static dev.skein.common.grpc.Calls.unary;
import static dev.skein.registry.grpc.ProtoMapper.optional;

import dev.skein.proto.registry.v1.AuditEvent;
import dev.skein.proto.registry.v1.AuditService;
import dev.skein.proto.registry.v1.ListAuditEvents;
import dev.skein.registry.service.AuditService.Filter;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** The gRPC face of the audit trail: read only. */
@GrpcService
public class AuditGrpcService implements AuditService {

    private final dev.skein.registry.service.AuditService audit;

    public AuditGrpcService(dev.skein.registry.service.AuditService audit) {
        this.audit = audit;
    }

    @Override
    public Uni<ListAuditEvents.Response> listAuditEvents(ListAuditEvents r) {
        return unary(() -> audit.list(
                        new Filter(
                                optional(r.hasModel(), r.getModel()),
                                optional(r.hasActor(), r.getActor()),
                                optional(r.hasType(), r.getType()),
                                r.hasSince() ? r.getSince() : null,
                                r.hasUntil() ? r.getUntil() : null),
                        optional(r.hasPageToken(), r.getPageToken()),
                        r.getMaxResults())
                .map(page -> {
                    var b = ListAuditEvents.Response.newBuilder();
                    page.items()
                            .forEach(e -> b.addEvents(
                                    AuditEvent.newBuilder().setType(e.type()).setChange(e.change())));
                    if (page.nextPageToken() != null) {
                        b.setNextPageToken(page.nextPageToken());
                    }
                    return b.build();
                }));
    }
}
