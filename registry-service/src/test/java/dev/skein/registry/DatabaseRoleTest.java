package dev.skein.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.testing.ServiceTestResource;
import dev.skein.common.testing.TestInfra;
import dev.skein.proto.registry.v1.RegistryServiceGrpc.RegistryServiceBlockingStub;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The service's own database role can do its work and nothing more: someone holding its
 * credentials cannot switch the audit trail's guard off, rewrite the trail, or change the schema.
 */
@QuarkusTest
class DatabaseRoleTest {

    @GrpcClient("registry")
    RegistryServiceBlockingStub registry;

    @ConfigProperty(name = "skein.db.user")
    String serviceUser;

    @ConfigProperty(name = "skein.db.password")
    Optional<String> servicePassword;

    @ConfigProperty(name = "skein.db.owner-user")
    String ownerUser;

    private Connection asService() throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://" + TestInfra.DB_HOST + ":" + TestInfra.DB_PORT + "/"
                        + ServiceTestResource.TEST_DATABASE,
                serviceUser,
                servicePassword.orElse(""));
    }

    @Test
    void shouldWorkAsARoleOtherThanTheSchemaOwner() throws Exception {
        String model = Registry.newModel(registry); // the service writes as its own role
        assertThat(serviceUser).isNotEqualTo(ownerUser);
        try (Connection c = asService();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1) || rs.getBoolean(2) || rs.getBoolean(3)).isFalse();
        }
        try (Connection c = asService();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT count(*) FROM registry.audit_events WHERE model_name = '" + model + "'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isPositive();
        }
    }

    @Test
    void shouldNotLetTheServiceRoleDisableOrBypassTheAuditTrail() throws Exception {
        Registry.newModel(registry);
        try (Connection c = asService();
                Statement s = c.createStatement()) {
            assertThatThrownBy(
                            () -> s.execute("DROP TRIGGER audit_events_no_update_or_delete ON registry.audit_events"))
                    .hasMessageContaining("must be owner");
            assertThatThrownBy(() -> s.execute("ALTER TABLE registry.audit_events DISABLE TRIGGER ALL"))
                    .hasMessageContaining("must be owner");
            assertThatThrownBy(() -> s.execute("DROP FUNCTION registry.audit_events_are_append_only() CASCADE"))
                    .hasMessageContaining("must be owner");
            assertThatThrownBy(() -> s.executeUpdate("DELETE FROM registry.audit_events"))
                    .hasMessageContaining("permission denied");
            assertThatThrownBy(() -> s.executeUpdate("UPDATE registry.audit_events SET actor = 'mallory'"))
                    .hasMessageContaining("permission denied");
            assertThatThrownBy(() -> s.execute("TRUNCATE registry.audit_events"))
                    .hasMessageContaining("permission denied");
            assertThatThrownBy(() -> s.execute("CREATE TABLE registry.planted (id int)"))
                    .hasMessageContaining("permission denied");
            assertThatThrownBy(() -> s.executeUpdate("DELETE FROM registry.flyway_schema_history"))
                    .hasMessageContaining("permission denied");
        }
    }
}
