package dev.skein.tracking;

import static dev.skein.tracking.Grpc.await;
import static dev.skein.tracking.Grpc.fails;
import static dev.skein.tracking.Grpc.metric;
import static dev.skein.tracking.Grpc.newExperiment;
import static dev.skein.tracking.Grpc.newRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.error.GrpcErrors;
import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulk;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulkInterval;
import dev.skein.proto.tracking.v1.LogBatch;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Bulk history reads within their deadline (skein.tracking.bulk-reads.deadline) and their cap of
 * concurrent reads (skein.tracking.bulk-reads.max-concurrent): here 2 s and 1, with a statement
 * timeout (60 s) that never fires first. A read held up by a table lock is answered at its deadline,
 * keeps its place while its statement still runs, so the cap counts the connections bulk reads really
 * hold, issues no statement for the runs left once its statement ends, and gives its place back.
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

    @Test
    void shouldAnswerAtTheDeadlineAndRefuseReadsPastTheCapBeforeAnyDatabaseWork() throws Exception {
        String exp = newExperiment(tracking);
        String run = newRun(tracking, exp);
        String other = newRun(tracking, exp);
        for (String r : new String[] {run, other}) {
            tracking.logBatch(LogBatch.newBuilder()
                    .setRunId(r)
                    .addMetrics(metric("m", 1, 1, 0))
                    .build());
        }
        GetMetricHistoryBulk bulk = GetMetricHistoryBulk.newBuilder()
                .addRunId(run)
                .addRunId(other)
                .setMetricKey("m")
                .build();
        GetMetricHistoryBulkInterval interval = GetMetricHistoryBulkInterval.newBuilder()
                .addRunIds(run)
                .setMetricKey("m")
                .build();
        assertThat(tracking.getMetricHistoryBulk(bulk).getMetricsCount()).isEqualTo(2);
        TrackingServiceBlockingStub patient = tracking.withDeadlineAfter(20, TimeUnit.SECONDS);
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE)) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("LOCK TABLE tracking.metrics IN ACCESS EXCLUSIVE MODE");
            }
            // the read waits for the lock; its caller is answered at the deadline, not when the lock goes
            assertThat(fails(ErrorCode.TEMPORARILY_UNAVAILABLE, () -> patient.getMetricHistoryBulk(bulk)))
                    .isEqualTo("The get-history-bulk read did not finish within 2000 ms and was stopped; ask for"
                            + " fewer runs or fewer results, or try again later.");
            int reader = waitingReader();
            // its statement still waits, holding a connection: no other bulk read starts meanwhile
            assertThat(fails(ErrorCode.REQUEST_LIMIT_EXCEEDED, () -> patient.getMetricHistoryBulkInterval(interval)))
                    .isEqualTo("Too many metric history bulk reads are running (at most 1 at once); the"
                            + " get-history-bulk-interval request was not started. Try again shortly.");
            c.rollback();
            // each look below in a transaction of its own: within one transaction PostgreSQL answers
            // pg_stat_activity from the snapshot it took at the first look, which would never change
            c.setAutoCommit(true);
            // the first run's statement ends once the lock goes; the second run is never read: the
            // read is abandoned (rolled back), where one read to its end would commit
            String[] last = {null};
            try (Statement s = c.createStatement()) {
                await("the stopped read to end", Duration.ofSeconds(30), () -> {
                    try (ResultSet r =
                            s.executeQuery("SELECT state, query FROM pg_stat_activity WHERE pid = " + reader)) {
                        assertThat(r.next())
                                .as("the reader's connection is still open")
                                .isTrue();
                        last[0] = r.getString("query");
                        return "idle".equals(r.getString("state"));
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            assertThat(last[0]).isEqualTo("ROLLBACK");
        }
        // and gave its place back
        await("the stopped read to give its place back", Duration.ofSeconds(30), () -> {
            try {
                return patient.getMetricHistoryBulkInterval(interval).getMetricsCount() == 1;
            } catch (StatusRuntimeException e) {
                assertThat(GrpcErrors.errorCode(e)).isEqualTo(ErrorCode.REQUEST_LIMIT_EXCEEDED);
                return false;
            }
        });
        assertThat(tracking.getMetricHistoryBulk(bulk).getMetricsCount()).isEqualTo(2);
    }

    /** The backend of the bulk read whose statement waits for a lock. */
    private static int waitingReader() throws Exception {
        int[] pid = {0};
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                Statement s = c.createStatement()) {
            await("the bulk read waiting for the lock", Duration.ofSeconds(15), () -> {
                try (ResultSet r = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        + " AND query LIKE '%ORDER BY timestamp, step, value%'")) {
                    if (r.next()) {
                        pid[0] = r.getInt(1);
                        return true;
                    }
                    return false;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        return pid[0];
    }
}
