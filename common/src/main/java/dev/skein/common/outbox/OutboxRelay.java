package dev.skein.common.outbox;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Publishes a service's outbox table to Kafka, oldest first, and removes what Kafka acknowledged.
 *
 * <p>Guarantees: an event committed to the outbox is published at least once, even if Kafka is
 * down when it is written (it waits in the table); events with the same key are published in the
 * order they were written, each only after the previous one was acknowledged, and a PostgreSQL
 * advisory lock lets one relay per table work at a time, however many replicas run. An event is
 * published twice only if Kafka took it but its acknowledgement was lost, or the relay crashed
 * between publishing and removing it; the copy carries the same {@code ce_id}, for consumers to
 * deduplicate on.
 *
 * <p>The table must have the columns {@code seq, event_id, topic, partition_key, event_type,
 * subject, payload, created_at} (see a service's Flyway migrations).
 */
public final class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    private final Vertx vertx;
    private final Pool pool;
    private final String table;
    private final MutinyEmitter<String> emitter;
    private final URI source;
    private final Duration pollInterval;
    private final int batchSize;
    private final long lockId;

    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    private volatile boolean stopped;
    private long timerId = -1;

    public OutboxRelay(
            Vertx vertx,
            Pool pool,
            String table,
            MutinyEmitter<String> emitter,
            URI source,
            Duration pollInterval,
            int batchSize) {
        this.vertx = vertx;
        this.pool = pool;
        this.table = table;
        this.emitter = emitter;
        this.source = source;
        this.pollInterval = pollInterval;
        this.batchSize = batchSize;
        this.lockId = ("skein.outbox." + table).hashCode();
    }

    public void start() {
        LOG.infof("Relaying outbox %s to Kafka (polling every %s)", table, pollInterval);
        timerId = vertx.setPeriodic(pollInterval.toMillis(), id -> wake());
        wake();
    }

    public void stop() {
        stopped = true;
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    /** Asks for a relay pass now (after a commit that wrote events); passes never overlap. */
    public void wake() {
        if (stopped) {
            return;
        }
        if (!running.compareAndSet(false, true)) {
            again.set(true);
            return;
        }
        again.set(false);
        relayOnce().subscribe().with(this::passDone, failure -> {
            LOG.warnf("Outbox relay pass on %s failed, retrying in %s: %s", table, pollInterval, failure.toString());
            passDone(0);
        });
    }

    private void passDone(int published) {
        running.set(false);
        // A full batch means more may be waiting; a wake during the pass means new events.
        if (published >= batchSize || again.get()) {
            vertx.runOnContext(this::wake);
        }
    }

    /** One pass: publishes up to one batch and returns how many events left the table. */
    public Uni<Integer> relayOnce() {
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT pg_try_advisory_xact_lock($1)")
                .execute(Tuple.of(lockId))
                .flatMap(lock -> lock.iterator().next().getBoolean(0)
                        ? publishBatch(conn)
                        : Uni.createFrom().item(0)));
    }

    private Uni<Integer> publishBatch(SqlConnection conn) {
        String select = "SELECT seq, event_id, topic, partition_key, event_type, subject, payload, created_at FROM "
                + table + " ORDER BY seq LIMIT $1";
        return conn.preparedQuery(select).execute(Tuple.of(batchSize)).flatMap(rows -> {
            if (rows.size() == 0) {
                return Uni.createFrom().item(0);
            }
            // Events of one key go one after the other, and a key's events stop at its first failure:
            // nothing is ever published ahead of an earlier event of its key. Keys go in parallel.
            Map<String, List<Row>> byKey = new LinkedHashMap<>();
            rows.forEach(row -> byKey.computeIfAbsent(row.getString("partition_key"), k -> new ArrayList<>())
                    .add(row));
            List<Uni<List<Long>>> chains = new ArrayList<>(byKey.size());
            byKey.values().forEach(events -> chains.add(sendInOrder(events, 0, new ArrayList<>())));
            return Uni.join().all(chains).andFailFast().flatMap(acked -> {
                List<Long> done = acked.stream().flatMap(List::stream).toList();
                if (done.isEmpty()) {
                    return Uni.createFrom()
                            .failure(new IllegalStateException("Kafka did not acknowledge any event of the batch"));
                }
                return conn.preparedQuery("DELETE FROM " + table + " WHERE seq = ANY($1)")
                        .execute(Tuple.of(done.toArray(new Long[0])))
                        .map(deleted -> done.size());
            });
        });
    }

    /** Sends the events from {@code next} on, each once the previous is acknowledged; returns what was. */
    private Uni<List<Long>> sendInOrder(List<Row> events, int next, List<Long> acked) {
        if (next == events.size()) {
            return Uni.createFrom().item(acked);
        }
        Row row = events.get(next);
        return send(row).onItemOrFailure().transformToUni((ok, failure) -> {
            if (failure != null) {
                LOG.debugf("Event %s not published yet: %s", row.getUUID("event_id"), failure);
                return Uni.createFrom().item(acked);
            }
            acked.add(row.getLong("seq"));
            return sendInOrder(events, next + 1, acked);
        });
    }

    private Uni<Void> send(Row row) {
        OffsetDateTime created = row.getOffsetDateTime("created_at");
        OutgoingCloudEventMetadata<String> ce = OutgoingCloudEventMetadata.<String>builder()
                .withId(row.getUUID("event_id").toString())
                .withType(row.getString("event_type"))
                .withSource(source)
                .withSubject(row.getString("subject"))
                .withDataContentType("application/json")
                .withTimestamp(created.atZoneSameInstant(ZoneOffset.UTC))
                .build();
        OutgoingKafkaRecordMetadata<String> kafka = OutgoingKafkaRecordMetadata.<String>builder()
                .withTopic(row.getString("topic"))
                .withKey(row.getString("partition_key"))
                .build();
        return emitter.sendMessage(
                Message.of(row.getString("payload")).addMetadata(ce).addMetadata(kafka));
    }
}
