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
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Publishes a service's outbox table to Kafka, oldest first, and removes what Kafka acknowledged.
 *
 * <p>Guarantees: an event committed to the outbox is published at least once, even if Kafka is
 * down when it is written (it waits in the table); events with the same key keep their order,
 * because only the acknowledged prefix of a batch is removed and a PostgreSQL advisory lock lets
 * one relay per table work at a time, however many replicas run. A redelivery after a crash
 * between send and delete carries the same event id, so consumers deduplicate by {@code ce_id}.
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
            List<Row> batch = new ArrayList<>();
            rows.forEach(batch::add);
            if (batch.isEmpty()) {
                return Uni.createFrom().item(0);
            }
            // Sent together so the producer pipelines them; results come back in batch order.
            List<Uni<Boolean>> sends = new ArrayList<>(batch.size());
            for (Row row : batch) {
                sends.add(send(row).map(ok -> true).onFailure().recoverWithItem(failure -> {
                    LOG.debugf("Event %s not published yet: %s", row.getUUID("event_id"), failure);
                    return false;
                }));
            }
            return Uni.join().all(sends).andFailFast().flatMap(acks -> deleteAcknowledgedPrefix(conn, batch, acks));
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

    private Uni<Integer> deleteAcknowledgedPrefix(SqlConnection conn, List<Row> batch, List<Boolean> acks) {
        List<Long> done = new ArrayList<>();
        for (int i = 0; i < batch.size() && acks.get(i); i++) {
            done.add(batch.get(i).getLong("seq"));
        }
        if (done.isEmpty()) {
            return Uni.createFrom()
                    .failure(new IllegalStateException("Kafka did not acknowledge any event of the batch"));
        }
        return conn.preparedQuery("DELETE FROM " + table + " WHERE seq = ANY($1)")
                .execute(Tuple.of(done.toArray(new Long[0])))
                .map(deleted -> done.size());
    }
}
