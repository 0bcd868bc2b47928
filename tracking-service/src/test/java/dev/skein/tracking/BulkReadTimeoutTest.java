package dev.skein.tracking;

import static dev.skein.tracking.Grpc.bulkReadsOf;
import static dev.skein.tracking.Grpc.fails;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.common.v1.ErrorCode;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulk;
import dev.skein.proto.tracking.v1.GetMetricHistoryBulkInterval;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The bulk history reads stop at their statement timeout (skein.tracking.bulk-reads.statement-timeout)
 * and say so: a read held up (here by a table lock another session keeps) does not hold its
 * connection until the lock goes, and the caller is told to try again (503), not an internal error.
 * (A read the database stopped for another reason is not reported as our timeout: MetricHistoryTest.)
 */
@QuarkusTest
@TestProfile(BulkReadTimeoutTest.ShortTimeout.class)
class BulkReadTimeoutTest {

    public static class ShortTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("skein.tracking.bulk-reads.statement-timeout", "PT0.5S");
        }
    }

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    @Test
    void shouldStopABulkReadPastItsStatementTimeoutAndSaySo() throws Exception {
        Grpc.BulkReadsOf reads = bulkReadsOf(tracking, 1);
        GetMetricHistoryBulk bulk = reads.bulk();
        GetMetricHistoryBulkInterval interval = reads.interval();
        assertThat(tracking.getMetricHistoryBulk(bulk).getMetricsCount()).isEqualTo(1);
        assertThat(tracking.getMetricHistoryBulkInterval(interval).getMetricsCount())
                .isEqualTo(1);
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE)) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("LOCK TABLE tracking.metrics IN ACCESS EXCLUSIVE MODE");
            }
            // the lock is held until rollback: a read that waited for it would end at the deadline instead
            TrackingServiceBlockingStub waiting = tracking.withDeadlineAfter(20, TimeUnit.SECONDS);
            assertThat(fails(ErrorCode.TEMPORARILY_UNAVAILABLE, () -> waiting.getMetricHistoryBulk(bulk)))
                    .contains("get-history-bulk read took longer than 500 ms and was stopped");
            assertThat(fails(ErrorCode.TEMPORARILY_UNAVAILABLE, () -> waiting.getMetricHistoryBulkInterval(interval)))
                    .contains("get-history-bulk-interval read took longer than 500 ms and was stopped");
            c.rollback();
        }
        assertThat(tracking.getMetricHistoryBulk(bulk).getMetricsCount()).isEqualTo(1);
    }
}
