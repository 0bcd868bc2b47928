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
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bulk history reads within their deadline (skein.tracking.bulk-reads.deadline) and their cap of
 * concurrent reads (skein.tracking.bulk-reads.max-concurrent): here 2 s and 1, with a statement
 * timeout (60 s) that never fires first. A read held up by a table lock whose caller has gone — its
 * deadline passed, or the caller cancelled the call (its own deadline, 1 s, came first) — keeps its
 * place while its statement still runs, so the cap counts the connections bulk reads really hold,
 * issues no statement for the runs left once its statement ends, and gives its place back.
 */
@QuarkusTest
@TestProfile(BulkReadLimitsTest.OneAtATime.class)
class BulkReadLimitsTest {

    public static class OneAtATime implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "skein.tracking.bulk-reads.statement-timeout", "PT60S",
                    "skein.tracking.bulk-reads.deadline", "PT2S",
                    "skein.tracking.bulk-reads.max-concurrent", "1",
                    // nothing else takes the service's connections (the test reads what its last one ran)
                    "skein.tracking.outbox.poll-interval", "PT1H");
        }
    }

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    @ParameterizedTest(name = "the caller cancels first: {0}")
    @ValueSource(booleans = {false, true})
    void shouldStopAReadWhoseCallerHasGoneAndRefuseReadsPastTheCapUntilItsStatementEnds(boolean callerCancels)
            throws Exception {
        Grpc.BulkReadsOf reads = bulkReadsOf(tracking, 2);
        assertThat(tracking.getMetricHistoryBulk(reads.bulk()).getMetricsCount())
                .isEqualTo(2);
        TrackingServiceBlockingStub patient = tracking.withDeadlineAfter(20, TimeUnit.SECONDS);
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE)) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("LOCK TABLE tracking.metrics IN ACCESS EXCLUSIVE MODE");
            }
            if (callerCancels) {
                StatusRuntimeException gone = catchThrowableOfType(
                        StatusRuntimeException.class,
                        () -> tracking.withDeadlineAfter(1, TimeUnit.SECONDS).getMetricHistoryBulk(reads.bulk()));
                assertThat(gone.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            } else {
                // the read waits for the lock; its caller is answered at the deadline, not when the lock goes
                assertThat(fails(ErrorCode.TEMPORARILY_UNAVAILABLE, () -> patient.getMetricHistoryBulk(reads.bulk())))
                        .isEqualTo("The get-history-bulk read did not finish within 2000 ms and was stopped; ask"
                                + " for fewer runs or fewer results, or try again later.");
            }
            int reader = TestInfra.backendWaitingForALock(
                    ServiceTestResource.TEST_DATABASE, "ORDER BY timestamp, step, value");
            // its statement still waits, holding a connection: no other bulk read starts meanwhile
            assertThat(fails(
                            ErrorCode.REQUEST_LIMIT_EXCEEDED,
                            () -> patient.getMetricHistoryBulkInterval(reads.interval())))
                    .isEqualTo("Too many metric history bulk reads are running (at most 1 at once); the"
                            + " get-history-bulk-interval request was not started. Try again shortly.");
            c.rollback();
            // the first run's statement ends once the lock goes; the second run is never read: the
            // read is abandoned (rolled back), where one read to its end would commit
            assertThat(TestInfra.lastStatementOnceIdle(ServiceTestResource.TEST_DATABASE, reader))
                    .isEqualTo("ROLLBACK");
        }
        // and gave its place back
        await("the stopped read to give its place back", Duration.ofSeconds(30), () -> {
            try {
                return patient.getMetricHistoryBulkInterval(reads.interval()).getMetricsCount() == 1;
            } catch (StatusRuntimeException e) {
                assertThat(GrpcErrors.errorCode(e)).isEqualTo(ErrorCode.REQUEST_LIMIT_EXCEEDED);
                return false;
            }
        });
        assertThat(tracking.getMetricHistoryBulk(reads.bulk()).getMetricsCount())
                .isEqualTo(2);
    }
}
