package dev.skein.tracking;

import static dev.skein.tracking.Grpc.await;
import static dev.skein.tracking.Grpc.bulkReadsOf;
import static dev.skein.tracking.Grpc.fails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.skein.common.error.GrpcErrors;
import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import dev.skein.tracking.service.AnswerDelivery;
import dev.skein.tracking.service.BulkReads;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.helpers.test.UniAssertSubscriber;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bulk history reads within their deadline (skein.tracking.bulk-reads.deadline) and their cap of
 * concurrent reads (skein.tracking.bulk-reads.max-concurrent): here 8 s and 1, with a statement
 * timeout (60 s) that never fires first. A read held up by a table lock is stopped when its deadline
 * passes or its caller cancels the call: its statement is cancelled at once and its connection closed
 * (the lock still held; a read that went on to the runs left would wait for the lock instead), and its
 * place is given back — while it waits, no other bulk read starts. A read answered keeps its place
 * until its answer has been handed to the call. The service reaches the database through a proxy
 * that can stop answering on the bulk reads' connections (FreezingDatabaseProxy): a stopped read
 * whose database no longer answers still gives its place back.
 */
@QuarkusTest
@TestProfile(BulkReadLimitsTest.OneAtATime.class)
class BulkReadLimitsTest {

    public static class OneAtATime implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "skein.tracking.bulk-reads.statement-timeout", "PT60S",
                    "skein.tracking.bulk-reads.deadline", "PT8S",
                    "skein.tracking.bulk-reads.max-concurrent", "1",
                    // nothing else takes the service's connections (the test reads what its last one ran)
                    "skein.tracking.outbox.poll-interval", "PT1H",
                    "skein.tracking.statistics.check-interval", "0");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(FreezingDatabaseProxy.class));
        }
    }

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    @Inject
    MeterRegistry meters;

    @Inject
    BulkReads bulkReads;

    @ParameterizedTest(name = "the caller cancels first: {0}")
    @ValueSource(booleans = {false, true})
    void shouldStopAReadWhoseCallerHasGoneOrWhoseDeadlinePassedAndGiveItsPlaceBack(boolean callerCancels)
            throws Exception {
        Grpc.BulkReadsOf reads = bulkReadsOf(tracking, 2);
        assertThat(tracking.getMetricHistoryBulk(reads.bulk()).getMetricsCount())
                .isEqualTo(2);
        TrackingServiceBlockingStub patient = tracking.withDeadlineAfter(30, TimeUnit.SECONDS);
        String reason = callerCancels ? "caller" : "deadline";
        double stoppedBefore = stopped(reason);
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE)) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("LOCK TABLE tracking.metrics IN ACCESS EXCLUSIVE MODE");
            }
            Context.CancellableContext call = Context.current().withCancellation();
            CompletableFuture<StatusRuntimeException> outcome =
                    CompletableFuture.supplyAsync(() -> catchThrowableOfType(
                            StatusRuntimeException.class,
                            () -> call.call(() -> patient.getMetricHistoryBulk(reads.bulk()))));
            // the read waits for the lock, holding its place
            int reader = TestInfra.backendWaitingForALock(
                    ServiceTestResource.TEST_DATABASE, "ORDER BY timestamp, step, value");
            if (callerCancels) {
                call.cancel(null);
                assertThat(outcome.get(30, TimeUnit.SECONDS).getStatus().getCode())
                        .isEqualTo(Status.Code.CANCELLED);
            } else {
                // no other bulk read starts meanwhile
                assertThat(fails(
                                ErrorCode.REQUEST_LIMIT_EXCEEDED,
                                () -> patient.getMetricHistoryBulkInterval(reads.interval())))
                        .isEqualTo("Too many metric history bulk reads are running (at most 1 at once); the"
                                + " get-history-bulk-interval request was not started. Try again shortly.");
                // answered at the deadline, not when the lock goes
                StatusRuntimeException answered = outcome.get(30, TimeUnit.SECONDS);
                assertThat(GrpcErrors.errorCode(answered)).isEqualTo(ErrorCode.TEMPORARILY_UNAVAILABLE);
                assertThat(answered.getStatus().getDescription())
                        .isEqualTo("The get-history-bulk read did not finish within 8000 ms and was stopped; ask"
                                + " for fewer runs or fewer results, or try again later.");
            }
            // with the lock still held: the waiting statement was cancelled and the read's own
            // connection closed (had it gone on to the second run, it would wait for the lock), and
            // its place given back
            TestInfra.await("the stopped read's connection to close", Duration.ofSeconds(30), () -> gone(reader));
            await("the stopped read to give its place back", Duration.ofSeconds(30), () -> running() == 0);
            assertThat(stopped(reason)).isEqualTo(stoppedBefore + 1);
            c.rollback();
        }
        assertThat(tracking.getMetricHistoryBulk(reads.bulk()).getMetricsCount())
                .isEqualTo(2);
        assertThat(patient.getMetricHistoryBulkInterval(reads.interval()).getMetricsCount())
                .isEqualTo(1);
    }

    @Test
    void shouldKeepAnAnsweredReadsPlaceUntilItsAnswerIsHandedOver() throws Exception {
        Grpc.BulkReadsOf reads = bulkReadsOf(tracking, 1);
        AnswerDelivery delivery = new AnswerDelivery();
        var answer = bulkReads
                .run("test", (db, stop) -> db.query("SELECT 1").execute())
                .subscribe()
                .withSubscriber(
                        UniAssertSubscriber.create(io.smallrye.mutiny.Context.of(AnswerDelivery.KEY, delivery)));
        answer.awaitItem(Duration.ofSeconds(30));
        assertThat(running()).isEqualTo(1);
        assertThat(fails(ErrorCode.REQUEST_LIMIT_EXCEEDED, () -> tracking.getMetricHistoryBulk(reads.bulk())))
                .startsWith("Too many metric history bulk reads are running");
        delivery.run();
        assertThat(running()).isEqualTo(0);
        assertThat(tracking.getMetricHistoryBulk(reads.bulk()).getMetricsCount())
                .isEqualTo(1);
    }

    @Test
    void shouldGiveBackThePlaceOfAStoppedReadWhoseDatabaseNoLongerAnswers() throws Exception {
        Grpc.BulkReadsOf reads = bulkReadsOf(tracking, 1);
        TrackingServiceBlockingStub patient = tracking.withDeadlineAfter(30, TimeUnit.SECONDS);
        double abandonedBefore = abandoned();
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE)) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("LOCK TABLE tracking.metrics IN ACCESS EXCLUSIVE MODE");
            }
            CompletableFuture<StatusRuntimeException> outcome =
                    CompletableFuture.supplyAsync(() -> catchThrowableOfType(
                            StatusRuntimeException.class, () -> patient.getMetricHistoryBulk(reads.bulk())));
            TestInfra.backendWaitingForALock(ServiceTestResource.TEST_DATABASE, "ORDER BY timestamp, step, value");
            // from now on the read's connection passes nothing either way and its cancel request is held:
            // its answer, once the lock goes, never reaches the service
            FreezingDatabaseProxy.freezeBulkReads();
            c.rollback();
            StatusRuntimeException answered = outcome.get(30, TimeUnit.SECONDS);
            assertThat(GrpcErrors.errorCode(answered)).isEqualTo(ErrorCode.TEMPORARILY_UNAVAILABLE);
            await(
                    "the stopped read whose database no longer answers to give its place back",
                    Duration.ofSeconds(60),
                    () -> running() == 0);
            assertThat(abandoned()).isEqualTo(abandonedBefore + 1);
        } finally {
            FreezingDatabaseProxy.thaw();
        }
        assertThat(tracking.getMetricHistoryBulk(reads.bulk()).getMetricsCount())
                .isEqualTo(1);
    }

    /** Places held now (the gauge skein_tracking_bulk_reads_running). */
    private double running() {
        return meters.get("skein.tracking.bulk.reads.running").gauge().value();
    }

    private double abandoned() {
        return meters.get("skein.tracking.bulk.reads.abandoned").counter().count();
    }

    /** Whether the backend has gone (its connection closed). */
    private static boolean gone(int pid) {
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                Statement s = c.createStatement();
                java.sql.ResultSet r = s.executeQuery("SELECT 1 FROM pg_stat_activity WHERE pid = " + pid)) {
            return !r.next();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private double stopped(String reason) {
        return meters.get("skein.tracking.bulk.reads.stopped")
                .tag("reason", reason)
                .counter()
                .count();
    }
}
