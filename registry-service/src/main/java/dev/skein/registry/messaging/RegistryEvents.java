package dev.skein.registry.messaging;

import dev.skein.common.outbox.OutboxEvent;
import dev.skein.events.v1.ModelVersionState;
import dev.skein.events.v1.RegisteredModelState;
import dev.skein.events.v1.RegistryChange;
import dev.skein.events.v1.RegistryChangeKind;
import dev.skein.registry.AuditRecord;
import dev.skein.registry.KeyValue;
import dev.skein.registry.ModelAlias;
import dev.skein.registry.ModelVersion;
import dev.skein.registry.ModelView;
import dev.skein.registry.RegisteredModel;
import dev.skein.registry.RegisteredModelTag;
import dev.skein.registry.VersionView;
import dev.skein.registry.config.RegistryConfig;
import dev.skein.registry.repository.AuditRepository;
import dev.skein.registry.repository.TagRepositories;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Records a registry change within its transaction: the model's next audit sequence number, the
 * event in the outbox (for {@code skein.registry.events.v1}, keyed by the model's immutable id) and the same
 * record in the audit trail. Callers hold the model's row lock, so one model's changes are numbered
 * 1, 2, 3… in the order they commit.
 */
@ApplicationScoped
public class RegistryEvents {

    private static final Map<RegistryChangeKind, String> TYPES = new EnumMap<>(RegistryChangeKind.class);

    static {
        type(RegistryChangeKind.REGISTERED_MODEL_CREATED, "registered_model.created");
        type(RegistryChangeKind.REGISTERED_MODEL_RENAMED, "registered_model.renamed");
        type(RegistryChangeKind.REGISTERED_MODEL_UPDATED, "registered_model.updated");
        type(RegistryChangeKind.REGISTERED_MODEL_DELETED, "registered_model.deleted");
        type(RegistryChangeKind.REGISTERED_MODEL_TAG_SET, "registered_model_tag.set");
        type(RegistryChangeKind.REGISTERED_MODEL_TAG_DELETED, "registered_model_tag.deleted");
        type(RegistryChangeKind.MODEL_VERSION_CREATED, "model_version.created");
        type(RegistryChangeKind.MODEL_VERSION_UPDATED, "model_version.updated");
        type(RegistryChangeKind.MODEL_VERSION_DELETED, "model_version.deleted");
        type(RegistryChangeKind.MODEL_VERSION_STAGE_TRANSITIONED, "model_version.stage_transitioned");
        type(RegistryChangeKind.MODEL_VERSION_TAG_SET, "model_version_tag.set");
        type(RegistryChangeKind.MODEL_VERSION_TAG_DELETED, "model_version_tag.deleted");
        type(RegistryChangeKind.MODEL_VERSION_ALIAS_SET, "model_version_alias.set");
        type(RegistryChangeKind.MODEL_VERSION_ALIAS_DELETED, "model_version_alias.deleted");
    }

    private static void type(RegistryChangeKind kind, String name) {
        TYPES.put(kind, "dev.skein.registry." + name + ".v1");
    }

    /** The CloudEvent type a change is published with. */
    public static String type(RegistryChangeKind kind) {
        return TYPES.get(kind);
    }

    private final OutboxPublisher outbox;
    private final AuditRepository audit;
    private final TagRepositories.ModelTags modelTags;
    private final String topic;

    public RegistryEvents(
            OutboxPublisher outbox, AuditRepository audit, TagRepositories.ModelTags modelTags, RegistryConfig config) {
        this.outbox = outbox;
        this.audit = audit;
        this.modelTags = modelTags;
        this.topic = config.outbox().eventsTopic();
    }

    /**
     * A change of the model itself, a model tag or an alias: the model's state before and after (a
     * snapshot taken before the change: entities are changed in place).
     */
    public Uni<Void> modelChange(
            String actor,
            RegistryChangeKind kind,
            RegisteredModel model,
            RegisteredModelState before,
            RegisteredModelState after,
            Detail detail) {
        RegistryChange.Builder b = RegistryChange.newBuilder().setKind(kind);
        if (before != null) {
            b.setModelBefore(before);
        }
        if (after != null) {
            b.setModelAfter(after);
        }
        return record(actor, model, detail.applyTo(b));
    }

    /** A change of a version or a version tag: the version's state before (a snapshot) and after. */
    public Uni<Void> versionChange(
            String actor,
            RegistryChangeKind kind,
            RegisteredModel model,
            ModelVersionState before,
            ModelVersionState after,
            Detail detail) {
        RegistryChange.Builder b = RegistryChange.newBuilder().setKind(kind);
        if (before != null) {
            b.setVersionBefore(before);
        }
        if (after != null) {
            b.setVersionAfter(after);
        }
        return modelTags
                .findById(new RegisteredModelTag.Id(model.id, PROMPT_TAG))
                .flatMap(promptTag -> record(actor, model, detail.applyTo(b.setModelIsPrompt(promptTag != null))));
    }

    /** MLflow 3's tag of a registered model that is a prompt. */
    private static final String PROMPT_TAG = "mlflow.prompt.is_prompt";

    /** What a change concerns besides the model: a version, a tag key, an alias. */
    public record Detail(String version, String key, String alias) {
        public static final Detail NONE = new Detail(null, null, null);

        public static Detail version(int version) {
            return new Detail(Integer.toString(version), null, null);
        }

        public static Detail versionTag(int version, String key) {
            return new Detail(Integer.toString(version), key, null);
        }

        public static Detail modelTag(String key) {
            return new Detail(null, key, null);
        }

        public static Detail alias(String alias, Integer version) {
            return new Detail(version == null ? null : version.toString(), null, alias);
        }

        RegistryChange.Builder applyTo(RegistryChange.Builder b) {
            if (version != null) {
                b.setVersion(version);
            }
            if (key != null) {
                b.setKey(key);
            }
            if (alias != null) {
                b.setAlias(alias);
            }
            return b;
        }
    }

    private Uni<Void> record(String actor, RegisteredModel model, RegistryChange.Builder b) {
        model.lastEventSequence += 1;
        UUID id = UUID.randomUUID();
        long now = System.currentTimeMillis();
        RegistryChange change = b.setEventId(id.toString())
                .setActor(actor)
                .setTime(now)
                .setModelName(model.name)
                .setModelId(model.id.toString())
                .setModelSequence(model.lastEventSequence)
                .build();
        String type = type(change.getKind());
        String json = OutboxEvent.json(change);
        AuditRecord record = new AuditRecord();
        record.eventId = id;
        record.type = type;
        record.modelId = model.id;
        record.modelName = model.name;
        record.modelSequence = model.lastEventSequence;
        record.actor = actor;
        record.time = now;
        record.change = json;
        // Keyed by the model's id, which a rename does not change: all of one model's events stay on
        // one partition, in order. The subject keeps the model's name, for people reading the topic.
        String key = model.id.toString();
        OutboxEvent event = new OutboxEvent(id, topic, key, type, model.name, json, Instant.ofEpochMilli(now));
        return outbox.append(List.of(event)).flatMap(v -> audit.persist(record)).replaceWithVoid();
    }

    public static RegisteredModelState state(ModelView view) {
        RegisteredModel m = view.model();
        RegisteredModelState.Builder b = RegisteredModelState.newBuilder()
                .setName(m.name)
                .setDescription(m.description == null ? "" : m.description)
                .setCreationTimestamp(m.creationTime)
                .setLastUpdatedTimestamp(m.lastUpdatedTime)
                .setUserId(m.userId == null ? "" : m.userId);
        for (KeyValue t : view.tags()) {
            b.putTags(t.key(), t.value());
        }
        for (ModelAlias a : view.aliases()) {
            b.putAliases(a.id.alias(), Integer.toString(a.version));
        }
        return b.build();
    }

    public static ModelVersionState state(VersionView view) {
        ModelVersion v = view.version();
        ModelVersionState.Builder b = ModelVersionState.newBuilder()
                .setName(view.modelName())
                .setVersion(Integer.toString(v.id.version()))
                .setSource(v.source)
                .setRunId(v.runId == null ? "" : v.runId)
                .setRunLink(v.runLink == null ? "" : v.runLink)
                .setDescription(v.description == null ? "" : v.description)
                .setCurrentStage(v.currentStage)
                .setStatus(v.status)
                .setUserId(v.userId == null ? "" : v.userId)
                .setCreationTimestamp(v.creationTime)
                .setLastUpdatedTimestamp(v.lastUpdatedTime)
                .setStorageLocation(v.storageLocation)
                .setModelId(v.loggedModelId == null ? "" : v.loggedModelId)
                .addAllAliases(view.aliases());
        for (KeyValue t : view.tags()) {
            b.putTags(t.key(), t.value());
        }
        return b.build();
    }
}
