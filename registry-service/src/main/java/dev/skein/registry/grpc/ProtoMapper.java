package dev.skein.registry.grpc;

import dev.skein.proto.registry.v1.ModelVersionStatus;
import dev.skein.proto.registry.v1.ModelVersionTag;
import dev.skein.proto.registry.v1.PromptMessage;
import dev.skein.proto.registry.v1.PromptTemplate;
import dev.skein.proto.registry.v1.RegisteredModelAlias;
import dev.skein.proto.registry.v1.RegisteredModelTag;
import dev.skein.proto.registry.v1.WebhookAction;
import dev.skein.proto.registry.v1.WebhookDeliveryState;
import dev.skein.proto.registry.v1.WebhookEntity;
import dev.skein.proto.registry.v1.WebhookEvent;
import dev.skein.proto.registry.v1.WebhookStatus;
import dev.skein.registry.KeyValue;
import dev.skein.registry.ModelAlias;
import dev.skein.registry.ModelView;
import dev.skein.registry.VersionView;
import dev.skein.registry.Webhook;
import dev.skein.registry.repository.WebhookDeliveries;
import dev.skein.registry.service.PromptService;
import java.util.List;
import java.util.Locale;

/** The one place where the registry's domain and its proto contracts meet. */
final class ProtoMapper {

    private ProtoMapper() {}

    static dev.skein.proto.registry.v1.RegisteredModel model(ModelView view) {
        var m = view.model();
        var b = dev.skein.proto.registry.v1.RegisteredModel.newBuilder()
                .setName(m.name)
                .setCreationTimestamp(m.creationTime)
                .setLastUpdatedTimestamp(m.lastUpdatedTime);
        if (m.userId != null) {
            b.setUserId(m.userId);
        }
        if (m.description != null) {
            b.setDescription(m.description);
        }
        view.latestVersions().forEach(v -> b.addLatestVersions(version(v)));
        view.tags()
                .forEach(t -> b.addTags(
                        RegisteredModelTag.newBuilder().setKey(t.key()).setValue(t.value())));
        for (ModelAlias a : view.aliases()) {
            b.addAliases(
                    RegisteredModelAlias.newBuilder().setAlias(a.id.alias()).setVersion(Integer.toString(a.version)));
        }
        return b.build();
    }

    static dev.skein.proto.registry.v1.ModelVersion version(VersionView view) {
        var v = view.version();
        var b = dev.skein.proto.registry.v1.ModelVersion.newBuilder()
                .setName(view.modelName())
                .setVersion(Integer.toString(v.id.version()))
                .setCreationTimestamp(v.creationTime)
                .setLastUpdatedTimestamp(v.lastUpdatedTime)
                .setCurrentStage(v.currentStage)
                .setSource(v.source)
                .setStatus(ModelVersionStatus.valueOf(v.status))
                .addAllAliases(view.aliases());
        if (v.userId != null) {
            b.setUserId(v.userId);
        }
        if (v.description != null) {
            b.setDescription(v.description);
        }
        if (v.loggedModelId != null) {
            b.setModelId(v.loggedModelId);
        }
        if (v.runId != null) {
            b.setRunId(v.runId);
        }
        if (v.runLink != null) {
            b.setRunLink(v.runLink);
        }
        if (v.statusMessage != null) {
            b.setStatusMessage(v.statusMessage);
        }
        view.tags()
                .forEach(t ->
                        b.addTags(ModelVersionTag.newBuilder().setKey(t.key()).setValue(t.value())));
        return b.build();
    }

    static dev.skein.proto.registry.v1.Webhook webhook(Webhook w) {
        var b = dev.skein.proto.registry.v1.Webhook.newBuilder()
                .setWebhookId(w.id.toString())
                .setName(w.name)
                .setUrl(w.url)
                .setStatus(WebhookStatus.valueOf(w.status))
                .setCreationTimestamp(w.creationTime)
                .setLastUpdatedTimestamp(w.lastUpdatedTime);
        if (w.description != null) {
            b.setDescription(w.description);
        }
        for (String event : w.eventList()) {
            b.addEvents(event(event));
        }
        return b.build();
    }

    /** {@code model_version.created} as the contract's WebhookEvent, and back. */
    static WebhookEvent event(String name) {
        String entity = name.substring(0, name.indexOf('.')).toUpperCase(Locale.ROOT);
        String action = name.substring(name.indexOf('.') + 1).toUpperCase(Locale.ROOT);
        return WebhookEvent.newBuilder()
                .setEntity(WebhookEntity.valueOf(entity))
                .setAction(WebhookAction.valueOf(action))
                .build();
    }

    static String event(WebhookEvent event) {
        return event.getEntity().name().toLowerCase(Locale.ROOT) + "."
                + event.getAction().name().toLowerCase(Locale.ROOT);
    }

    static List<String> events(List<WebhookEvent> events) {
        return events.stream().map(ProtoMapper::event).toList();
    }

    static dev.skein.proto.registry.v1.WebhookDelivery delivery(WebhookDeliveries.View d) {
        var b = dev.skein.proto.registry.v1.WebhookDelivery.newBuilder()
                .setDeliveryId(d.deliveryId().toString())
                .setWebhookId(d.webhookId().toString())
                .setEventId(d.eventId().toString())
                .setState(WebhookDeliveryState.valueOf("DELIVERY_" + d.state().toUpperCase(Locale.ROOT)))
                .setAttempts(d.attempts())
                .setCreationTimestamp(d.createdAt())
                .setLastUpdatedTimestamp(d.updatedAt());
        if (d.eventName().contains(".")) {
            b.setEvent(event(d.eventName()));
        }
        if (d.lastStatusCode() != null) {
            b.setLastStatusCode(d.lastStatusCode());
        }
        if (d.lastError() != null) {
            b.setLastError(d.lastError());
        }
        if (d.state().equals(WebhookDeliveries.PENDING)) {
            b.setNextAttemptTimestamp(d.nextAttemptAt());
        }
        return b.build();
    }

    /** The contract's delivery state as stored; null for "unspecified" (no filter). */
    static String deliveryState(WebhookDeliveryState state) {
        return state == WebhookDeliveryState.DELIVERY_STATE_UNSPECIFIED
                ? null
                : state.name().substring("DELIVERY_".length()).toLowerCase(Locale.ROOT);
    }

    static List<KeyValue> modelTags(List<RegisteredModelTag> tags) {
        return tags.stream()
                .map(t -> new KeyValue(t.hasKey() ? t.getKey() : null, t.hasValue() ? t.getValue() : null))
                .toList();
    }

    static List<KeyValue> versionTags(List<ModelVersionTag> tags) {
        return tags.stream()
                .map(t -> new KeyValue(t.hasKey() ? t.getKey() : null, t.hasValue() ? t.getValue() : null))
                .toList();
    }

    static dev.skein.proto.registry.v1.PromptVersion prompt(PromptService.Prompt p) {
        var v = p.view().version();
        var b = dev.skein.proto.registry.v1.PromptVersion.newBuilder()
                .setName(p.view().modelName())
                .setVersion(Integer.toString(v.id.version()))
                .setType(p.type())
                .setTemplate(template(p.template()))
                .addAllAliases(p.view().aliases())
                .addAllVariables(p.variables())
                .setCreationTimestamp(v.creationTime)
                .setLastUpdatedTimestamp(v.lastUpdatedTime);
        if (v.description != null) {
            b.setCommitMessage(v.description);
        }
        if (v.userId != null) {
            b.setUserId(v.userId);
        }
        p.userTags()
                .forEach(t ->
                        b.addTags(ModelVersionTag.newBuilder().setKey(t.key()).setValue(t.value())));
        return b.build();
    }

    static PromptTemplate template(PromptService.Template t) {
        var b = PromptTemplate.newBuilder();
        if (t.text() != null) {
            b.setText(t.text());
        }
        t.messages().forEach(m -> b.addMessages(message(m)));
        return b.build();
    }

    static PromptMessage message(PromptService.Message m) {
        return PromptMessage.newBuilder()
                .setRole(m.role())
                .setContent(m.content())
                .build();
    }

    /** A request's template; null when none was sent. */
    static PromptService.Template template(boolean present, PromptTemplate t) {
        if (!present) {
            return null;
        }
        return new PromptService.Template(
                t.hasText() ? t.getText() : null,
                t.getMessagesList().stream()
                        .map(m -> new PromptService.Message(
                                m.hasRole() ? m.getRole() : null, m.hasContent() ? m.getContent() : null))
                        .toList());
    }

    static String optional(boolean present, String value) {
        return present ? value : null;
    }
}
