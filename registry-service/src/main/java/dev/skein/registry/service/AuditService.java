package dev.skein.registry.service;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.paging.ResultPage;
import dev.skein.events.v1.RegistryChange;
import dev.skein.events.v1.RegistryChangeKind;
import dev.skein.registry.messaging.RegistryEvents;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
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

    /** Which changes to list; a null member does not filter. */
    public record Filter(String model, String actor, String type, Long since, Long until) {}

    private final Pool pool;

    public AuditService(Pool pool) {
        this.pool = pool;
    }

    public Uni<ResultPage<Entry>> list(Filter filter, String pageToken, int maxResults) {
        if (maxResults < 1 || maxResults > MAX_RESULTS) {
            throw ApiException.invalidParameter("Invalid value for max_results. It must be between 1 and " + MAX_RESULTS
                    + ", but got " + maxResults);
        }
        if (filter.actor() != null && filter.actor().isBlank()) {
            throw ApiException.invalidParameter("Invalid value for actor. It must not be empty");
        }
        String type = filter.type() == null ? null : storedType(filter.type());
        if (filter.since() != null && filter.until() != null && filter.until() < filter.since()) {
            throw ApiException.invalidParameter("Invalid value for until. It must not be before since ("
                    + filter.since() + "), but got " + filter.until());
        }
        long after = PageToken.decodeOffset(pageToken);
        return pool.preparedQuery("SELECT seq, type, change FROM registry.audit_events"
                        + " WHERE seq > $1 AND ($2::text IS NULL OR model_name = $2)"
                        + " AND ($3::text IS NULL OR actor = $3) AND ($4::text IS NULL OR type = $4)"
                        + " AND time >= $5 AND time <= $6"
                        + " ORDER BY seq LIMIT $7")
                .execute(Tuple.from(Arrays.asList(
                        after,
                        filter.model(),
                        filter.actor(),
                        type,
                        filter.since() == null ? Long.MIN_VALUE : filter.since(),
                        filter.until() == null ? Long.MAX_VALUE : filter.until(),
                        maxResults + 1)))
                .map(rows -> {
                    List<Entry> entries = new ArrayList<>();
                    long last = after;
                    for (Row r : rows) {
                        if (entries.size() == maxResults) {
                            return new ResultPage<>(entries, PageToken.encode(last));
                        }
                        entries.add(new Entry(r.getString("type"), parse(r.getString("change"))));
                        last = r.getLong("seq");
                    }
                    return new ResultPage<>(entries, null);
                });
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
