package dev.skein.tracking;

import static dev.skein.tracking.Grpc.newExperiment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.tracking.v1.TrackingServiceGrpc.TrackingServiceBlockingStub;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Runs written in bulk (here straight into the table, as an import would) get the searched tables
 * analysed by the service within seconds, without waiting for autovacuum: PostgreSQL records a
 * manual analysis (the service's) apart from autovacuum's.
 */
@QuarkusTest
class StatisticsKeeperTest {

    @GrpcClient("tracking")
    TrackingServiceBlockingStub tracking;

    @Inject
    MeterRegistry meters;

    @Test
    void shouldAnalyseTheRunsTableSoonAfterABulkLoad() throws Exception {
        long experiment = Long.parseLong(newExperiment(tracking));
        double analysesBefore =
                meters.get("skein.tracking.statistics.analyses").counter().count();
        Timestamp before;
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                Statement s = c.createStatement()) {
            // autovacuum's own analysis of the table (it asks less) would leave the service nothing to do
            s.execute("ALTER TABLE tracking.runs SET (autovacuum_enabled = off)");
            try (ResultSet r = s.executeQuery("SELECT now(), count(*) FROM tracking.runs")) {
                r.next();
                before = r.getTimestamp(1);
                long runs = Math.max(2_000, r.getLong(2) / 4);
                try (PreparedStatement insert = c.prepareStatement("INSERT INTO tracking.runs (run_uuid,"
                        + " experiment_id, name, status, start_time, artifact_uri) SELECT md5(random()::text || g),"
                        + " ?, 'bulk-' || g, 'FINISHED', g, 'mlflow-artifacts:/x' FROM generate_series(1, ?) g")) {
                    insert.setLong(1, experiment);
                    insert.setLong(2, runs);
                    insert.executeUpdate();
                }
            }
        }
        try {
            TestInfra.await(
                    "the service to analyse tracking.runs", Duration.ofSeconds(60), () -> analysedSince(before));
        } finally {
            try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                    Statement s = c.createStatement()) {
                s.execute("ALTER TABLE tracking.runs RESET (autovacuum_enabled)");
            }
        }
        assertThat(meters.get("skein.tracking.statistics.analyses").counter().count())
                .isGreaterThan(analysesBefore);
    }

    private static boolean analysedSince(Timestamp before) {
        try (Connection c = TestInfra.connect(ServiceTestResource.TEST_DATABASE);
                PreparedStatement s = c.prepareStatement("SELECT last_analyze >= ? FROM pg_stat_user_tables"
                        + " WHERE schemaname = 'tracking' AND relname = 'runs'")) {
            s.setTimestamp(1, before);
            try (ResultSet r = s.executeQuery()) {
                return r.next() && r.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
