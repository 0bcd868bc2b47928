package dev.skein.registry.service;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.paging.ResultPage;
import dev.skein.events.v1.RegistryChange;
import dev.skein.events.v1.RegistryChangeKind;
import dev.skein.registry.messaging.RegistryEvents;
import dev.skein.registry.repository.AuditEvents;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Reads the append-only audit trail, oldest first, in pages. There is nothing here that writes. */
@ApplicationScoped
public class AuditService {

    static final int MAX_RESULTS = 10_000;
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
    private static final String TYPE_PREFIX = "dev.skein.registry.";
    private static final String TYPE_SUFFIX = ".v1";

    /**
     * Every spelling of a kind a client may filter on, lower-cased → the stored CloudEvent type: the
     * type itself, its short form ({@code model_version.created}) and the enum's name.
     */
    private static final Map<String, String> TYPES = new TreeMap<>();

    static {
        Arrays.stream(RegistryChangeKind.values())
                .filter(k -> k != RegistryChangeKind.REGISTRY_CHANGE_KIND_UNSPECIFIED
                        && k != RegistryChangeKind.UNRECOGNIZED)
                .forEach(kind -> {
                    String type = RegistryEvents.type(kind);
                    TYPES.put(type, type);
                    TYPES.put(shortType(type), type);
                    TYPES.put(kind.name().toLowerCase(Locale.ROOT), type);
                });
    }

    /** A change and the CloudEvent type it was published with. */
    public record Entry(String type, RegistryChange change) {}

    /**
     * Which changes to list, as the client gave them; a null member does not filter. Spaces around
     * an actor or a type are not part of it (an actor of spaces only is refused, like an empty one).
     */
    public record Filter(String model, String actor, String type, Long since, Long until) {}

    private final AuditEvents events;

    public AuditService(AuditEvents events) {
        this.events = events;
    }

    public Uni<ResultPage<Entry>> list(Filter filter, String pageToken, int maxResults) {
        if (maxResults < 1 || maxResults > MAX_RESULTS) {
            throw ApiException.invalidParameter("Invalid value for max_results. It must be between 1 and " + MAX_RESULTS
                    + ", but got " + maxResults);
        }
        String actor = filter.actor() == null ? null : filter.actor().trim();
        if (actor != null && actor.isEmpty()) {
            throw ApiException.invalidParameter("Invalid value for actor. It must not be empty");
        }
        String type = filter.type() == null ? null : storedType(filter.type());
        if (filter.since() != null && filter.until() != null && filter.until() < filter.since()) {
            throw ApiException.invalidParameter("Invalid value for until. It must not be before since ("
                    + filter.since() + "), but got " + filter.until());
        }
        long after = PageToken.decodeOffset(pageToken);
        return events.after(
                        after,
                        new AuditEvents.Criteria(filter.model(), actor, type, filter.since(), filter.until()),
                        maxResults + 1)
                .map(stored -> {
                    if (stored.size() <= maxResults) {
                        return new ResultPage<>(entries(stored), null);
                    }
                    List<AuditEvents.Stored> page = stored.subList(0, maxResults);
                    return new ResultPage<>(
                            entries(page),
                            PageToken.encode(page.get(maxResults - 1).seq()));
                });
    }

    private static List<Entry> entries(List<AuditEvents.Stored> stored) {
        return stored.stream().map(s -> new Entry(s.type(), parse(s.change()))).toList();
    }

    /** The stored type for any accepted spelling of a kind; INVALID_PARAMETER_VALUE for none. */
    private static String storedType(String given) {
        String type = TYPES.get(given.trim().toLowerCase(Locale.ROOT));
        if (type == null) {
            List<String> kinds = TYPES.values().stream()
                    .map(AuditService::shortType)
                    .distinct()
                    .sorted()
                    .toList();
            throw ApiException.invalidParameter("Invalid value '" + given + "' for type. It must be an audit event type"
                    + " (e.g. '" + RegistryEvents.type(RegistryChangeKind.MODEL_VERSION_CREATED)
                    + "') or its short form, one of: " + String.join(", ", kinds));
        }
        return type;
    }

    private static String shortType(String type) {
        return type.substring(TYPE_PREFIX.length(), type.length() - TYPE_SUFFIX.length());
    }

    private static RegistryChange parse(String json) {
        RegistryChange.Builder b = RegistryChange.newBuilder();
        try {
            PARSER.merge(json, b);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("An audit record is not a RegistryChange", e);
        }
        return b.build();
    }
}
