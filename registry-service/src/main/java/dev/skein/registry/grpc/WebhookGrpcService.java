package dev.skein.registry.grpc;

import static dev.skein.common.grpc.Calls.unary;
import static dev.skein.registry.grpc.ProtoMapper.optional;

import dev.skein.proto.registry.v1.CreateWebhook;
import dev.skein.proto.registry.v1.DeleteWebhook;
import dev.skein.proto.registry.v1.GetWebhook;
import dev.skein.proto.registry.v1.ListWebhookDeliveries;
import dev.skein.proto.registry.v1.ListWebhooks;
import dev.skein.proto.registry.v1.TestWebhook;
import dev.skein.proto.registry.v1.UpdateWebhook;
import dev.skein.proto.registry.v1.WebhookService;
import dev.skein.proto.registry.v1.WebhookTestResult;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;

/** The gRPC face of webhooks: maps requests and responses, nothing else. */
@GrpcService
public class WebhookGrpcService implements WebhookService {

    private final dev.skein.registry.service.WebhookService webhooks;

    public WebhookGrpcService(dev.skein.registry.service.WebhookService webhooks) {
        this.webhooks = webhooks;
    }

    @Override
    public Uni<CreateWebhook.Response> createWebhook(CreateWebhook r) {
        return unary(() -> webhooks.create(
                        optional(r.hasName(), r.getName()),
                        optional(r.hasDescription(), r.getDescription()),
                        optional(r.hasUrl(), r.getUrl()),
                        ProtoMapper.events(r.getEventsList()),
                        optional(r.hasSecret(), r.getSecret()),
                        r.hasStatus() ? r.getStatus().name() : null)
                .map(w -> CreateWebhook.Response.newBuilder()
                        .setWebhook(ProtoMapper.webhook(w))
                        .build()));
    }

    @Override
    public Uni<ListWebhooks.Response> listWebhooks(ListWebhooks r) {
        return unary(() -> webhooks.list(r.getMaxResults(), optional(r.hasPageToken(), r.getPageToken()))
                .map(page -> {
                    var b = ListWebhooks.Response.newBuilder();
                    page.items().forEach(w -> b.addWebhooks(ProtoMapper.webhook(w)));
                    if (page.nextPageToken() != null) {
                        b.setNextPageToken(page.nextPageToken());
                    }
                    return b.build();
                }));
    }

    @Override
    public Uni<GetWebhook.Response> getWebhook(GetWebhook r) {
        return unary(() -> webhooks.get(optional(r.hasWebhookId(), r.getWebhookId()))
                .map(w -> GetWebhook.Response.newBuilder()
                        .setWebhook(ProtoMapper.webhook(w))
                        .build()));
    }

    @Override
    public Uni<UpdateWebhook.Response> updateWebhook(UpdateWebhook r) {
        return unary(() -> webhooks.update(
                        optional(r.hasWebhookId(), r.getWebhookId()),
                        optional(r.hasName(), r.getName()),
                        optional(r.hasDescription(), r.getDescription()),
                        optional(r.hasUrl(), r.getUrl()),
                        ProtoMapper.events(r.getEventsList()),
                        optional(r.hasSecret(), r.getSecret()),
                        r.hasStatus() ? r.getStatus().name() : null)
                .map(w -> UpdateWebhook.Response.newBuilder()
                        .setWebhook(ProtoMapper.webhook(w))
                        .build()));
    }

    @Override
    public Uni<DeleteWebhook.Response> deleteWebhook(DeleteWebhook r) {
        return unary(() -> webhooks.delete(optional(r.hasWebhookId(), r.getWebhookId()))
                .replaceWith(DeleteWebhook.Response.getDefaultInstance()));
    }

    @Override
    public Uni<TestWebhook.Response> testWebhook(TestWebhook r) {
        return unary(() -> webhooks.test(
                        optional(r.hasWebhookId(), r.getWebhookId()),
                        r.hasEvent() ? ProtoMapper.event(r.getEvent()) : null)
                .map(outcome -> {
                    // The receiver's body is never passed on: status code and our own words only.
                    var result = WebhookTestResult.newBuilder().setSuccess(outcome.success());
                    if (outcome.status() != null) {
                        result.setResponseStatus(outcome.status());
                    }
                    if (outcome.error() != null) {
                        result.setErrorMessage(outcome.error());
                    }
                    return TestWebhook.Response.newBuilder().setResult(result).build();
                }));
    }

    @Override
    public Uni<ListWebhookDeliveries.Response> listWebhookDeliveries(ListWebhookDeliveries r) {
        return unary(() -> webhooks.deliveries(
                        optional(r.hasWebhookId(), r.getWebhookId()),
                        r.hasState() ? ProtoMapper.deliveryState(r.getState()) : null,
                        r.getMaxResults(),
                        optional(r.hasPageToken(), r.getPageToken()))
                .map(page -> {
                    var b = ListWebhookDeliveries.Response.newBuilder();
                    page.items().forEach(d -> b.addDeliveries(ProtoMapper.delivery(d)));
                    if (page.nextPageToken() != null) {
                        b.setNextPageToken(page.nextPageToken());
                    }
                    return b.build();
                }));
    }
}
