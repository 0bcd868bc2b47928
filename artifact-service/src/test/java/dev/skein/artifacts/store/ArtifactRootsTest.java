package dev.skein.artifacts.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.common.error.ApiException;
import dev.skein.proto.common.v1.ErrorCode;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArtifactRootsTest {

    private final ArtifactRoots roots =
            new ArtifactRoots("artifacts", "mlartifacts", List.of("s3://artifacts/teams", " s3://shared/ml/exp "));

    @Test
    void shouldResolveLocationsUnderTheProxyRootAndTheExtraRoots() {
        assertThat(roots.resolve("mlflow-artifacts:/1/abc/artifacts"))
                .isEqualTo(new Location("artifacts", "mlartifacts/1/abc/artifacts"));
        assertThat(roots.resolve("mlflow-artifacts://gateway:8080/1/abc"))
                .isEqualTo(new Location("artifacts", "mlartifacts/1/abc"));
        assertThat(roots.resolve("s3://artifacts/mlartifacts/1/abc/artifacts"))
                .isEqualTo(new Location("artifacts", "mlartifacts/1/abc/artifacts"));
        assertThat(roots.resolve("s3://artifacts/teams/a/run/artifacts/"))
                .isEqualTo(new Location("artifacts", "teams/a/run/artifacts"));
        assertThat(roots.resolve("s3://artifacts//teams//a/./run")).isEqualTo(new Location("artifacts", "teams/a/run"));
        assertThat(roots.resolve("s3://shared/ml/exp/7/artifacts"))
                .isEqualTo(new Location("shared", "ml/exp/7/artifacts"));
        assertThat(roots.resolve("s3://artifacts/teams")).isEqualTo(new Location("artifacts", "teams"));
    }

    @Test
    void shouldRefuseLocationsOutsideEveryRoot() {
        for (String uri : new String[] {
            "s3://artifacts/secret-1234/model",
            "s3://artifacts",
            "s3://artifacts/",
            "s3://artifacts/mlartifacts-other/x",
            "s3://artifacts/teamsecret/x",
            "s3://artifacts/teams/../secret/x",
            "s3://artifacts/teams/%2e%2e/secret",
            "s3://artifacts/teams/%252e%252e/secret",
            "s3://artifacts/mlartifacts/..%2fsecret",
            "s3://artifacts/teams\\..\\secret",
            "s3://shared/ml/other",
            "s3://shared/ml",
            "s3://elsewhere/mlartifacts/1",
            "s3:/artifacts/mlartifacts/1",
            "mlflow-artifacts:/../secret",
            "mlflow-artifacts:/1/%2e%2e/%2e%2e/x",
            "file:///etc/passwd",
            "gs://artifacts/mlartifacts/1",
            "/mlartifacts/1",
            ""
        }) {
            assertThatThrownBy(() -> roots.resolve(uri))
                    .as(uri)
                    .isInstanceOfSatisfying(
                            ApiException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE));
        }
        assertThatThrownBy(() -> roots.resolve("s3://artifacts/secret-1234/model"))
                .hasMessageContaining("outside the artifact roots");
    }

    @Test
    void shouldServeOnlyTheProxyRootWithoutExtraRoots() {
        ArtifactRoots proxyOnly = new ArtifactRoots("artifacts", "mlartifacts", List.of());
        assertThat(proxyOnly.resolve("s3://artifacts/mlartifacts/x"))
                .isEqualTo(new Location("artifacts", "mlartifacts/x"));
        assertThatThrownBy(() -> proxyOnly.resolve("s3://artifacts/teams/x")).isInstanceOf(ApiException.class);
        // a proxy root at the bucket's root makes the whole bucket the root
        ArtifactRoots wholeBucket = new ArtifactRoots("artifacts", "", List.of());
        assertThat(wholeBucket.resolve("s3://artifacts/any/key")).isEqualTo(new Location("artifacts", "any/key"));
        assertThatThrownBy(() -> wholeBucket.resolve("s3://other/any/key")).isInstanceOf(ApiException.class);
    }

    @Test
    void shouldKnowItsRootsSoNoneIsDeletedWhole() {
        assertThat(roots.isRoot(new Location("artifacts", "mlartifacts"))).isTrue();
        assertThat(roots.isRoot(new Location("artifacts", "teams"))).isTrue();
        assertThat(roots.isRoot(new Location("shared", "ml/exp"))).isTrue();
        assertThat(roots.isRoot(new Location("artifacts", "teams/a"))).isFalse();
    }

    @Test
    void shouldRefuseMalformedExtraRootsAtStart() {
        for (String root :
                new String[] {"artifacts/teams", "s3:///teams", "s3://artifacts/a/../b", "mlflow-artifacts:/x"}) {
            assertThatThrownBy(() -> new ArtifactRoots("artifacts", "mlartifacts", List.of(root)))
                    .as(root)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("skein.artifacts.extra-roots");
        }
    }
}
