package dev.skein.registry.service;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.skein.common.error.ApiException;
import dev.skein.common.paging.PageToken;
import dev.skein.common.paging.ResultPage;
import dev.skein.events.v1.RegistryChange;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/** Reads the append-only audit trail, oldest first, in pages. There is nothing here that writes. */
@ApplicationScoped
public class AuditService {

    static final int MAX_RESULTS = 10_000;
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    /** A change and the CloudEvent type it was published with. */
    public record Entry(String type, RegistryChange change) {}

    private final Pool pool;

    public AuditService(Pool pool) {
        this.pool = pool;
    }

    public Uni<ResultPage<Entry>> list(String model, Long since, String pageToken, int maxResults) {
        if (maxResults < 1 || maxResults > MAX_RESULTS) {
            throw ApiException.invalidParameter("Invalid value for max_results. It must be between 1 and " + MAX_RESULTS
                    + ", but got " + maxResults);
        }
        long after = PageToken.decodeOffset(pageToken);
        return pool.preparedQuery("SELECT seq, type, change FROM registry.audit_events"
                        + " WHERE seq > $1 AND ($2::text IS NULL OR model_name = $2) AND time >= $3"
                        + " ORDER BY seq LIMIT $4")
                .execute(Tuple.of(after, model, since == null ? Long.MIN_VALUE : since, maxResults + 1))
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
